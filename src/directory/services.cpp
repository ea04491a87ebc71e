#include <directory/services.hpp>

#include <directory/errors.hpp>
#include <wire/credentials.hpp>

namespace nym::directory {

namespace wc = wire::credentials;

std::string_view to_string(ServiceKind kind) noexcept {
    switch (kind) {
    case ServiceKind::issuer:
        return "issuer";
    case ServiceKind::provider:
        return "provider";
    }
    return "unknown";
}

Expected<ServiceEndpoint> parse_service_url(ServiceKind kind, std::string_view text) {
    auto url = runtime::parse_url(text);
    if (!url || (url->scheme != "http" && url->scheme != "https") || url->host.empty() ||
        url->target.find_first_of("?#") != std::string::npos)
        return Unexpected(make_error_code(Errc::service_url_invalid));
    if (url->target.empty()) url->target = "/";
    return ServiceEndpoint{kind, std::string(text), std::move(*url)};
}

std::string status_target(const ServiceEndpoint& endpoint) {
    std::string prefix = endpoint.base.target;
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
    return prefix + (endpoint.kind == ServiceKind::issuer ? "/api/status" : "/api/info");
}

Expected<std::string, std::string> service_detail(ServiceKind kind, std::string_view body) {
    const auto quoted = [](std::uint64_t n) { return runtime::json_quote(std::to_string(n)); };
    if (kind == ServiceKind::issuer) {
        auto status = wc::parse_issuer_status(body);
        if (!status) return Unexpected(status.error());
        return "{\"index\":" + quoted(status->index) + ",\"chain_id\":" + runtime::json_quote(status->chain_id) +
               ",\"processed_height\":" + quoted(status->processed_height) + ",\"issued\":" + quoted(status->issued) +
               ",\"refused\":" + quoted(status->refused) + "}";
    }
    auto info = wc::parse_provider_info(body);
    if (!info) return Unexpected(info.error());
    return "{\"address\":" + runtime::json_quote(info->address.to_hex()) +
           ",\"chain_id\":" + runtime::json_quote(info->chain_id) +
           ",\"spend_timeout_ms\":" + quoted(info->spend_timeout_ms) + "}";
}

std::string services_json(const std::vector<ServiceEndpoint>& endpoints, const std::vector<ServiceHealth>& health) {
    std::string out = "{\"services\":[";
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
        const ServiceHealth none;
        const ServiceHealth& h = i < health.size() ? health[i] : none;
        if (i) out += ',';
        out += "{\"kind\":" + runtime::json_quote(to_string(endpoints[i].kind)) +
               ",\"url\":" + runtime::json_quote(endpoints[i].url) + ",\"checked\":" + (h.checked ? "true" : "false") +
               ",\"up\":" + (h.up ? "true" : "false") +
               ",\"last_ok_ms\":" + (h.last_ok_ms ? std::to_string(*h.last_ok_ms) : "null") +
               ",\"detail\":" + (h.detail.empty() ? "{}" : h.detail) + ",\"error\":" + runtime::json_quote(h.error) +
               "}";
    }
    return out + "]}";
}

} // namespace nym::directory
