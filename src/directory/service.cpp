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

/// The address part of "ip:port" / "[v6]:port" (the per-address limits count addresses, not ports).
std::string peer_address(const std::string& remote) {
    const auto colon = remote.rfind(':');
    std::string ip = colon == std::string::npos ? remote : remote.substr(0, colon);
    if (ip.size() >= 2 && ip.front() == '[') ip = ip.substr(1, ip.size() - 2);
    return ip;
}

} // namespace

std::int64_t system_clock_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

unsigned status_for(const std::error_code& error) {
    if (error == wire::Errc::unsigned_message || error == wire::Errc::bad_signature ||
        error == wire::Errc::missing_key_proof || error == wire::Errc::bad_key_proof)
        return 401;
    if (error == Errc::rate_limited) return 429;
    if (error == Errc::replayed || error == Errc::identity_conflict || error == Errc::role_conflict) return 409;
    if (error == Errc::unknown_node || error == Errc::foreign_host) return 403;
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
    if (auto ok = m_registry.accept(*heartbeat, m_clock(), peer_address(request.remote_address)); !ok) {
        spdlog::debug("directory: mixnode heartbeat from {} refused: {}", request.remote_address, ok.error().message());
        return refuse(ok.error());
    }
    return CREATED;
}

HttpResponse DirectoryService::post_gateway(const HttpRequest& request) {
    if (const auto* bad = check_json_request(request)) return *bad;
    auto heartbeat = wire::directory::parse_gateway_heartbeat(request.body);
    if (!heartbeat) return refuse(heartbeat.error());
    if (auto ok = m_registry.accept(*heartbeat, m_clock(), peer_address(request.remote_address)); !ok) {
        spdlog::debug("directory: gateway heartbeat from {} refused: {}", request.remote_address, ok.error().message());
        return refuse(ok.error());
    }
    return CREATED;
}

HttpResponse DirectoryService::get_topology(const HttpRequest&) {
    return HttpResponse::json(200, wire::directory::to_json(m_registry.topology(m_clock())));
}

HttpResponse DirectoryService::get_clients(const HttpRequest& request) {
    // ?gateway=<identity key, base58>&offset=N&limit=M
    std::string gateway;
    std::uint64_t offset = 0;
    std::uint64_t limit = MAX_CLIENTS_PAGE;
    std::string_view query = request.query;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        const auto eq = pair.find('=');
        if (eq == std::string_view::npos) return HttpResponse::error(400, "malformed query");
        const auto key = pair.substr(0, eq);
        const auto value = pair.substr(eq + 1);
        auto number = [&](std::uint64_t& out) {
            if (value.empty() || value.size() > 9) return false;
            out = 0;
            for (char c : value) {
                if (c < '0' || c > '9') return false;
                out = out * 10 + static_cast<std::uint64_t>(c - '0');
            }
            return true;
        };
        if (key == "gateway") gateway = std::string(value);
        else if (key == "offset") {
            if (!number(offset)) return HttpResponse::error(400, "offset must be a number");
        } else if (key == "limit") {
            if (!number(limit) || limit == 0 || limit > MAX_CLIENTS_PAGE)
                return HttpResponse::error(400, "limit must be 1-" + std::to_string(MAX_CLIENTS_PAGE));
        }
    }
    auto identity = wire::directory::ed25519_key_from_base58(gateway);
    if (!identity) return HttpResponse::error(400, "gateway must be a gateway's identity key (base58)");
    auto clients = m_registry.registered_clients(*identity, m_clock());
    if (!clients) return HttpResponse::error(404, "no such gateway in the topology");
    std::string body = "{\"gateway\":" + runtime::json_quote(gateway) + ",\"total\":" + std::to_string(clients->size()) +
                       ",\"offset\":" + std::to_string(offset) + ",\"clients\":[";
    for (std::uint64_t i = offset; i < clients->size() && i < offset + limit; ++i) {
        if (i != offset) body += ',';
        body += runtime::json_quote(wire::directory::key_to_base58((*clients)[i]));
    }
    body += "]}";
    return HttpResponse::json(200, std::move(body));
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
    if (metric->received != 0 || !metric->sent.empty()) m_registry.note_traffic(*identity);
    if (on_metric) on_metric(wire::directory::to_json(*metric));
    return CREATED;
}

HttpResponse DirectoryService::get_metrics(const HttpRequest&) {
    return HttpResponse::json(200, wire::directory::to_json(m_metrics.recent(m_clock())));
}


} // namespace nym::directory
