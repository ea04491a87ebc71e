#include <directory/daemon.hpp>

#include <directory/chain_proxy.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace nym::directory {
namespace {

using runtime::HttpRequest;
using runtime::HttpResponse;
using runtime::Responder;

/// Largest CometBFT answer forwarded (20 block metas or a block's results stay far below).
constexpr std::size_t CHAIN_ANSWER_LIMIT = 4 * 1024 * 1024;

HttpResponse asset(std::string_view content_type, std::string_view body) {
    HttpResponse response{200, std::string(content_type), std::string(body), {}};
    response.headers.emplace_back("Cache-Control", "no-cache");
    return response;
}

/// The network dashboard (web/dashboard/): the page and its modules are embedded, uPlot is served
/// from the npm package's dist/ folder like the Swagger UI's assets.
void install_dashboard(const ServiceConfig& config, runtime::HttpServer& server) {
    const auto page = [](const HttpRequest&) { return asset("text/html; charset=utf-8", dashboard_page()); };
    server.route("GET", "/dashboard/", page);
    server.route("GET", "/dashboard/index.html", page);
    server.route("GET", "/dashboard/dashboard.css",
                 [](const HttpRequest&) { return asset("text/css; charset=utf-8", dashboard_style()); });
    server.route("GET", "/dashboard/app.mjs",
                 [](const HttpRequest&) { return asset("application/javascript", dashboard_app_script()); });
    server.route("GET", "/dashboard/model.mjs",
                 [](const HttpRequest&) { return asset("application/javascript", dashboard_model_script()); });
    server.route("GET", "/dashboard", [](const HttpRequest&) {
        HttpResponse response = HttpResponse::error(301, "moved to /dashboard/");
        response.headers.emplace_back("Location", "/dashboard/");
        return response;
    });
    if (!config.uplot_dir.empty()) server.serve_static("/dashboard/vendor/", config.uplot_dir);
}

/// The validator's answer as the directory passes it on: its body when it answered 200, else 502.
HttpResponse forwarded(Expected<runtime::HttpResult> result) {
    if (!result) return HttpResponse::error(502, "validator RPC unreachable: " + result.error().message());
    if (result->status != 200)
        return HttpResponse::error(502, "validator RPC answered HTTP " + std::to_string(result->status));
    return HttpResponse::json(200, std::move(result->body));
}

/// GET /api/chain/<method>: the configured CometBFT node's answer, as it sent it (chain_proxy.hpp).
void install_chain_routes(runtime::HttpClient* client, const std::optional<runtime::Url>& rpc,
                          runtime::HttpServer& server) {
    // Whether there is a validator network to show (so the page never asks for a route that is 404).
    const bool configured = client != nullptr && rpc.has_value();
    server.route("GET", "/api/chain", [configured](const HttpRequest&) {
        return HttpResponse::json(200, configured ? R"({"configured":true})" : R"({"configured":false})");
    });
    for (const auto method : CHAIN_METHODS) {
        const std::string path = std::string(CHAIN_ROUTE_PREFIX) + std::string(method);
        if (client == nullptr || !rpc) {
            server.route("GET", path, [](const HttpRequest&) {
                return HttpResponse::error(
                    404, "no validator network configured (start nym-directory with --cometbft-rpc URL)");
            });
            continue;
        }
        server.route_async("GET", path, [client, url = *rpc, method](const HttpRequest& request, Responder respond) {
            auto target = chain_rpc_target(method, request.query);
            if (!target) return respond(HttpResponse::error(400, target.error().message()));
            client->get(url, std::move(*target), [respond = std::move(respond)](Expected<runtime::HttpResult> result) {
                respond(forwarded(std::move(result)));
            });
        });
    }
}

/// Every route of docs/protocol/directory.md; accepted metric reports are also broadcast on /ws.
void install_routes(DirectoryService& service, const ServiceConfig& config, runtime::HttpServer& server) {
    server.route("POST", "/api/presence/mixnodes", [&service](const HttpRequest& r) { return service.post_mixnode(r); });
    server.route("POST", "/api/presence/gateways", [&service](const HttpRequest& r) { return service.post_gateway(r); });
    server.route("POST", "/api/presence/mixproviders", [&service](const HttpRequest& r) { return service.post_gateway(r); });
    server.route("GET", "/api/presence/topology", [&service](const HttpRequest& r) { return service.get_topology(r); });
    server.route("GET", "/api/presence/clients", [&service](const HttpRequest& r) { return service.get_clients(r); });
    server.route("POST", "/api/metrics/mixes", [&service](const HttpRequest& r) { return service.post_metric(r); });
    server.route("GET", "/api/metrics/mixes", [&service](const HttpRequest& r) { return service.get_metrics(r); });
    server.route("GET", "/api/healthcheck", [](const HttpRequest&) { return HttpResponse::json(200, R"({"ok":true})"); });
    server.route("GET", "/api/openapi.json", [](const HttpRequest&) {
        return HttpResponse::json(200, std::string(openapi_document()));
    });
    const auto swagger_page = [](const HttpRequest&) {
        return HttpResponse{200, "text/html; charset=utf-8", std::string(swagger_index_page()), {}};
    };
    server.route("GET", "/swagger/", swagger_page);
    server.route("GET", "/swagger/index.html", swagger_page);
    server.route("GET", "/swagger/nym-swagger.js", [](const HttpRequest&) {
        return HttpResponse{200, "application/javascript", std::string(swagger_script()), {}};
    });
    const auto to_swagger = [](const HttpRequest&) {
        HttpResponse response = HttpResponse::error(301, "moved to /swagger/");
        response.headers.emplace_back("Location", "/swagger/");
        return response;
    };
    server.route("GET", "/swagger", to_swagger);
    server.route("GET", "/", to_swagger);
    if (!config.swagger_dir.empty()) server.serve_static("/swagger/", config.swagger_dir);
    install_dashboard(config, server);
    server.websocket(std::string(METRICS_WS_PATH));
    service.on_metric = [&server](std::string json) { server.broadcast(std::string(METRICS_WS_PATH), std::move(json)); };
}


runtime::ServerOptions server_options(const DaemonConfig& config) {
    runtime::ServerOptions options;
    options.host = config.host;
    options.port = config.port;
    options.body_limit = config.body_limit;
    options.server_name = "nym-directory";
    return options;
}

} // namespace

