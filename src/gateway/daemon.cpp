#include <gateway/daemon.hpp>

#include <node/net.hpp>
#include <runtime/http.hpp>
#include <wire/directory.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace nym::gateway {
namespace {

constexpr std::string_view GATEWAY_VERSION = "0.1.0";
/// Largest client frame: a SendPacket of the largest Nym packet (37 + 33133 bytes), with room to spare.
constexpr std::size_t MAX_CLIENT_FRAME = 64 * 1024;
/// How often the layer-1 set is refreshed at most apart (besides the heartbeat interval), and the
/// least spacing of the early refreshes a refused first hop asks for.
constexpr std::chrono::milliseconds MAX_TOPOLOGY_INTERVAL{5000};
constexpr std::chrono::milliseconds MIN_TOPOLOGY_SPACING{250};
/// Counters are logged (debug) and idle first hops forgotten this often.
constexpr std::chrono::seconds HOUSEKEEPING_INTERVAL{10};
constexpr std::chrono::seconds EGRESS_IDLE{60};
/// A deletion that failed (a full disk, a locked database) is tried again this much later.
constexpr std::chrono::milliseconds DELETE_RETRY{1000};

UnixSeconds unix_now() { return UnixSeconds(std::chrono::seconds(node::unix_seconds())); }

/// A task that hands `value` (possibly move-only) to `f` when run; std::function needs copies.
template <class T, class F>
std::function<void()> with(T value, F f) {
    auto box = std::make_shared<T>(std::move(value));
    return [box, f = std::move(f)]() mutable { f(std::move(*box)); };
}

HubConfig hub_config(const Config& config) {
    HubConfig hub;
    hub.delivery_window = config.message_retrieval_limit;
    hub.retrieval_limit = config.message_retrieval_limit;
    hub.authentication_timeout = config.authentication_timeout;
    hub.max_connections_per_ip = config.max_connections_per_ip;
    hub.registrations_per_minute_per_ip = config.registrations_per_minute_per_ip;
    hub.registrations_per_minute = config.registrations_per_minute;
    return hub;
}

runtime::ServerOptions server_options(const DaemonConfig& config) {
    runtime::ServerOptions options;
    options.host = config.listen_host;
    options.port = config.clients_port;
    options.server_name = "nym-gateway";
    return options;
}

runtime::ServerOptions admin_options(std::uint16_t port) {
    runtime::ServerOptions options;
    options.host = std::string(ADMIN_HOST);
    options.port = port;
    options.server_name = "nym-gateway";
    options.max_connections = 16;
    options.allow_any_origin = false; // no web page may read the per-client detail
    return options;
}

runtime::Url directory_url(const Config& config) {
    // validate() accepted the URL; an https:// one fails at every request (and says so).
    auto url = runtime::parse_url(config.directory_url);
    return url ? *url : runtime::Url{};
}

} // namespace

Daemon::Daemon(runtime::Loop& loop, DaemonConfig config, GatewayKeys keys, std::unique_ptr<MessageStore> store)
    : m_loop(loop), m_config(std::move(config)), m_keys(std::move(keys)), m_store(std::move(store)),
      m_stage(m_keys.sphinx, *m_store, m_replays, m_counters),
      m_hub(m_keys.identity, *m_store, m_nonces, crypto::system_rng(), m_counters, m_first_hops,
            hub_config(m_config.config)),
      m_topology_interval(std::min(m_config.heartbeat_interval, MAX_TOPOLOGY_INTERVAL)), m_serial(loop),
      m_mix(loop), m_server(loop, server_options(m_config)),
      m_directory(loop, directory_url(m_config.config), m_config.config.directory_url), m_refresh_timer(loop) {
    if (m_config.admin_port) m_admin.emplace(loop, admin_options(*m_config.admin_port));
    m_loop.on_shutdown(runtime::ShutdownStage::stop_accepting, [this] {
        m_stopping = true;
        m_queue.close();
        m_refresh_timer.cancel();
    });
    m_loop.on_shutdown(runtime::ShutdownStage::finish, [this] {
        // The batch in hand finishes on the store serial; the final counters wait for it.
        if (m_queue.in_hand()) m_final_pending = true;
        else log_final();
    });
}

