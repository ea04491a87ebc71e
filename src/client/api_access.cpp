#include <client/api_access.hpp>

#include <algorithm>

namespace nym::client {
namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
    return out;
}

} // namespace

std::string_view to_string(ApiRefusal refusal) noexcept {
    switch (refusal) {
    case ApiRefusal::none: return "accepted";
    case ApiRefusal::not_loopback: return "not a loopback peer";
    case ApiRefusal::bad_host: return "Host is not the loopback interface with the API port";
    case ApiRefusal::bad_origin: return "Origin is not allowed";
    }
    return "refused";
}

bool is_loopback(std::string_view ip) noexcept {
    return ip.starts_with("127.") || ip == "::1" || ip.starts_with("::ffff:127.");
}

std::optional<std::string> normalise_origin(std::string_view origin) {
    if (origin.empty() || origin.size() > 256) return std::nullopt;
    if (!std::all_of(origin.begin(), origin.end(), [](char c) {
            const auto u = static_cast<unsigned char>(c);
            return u > 0x20 && u < 0x7f;
        }))
        return std::nullopt;
    std::string out = lower(origin);
    while (out.size() > 1 && out.back() == '/') out.pop_back();
    if (out == "null") return std::nullopt;
    return out;
}

ApiRefusal check_api_upgrade(std::string_view remote_ip, std::string_view host, const std::optional<std::string>& origin,
                             std::uint16_t port, const std::vector<std::string>& allowed_origins) {
    if (!is_loopback(remote_ip)) return ApiRefusal::not_loopback;
    const std::string h = lower(host);
    std::string suffix(1, ':'); // not ":" + to_string(): GCC 12 -O3 -Wrestrict false positive
    suffix += std::to_string(port);
    bool host_ok = false;
    for (const char* name : {"127.0.0.1", "localhost", "[::1]"})
        host_ok = host_ok || h == name + suffix || (port == 80 && h == name);
    if (!host_ok) return ApiRefusal::bad_host;
    if (!origin) return ApiRefusal::none;
    const auto wanted = normalise_origin(*origin);
    if (!wanted) return ApiRefusal::bad_origin;
    for (const auto& allowed : allowed_origins)
        if (normalise_origin(allowed) == wanted) return ApiRefusal::none;
    return ApiRefusal::bad_origin;
}

} // namespace nym::client
