#include <client/daemon.hpp>

#include <crypto/rng.hpp>
#include <node/directory_client.hpp>
#include <runtime/http_server.hpp>
#include <runtime/ws_connection.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace nym::client {
namespace {

using namespace std::chrono_literals;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

constexpr auto STATS_INTERVAL = 30s;
/// Largest gateway frame: a Deliver of MAX_DELIVER_SIZE plus its header, with room to spare.
constexpr std::size_t MAX_GATEWAY_FRAME = 64 * 1024;
/// Outgoing API messages queued per session before it is dropped (a subscriber that does not read).
constexpr std::size_t API_SEND_QUEUE = 65536;

bool is_loopback(const std::string& ip) {
    return ip.starts_with("127.") || ip == "::1" || ip.starts_with("::ffff:127.");
}

milliseconds to_ms(std::chrono::microseconds us) { return std::max(milliseconds(1), duration_cast<milliseconds>(us)); }

} // namespace

struct Daemon::Impl {
    Impl(const Daemon& d, runtime::Loop& l, ClientSettings s) : owner(d), loop(l), settings(std::move(s)), timer(l) {}

    const Daemon& owner;
    runtime::Loop& loop;
    ClientSettings settings;
    ReadyCallback on_ready;
    std::unique_ptr<Client> client;
    std::unique_ptr<node::DirectoryClient> directory;
    std::unique_ptr<runtime::HttpServer> server;
    std::unique_ptr<runtime::WsConnection> gateway;
    std::uint64_t generation = 0; ///< of the gateway connection; callbacks of older ones are ignored
    runtime::Timer timer;
    std::optional<std::string> failure;
    std::uint16_t port = 0;
    std::string address;
    bool stopped = false;

    static TimePoint now() { return Clock::now(); }

    void apply(ClientOutput out) {
        if (stopped) return;
        if (server)
            for (auto& push : out.api) server->ws_send(push.session, std::move(push.frame.data), push.frame.binary);
        if (gateway)
            for (auto& frame : out.gateway) gateway->send(std::move(frame), true);
        if (out.close_gateway) close_gateway();
        if (out.connect) connect(*out.connect);
        if (out.fetch_topology) fetch_topology();
        if (out.ready && on_ready) on_ready(owner);
        if (out.startup_failed) {
            failure = std::move(out.startup_failed);
            stop();
            loop.stop();
            return;
        }
        arm();
    }

    /// One timer at the client's next wakeup, re-armed after every call into the client.
    void arm() {
        if (stopped || loop.stopping()) return;
        const TimePoint when = client->next_wakeup();
        if (when == TimePoint::max()) {
            timer.cancel();
            return;
        }
        if (timer.armed() && timer.expiry() == when) return;
        timer.arm(when, [this] { apply(client->tick(now())); });
    }

    void fetch_topology() {
        directory->topology([this](Expected<wire::directory::Topology, node::DirectoryError> result) {
            if (stopped) return;
            if (result) apply(client->on_topology(std::move(*result), now()));
            else apply(client->on_topology_failed(result.error().message, now()));
        });
    }

    void connect(const Endpoint& endpoint) {
        close_gateway();
        const std::uint64_t current = ++generation;
        runtime::WsConnectionHandlers handlers;
        handlers.on_message = [this, current](std::span<const std::uint8_t> data, bool binary) {
            if (current != generation || stopped) return;
            apply(client->on_gateway_message(data, binary, now()));
        };
        handlers.on_closed = [this, current](std::error_code ec) {
            if (current != generation || stopped) return;
            gateway.reset();
            ++generation;
            apply(client->on_gateway_closed(
                "the gateway closed the connection" + (ec ? ": " + ec.message() : std::string()), now()));
        };
        runtime::WsConnectOptions options;
        options.timeout = to_ms(settings.config.gateway_connection_timeout);
        options.max_message_size = MAX_GATEWAY_FRAME;
        runtime::WsConnection::connect(
            loop, endpoint.host, endpoint.port, endpoint.target, std::move(handlers), options,
            [this, current](Expected<std::unique_ptr<runtime::WsConnection>> connection) {
                if (current != generation || stopped) return; // superseded or shut down: dropped (and closed)
                if (!connection) {
                    apply(client->on_gateway_connect_failed(connection.error().message(), now()));
                    return;
                }
                gateway = std::move(*connection);
                apply(client->on_gateway_connected(now()));
            });
    }

    void close_gateway() {
        ++generation; // callbacks of the old connection are ignored from now on
        if (!gateway) return;
        gateway->close();
        gateway.reset(); // flushes what is queued (bounded by its close timeout); no handler runs afterwards
    }

    void stop() {
        if (stopped) return;
        stopped = true;
        timer.cancel();
        close_gateway();
    }