Daemon::~Daemon() = default;

Expected<void, std::string> Daemon::start(std::function<void(const Listening&)> on_ready) {
    const std::string& host = m_config.listen_host;
    auto mix_bound = m_mix.listen(
        host, m_config.mix_port,
        runtime::InboundHandlers{
            [this](runtime::ConnectionId id, std::span<const std::uint8_t> bytes) { return on_mix_data(id, bytes); },
            [this](runtime::ConnectionId id) { on_mix_closed(id); }, {}});
    if (!mix_bound)
        return Unexpected<std::string>("cannot listen on mix port " + node::host_port(host, m_config.mix_port) + ": " +
                                       mix_bound.error().message());
    m_mix.set_outbound(runtime::OutboundHandlers{
        [this](const runtime::PeerAddress& peer) -> std::optional<mixnet::Frame> {
            auto it = m_endpoints.find(peer);
            if (it == m_endpoints.end()) return std::nullopt;
            return m_egress.next(it->second);
        },
        [this](const runtime::PeerAddress& peer) {
            m_counters.packets_forwarded.fetch_add(1, std::memory_order_relaxed);
            if (auto it = m_endpoints.find(peer); it != m_endpoints.end())
                m_egress.written(it->second, runtime::Loop::Clock::now());
        },
        [this](const runtime::PeerAddress& peer, mixnet::Frame frame) {
            if (auto it = m_endpoints.find(peer); it != m_endpoints.end()) m_egress.requeue(it->second, std::move(frame));
        },
        {}}); // no recycle: written frames are freed

    m_server.route("GET", "/api/stats", [this](const runtime::HttpRequest&) {
        return runtime::HttpResponse::json(200, public_stats_json(m_counters));
    });
    runtime::WsSessionHandlers handlers;
    handlers.on_open = [this](runtime::WsSessionId id, const runtime::WsPeerInfo& peer) {
        return m_hub.open(id, peer.remote_ip, unix_now()); // false: too many from this address (403)
    };
    handlers.on_message = [this](runtime::WsSessionId id, std::span<const std::uint8_t> data, bool binary) {
        apply(binary ? m_hub.on_frame(id, data, unix_now()) : m_hub.on_text(id));
    };
    handlers.on_close = [this](runtime::WsSessionId id) { m_hub.closed(id); };
    runtime::WsSessionOptions ws_options;
    ws_options.max_message_size = MAX_CLIENT_FRAME;
    m_server.websocket_sessions("/", std::move(handlers), ws_options);
    auto clients_bound = m_server.listen();
    if (!clients_bound)
        return Unexpected<std::string>("cannot listen on clients port " + node::host_port(host, m_config.clients_port) +
                                       ": " + clients_bound.error().message());

    if (m_admin) {
        m_admin->route("GET", "/api/stats", [this](const runtime::HttpRequest&) {
            return runtime::HttpResponse::json(200, stats_json(m_counters, m_hub.client_counters()));
        });
        auto admin_bound = m_admin->listen();
        if (!admin_bound)
            return Unexpected<std::string>("cannot listen on admin port " +
                                           node::host_port(ADMIN_HOST, *m_config.admin_port) + ": " +
                                           admin_bound.error().message());
        m_listening.admin = "http://" + node::host_port(ADMIN_HOST, *admin_bound);
    }

    const std::string& announce = m_config.config.host;
    m_listening.mix_address = node::host_port(announce, *mix_bound);
    m_listening.client_listener = "ws://" + node::host_port(announce, *clients_bound);
    m_on_ready = std::move(on_ready);
    // One topology before announcing ourselves (answered or failed), so that clients connecting
    // right away find their first hops allowed.
    m_topology_in_flight = true;
    m_last_topology = runtime::Loop::Clock::now();
    m_directory.topology([this](Expected<wire::directory::Topology, node::DirectoryError> topology) {
        m_topology_in_flight = false;
        on_topology(std::move(topology));
        ready();
    });
    return {};
}

