#pragma once
// The credential services the dashboard shows (issuers, providers): their base URLs as given on the
// command line (--issuer URL, --provider URL), the status endpoint the directory polls for each,
// and GET /api/services's JSON. No I/O here: the daemon's ServiceMonitor does the polling.

#include <runtime/http.hpp>
#include <util/expected.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nym::directory {

inline constexpr std::string_view SERVICES_ROUTE = "/api/services";

/// The kinds the directory can watch (nym-verifier has no HTTP API to ask).
enum class ServiceKind { issuer, provider };

[[nodiscard]] std::string_view to_string(ServiceKind kind) noexcept;

/// One watched service: its kind, its base URL as given, and the parsed base.
struct ServiceEndpoint {
    ServiceKind kind = ServiceKind::issuer;
    std::string url;   ///< as given (shown on the page)
    runtime::Url base; ///< scheme http or https, target the path prefix ("/" for none)
};

/// Checks a --issuer / --provider value: an http:// or https:// URL with a host, no query or
/// fragment; a path is taken as a prefix (a service behind a reverse proxy).
/// Errors: Errc::service_url_invalid.
[[nodiscard]] Expected<ServiceEndpoint> parse_service_url(ServiceKind kind, std::string_view text);

/// The target to GET for `endpoint`'s health: issuers GET /api/status, providers GET /api/info,
/// below the URL's path prefix.
[[nodiscard]] std::string status_target(const ServiceEndpoint& endpoint);

/// What the directory last learned about one service.
struct ServiceHealth {
    bool checked = false;                   ///< at least one answer or failure so far
    bool up = false;                        ///< the last check got a valid status answer
    std::optional<std::int64_t> last_ok_ms; ///< when a check last succeeded (unix ms)
    std::string detail;                     ///< JSON object of the key numbers of the last good answer
    std::string error;                      ///< why the last check failed (empty when up)
};

/// The detail object of a status answer (`body` of the endpoint's 200): issuers' index, chain_id,
/// processed_height, issued, refused; providers' address, chain_id, spend_timeout_ms. u64 values as
/// decimal strings, like the services write them. Error: what is wrong with the body.
[[nodiscard]] Expected<std::string, std::string> service_detail(ServiceKind kind, std::string_view body);

/// GET /api/services: {"services": [{"kind", "url", "checked", "up", "last_ok_ms" (null when never),
/// "detail" (object, {} when never up), "error" (string, "" when up)}…]} in command-line order.
/// `health` has one entry per endpoint.
[[nodiscard]] std::string services_json(const std::vector<ServiceEndpoint>& endpoints,
                                        const std::vector<ServiceHealth>& health);

} // namespace nym::directory
