#include <runtime/errors.hpp>
#include <runtime/http.hpp>

#include <cstdio>
#include <string>

namespace nym::runtime {
namespace {

class RuntimeCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "nym.runtime"; }
    std::string message(int code) const override {
        switch (static_cast<Errc>(code)) {
        case Errc::timeout: return "timed out";
        case Errc::invalid_url: return "invalid or unsupported URL";
        case Errc::connection_closed: return "connection closed by the peer";
        case Errc::response_too_large: return "response too large";
        }
        return "unknown runtime error";
    }
};

} // namespace

const std::error_category& runtime_category() noexcept {
    static const RuntimeCategory category;
    return category;
}

std::string json_quote(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    out.push_back('"');
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (u < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(u));
                out += buf;
            } else {
                out.push_back(c);
            }
        }
    }
    out.push_back('"');
    return out;
}

HttpResponse HttpResponse::error(unsigned status, std::string_view message) {
    return json(status, "{\"error\":" + json_quote(message) + "}");
}

Expected<Url> parse_url(std::string_view text) {
    Url url;
    const auto scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos) return fail(Errc::invalid_url);
    url.scheme = std::string(text.substr(0, scheme_end));
    if (url.scheme != "http" && url.scheme != "ws" && url.scheme != "https" && url.scheme != "wss")
        return fail(Errc::invalid_url);
    if (url.tls()) url.port = 443;
    auto rest = text.substr(scheme_end + 3);
    const auto slash = rest.find('/');
    const auto authority = rest.substr(0, slash);
    if (slash != std::string_view::npos) url.target = std::string(rest.substr(slash));
    const auto colon = authority.rfind(':');
    if (colon == std::string_view::npos) {
        url.host = std::string(authority);
    } else {
        url.host = std::string(authority.substr(0, colon));
        const auto port = authority.substr(colon + 1);
        if (port.empty() || port.size() > 5) return fail(Errc::invalid_url);
        unsigned value = 0;
        for (char c : port) {
            if (c < '0' || c > '9') return fail(Errc::invalid_url);
            value = value * 10 + static_cast<unsigned>(c - '0');
        }
        if (value == 0 || value > 65535) return fail(Errc::invalid_url);
        url.port = static_cast<std::uint16_t>(value);
    }
    if (url.host.empty()) return fail(Errc::invalid_url);
    return url;
}

} // namespace nym::runtime