void Daemon::ready() {
    if (m_stopping) return;
    if (m_on_ready) m_on_ready(m_listening);
    spdlog::info("gateway '{}' listening on mix {} and clients {} (bound on {}), directory {}", m_config.config.id,
                 m_listening.mix_address, m_listening.client_listener, m_config.listen_host,
                 m_config.config.directory_url);
    announce();
    expire();
    m_loop.every(m_config.heartbeat_interval, [this] { announce(); });
    m_loop.every(m_topology_interval, [this] { refresh_topology(); });
    m_loop.every(std::chrono::duration_cast<std::chrono::milliseconds>(m_config.config.cleanup_interval),
                 [this] { expire(); });
    m_loop.every(HOUSEKEEPING_INTERVAL, [this] { housekeeping(); });
    m_loop.every(std::chrono::seconds(1), [this] { apply(m_hub.expire_unauthenticated(unix_now())); });
}

// --- mix port ----------------------------------------------------------------------------------------

bool Daemon::on_mix_data(runtime::ConnectionId id, std::span<const std::uint8_t> bytes) {
    auto& decoder = m_decoders[id];
    auto fed = decoder.feed(bytes, [this](wire::Frame&& frame) {
        m_counters.packets_received.fetch_add(1, std::memory_order_relaxed);
        if (!m_queue.push_packet(std::move(frame.packet))) m_counters.drop(DropReason::ingress_overflow);
    });
    kick_store();
    if (!fed) {
        m_counters.framing_errors.fetch_add(1, std::memory_order_relaxed);
        spdlog::debug("mix connection {}: framing error ({}), closing", id, fed.error().message());
        return false;
    }
    return true;
}

void Daemon::on_mix_closed(runtime::ConnectionId id) {
    auto it = m_decoders.find(id);
    if (it == m_decoders.end()) return;
    // A stream that ends inside a frame carried a truncated frame: counted like any other framing
    // error (a failed decoder was counted when it failed).
    if (!it->second.idle() && !it->second.failed()) m_counters.framing_errors.fetch_add(1, std::memory_order_relaxed);
    m_decoders.erase(it);
}

void Daemon::forward(ClearedFrame cleared) {
    const sphinx::IpEndpoint hop = cleared.hop();
    switch (m_egress.enqueue(hop, std::move(cleared).take_frame(), runtime::Loop::Clock::now())) {
    case mixnet::EgressQueues::Result::dropped_queue_full:
    case mixnet::EgressQueues::Result::dropped_too_many_hops: m_counters.drop(DropReason::egress_overflow); break;
    case mixnet::EgressQueues::Result::queued: break;
    case mixnet::EgressQueues::Result::queued_first: {
        const runtime::PeerAddress peer = node::to_peer(hop);
        m_endpoints.emplace(peer, hop);
        m_mix.wake_peer(peer);
        break;
    }
    }
}

// --- the store ---------------------------------------------------------------------------------------

void Daemon::kick_store() {
    auto work = m_queue.start_batch();
    if (!work) return;
    m_serial.post(with(std::move(*work), [this](StoreQueue::Work w) {
        StageOutput out = m_stage.process(std::move(w), unix_now());
        m_loop.post(with(std::move(out), [this](StageOutput o) { on_batch_done(std::move(o)); }));
    }));
}

