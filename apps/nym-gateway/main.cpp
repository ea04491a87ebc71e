// nym-gateway: the mixnet's store-and-forward provider (docs/protocol/gateway.md).
//   nym-gateway init --id ID --host H [--mix-port 1789] [--clients-port 9000] [--directory URL] [--root DIR] [--force]
//   nym-gateway run  --id ID [--root DIR] [--host H] [--mix-port P] [--clients-port P] [--announce-host H]
//                    [--directory URL] [--heartbeat-interval 2s] [--log-level info] ...
//
// `run` has four threads around the sans-IO state of src/gateway/node.hpp:
//   mix I/O (runtime::TcpLoop)    frames from layer 3 → StoreQueue; EgressQueues → persistent
//                                 connections to layer-1 mixes (client packets and SURB-acks)
//   store                          StoreQueue → MixStage: final hop + one group commit per batch, THEN
//                                 the batch's SURB-acks go out and connected recipients are told;
//                                 acknowledged ids deleted; hourly expiry
//   clients (runtime::HttpServer)  websocket "/" (ClientHub) and GET /api/stats
//   reporter                       signed presence heartbeats to the directory, and the topology's
//                                 layer-1 mix nodes (gw::FirstHops): the only first hops the gateway
//                                 forwards client packets and SURB-acks to

#include <util/duration.hpp>
#include <gateway/config.hpp>
#include <gateway/message_store.hpp>
#include <gateway/node.hpp>

#include <crypto/base58.hpp>
#include <crypto/rng.hpp>
#include <runtime/http.hpp>
#include <runtime/http_client.hpp>
#include <runtime/http_server.hpp>
#include <runtime/tcp.hpp>
#include <wire/directory.hpp>
#include <wire/framing.hpp>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

// GCC 12 reports a false "potential null pointer dereference" in std::string moves inlined into
// CLI11's header-only helpers (CLI/StringTools.hpp).
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace nym;
namespace gw = nym::gateway;

constexpr int EXIT_CONFIG_ERROR = 1;
constexpr std::string_view GATEWAY_VERSION = "0.1.0";
/// Largest client frame: a SendPacket of the largest Nym packet (37 + 33133 bytes), with room to spare.
constexpr std::size_t MAX_CLIENT_FRAME = 64 * 1024;
/// Websocket close reasons must fit a control frame (125 bytes including the 2-byte code).
constexpr std::size_t MAX_CLOSE_REASON = 120;

std::optional<std::filesystem::path> resolve_root(const std::string& root_flag) {
    if (!root_flag.empty()) return std::filesystem::path(root_flag);
    auto root = gw::default_root();
    if (!root) {
        std::fprintf(stderr, "nym-gateway: %s\n", root.error().message().c_str());
        return std::nullopt;
    }
    return *root;
}

int run_init(const gw::InitOptions& options_in, const std::string& root_flag) {
    auto root = resolve_root(root_flag);
    if (!root) return EXIT_CONFIG_ERROR;
    gw::InitOptions options = options_in;
    options.root = *root;
    auto result = gw::init_gateway(options, crypto::system_rng());
    if (!result) {
        std::fprintf(stderr, "nym-gateway init: %s\n", result.error().message().c_str());
        return EXIT_CONFIG_ERROR;
    }
    const gw::Config& c = result->config;
    std::printf("Initialised gateway '%s'\n", c.id.c_str());
    std::printf("  identity key (ed25519): %s\n", crypto::base58_encode(result->identity_public.bytes).c_str());
    std::printf("  sphinx key (x25519):    %s\n", crypto::base58_encode(result->sphinx_public.bytes).c_str());
    std::printf("  mix address:            %s:%d\n", c.host.c_str(), c.mix_port);
    std::printf("  clients address:        ws://%s:%d\n", c.host.c_str(), c.clients_port);
    std::printf("  directory:              %s\n", c.directory_url.c_str());
    std::printf("  config:                 %s\n", result->config_file.c_str());
    std::printf("  private identity key:   %s (0600)\n", c.private_identity_key_file.c_str());
    std::printf("  private sphinx key:     %s (0600)\n", c.private_sphinx_key_file.c_str());
    std::printf("  message database:       %s (0600)\n", c.database_file.c_str());
    return 0;
}

