#pragma once
// The typed client of the directory API (docs/protocol/directory.md) that every node and client
// uses: signed presence heartbeats, metric reports, and the topology. Asynchronous, on the
// process's runtime::Loop; callbacks run on the loop's I/O thread. Failures of the fire-and-forget
// posts are logged by the "first failure warns, the rest are debug" rule, per activity.

#include <node/logging.hpp>
#include <runtime/http.hpp>
#include <runtime/http_client.hpp>
#include <runtime/loop.hpp>
#include <util/expected.hpp>
#include <wire/directory.hpp>

#include <chrono>
#include <functional>
#include <string>

namespace nym::node {

/// Why a directory request failed, in words for the operator ("cannot reach the directory at
/// http://...: connection refused", "... answered HTTP 503: directory is full").
struct DirectoryError {
    enum class Kind { unreachable, refused, unparseable } kind = Kind::unreachable;
    std::string message;
};

class DirectoryClient {
public:
    using TopologyCallback = std::function<void(Expected<wire::directory::Topology, DirectoryError>)>;

    /// `url` as given by the operator ("http://127.0.0.1:8080"); see parse_directory_url().
    DirectoryClient(runtime::Loop& loop, runtime::Url url, std::string url_text,
                    std::chrono::milliseconds timeout = std::chrono::seconds(2));

    /// POST /api/presence/mixnodes, /api/presence/gateways, /api/metrics/mixes.
    void announce(const wire::directory::MixnodeHeartbeat& heartbeat);
    void announce(const wire::directory::GatewayHeartbeat& heartbeat);
    void report(const wire::directory::MixMetric& metric);
    /// GET /api/presence/topology.
    void topology(TopologyCallback done);

    [[nodiscard]] const std::string& url() const noexcept { return m_url_text; }

private:
    void post(const char* path, std::string body, FailureLog& log);

    runtime::HttpClient m_http;
    runtime::Url m_url;
    std::string m_url_text;
    FailureLog m_heartbeats{"directory heartbeat"};
    FailureLog m_metrics{"directory metric report"};
};

/// A directory URL this software can reach (http://host[:port]). The error says why not.
[[nodiscard]] Expected<runtime::Url, DirectoryError> parse_directory_url(const std::string& text);

/// One topology request outside any daemon (`init` commands): a private loop runs until the answer.
[[nodiscard]] Expected<wire::directory::Topology, DirectoryError> fetch_topology_once(
    const std::string& url_text, std::chrono::milliseconds timeout);

} // namespace nym::node