void Daemon::on_batch_done(StageOutput out) {
    m_queue.finish_batch();
    if (m_stopping) {
        // Shutting down: the connections to layer 1 are closing, so the last batch's acks are not
        // sent (their senders retransmit; the messages are stored).
        if (m_final_pending) log_final();
        return;
    }
    // The batch is committed: its released acks may leave, to layer-1 first hops only.
    AdmittedAcks admitted = admit_acks(out.acks, m_first_hops, unix_now());
    if (admitted.refused != 0) m_counters.drop(DropReason::unknown_first_hop, admitted.refused);
    for (ClearedFrame& frame : admitted.frames) {
        m_counters.acks_forwarded.fetch_add(1, std::memory_order_relaxed);
        forward(std::move(frame));
    }
    for (const ClientAddress& client : out.clients_with_new_messages) apply(m_hub.on_stored(client));
    if (!out.retry_deletes.empty()) {
        m_loop.after(DELETE_RETRY, with(std::move(out.retry_deletes), [this](std::vector<DeleteMessages> deletes) {
            for (DeleteMessages& d : deletes) m_queue.push_delete(std::move(d));
            kick_store();
        }));
    }
    kick_store();
}

void Daemon::run_on_store(StoreRequest request) {
    m_serial.post(with(std::move(request), [this](StoreRequest r) {
        StoreReply reply = run_store_request(std::move(r), *m_store, &m_stage.health());
        m_loop.post(with(std::move(reply), [this](StoreReply done) {
            apply(m_hub.on_store_reply(std::move(done), unix_now()));
        }));
    }));
}

void Daemon::expire() {
    // Registrations in use now (connected clients) are kept, whatever their age.
    m_serial.post(with(m_hub.connected_clients(), [this](std::vector<ClientAddress> connected) {
        m_stage.forget_replay_tags(unix_now() - REPLAY_TAG_RETENTION);
        const auto expired = m_stage.expire(unix_now() - m_config.config.message_max_age);
        if (expired != 0)
            spdlog::info("expired {} message(s) older than {} s", expired, m_config.config.message_max_age.count());
        const auto unused =
            m_stage.expire_unused_registrations(unix_now() - m_config.config.unused_registration_ttl, connected);
        if (unused != 0)
            spdlog::info("expired {} registration(s) never used in {} s", unused,
                         m_config.config.unused_registration_ttl.count());
    }));
}

// --- clients -----------------------------------------------------------------------------------------

void Daemon::apply(HubEffects fx) {
    for (auto& [id, frame] : fx.frames) (void)m_server.ws_send(id, std::move(frame), true);
    for (ClearedFrame& frame : fx.forwards) forward(std::move(frame));
    if (!fx.deletes.empty()) {
        for (DeleteMessages& d : fx.deletes) m_queue.push_delete(std::move(d));
        kick_store();
    }
    for (const auto& [id, reason] : fx.closes) {
        WebsocketClose close = websocket_close(reason);
        m_server.ws_close(id, close.code, std::move(close.reason));
    }
    for (StoreRequest& request : fx.store) run_on_store(std::move(request));
    if (m_first_hops.take_refresh_request()) request_early_refresh();
}

// --- directory ---------------------------------------------------------------------------------------

void Daemon::refresh_topology() {
    if (m_topology_in_flight || m_stopping) return;
    m_topology_in_flight = true;
    m_last_topology = runtime::Loop::Clock::now();
    m_directory.topology([this](Expected<wire::directory::Topology, node::DirectoryError> topology) {
        m_topology_in_flight = false;
        on_topology(std::move(topology));
    });
}

void Daemon::request_early_refresh() {
    // A refused first hop asks for an early refresh, at most every MIN_TOPOLOGY_SPACING.
    if (m_topology_in_flight || m_refresh_timer.armed() || m_stopping) return;
    const auto due = m_last_topology + MIN_TOPOLOGY_SPACING;
    if (due <= runtime::Loop::Clock::now()) {
        refresh_topology();
        return;
    }
    m_refresh_timer.arm(due, [this] { refresh_topology(); });
}

void Daemon::on_topology(Expected<wire::directory::Topology, node::DirectoryError> topology) {
    if (!topology) {
        m_topology_failures.failed(topology.error().message + " (keeping the previous layer-1 set)");
        return;
    }
    m_topology_failures.succeeded();
    std::vector<sphinx::IpEndpoint> layer1;
    for (const auto& node : topology->mix_nodes) {
        if (node.layer != 1) continue;
        // Clients can only name IP endpoints as first hops (sphinx::NodeAddress), so a host the
        // parser refuses could never match anyway.
        if (auto endpoint = sphinx::IpEndpoint::parse(node.host)) layer1.push_back(*endpoint);
    }
    const std::size_t n = layer1.size();
    if (m_first_hops.update(layer1, unix_now()))
        spdlog::info("first topology from the directory: {} layer-1 mix node(s) allowed as first hops", n);
}

