#include <node/directory_client.hpp>

#include <optional>

namespace nym::node {
namespace {

DirectoryError failure_of(const std::string& url_text, const Expected<runtime::HttpResult>& result) {
    if (!result)
        return {DirectoryError::Kind::unreachable,
                "cannot reach the directory at " + url_text + ": " + result.error().message()};
    std::string body = result->body.substr(0, 200);
    return {DirectoryError::Kind::refused,
            "the directory at " + url_text + " answered HTTP " + std::to_string(result->status) +
                (body.empty() ? std::string() : ": " + body)};
}

Expected<wire::directory::Topology, DirectoryError> topology_of(const std::string& url_text,
                                                                Expected<runtime::HttpResult> result) {
    if (!result || result->status != 200) return Unexpected(failure_of(url_text, result));
    auto topology = wire::directory::parse_topology(result->body);
    if (!topology)
        return Unexpected(DirectoryError{DirectoryError::Kind::unparseable,
                                         "the topology from " + url_text +
                                             " does not parse: " + topology.error().message()});
    return std::move(*topology);
}

runtime::ClientOptions client_options(std::chrono::milliseconds timeout) {
    runtime::ClientOptions options;
    options.timeout = timeout;
    return options;
}

} // namespace

Expected<runtime::Url, DirectoryError> parse_directory_url(const std::string& text) {
    auto url = runtime::parse_url(text);
    if (!url) return Unexpected(DirectoryError{DirectoryError::Kind::unreachable, "unusable directory URL '" + text + "'"});
    if (url->scheme != "http" && url->scheme != "https")
        return Unexpected(DirectoryError{DirectoryError::Kind::unreachable,
                                         "unsupported directory URL '" + text + "' (use http://host:port or https://host)"});
    return *url;
}

DirectoryClient::DirectoryClient(runtime::Loop& loop, runtime::Url url, std::string url_text,
                                 std::chrono::milliseconds timeout)
    : m_http(loop, client_options(timeout)), m_url(std::move(url)),
      m_url_text(std::move(url_text)) {}

void DirectoryClient::post(const char* path, std::string body, FailureLog& log) {
    m_http.post_json(m_url, path, std::move(body), [this, &log](Expected<runtime::HttpResult> result) {
        if (result && result->status < 300) {
            log.succeeded();
            return;
        }
        log.failed(failure_of(m_url_text, result).message);
    });
}

void DirectoryClient::announce(const wire::directory::MixnodeHeartbeat& heartbeat) {
    post("/api/presence/mixnodes", wire::directory::to_json(heartbeat), m_heartbeats);
}

void DirectoryClient::announce(const wire::directory::GatewayHeartbeat& heartbeat) {
    post("/api/presence/gateways", wire::directory::to_json(heartbeat), m_heartbeats);
}

void DirectoryClient::report(const wire::directory::MixMetric& metric) {
    post("/api/metrics/mixes", wire::directory::to_json(metric), m_metrics);
}

void DirectoryClient::topology(TopologyCallback done) {
    m_http.get(m_url, "/api/presence/topology", [this, done = std::move(done)](Expected<runtime::HttpResult> result) {
        done(topology_of(m_url_text, std::move(result)));
    });
}

Expected<wire::directory::Topology, DirectoryError> fetch_topology_once(const std::string& url_text,
                                                                       std::chrono::milliseconds timeout) {
    auto url = parse_directory_url(url_text);
    if (!url) return Unexpected(url.error());
    runtime::LoopOptions options;
    options.handle_signals = false;
    runtime::Loop loop(options);
    std::optional<Expected<wire::directory::Topology, DirectoryError>> answer;
    {
        DirectoryClient client(loop, *url, url_text, timeout);
        client.topology([&](Expected<wire::directory::Topology, DirectoryError> result) {
            answer = std::move(result);
            loop.stop();
        });
        loop.run();
    }
    if (!answer) return Unexpected(DirectoryError{DirectoryError::Kind::unreachable, "no answer from " + url_text});
    return std::move(*answer);
}

} // namespace nym::node
