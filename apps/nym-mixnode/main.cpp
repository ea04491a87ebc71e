// nym-mixnode: a Loopix mix node. `init` creates a node's keys and config; `run` serves the mix port:
// frames in (runtime::TcpLoop, I/O thread) → Sphinx unwrap (worker pool) → one delay queue (timer)
// → per-neighbour egress queues and persistent connections; presence heartbeats and per-interval
// metrics go to the directory from a reporter thread (blocking HTTP client, never the I/O thread).

#include <util/duration.hpp>
#include <crypto/base58.hpp>
#include <crypto/rng.hpp>
#include <mixnode/config.hpp>
#include <mixnode/node.hpp>
#include <mixnode/replay_filter.hpp>
#include <runtime/http.hpp>
#include <runtime/http_client.hpp>
#include <runtime/tcp.hpp>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <wire/directory.hpp>
#include <wire/framing.hpp>

// GCC 12 reports a false "potential null pointer dereference" in std::string moves inlined into
// CLI11's header-only helpers (CLI/StringTools.hpp); this file does nothing else that could trip it.
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace {

using namespace nym;

int print_error(const mixnode::ConfigError& e) {
    std::fprintf(stderr, "error: %s\n", e.message().c_str());
    return 1;
}

int run_init(const mixnode::InitOptions& given, const std::string& root_flag) {
    mixnode::InitOptions options = given;
    if (root_flag.empty()) {
        auto root = mixnode::default_root();
        if (!root) return print_error(root.error());
        options.root = *root;
    } else {
        options.root = root_flag;
    }
    auto result = mixnode::init_node(options, crypto::system_rng());
    if (!result) return print_error(result.error());

    const auto params = mixnode::BloomParameters::optimal(
        result->config.replay_filter_config().expected_packets_per_epoch, result->config.replay_fp_rate);
    std::printf("Initialised mix node '%s' (layer %d)\n", result->config.id.c_str(), result->config.layer);
    std::printf("identity key (ed25519): %s\n", crypto::base58_encode(result->identity_public.bytes).c_str());
    std::printf("sphinx key (x25519):    %s\n", crypto::base58_encode(result->sphinx_public.bytes).c_str());
    std::printf("config: %s\n", result->config_file.string().c_str());
    std::printf("replay filter: %.1f MB (2 filters of %llu bits, k = %u, for %llu packets per epoch at p = %g)\n",
                2.0 * static_cast<double>(params.memory_bytes()) / 1e6, static_cast<unsigned long long>(params.bits),
                params.hash_count, static_cast<unsigned long long>(params.expected_items), params.fp_rate);
    return 0;
}

std::int64_t unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// "1.2.3.4:1789" / "[::1]:1789" → the runtime's peer address.
runtime::PeerAddress to_peer(const sphinx::IpEndpoint& endpoint) {
    std::string text = endpoint.to_string();
    const auto colon = text.rfind(':');
    std::string ip = text.substr(0, colon);
    if (ip.size() >= 2 && ip.front() == '[') ip = ip.substr(1, ip.size() - 2);
    return runtime::PeerAddress{ip, endpoint.port};
}

/// Posts presence heartbeats and metric reports to the directory on its own thread, so a slow or
/// absent directory never stalls packet forwarding. Failures are logged and retried next interval.
class Reporter {
public:
    Reporter(const mixnode::MixNode& node, runtime::Url directory, std::string announce,
             std::chrono::milliseconds heartbeat_interval)
        : m_node(node), m_directory(std::move(directory)), m_announce(std::move(announce)),
          m_interval(heartbeat_interval), m_thread([this] { loop(); }) {}
    ~Reporter() { stop(); }
    Reporter(const Reporter&) = delete;
    Reporter& operator=(const Reporter&) = delete;

    /// Queues a metric report (thread-safe). Old reports are dropped if the directory is behind.
    void submit(wire::directory::MixMetric metric) {
        {
            std::lock_guard lock(m_mutex);
            if (m_metrics.size() >= MAX_PENDING) m_metrics.pop_front();
            m_metrics.push_back(std::move(metric));
        }
        m_wake.notify_one();
    }
    void stop() {
        {
            std::lock_guard lock(m_mutex);
            m_stopping = true;
        }
        m_wake.notify_one();
        if (m_thread.joinable()) m_thread.join();
    }

private:
    static constexpr std::size_t MAX_PENDING = 16;

    void loop() {
        auto next_heartbeat = std::chrono::steady_clock::now();
        std::unique_lock lock(m_mutex);
        while (!m_stopping) {
            m_wake.wait_until(lock, next_heartbeat, [this] { return m_stopping || !m_metrics.empty(); });
            if (m_stopping) break;
            std::deque<wire::directory::MixMetric> metrics;
            metrics.swap(m_metrics);
            const bool heartbeat_due = std::chrono::steady_clock::now() >= next_heartbeat;
            lock.unlock();
            if (heartbeat_due) {
                post("/api/presence/mixnodes", wire::directory::to_json(m_node.heartbeat(m_announce, unix_ms())));
                next_heartbeat = std::chrono::steady_clock::now() + m_interval;
            }
            for (const auto& metric : metrics) post("/api/metrics/mixes", wire::directory::to_json(metric));
            lock.lock();
        }
    }

    void post(const std::string& path, const std::string& body) {
        runtime::ClientOptions options;
        options.timeout = std::chrono::milliseconds(2000);
        auto result = runtime::http_request(m_directory.host, m_directory.port, "POST", path, body,
                                            runtime::CONTENT_TYPE_JSON, options);
        // The first failure of a streak is a warning, the rest debug, so a dead directory does not
        // flood the log; recovery is logged once.
        const bool ok = result && result->status < 300;
        if (!ok) {
            const std::string why =
                result ? "HTTP " + std::to_string(result->status) + " " + result->body : result.error().message();
            if (m_failing == 0) {
                spdlog::warn("directory {}:{} {} failed: {}", m_directory.host, m_directory.port, path, why);
            } else {
                spdlog::debug("directory {}:{} {} failed: {}", m_directory.host, m_directory.port, path, why);
            }
            ++m_failing;
        } else if (m_failing != 0) {
            spdlog::info("directory reachable again after {} failed request(s)", m_failing);
            m_failing = 0;
        }
    }

    const mixnode::MixNode& m_node;
    runtime::Url m_directory;
    std::string m_announce;
    std::chrono::milliseconds m_interval;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<wire::directory::MixMetric> m_metrics;
    bool m_stopping = false;
    std::uint64_t m_failing = 0; // consecutive failed requests (reporter thread only)
    std::thread m_thread;        // last: starts after every other member exists
};

struct RunFlags {
    std::string id;
    std::optional<std::string> host;
    std::optional<int> port;
    std::optional<std::string> announce_host;
    std::optional<std::string> directory;
    std::optional<std::uint32_t> workers;
    std::string max_delay;
    std::string heartbeat_interval;
    std::string metrics_interval;
    std::string log_level = "info";
};

int fail_flag(const char* flag, const std::string& value) {
    std::fprintf(stderr, "error: invalid %s '%s' (use e.g. 500ms or 2s)\n", flag, value.c_str());
    return 1;
}

/// The node's event-loop side: owns the per-connection decoders and wires MixNode to TcpLoop.
class Server {
public:
    Server(mixnode::MixNode& node, runtime::TcpLoop& loop) : m_node(node), m_loop(loop) {}

    runtime::InboundHandlers inbound() {
        return {[this](runtime::ConnectionId id, std::span<const std::uint8_t> bytes) { return on_data(id, bytes); },
                [this](runtime::ConnectionId id) { m_decoders.erase(id); }};
    }
    runtime::OutboundHandlers outbound() {
        return {[this](const runtime::PeerAddress& peer) { return m_node.next_frame(endpoint(peer)); },
                [this](const runtime::PeerAddress& peer) { m_node.on_written(endpoint(peer)); },
                [this](const runtime::PeerAddress& peer, std::vector<std::uint8_t> frame) {
                    m_node.on_write_failed(endpoint(peer), std::move(frame));
                }};
    }

private:
    bool on_data(runtime::ConnectionId id, std::span<const std::uint8_t> bytes) {
        auto& decoder = m_decoders[id];
        auto fed = decoder.feed(bytes, [this](wire::Frame&& frame) {
            // Bounded ingress: a flood faster than the workers can unwrap is dropped and counted here,
            // never queued without limit (MAX_WORKER_BACKLOG frames of at most 33 KiB each).
            if (m_backlog.load(std::memory_order_relaxed) >= MAX_WORKER_BACKLOG) {
                m_node.on_ingress_overflow();
                return;
            }
            m_backlog.fetch_add(1, std::memory_order_relaxed);
            m_loop.post_work([this, f = std::move(frame)]() mutable {
                auto decision = m_node.unwrap(std::move(f), mixnode::Clock::now());
                m_backlog.fetch_sub(1, std::memory_order_relaxed);
                m_loop.post([this, d = std::move(decision)]() mutable { on_decision(std::move(d)); });
            });
        });
        if (!fed) {
            m_node.on_framing_error();
            spdlog::debug("connection {}: framing error ({}), closing", id, fed.error().message());
            return false;
        }
        return true;
    }

    void on_decision(mixnode::Decision decision) {
        if (auto hop = m_node.accept(std::move(decision), mixnode::Clock::now())) wake(*hop);
        arm();
    }

    void wake(const sphinx::IpEndpoint& hop) {
        auto peer = to_peer(hop);
        m_endpoints.emplace(peer, hop);
        m_loop.wake_peer(peer);
    }

    void arm() {
        const auto next = m_node.next_deadline();
        if (!next || (m_armed && *m_armed <= *next)) return;
        m_armed = *next;
        m_loop.arm_deadline(*next, [this] {
            m_armed.reset();
            for (const auto& hop : m_node.release_due(mixnode::Clock::now())) wake(hop);
            arm();
        });
    }

    sphinx::IpEndpoint endpoint(const runtime::PeerAddress& peer) const {
        auto it = m_endpoints.find(peer);
        return it == m_endpoints.end() ? sphinx::IpEndpoint{} : it->second;
    }

    mixnode::MixNode& m_node;
    runtime::TcpLoop& m_loop;
    std::map<runtime::ConnectionId, wire::FrameDecoder> m_decoders;
    /// Frames handed to the worker pool and not yet unwrapped.
    static constexpr std::size_t MAX_WORKER_BACKLOG = 4096;
    std::atomic<std::size_t> m_backlog{0};
    std::map<runtime::PeerAddress, sphinx::IpEndpoint> m_endpoints;
    std::optional<mixnode::TimePoint> m_armed;
};

int run_node(const RunFlags& flags, const std::string& root_flag) {
    spdlog::set_default_logger(spdlog::stderr_color_mt("nym-mixnode"));
    spdlog::set_level(spdlog::level::from_str(flags.log_level));

    std::filesystem::path root;
    if (root_flag.empty()) {
        auto home = mixnode::default_root();
        if (!home) return print_error(home.error());
        root = *home;
    } else {
        root = root_flag;
    }
    auto loaded = mixnode::load_config(mixnode::config_path(root, flags.id));
    if (!loaded) {
        std::fprintf(stderr, "error: cannot load mix node '%s' (run `nym-mixnode init --id %s ...` first)\n",
                     flags.id.c_str(), flags.id.c_str());
        return print_error(loaded.error());
    }
    mixnode::ConfigOverrides overrides;
    overrides.listen_host = flags.host;
    overrides.announce_host = flags.announce_host;
    overrides.directory_url = flags.directory;
    overrides.worker_threads = flags.workers;
    if (flags.port && *flags.port != 0) overrides.listen_port = flags.port;
    if (!flags.max_delay.empty()) {
        auto d = nym::util::parse_flag_duration(flags.max_delay);
        if (!d) return fail_flag("--max-delay", flags.max_delay);
        overrides.max_delay = *d;
    }
    if (!flags.heartbeat_interval.empty()) {
        auto d = nym::util::parse_flag_duration(flags.heartbeat_interval);
        if (!d) return fail_flag("--heartbeat-interval", flags.heartbeat_interval);
        overrides.heartbeat_interval = *d;
    }
    if (!flags.metrics_interval.empty()) {
        auto d = nym::util::parse_flag_duration(flags.metrics_interval);
        if (!d) return fail_flag("--metrics-interval", flags.metrics_interval);
        overrides.metrics_interval = *d;
    }
    const mixnode::Config config = mixnode::merge(*loaded, overrides);
    if (auto valid = mixnode::validate(config); !valid) return print_error(valid.error());
    auto keys = mixnode::load_keys(config);
    if (!keys) return print_error(keys.error());
    auto directory = runtime::parse_url(config.directory_url);
    if (!directory) {
        std::fprintf(stderr, "error: unusable directory URL '%s'\n", config.directory_url.c_str());
        return 1;
    }

    mixnode::MixNode node(config, *keys, crypto::system_rng());
    runtime::TcpLoopOptions loop_options;
    loop_options.worker_threads = config.worker_threads;
    runtime::TcpLoop loop(loop_options);
    Server server(node, loop);
    const int port = flags.port.value_or(config.listen_port);
    auto bound = loop.listen(config.listen_host, static_cast<std::uint16_t>(port), server.inbound());
    if (!bound) {
        std::fprintf(stderr, "error: cannot listen on %s:%d: %s\n", config.listen_host.c_str(), port,
                     bound.error().message().c_str());
        return 1;
    }
    loop.set_outbound(server.outbound());
    const std::string announce = runtime::PeerAddress{config.announce_host, *bound}.to_string();
    std::printf("nym-mixnode listening on %s:%u (layer %d, announced as %s)\n", config.listen_host.c_str(),
                static_cast<unsigned>(*bound), config.layer, announce.c_str());
    std::fflush(stdout);
    spdlog::info("mix node '{}' (layer {}) listening on {}:{}, {} worker thread(s), max delay {} ms, directory {}",
                 config.id, config.layer, config.listen_host, *bound, config.worker_threads, config.max_delay.count(),
                 config.directory_url);

    Reporter reporter(node, *directory, announce, config.heartbeat_interval);
    loop.every(config.metrics_interval, [&node, &reporter, &loop] {
        const auto interval = node.take_interval();
        spdlog::debug(
            "interval: received {} forwarded {} dropped {} (bad mac {}, replayed {}, malformed {}) "
            "framing errors {} ingress drops {} sent {} delayed {} egress drops {} connections in {} out {}",
            interval.received, interval.forwarded, interval.dropped_total(),
            interval.dropped_by(mixnode::DropReason::bad_mac), interval.dropped_by(mixnode::DropReason::replayed),
            interval.dropped_by(mixnode::DropReason::malformed), interval.framing_errors,
            interval.ingress_dropped, interval.sent_total(),
            node.delayed(), interval.egress_dropped, loop.inbound_connections(), loop.connected_peers());
        reporter.submit(node.metric(interval, unix_ms()));
    });
    loop.every(std::chrono::duration_cast<std::chrono::milliseconds>(config.replay_epoch),
               [&node] { node.rotate_replay_filter(); });

    loop.run();
    reporter.stop();
    const auto totals = node.totals();
    spdlog::info("mix node '{}' stopped: received {} forwarded {} sent {} dropped {} framing errors {}", config.id,
                 totals.received, totals.forwarded, totals.sent_total(), totals.dropped_total(), totals.framing_errors);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"nym-mixnode: a Loopix mix node of the Nym mixnet"};
    app.require_subcommand(1);

    std::string root;
    mixnode::InitOptions init_options;
    std::string announce_host;
    CLI::App* init = app.add_subcommand("init", "create the keys and config of a new mix node");
    init->add_option("--id", init_options.id, "node id (folder under ~/.nym/mixnodes/)")->required();
    init->add_option("--layer", init_options.layer, "mix layer, 1-3")->required();
    init->add_option("--host", init_options.host, "address to listen on")->required();
    init->add_option("--port", init_options.port, "port to listen on")->default_val(mixnode::DEFAULT_MIX_PORT);
    init->add_option("--announce-host", announce_host, "address announced to others (default: --host)");
    init->add_option("--directory", init_options.directory_url, "directory server URL")->required();
    init->add_option("--root", root, "folder holding node folders (default: $HOME/.nym/mixnodes)");
    init->add_flag("--force", init_options.force, "replace the keys and config of an existing id");

    RunFlags run_flags;
    CLI::App* run = app.add_subcommand("run", "run a mix node");
    run->add_option("--id", run_flags.id, "node id")->required();
    run->add_option("--root", root, "folder holding node folders (default: $HOME/.nym/mixnodes)");
    run->add_option("--host", run_flags.host, "address to listen on (overrides the config)");
    run->add_option("--port", run_flags.port, "port to listen on; 0 = any free port (overrides the config)");
    run->add_option("--announce-host", run_flags.announce_host, "address announced to the directory");
    run->add_option("--directory", run_flags.directory, "directory server URL (overrides the config)");
    run->add_option("--workers", run_flags.workers, "Sphinx worker threads (overrides the config)");
    run->add_option("--max-delay", run_flags.max_delay, "clamp of the per-hop delay, e.g. 10s");
    run->add_option("--heartbeat-interval", run_flags.heartbeat_interval, "presence heartbeat period, e.g. 1500ms");
    run->add_option("--metrics-interval", run_flags.metrics_interval, "metrics report period, e.g. 1s");
    run->add_option("--log-level", run_flags.log_level, "trace, debug, info, warn, error")->capture_default_str();

    CLI11_PARSE(app, argc, argv);

    if (init->parsed()) {
        if (!announce_host.empty()) init_options.announce_host = announce_host;
        return run_init(init_options, root);
    }
    if (run->parsed()) return run_node(run_flags, root);
    return 1;
}
