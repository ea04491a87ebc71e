#pragma once
// The directory's HTTP API (docs/protocol/directory.md) on the runtime's server: presence,
// topology, metrics (+ live websocket), health, the OpenAPI document, the Swagger UI and the dashboard.
//
// The handlers are plain functions of an HttpRequest so unit tests can call them without sockets.
// They run on the server's single I/O thread, so the registries need no lock.

#include <directory/metrics.hpp>
#include <directory/registry.hpp>
#include <runtime/http.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace nym::directory {

inline constexpr std::string_view METRICS_WS_PATH = "/ws";
/// Most registered clients one GET /api/presence/clients page returns.
inline constexpr std::uint64_t MAX_CLIENTS_PAGE = 1000;

struct ServiceConfig {
    RegistryConfig registry;
    MetricsConfig metrics;
    std::filesystem::path swagger_dir; ///< swagger-ui-dist's folder; empty = no /swagger/ assets
    std::filesystem::path uplot_dir;   ///< the npm package uplot's dist/ folder; empty = no /dashboard/vendor/
};

/// Unix milliseconds. Injected so tests control time; the daemon passes the system clock.
using Clock = std::function<std::int64_t()>;
[[nodiscard]] std::int64_t system_clock_ms();

/// The OpenAPI 3 document (src/directory/openapi.json, embedded at build time).
[[nodiscard]] std::string_view openapi_document();
/// The Swagger UI page pointing at /api/openapi.json (web/swagger/index.html, embedded at build time).
[[nodiscard]] std::string_view swagger_index_page();
/// The script that starts Swagger UI on that page (web/swagger/nym-swagger.js).
[[nodiscard]] std::string_view swagger_script();
/// The network dashboard (web/dashboard/): its page, style sheet and two ES modules.
[[nodiscard]] std::string_view dashboard_page();
[[nodiscard]] std::string_view dashboard_style();
[[nodiscard]] std::string_view dashboard_app_script();
[[nodiscard]] std::string_view dashboard_model_script();

class DirectoryService {
public:
    DirectoryService(ServiceConfig config, Clock clock);

    runtime::HttpResponse post_mixnode(const runtime::HttpRequest& request);
    runtime::HttpResponse post_gateway(const runtime::HttpRequest& request);
    runtime::HttpResponse get_topology(const runtime::HttpRequest& request);
    /// GET /api/presence/clients?gateway=<identity>&offset=&limit=: a gateway's registered clients, paged.
    runtime::HttpResponse get_clients(const runtime::HttpRequest& request);
    runtime::HttpResponse post_metric(const runtime::HttpRequest& request);
    runtime::HttpResponse get_metrics(const runtime::HttpRequest& request);

    /// Called with the JSON of every accepted metric report (the daemon points it at the /ws hub).
    std::function<void(std::string)> on_metric;

    [[nodiscard]] PresenceRegistry& registry() noexcept { return m_registry; }

private:
    ServiceConfig m_config;
    Clock m_clock;
    PresenceRegistry m_registry;
    MetricsStore m_metrics;
};

/// The HTTP status for a refused message: 401 unsigned / bad signature / no valid proof of the
/// Sphinx key, 409 replay and identity conflicts, 403 unknown reporter, 429 too many new identities
/// from one address, 503 full, 400 every other malformed input.
[[nodiscard]] unsigned status_for(const std::error_code& error);

} // namespace nym::directory
