#include <directory/service.hpp>


#include <spdlog/spdlog.h>

#include <chrono>

namespace nym::directory {
namespace {

using runtime::HttpRequest;
using runtime::HttpResponse;

bool is_json_content(std::string_view content_type) {
    const auto semicolon = content_type.find(';');
    auto media = content_type.substr(0, semicolon);
    while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
    if (media.size() != 16) return false;
    std::string lower(media);
    for (auto& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return lower == "application/json";
}

HttpResponse refuse(const std::error_code& error) { return HttpResponse::error(status_for(error), error.message()); }

const HttpResponse* check_json_request(const HttpRequest& request) {
    static const HttpResponse UNSUPPORTED = HttpResponse::error(415, "Content-Type must be application/json");
    if (!is_json_content(request.content_type)) return &UNSUPPORTED;
    return nullptr;
}

const HttpResponse CREATED = HttpResponse::json(201, R"({"status":"ok"})");

} // namespace

std::int64_t system_clock_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

unsigned status_for(const std::error_code& error) {
    if (error == wire::Errc::unsigned_message || error == wire::Errc::bad_signature) return 401;
    if (error == Errc::replayed || error == Errc::identity_conflict || error == Errc::role_conflict) return 409;
    if (error == Errc::unknown_node) return 403;
    if (error == Errc::registry_full) return 503;
    if (error == wire::Errc::oversized) return 413;
    return 400;
}

DirectoryService::DirectoryService(ServiceConfig config, Clock clock)
    : m_config(std::move(config)), m_clock(std::move(clock)), m_registry(m_config.registry), m_metrics(m_config.metrics) {}

HttpResponse DirectoryService::post_mixnode(const HttpRequest& request) {
    if (const auto* bad = check_json_request(request)) return *bad;
    auto heartbeat = wire::directory::parse_mixnode_heartbeat(request.body);
    if (!heartbeat) return refuse(heartbeat.error());
    if (auto ok = m_registry.accept(*heartbeat, m_clock()); !ok) {
        spdlog::debug("directory: mixnode heartbeat from {} refused: {}", request.remote_address, ok.error().message());
        return refuse(ok.error());
    }
    return CREATED;
}

HttpResponse DirectoryService::post_gateway(const HttpRequest& request) {
    if (const auto* bad = check_json_request(request)) return *bad;
    auto heartbeat = wire::directory::parse_gateway_heartbeat(request.body);
    if (!heartbeat) return refuse(heartbeat.error());
    if (auto ok = m_registry.accept(*heartbeat, m_clock()); !ok) {
        spdlog::debug("directory: gateway heartbeat from {} refused: {}", request.remote_address, ok.error().message());
        return refuse(ok.error());
    }
    return CREATED;
}

HttpResponse DirectoryService::get_topology(const HttpRequest&) {
    return HttpResponse::json(200, wire::directory::to_json(m_registry.topology(m_clock())));
}

HttpResponse DirectoryService::post_metric(const HttpRequest& request) {
    if (const auto* bad = check_json_request(request)) return *bad;
    auto metric = wire::directory::parse_mix_metric(request.body);
    if (!metric) return refuse(metric.error());
    const auto now = m_clock();
    m_registry.expire(now);
    auto identity = m_registry.mixnode_identity(metric->pub_key);
    if (!identity) return refuse(make_error_code(Errc::unknown_node));
    if (auto ok = m_metrics.accept(*metric, *identity, now); !ok) return refuse(ok.error());
    if (on_metric) on_metric(wire::directory::to_json(*metric));
    return CREATED;
}

HttpResponse DirectoryService::get_metrics(const HttpRequest&) {
    return HttpResponse::json(200, wire::directory::to_json(m_metrics.recent(m_clock())));
}


} // namespace nym::directory
