#include <directory/daemon.hpp>

namespace nym::directory {
namespace {

using runtime::HttpRequest;
using runtime::HttpResponse;

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

Daemon::Daemon(runtime::Loop& loop, DaemonConfig config, Clock clock)
    : m_config(std::move(config)), m_service(m_config.service, std::move(clock)),
      m_server(loop, server_options(m_config)) {
    install_routes(m_service, m_config.service, m_server);
}

Expected<std::uint16_t> Daemon::start() { return m_server.listen(); }

} // namespace nym::directory