    Expected<void, std::string> listen();
    void log_stats(bool final) const;
};

Expected<void, std::string> Daemon::Impl::listen() {
    const Config& config = settings.config;
    runtime::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = static_cast<std::uint16_t>(config.listening_port);
    options.server_name = "nym-client";
    server = std::make_unique<runtime::HttpServer>(loop, options);
    runtime::WsSessionHandlers handlers;
    handlers.on_open = [this](runtime::WsSessionId id, const runtime::WsPeerInfo& peer) {
        if (!is_loopback(peer.remote_ip)) {
            spdlog::warn("refused an API connection from {} (loopback only)", peer.remote_ip);
            return false;
        }
        client->api_open(id);
        return true;
    };
    handlers.on_message = [this](runtime::WsSessionId id, std::span<const std::uint8_t> data, bool binary) {
        apply(client->on_api_message(id, data, binary, now()));
    };
    handlers.on_close = [this](runtime::WsSessionId id) { client->api_close(id); };
    runtime::WsSessionOptions ws;
    ws.max_message_size = config.max_request_size + 1024 * 1024; // the handler answers oversize with an error
    ws.send_queue_limit = API_SEND_QUEUE;
    server->websocket_sessions("/mix", std::move(handlers), ws);
    auto bound = server->listen();
    if (!bound)
        return Unexpected("cannot listen on 127.0.0.1:" + std::to_string(config.listening_port) + ": " +
                          bound.error().message());
    port = *bound;
    return {};
}

void Daemon::Impl::log_stats(bool final) const {
    const auto s = client->stats();
    if (final) {
        spdlog::info("client stopped: real {} retransmissions {} cover {} loop cover {} acks {} messages received {}",
                     s.real_sent, s.retransmissions, s.cover_sent, s.loop_cover_sent, s.acks_received,
                     s.messages_received);
        return;
    }
    spdlog::debug("stats: real {} retransmissions {} cover {} loop {} acks {} fragments {} messages {} queued {} "
                  "unacked {} api buffered {}",
                  s.real_sent, s.retransmissions, s.cover_sent, s.loop_cover_sent, s.acks_received,
                  s.fragments_received, s.messages_received, s.queued_packets, s.unacknowledged_fragments,
                  client->api().buffered());
}

Daemon::Daemon(runtime::Loop& loop, ClientSettings settings)
    : m_impl(std::make_unique<Impl>(*this, loop, std::move(settings))) {}

Daemon::~Daemon() {
    if (m_impl) m_impl->stop();
}

Expected<void, std::string> Daemon::start(ReadyCallback on_ready) {
    Impl& d = *m_impl;
    const Config& config = d.settings.config;
    if (config.socket_type == SocketType::tcp)
        return Unexpected(std::string("socket type 'tcp' is not supported in this version; use 'websocket' (or 'none')"));
    auto keys = load_keys(config);
    if (!keys) return Unexpected(keys.error().message());
    std::optional<wire::gateway::SharedKey> shared_key;
    if (!d.settings.register_again) {
        auto key = load_shared_key(config);
        if (key) shared_key = std::move(*key);
        else spdlog::warn("no gateway shared key ({}); registering again", key.error().message());
    }
    auto url = node::parse_directory_url(config.directory_url);
    if (!url) return Unexpected(url.error().message);
    d.directory = std::make_unique<node::DirectoryClient>(d.loop, *url, config.directory_url,
                                                          to_ms(config.topology_resolution_timeout));
    d.client = std::make_unique<Client>(d.settings, std::move(*keys), std::move(shared_key), crypto::system_rng(),
                                        Impl::now());
    d.address = d.client->address();
    d.on_ready = std::move(on_ready);
    if (config.socket_type == SocketType::websocket) {
        if (auto listening = d.listen(); !listening) return listening;
    }
    d.loop.every(STATS_INTERVAL, [&d] {
        if (!d.stopped) d.log_stats(false);
    });
    d.loop.on_shutdown(runtime::ShutdownStage::drain, [&d] {
        if (d.stopped) return;
        spdlog::info("shutting down");
        d.stop();
    });
    d.loop.on_shutdown(runtime::ShutdownStage::finish, [&d] {
        if (!d.failure) d.log_stats(true);
    });
    d.loop.post([&d] { d.apply(d.client->start(Impl::now())); });
    return {};
}

const std::optional<std::string>& Daemon::failure() const noexcept { return m_impl->failure; }
std::uint16_t Daemon::api_port() const noexcept { return m_impl->port; }
const std::string& Daemon::address() const noexcept { return m_impl->address; }
SocketType Daemon::socket_type() const noexcept { return m_impl->settings.config.socket_type; }

} // namespace nym::client