std::int64_t unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

gw::UnixSeconds unix_now() {
    return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

/// "1.2.3.4:1789" / "[::1]:1789" → the runtime's peer address.
runtime::PeerAddress to_peer(const sphinx::IpEndpoint& endpoint) {
    std::string text = endpoint.to_string();
    const auto colon = text.rfind(':');
    std::string ip = text.substr(0, colon);
    if (ip.size() >= 2 && ip.front() == '[') ip = ip.substr(1, ip.size() - 2);
    return runtime::PeerAddress{ip, endpoint.port};
}

/// "host:port" with IPv6 literals bracketed.
std::string host_port(const std::string& host, std::uint16_t port) {
    if (host.find(':') != std::string::npos && host.front() != '[') return "[" + host + "]:" + std::to_string(port);
    return host + ":" + std::to_string(port);
}

/// How often the layer-1 set is refreshed at most apart (besides the heartbeat interval), and the
/// least spacing of the early refreshes a refused first hop asks for.
constexpr std::chrono::milliseconds MAX_TOPOLOGY_INTERVAL{5000};
constexpr std::chrono::milliseconds MIN_TOPOLOGY_SPACING{250};

/// GET /api/presence/topology and apply its layer-1 mix nodes to `first_hops`. Blocking (2 s
/// timeout): call it from the reporter thread or before the servers run, never on an I/O thread.
/// `failing` counts consecutive failures so only the first of a streak is a warning.
bool refresh_first_hops(const runtime::Url& directory, gw::FirstHops& first_hops, std::uint64_t& failing) {
    runtime::ClientOptions options;
    options.timeout = std::chrono::milliseconds(2000);
    auto result = runtime::http_request(directory.host, directory.port, "GET", "/api/presence/topology", "",
                                        runtime::CONTENT_TYPE_JSON, options);
    std::string why;
    std::optional<wire::directory::Topology> topology;
    if (!result) {
        why = result.error().message();
    } else if (result->status != 200) {
        why = "HTTP " + std::to_string(result->status);
    } else if (auto parsed = wire::directory::parse_topology(result->body); !parsed) {
        why = "unparseable topology: " + parsed.error().message();
    } else {
        topology = std::move(*parsed);
    }
    if (!topology) {
        if (failing == 0) {
            spdlog::warn("directory {}:{} topology fetch failed: {} (keeping the previous layer-1 set)", directory.host,
                         directory.port, why);
        } else {
            spdlog::debug("directory {}:{} topology fetch failed: {}", directory.host, directory.port, why);
        }
        ++failing;
        return false;
    }
    if (failing != 0) spdlog::info("topology reachable again after {} failed fetch(es)", failing);
    failing = 0;
    std::vector<sphinx::IpEndpoint> layer1;
    for (const auto& node : topology->mix_nodes) {
        if (node.layer != 1) continue;
        // Clients can only name IP endpoints as first hops (sphinx::NodeAddress), so a host the
        // parser refuses could never match anyway.
        if (auto endpoint = sphinx::IpEndpoint::parse(node.host)) layer1.push_back(*endpoint);
    }
    const std::size_t n = layer1.size();
    if (first_hops.update(layer1, unix_now()))
        spdlog::info("first topology from the directory: {} layer-1 mix node(s) allowed as first hops", n);
    return true;
}

/// Posts the signed presence heartbeat on its own thread, so a slow or absent directory never stalls
/// the gateway. Failures are logged (the first of a streak as a warning) and retried next interval.
class Reporter {
public:
    Reporter(const gw::GatewayKeys& keys, gw::MessageStore& store, gw::FirstHops& first_hops, runtime::Url directory,
             std::string mix_host, std::string client_listener, std::chrono::milliseconds interval)
        : m_keys(keys), m_store(store), m_first_hops(first_hops), m_directory(std::move(directory)),
          m_mix_host(std::move(mix_host)), m_client_listener(std::move(client_listener)), m_interval(interval),
          m_topology_interval(std::min(interval, MAX_TOPOLOGY_INTERVAL)), m_thread([this] { loop(); }) {}
    ~Reporter() { stop(); }
    Reporter(const Reporter&) = delete;
    Reporter& operator=(const Reporter&) = delete;

    void stop() {
        {
            std::lock_guard lock(m_mutex);
            m_stopping = true;
        }
        m_wake.notify_one();
        if (m_thread.joinable()) m_thread.join();
    }

private:
    void loop() {
        using clock = std::chrono::steady_clock;
        auto next_heartbeat = clock::now();
        auto next_topology = clock::now();
        auto last_topology = clock::now() - MIN_TOPOLOGY_SPACING;
        std::unique_lock lock(m_mutex);
        while (!m_stopping) {
            lock.unlock();
            if (clock::now() >= next_heartbeat) {
                post_heartbeat();
                next_heartbeat = clock::now() + m_interval;
            }
            // A refused first hop asks for an early refresh, at most every MIN_TOPOLOGY_SPACING.
            if (m_first_hops.take_refresh_request())
                next_topology = std::min(next_topology, last_topology + MIN_TOPOLOGY_SPACING);
            if (clock::now() >= next_topology) {
                (void)refresh_first_hops(m_directory, m_first_hops, m_topology_failing);
                last_topology = clock::now();
                next_topology = last_topology + m_topology_interval;
            }
            lock.lock();
            // Wake at least every MIN_TOPOLOGY_SPACING to see refresh requests.
            const auto wake = std::min({next_heartbeat, next_topology, clock::now() + MIN_TOPOLOGY_SPACING});
            m_wake.wait_until(lock, wake, [this] { return m_stopping; });
        }
    }

    void post_heartbeat() {
        wire::directory::GatewayHeartbeat heartbeat;
        heartbeat.host = m_mix_host;
        heartbeat.client_listener = m_client_listener;
        heartbeat.identity_key = m_keys.identity_public;
        heartbeat.sphinx_key = m_keys.sphinx_public;
        heartbeat.version = std::string(GATEWAY_VERSION);
        heartbeat.timestamp_ms = unix_ms();
        auto clients = m_store.registered_clients();
        if (clients) {
            // The directory lists at most MAX_REGISTERED_CLIENTS per gateway; the topology field
            // carries the clients' 32-byte identity keys.
            const std::size_t n = std::min(clients->size(), wire::directory::MAX_REGISTERED_CLIENTS);
            heartbeat.registered_clients.resize(n);
            for (std::size_t i = 0; i < n; ++i)
                std::copy((*clients)[i].bytes.begin(), (*clients)[i].bytes.end(),
                          heartbeat.registered_clients[i].bytes.begin());
        } else {
            spdlog::warn("cannot list registered clients for the heartbeat: {}", clients.error().message());
        }
        wire::directory::sign(heartbeat, m_keys.identity);

        runtime::ClientOptions options;
        options.timeout = std::chrono::milliseconds(2000);
        auto result = runtime::http_request(m_directory.host, m_directory.port, "POST", "/api/presence/gateways",
                                            wire::directory::to_json(heartbeat), runtime::CONTENT_TYPE_JSON, options);
        const bool ok = result && result->status < 300;
        if (!ok) {
            const std::string why =
                result ? "HTTP " + std::to_string(result->status) + " " + result->body : result.error().message();
            if (m_failing == 0) {
                spdlog::warn("directory {}:{} heartbeat failed: {}", m_directory.host, m_directory.port, why);
            } else {
                spdlog::debug("directory {}:{} heartbeat failed: {}", m_directory.host, m_directory.port, why);
            }
            ++m_failing;
        } else if (m_failing != 0) {
            spdlog::info("directory reachable again after {} failed heartbeat(s)", m_failing);
            m_failing = 0;
        }
    }

    const gw::GatewayKeys& m_keys;
    gw::MessageStore& m_store;
    gw::FirstHops& m_first_hops;
    runtime::Url m_directory;
    std::string m_mix_host;
    std::string m_client_listener;
    std::chrono::milliseconds m_interval;
    std::chrono::milliseconds m_topology_interval;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stopping = false;
    std::uint64_t m_failing = 0;          // reporter thread only
    std::uint64_t m_topology_failing = 0; // reporter thread only
    std::thread m_thread;        // last: starts after every other member exists
};

struct RunFlags {
    std::string id;
    std::string root;
    std::optional<std::string> host;
    std::optional<std::string> announce_host;
    std::optional<int> mix_port;
    std::optional<int> clients_port;
    std::optional<std::string> directory;
    std::optional<std::uint64_t> max_age_secs;
    std::string heartbeat_interval = "2s";
    std::string cleanup_interval;
    std::string log_level = "info";
};

int fail_run(const std::string& message) {
    std::fprintf(stderr, "nym-gateway run: %s\n", message.c_str());
    return EXIT_CONFIG_ERROR;
}

/// The running gateway: owns the shared state and wires it to the two servers and the store thread.
class Daemon {
public:
    Daemon(const gw::Config& config, gw::GatewayKeys keys, std::unique_ptr<gw::MessageStore> store,
           const runtime::ServerOptions& clients_server)
        : m_config(config), m_keys(std::move(keys)), m_store(std::move(store)),
          m_hub(m_keys.identity, *m_store, m_nonces, crypto::system_rng(), m_counters, m_first_hops,
                hub_config(config)),
          m_stage(m_keys.sphinx, *m_store, m_replays, m_counters), m_loop(loop_options()),
          m_server(clients_server) {}

    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    int run(const std::string& listen_host, std::uint16_t mix_port, std::uint16_t clients_port,
            const std::string& announce_host, const runtime::Url& directory, std::chrono::milliseconds heartbeat) {
        auto mix_bound = m_loop.listen(listen_host, mix_port, mix_inbound());
        if (!mix_bound)
            return fail_run("cannot listen on mix port " + host_port(listen_host, mix_port) + ": " +
                        mix_bound.error().message());
        m_loop.set_outbound(mix_outbound());

        m_server.route("GET", "/api/stats", [this](const runtime::HttpRequest&) {
            return runtime::HttpResponse::json(200, gw::stats_json(m_counters, m_hub.client_counters()));
        });
        runtime::WsSessionOptions ws_options;
        ws_options.max_message_size = MAX_CLIENT_FRAME;
        m_server.websocket_sessions("/", client_handlers(), ws_options);
        auto clients_bound = m_server.listen();
        if (!clients_bound)
            return fail_run("cannot listen on clients port " + host_port(listen_host, clients_port) + ": " +
                        clients_bound.error().message());

        // One synchronous topology fetch before announcing ourselves, so clients that connect right
        // away find their first hops allowed (the reporter thread keeps the set fresh afterwards).
        {
            std::uint64_t failing = 0;
            (void)refresh_first_hops(directory, m_first_hops, failing);
        }

        const std::string mix_address = host_port(announce_host, *mix_bound);
        const std::string client_listener = "ws://" + host_port(announce_host, *clients_bound);
        std::printf("nym-gateway listening on mix %s, clients %s\n", mix_address.c_str(), client_listener.c_str());
        std::fflush(stdout);
        spdlog::info("gateway '{}' listening on mix {} and clients {} (bound on {}), directory {}", m_config.id,
                     mix_address, client_listener, listen_host, m_config.directory_url);

        std::thread store_thread([this] { store_loop(); });
        Reporter reporter(m_keys, *m_store, m_first_hops, directory, mix_address, client_listener, heartbeat);

        m_loop.every(std::chrono::seconds(10), [this] { log_counters(); });
        // The mix loop owns the signals; it takes the client server down with it.
        m_loop.on_shutdown([this] { m_server.stop(); });
        std::thread clients_thread([this] {
            m_server.run();
            m_loop.stop(); // the clients server stopped by itself: take the rest down too
        });
        m_loop.run();
        m_server.stop();
        clients_thread.join();
        // The servers are down: nothing new arrives. The store thread finishes the batch it holds
        // (its commit completes; acks for it are no longer sent, so their senders retransmit).
        m_queue.close();
        store_thread.join();
        reporter.stop();
        spdlog::info("gateway '{}' stopped: received {} stored {} delivered {} acked {} from clients {} "
                     "forwarded {} dropped {}",
                     m_config.id, m_counters.packets_received.load(), m_counters.stored.load(),
                     m_counters.delivered.load(), m_counters.acked.load(), m_counters.packets_from_clients.load(),
                     m_counters.packets_forwarded.load(), m_counters.dropped_total());
        return 0;
    }

private:
    static gw::HubConfig hub_config(const gw::Config& config) {
        gw::HubConfig hub;
        hub.delivery_window = config.message_retrieval_limit;
        hub.retrieval_limit = config.message_retrieval_limit;
        return hub;
    }
    static runtime::TcpLoopOptions loop_options() {
        runtime::TcpLoopOptions options;
        options.worker_threads = 1; // Sphinx work runs on the store thread, next to its commit
        options.handle_signals = true;
        return options;
    }
    // --- mix port (I/O thread) ---
    runtime::InboundHandlers mix_inbound() {
        return {[this](runtime::ConnectionId id, std::span<const std::uint8_t> bytes) { return on_mix_data(id, bytes); },
                [this](runtime::ConnectionId id) {
                    auto it = m_decoders.find(id);
                    if (it == m_decoders.end()) return;
                    // A stream that ends inside a frame carried a truncated frame: counted like any
                    // other framing error (a failed decoder was counted when it failed).
                    if (!it->second.idle() && !it->second.failed())
                        m_counters.framing_errors.fetch_add(1, std::memory_order_relaxed);
                    m_decoders.erase(it);
                }};
    }

    bool on_mix_data(runtime::ConnectionId id, std::span<const std::uint8_t> bytes) {
        auto& decoder = m_decoders[id];
        auto fed = decoder.feed(bytes, [this](wire::Frame&& frame) {
            m_counters.packets_received.fetch_add(1, std::memory_order_relaxed);
            if (!m_queue.push_packet(std::move(frame.packet))) m_counters.drop(gw::DropReason::ingress_overflow);
        });
        if (!fed) {
            m_counters.framing_errors.fetch_add(1, std::memory_order_relaxed);
            spdlog::debug("mix connection {}: framing error ({}), closing", id, fed.error().message());
            return false;
        }
        return true;
    }

    runtime::OutboundHandlers mix_outbound() {
        return {[this](const runtime::PeerAddress& peer) -> std::optional<std::vector<std::uint8_t>> {
                    auto it = m_endpoints.find(peer);
                    if (it == m_endpoints.end()) return std::nullopt;
                    return m_egress.next(it->second);
                },
                [this](const runtime::PeerAddress&) {
                    m_counters.packets_forwarded.fetch_add(1, std::memory_order_relaxed);
                },
                [this](const runtime::PeerAddress& peer, std::vector<std::uint8_t> frame) {
                    auto it = m_endpoints.find(peer);
                    if (it != m_endpoints.end()) m_egress.requeue(it->second, std::move(frame));
                }};
    }

    /// Any thread: queue a framed packet for a first hop and wake its connection if it was idle.
    void forward(gw::OutboundFrame out) {
        const sphinx::IpEndpoint hop = out.hop;
        switch (m_egress.enqueue(hop, std::move(out.frame))) {
        case gw::EgressQueues::Result::dropped: m_counters.drop(gw::DropReason::egress_overflow); break;
        case gw::EgressQueues::Result::queued: break;
        case gw::EgressQueues::Result::queued_wake:
            m_loop.post([this, hop] {
                const runtime::PeerAddress peer = to_peer(hop);
                m_endpoints.emplace(peer, hop);
                m_loop.wake_peer(peer);
            });
            break;
        }
    }

    // --- store thread ---
    void store_loop() {
        using clock = std::chrono::steady_clock;
        auto next_cleanup = clock::now();
        for (;;) {
            const auto deadline = std::min(next_cleanup, clock::now() + std::chrono::seconds(1));
            gw::StoreQueue::Work work = m_queue.take(deadline);
            const bool closing = m_queue.closed();
            if (!work.packets.empty() || !work.deletes.empty()) {
                gw::StageOutput out = m_stage.process(std::move(work), unix_now());
                // process() returned: the batch is committed. Only now may its SURB-acks leave.
                if (!closing) {
                    const gw::UnixSeconds now = unix_now();
                    for (auto& ack : out.acks) {
                        // The ack's first hop was chosen by the packet's sender: layer-1 nodes only.
                        if (!m_first_hops.allowed(ack.hop, now)) {
                            m_counters.drop(gw::DropReason::unknown_first_hop);
                            continue;
                        }
                        m_counters.acks_forwarded.fetch_add(1, std::memory_order_relaxed);
                        forward(std::move(ack));
                    }
                    if (!out.clients_with_new_messages.empty()) {
                        m_server.post([this, clients = std::move(out.clients_with_new_messages)] {
                            for (const auto& client : clients) apply(m_hub.on_stored(client));
                        });
                    }
                }
            }
            if (closing) break;
            if (clock::now() >= next_cleanup) {
                const auto expired = m_stage.expire(unix_now() - m_config.message_max_age);
                if (expired != 0) spdlog::info("expired {} message(s) older than {} s", expired,
                                               m_config.message_max_age.count());
                next_cleanup = clock::now() + m_config.cleanup_interval;
            }
        }
    }

    // --- clients (server thread) ---
    runtime::WsSessionHandlers client_handlers() {
        runtime::WsSessionHandlers handlers;
        handlers.on_open = [this](runtime::WsSessionId id, const runtime::WsPeerInfo&) {
            m_hub.open(id);
            return true;
        };
        handlers.on_message = [this](runtime::WsSessionId id, std::span<const std::uint8_t> data, bool binary) {
            apply(binary ? m_hub.on_frame(id, data, unix_now()) : m_hub.on_text(id));
        };
        handlers.on_close = [this](runtime::WsSessionId id) { m_hub.closed(id); };
        return handlers;
    }

    void apply(gw::HubEffects fx) {
        for (auto& [id, frame] : fx.frames) (void)m_server.ws_send(id, std::move(frame), true);
        for (auto& out : fx.forwards) forward(std::move(out));
        for (auto& d : fx.deletes) m_queue.push_delete(std::move(d));
        for (auto& [id, reason] : fx.closes) {
            std::string text = reason.text.substr(0, MAX_CLOSE_REASON);
            // 1008 "policy violation" when the gateway refused something, 1000 when the client ended it.
            const bool refused = reason.text.rfind("client error: ", 0) != 0;
            m_server.ws_close(id, refused ? 1008 : 1000, std::move(text));
        }
    }

    void log_counters() {
        spdlog::debug("counters: received {} stored {} delivered {} acked {} from clients {} forwarded {} "
                      "(acks {}) dropped {} framing errors {} client errors {} clients {} egress queued {} "
                      "store queue {}",
                      m_counters.packets_received.load(), m_counters.stored.load(), m_counters.delivered.load(),
                      m_counters.acked.load(), m_counters.packets_from_clients.load(),
                      m_counters.packets_forwarded.load(), m_counters.acks_forwarded.load(),
                      m_counters.dropped_total(), m_counters.framing_errors.load(), m_counters.client_errors.load(),
                      m_counters.clients_connected.load(), m_egress.queued(), m_queue.pending_packets());
    }

    gw::Config m_config;
    gw::GatewayKeys m_keys;
    std::unique_ptr<gw::MessageStore> m_store;
    gw::GatewayCounters m_counters;
    gw::NonceCache m_nonces;
    gw::ReplayCache m_replays;
    gw::EgressQueues m_egress;
    gw::StoreQueue m_queue;
    gw::FirstHops m_first_hops; // written by the reporter thread, read by the clients and store threads
    gw::ClientHub m_hub;   // server thread only
    gw::MixStage m_stage;  // store thread only
    std::map<runtime::ConnectionId, wire::FrameDecoder> m_decoders;        // mix I/O thread only
    std::map<runtime::PeerAddress, sphinx::IpEndpoint> m_endpoints;       // mix I/O thread only
    runtime::TcpLoop m_loop;
    runtime::HttpServer m_server;
};

int run_gateway(const RunFlags& flags) {
    spdlog::set_default_logger(spdlog::stderr_color_mt("nym-gateway"));
    const auto level = spdlog::level::from_str(flags.log_level);
    if (level == spdlog::level::off && flags.log_level != "off")
        return fail_run("invalid --log-level '" + flags.log_level + "' (trace, debug, info, warn, error, off)");
    spdlog::set_level(level);

    auto root = resolve_root(flags.root);
    if (!root) return EXIT_CONFIG_ERROR;
    auto loaded = gw::load_config(gw::config_path(*root, flags.id));
    if (!loaded) {
        if (loaded.error() == gw::Errc::config_missing)
            return fail_run("no gateway '" + flags.id + "' under " + root->string() + " (run `nym-gateway init --id " +
                        flags.id + " ...` first)");
        return fail_run(loaded.error().message());
    }

    gw::ConfigOverrides overrides;
    overrides.directory_url = flags.directory;
    // Port 0 (any free port) is for the listener only; the config keeps its own port numbers valid.
    if (flags.mix_port && *flags.mix_port != 0) overrides.mix_port = flags.mix_port;
    if (flags.clients_port && *flags.clients_port != 0) overrides.clients_port = flags.clients_port;
    if (flags.max_age_secs) overrides.message_max_age = std::chrono::seconds(static_cast<std::int64_t>(*flags.max_age_secs));
    if (!flags.cleanup_interval.empty()) {
        auto d = nym::util::parse_flag_duration(flags.cleanup_interval);
        if (!d || d->count() < 1000)
            return fail_run("invalid --cleanup-interval '" + flags.cleanup_interval + "' (at least 1s, e.g. 1h)");
        overrides.cleanup_interval = std::chrono::duration_cast<std::chrono::seconds>(*d);
    }
    // The announced host: --announce-host, else a specific --host, else the config's host.
    const bool wildcard_host = flags.host && (*flags.host == "0.0.0.0" || *flags.host == "::");
    if (flags.announce_host) {
        overrides.host = flags.announce_host;
    } else if (flags.host && !wildcard_host) {
        overrides.host = flags.host;
    }
    const gw::Config config = gw::merge(std::move(*loaded), overrides);
    if (auto valid = gw::validate(config); !valid) return fail_run(valid.error().message());
    auto keys = gw::load_keys(config);
    if (!keys) return fail_run(keys.error().message());
    auto heartbeat = nym::util::parse_flag_duration(flags.heartbeat_interval);
    if (!heartbeat || heartbeat->count() < 10)
        return fail_run("invalid --heartbeat-interval '" + flags.heartbeat_interval + "' (e.g. 500ms or 2s)");
    auto directory = runtime::parse_url(config.directory_url);
    if (!directory) return fail_run("unusable directory URL '" + config.directory_url + "'");
    auto store = gw::MessageStore::open(config.database_file, config.store_limits());
    if (!store) return fail_run("cannot open the message store " + config.database_file.string() + ": " +
                            store.error().message());

    const std::string listen_host = flags.host.value_or(config.host);
    const int mix_port = flags.mix_port.value_or(config.mix_port);
    const int clients_port = flags.clients_port.value_or(config.clients_port);
    if (mix_port < 0 || mix_port > 65535) return fail_run("--mix-port must be 0-65535");
    if (clients_port < 0 || clients_port > 65535) return fail_run("--clients-port must be 0-65535");

    runtime::ServerOptions server;
    server.host = listen_host;
    server.port = static_cast<std::uint16_t>(clients_port);
    server.handle_signals = false; // the mix loop owns SIGINT/SIGTERM and stops this server
    server.server_name = "nym-gateway";
    Daemon daemon(config, std::move(*keys), std::move(*store), server);
    return daemon.run(listen_host, static_cast<std::uint16_t>(mix_port), static_cast<std::uint16_t>(clients_port),
                      config.host, *directory, *heartbeat);
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"nym-gateway: store-and-forward provider of the Nym mixnet"};
    app.require_subcommand(1);

    gw::InitOptions init_options;
    std::string init_root;
    CLI::App* init = app.add_subcommand("init", "create keys and a config under ~/.nym/gateways/<id>/");
    init->add_option("--id", init_options.id, "gateway id (1-64 of A-Z a-z 0-9 _ -)")->required();
    init->add_option("--host", init_options.host, "host name or IP announced to mix nodes and clients")->required();
    init->add_option("--mix-port", init_options.mix_port, "port for packets from mix layer 3")->capture_default_str();
    init->add_option("--clients-port", init_options.clients_port, "client websocket port")->capture_default_str();
    init->add_option("--directory", init_options.directory_url, "directory server URL")->capture_default_str();
    init->add_option("--root", init_root, "folder holding gateways (default $HOME/.nym/gateways)");
    init->add_flag("--force", init_options.force, "overwrite an existing gateway's keys and config");

    RunFlags flags;
    CLI::App* run = app.add_subcommand("run", "run the gateway");
    run->add_option("--id", flags.id, "gateway id")->required();
    run->add_option("--root", flags.root, "folder holding gateways (default $HOME/.nym/gateways)");
    run->add_option("--host", flags.host, "address to listen on (default: the config's host)");
    run->add_option("--announce-host", flags.announce_host, "address announced to the directory (overrides gateway.host)");
    run->add_option("--mix-port", flags.mix_port, "mix port; 0 = any free port (overrides gateway.mix_port)");
    run->add_option("--clients-port", flags.clients_port,
                    "client websocket port; 0 = any free port (overrides gateway.clients_port)");
    run->add_option("--directory", flags.directory, "directory server URL (overrides gateway.directory)");
    run->add_option("--message-max-age", flags.max_age_secs, "seconds a message is kept (overrides the config)");
    run->add_option("--cleanup-interval", flags.cleanup_interval, "period of the expiry sweep, e.g. 1h");
    run->add_option("--heartbeat-interval", flags.heartbeat_interval, "presence heartbeat period, e.g. 500ms or 2s")
        ->capture_default_str();
    run->add_option("--log-level", flags.log_level, "trace, debug, info, warn, error")->capture_default_str();

    CLI11_PARSE(app, argc, argv);

    // Every expected failure is a typed error turned into one line above; this is the last guard so
    // that even an unexpected exception (e.g. out of memory) ends as one line, never a crash dump.
    try {
        if (init->parsed()) return run_init(init_options, init_root);
        return run_gateway(flags);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "nym-gateway: fatal: %s\n", e.what());
        return EXIT_CONFIG_ERROR;
    }
}