void Daemon::announce() {
    if (m_stopping) return;
    m_serial.post([this] {
        auto clients = m_store->registered_clients();
        if (clients) m_stage.health().succeeded(StoreOperation::list_clients);
        else m_stage.health().failed(StoreOperation::list_clients, m_store->last_error());
        m_loop.post(with(std::move(clients), [this](Expected<std::vector<ClientAddress>> c) { send_heartbeat(c); }));
    });
}

void Daemon::send_heartbeat(const Expected<std::vector<ClientAddress>>& clients) {
    if (m_stopping) return;
    wire::directory::GatewayHeartbeat heartbeat;
    heartbeat.host = m_listening.mix_address;
    heartbeat.client_listener = m_listening.client_listener;
    heartbeat.identity_key = m_keys.identity_public;
    heartbeat.sphinx_key = m_keys.sphinx_public;
    heartbeat.version = std::string(GATEWAY_VERSION);
    heartbeat.timestamp_ms = node::unix_ms();
    if (clients) {
        // The directory lists at most MAX_REGISTERED_CLIENTS per gateway; the topology field carries
        // the clients' 32-byte identity keys.
        const std::size_t n = std::min(clients->size(), wire::directory::MAX_REGISTERED_CLIENTS);
        heartbeat.registered_clients.resize(n);
        for (std::size_t i = 0; i < n; ++i)
            std::copy((*clients)[i].bytes.begin(), (*clients)[i].bytes.end(),
                      heartbeat.registered_clients[i].bytes.begin());
    }
    wire::directory::sign(heartbeat, m_keys.identity, m_keys.sphinx);
    m_directory.announce(heartbeat);
}

// --- housekeeping ------------------------------------------------------------------------------------

void Daemon::housekeeping() {
    for (const sphinx::IpEndpoint& hop : m_egress.evict_idle(runtime::Loop::Clock::now() - EGRESS_IDLE))
        m_endpoints.erase(node::to_peer(hop));
    // A failing store is loud: besides each streak's first warning, a summary while it lasts.
    const std::uint64_t failures = m_counters.store_failures.load(std::memory_order_relaxed);
    if (failures != m_reported_store_failures)
        spdlog::warn("{} message store failure(s) in the last {} s ({} in all; see /api/stats)",
                     failures - m_reported_store_failures, HOUSEKEEPING_INTERVAL.count(), failures);
    m_reported_store_failures = failures;
    spdlog::debug("counters: received {} stored {} delivered {} acked {} from clients {} forwarded {} "
                  "(acks {}) dropped {} framing errors {} client errors {} clients {} egress queued {} "
                  "store queue {}",
                  m_counters.packets_received.load(), m_counters.stored.load(), m_counters.delivered.load(),
                  m_counters.acked.load(), m_counters.packets_from_clients.load(),
                  m_counters.packets_forwarded.load(), m_counters.acks_forwarded.load(), m_counters.dropped_total(),
                  m_counters.framing_errors.load(), m_counters.client_errors.load(),
                  m_counters.clients_connected.load(), m_egress.queued_total(), m_queue.pending_packets());
}

void Daemon::log_final() {
    m_final_pending = false;
    spdlog::info("gateway '{}' stopped: received {} stored {} delivered {} acked {} from clients {} "
                 "forwarded {} dropped {}",
                 m_config.config.id, m_counters.packets_received.load(), m_counters.stored.load(),
                 m_counters.delivered.load(), m_counters.acked.load(), m_counters.packets_from_clients.load(),
                 m_counters.packets_forwarded.load(), m_counters.dropped_total());
}

} // namespace nym::gateway