/// Polls every configured credential service on the loop: a status request per service and
/// interval (none while the previous one is still out), each bounded by the client's timeout; the
/// answers are kept for GET /api/services, which never waits on a service.
class ServiceMonitor : public std::enable_shared_from_this<ServiceMonitor> {
public:
    ServiceMonitor(runtime::Loop& loop, std::vector<ServiceEndpoint> endpoints, std::chrono::milliseconds timeout,
                   Clock clock)
        : m_endpoints(std::move(endpoints)), m_health(m_endpoints.size()), m_in_flight(m_endpoints.size(), false),
          m_clock(std::move(clock)), m_client(loop, client_options(timeout)) {}

    void start(runtime::Loop& loop, std::chrono::milliseconds interval) {
        std::weak_ptr<ServiceMonitor> weak = weak_from_this();
        const auto tick = [weak] {
            if (auto self = weak.lock()) self->poll();
        };
        loop.post(tick);
        loop.every(interval, tick);
    }

    [[nodiscard]] std::string json() const { return services_json(m_endpoints, m_health); }

private:
    static runtime::ClientOptions client_options(std::chrono::milliseconds timeout) {
        runtime::ClientOptions options;
        options.timeout = timeout;
        options.body_limit = 64 * 1024; // a status answer is a few hundred bytes
        return options;
    }

    void poll() {
        std::weak_ptr<ServiceMonitor> weak = weak_from_this();
        for (std::size_t i = 0; i < m_endpoints.size(); ++i) {
            if (m_in_flight[i]) continue;
            m_in_flight[i] = true;
            m_client.get(m_endpoints[i].base, status_target(m_endpoints[i]),
                         [weak, i](Expected<runtime::HttpResult> result) {
                             if (auto self = weak.lock()) self->record(i, std::move(result));
                         });
        }
    }

    void record(std::size_t i, Expected<runtime::HttpResult> result) {
        m_in_flight[i] = false;
        ServiceHealth& h = m_health[i];
        h.checked = true;
        h.up = false;
        if (!result) {
            h.error = "unreachable: " + result.error().message();
            return;
        }
        if (result->status != 200) {
            h.error = "answered HTTP " + std::to_string(result->status);
            return;
        }
        auto detail = service_detail(m_endpoints[i].kind, result->body);
        if (!detail) {
            h.error = "unexpected status answer: " + detail.error();
            return;
        }
        h.up = true;
        h.error.clear();
        h.detail = std::move(*detail);
        h.last_ok_ms = m_clock();
    }

    std::vector<ServiceEndpoint> m_endpoints;
    std::vector<ServiceHealth> m_health;
    std::vector<bool> m_in_flight;
    Clock m_clock;
    runtime::HttpClient m_client;
};

Daemon::Daemon(runtime::Loop& loop, DaemonConfig config, Clock clock)
    : m_config(std::move(config)), m_service(m_config.service, clock), m_server(loop, server_options(m_config)) {
    install_routes(m_service, m_config.service, m_server);
    if (m_config.cometbft_rpc) {
        runtime::ClientOptions options;
        options.timeout = std::chrono::seconds(5);
        options.body_limit = CHAIN_ANSWER_LIMIT;
        m_chain_client = std::make_unique<runtime::HttpClient>(loop, options);
    }
    install_chain_routes(m_chain_client.get(), m_config.cometbft_rpc, m_server);
    if (!m_config.services.empty()) {
        m_monitor = std::make_shared<ServiceMonitor>(loop, m_config.services, m_config.service_timeout, clock);
        m_monitor->start(loop, m_config.service_poll_interval);
    }
    // Always 200 (an empty list when none is configured), so the page never asks for a 404.
    std::weak_ptr<ServiceMonitor> weak = m_monitor;
    m_server.route("GET", std::string(SERVICES_ROUTE), [weak](const HttpRequest&) {
        auto monitor = weak.lock();
        return HttpResponse::json(200, monitor ? monitor->json() : std::string(R"({"services":[]})"));
    });
}

Daemon::~Daemon() = default;

Expected<std::uint16_t> Daemon::start() {
    return m_server.listen();
}

} // namespace nym::directory
