#include <client/daemon.hpp>

#include <client/api_access.hpp>

#include <crypto/rng.hpp>
#include <node/directory_client.hpp>
#include <runtime/http_server.hpp>
#include <runtime/tcp.hpp>
#include <runtime/ws_connection.hpp>
#include <wire/client_api_tcp.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

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

/// API session ids: the runtime's id of a session (or connection) times 4, plus which listener it
/// came through, so that sessions of different listeners never share an id in the ApiHandler.
constexpr ApiSessionId LISTENERS = 4;
enum Listener : ApiSessionId { WS_IPV4 = 0, WS_IPV6 = 1, TCP = 2 };
ApiSessionId api_session(Listener listener, std::uint64_t id) { return id * LISTENERS + listener; }

milliseconds to_ms(std::chrono::microseconds us) { return std::max(milliseconds(1), duration_cast<milliseconds>(us)); }

} // namespace

struct Daemon::Impl {
    Impl(const Daemon& d, runtime::Loop& l, ClientSettings s) : owner(d), loop(l), settings(std::move(s)), timer(l) {}

    const Daemon& owner;
    runtime::Loop& loop;
    ClientSettings settings;
    ReadyCallback on_ready;
    MessageHandler on_message;
    std::unique_ptr<Client> client;
    std::unique_ptr<node::DirectoryClient> directory;
    std::unique_ptr<runtime::HttpServer> servers[2]; ///< the API websocket on 127.0.0.1 and on [::1]
    std::unique_ptr<runtime::TcpService> tcp;        ///< or the TCP socket API on 127.0.0.1
    std::map<runtime::ConnectionId, wire::client_api::tcp::FrameReader> tcp_readers;
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
        for (auto& push : out.api) send_api(push);
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
        if (on_message)
            for (auto& message : out.received) {
                if (stopped) return;
                on_message(std::move(message));
            }
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

    void send_api(ApiPush& push) {
        const auto listener = push.session % LISTENERS;
        if (listener <= WS_IPV6 && servers[listener])
            servers[listener]->ws_send(push.session / LISTENERS, std::move(push.frame.data), push.frame.binary);
    }

    Expected<void, std::string> listen();
    Expected<void, std::string> listen_tcp();
    bool on_tcp_data(runtime::ConnectionId id, std::span<const std::uint8_t> data);
    std::unique_ptr<runtime::HttpServer> api_server(Listener listener, const std::string& host, std::uint16_t on_port);
    void log_stats(bool final) const;
};

std::unique_ptr<runtime::HttpServer> Daemon::Impl::api_server(Listener listener, const std::string& host,
                                                             std::uint16_t on_port) {
    const Config& config = settings.config;
    runtime::ServerOptions options;
    options.host = host;
    options.port = on_port;
    options.server_name = "nym-client";
    auto server = std::make_unique<runtime::HttpServer>(loop, options);
    runtime::WsSessionHandlers handlers;
    handlers.on_open = [this, listener](runtime::WsSessionId id, const runtime::WsPeerInfo& peer) {
        const auto refusal = check_api_upgrade(peer.remote_ip, peer.host, peer.origin, port, settings.config.allowed_origins);
        if (refusal != ApiRefusal::none) {
            spdlog::warn("refused an API connection from {} (Host '{}', Origin '{}'): {}", peer.remote_ip,
                         peer.host.substr(0, 100), peer.origin ? peer.origin->substr(0, 100) : std::string("none"),
                         to_string(refusal));
            return false;
        }
        client->api_open(api_session(listener, id));
        return true;
    };
    handlers.on_message = [this, listener](runtime::WsSessionId id, std::span<const std::uint8_t> data, bool binary) {
        apply(client->on_api_message(api_session(listener, id), data, binary, now()));
    };
    handlers.on_close = [this, listener](runtime::WsSessionId id) { client->api_close(api_session(listener, id)); };
    runtime::WsSessionOptions ws;
    ws.max_message_size = config.max_request_size + 1024 * 1024; // the handler answers oversize with an error
    ws.send_queue_limit = API_SEND_QUEUE;
    server->websocket_sessions("/mix", std::move(handlers), ws);
    return server;
}

/// The API on 127.0.0.1:P and, so that "localhost" works where it resolves to ::1 first, on
/// [::1]:P too (skipped, with a note, where the host has no IPv6 loopback).
Expected<void, std::string> Daemon::Impl::listen() {
    const int wanted = settings.config.listening_port;
    servers[WS_IPV4] = api_server(WS_IPV4, "127.0.0.1", static_cast<std::uint16_t>(wanted));
    auto bound = servers[WS_IPV4]->listen();
    if (!bound)
        return Unexpected("cannot listen on 127.0.0.1:" + std::to_string(wanted) + ": " + bound.error().message());
    port = *bound;
    servers[WS_IPV6] = api_server(WS_IPV6, "::1", port);
    if (auto v6 = servers[WS_IPV6]->listen(); !v6) {
        spdlog::info("the API is not served on [::1]:{} ({}); 127.0.0.1 only", port, v6.error().message());
        servers[WS_IPV6].reset();
    }
    return {};
}

/// The TCP socket API (socket_type tcp): protobuf requests framed by an 8-byte length, answered in
/// order on the same connection (docs/protocol/client-api.md, "The TCP socket").
Expected<void, std::string> Daemon::Impl::listen_tcp() {
    tcp = std::make_unique<runtime::TcpService>(loop);
    runtime::InboundHandlers handlers;
    handlers.on_open = [this](runtime::ConnectionId id, const std::string& remote) {
        const std::string ip = remote.starts_with("[") ? remote.substr(1, remote.find(']') - 1)
                                                       : remote.substr(0, remote.rfind(':'));
        if (!is_loopback(ip)) {
            spdlog::warn("refused an API connection from {} (loopback only)", remote);
            return false;
        }
        tcp_readers.emplace(id, wire::client_api::tcp::FrameReader(settings.config.max_request_size));
        client->api_open(api_session(TCP, id));
        return true;
    };
    handlers.on_data = [this](runtime::ConnectionId id, std::span<const std::uint8_t> data) {
        return on_tcp_data(id, data);
    };
    handlers.on_closed = [this](runtime::ConnectionId id) {
        tcp_readers.erase(id);
        client->api_close(api_session(TCP, id));
    };
    const int wanted = settings.config.listening_port;
    auto bound = tcp->listen("127.0.0.1", static_cast<std::uint16_t>(wanted), std::move(handlers));
    if (!bound)
        return Unexpected("cannot listen on 127.0.0.1:" + std::to_string(wanted) + ": " + bound.error().message());
    port = *bound;
    return {};
}

bool Daemon::Impl::on_tcp_data(runtime::ConnectionId id, std::span<const std::uint8_t> data) {
    namespace api = wire::client_api;
    auto reader = tcp_readers.find(id);
    if (reader == tcp_readers.end() || stopped) return true; // closing: the rest is ignored
    reader->second.feed(data);
    const auto limits = client->api().wire_limits();
    while (true) {
        auto frame = reader->second.next();
        if (!frame) {
            // A length beyond max_request_size: answer, then close (the stream cannot be followed).
            tcp->send(id, api::tcp::encode_response(client->api_error(frame.error().message)));
            tcp->close(id);
            tcp_readers.erase(reader);
            return true;
        }
        if (!*frame) return true;
        auto request = api::tcp::decode_request(**frame, limits);
        if (!request) {
            // The frame was whole: the connection goes on after the answer.
            tcp->send(id, api::tcp::encode_response(client->api_error(request.error().message)));
            continue;
        }
        if (std::holds_alternative<api::tcp::FlushRequest>(*request)) continue; // answers are never held back
        ClientOutput out;
        for (const auto& response :
             client->on_api_request(api_session(TCP, id), api::tcp::to_request(std::move(*request)), now(), out))
            tcp->send(id, api::tcp::encode_response(response));
        apply(std::move(out));
        if (stopped) return true;
    }
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
    if (d.on_message) d.client->attach_application();
    if (config.socket_type == SocketType::websocket) {
        if (auto listening = d.listen(); !listening) return listening;
    } else if (config.socket_type == SocketType::tcp) {
        if (auto listening = d.listen_tcp(); !listening) return listening;
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

void Daemon::set_message_handler(MessageHandler handler) { m_impl->on_message = std::move(handler); }

Expected<void> Daemon::send(std::span<const std::uint8_t> message, const ParsedAddress& recipient,
                            std::size_t reply_surbs) {
    Impl& d = *m_impl;
    if (d.stopped || !d.client) return fail(Errc::no_route);
    ClientOutput out;
    auto sent = d.client->send_message(message, recipient, reply_surbs, Impl::now(), out);
    d.apply(std::move(out));
    return sent;
}

Expected<void> Daemon::reply(const SenderTag& tag, std::span<const std::uint8_t> message) {
    Impl& d = *m_impl;
    if (d.stopped || !d.client) return fail(Errc::no_route);
    ClientOutput out;
    auto sent = d.client->send_reply(tag, message, Impl::now(), out);
    d.apply(std::move(out));
    return sent;
}

std::size_t Daemon::reply_surbs_available(const SenderTag& tag) const {
    return m_impl->client ? m_impl->client->reply_surbs_available(tag) : 0;
}

ClientStats Daemon::stats() const { return m_impl->client ? m_impl->client->stats() : ClientStats{}; }

const std::optional<std::string>& Daemon::failure() const noexcept { return m_impl->failure; }
std::uint16_t Daemon::api_port() const noexcept { return m_impl->port; }
const std::string& Daemon::address() const noexcept { return m_impl->address; }
SocketType Daemon::socket_type() const noexcept { return m_impl->settings.config.socket_type; }

std::string Daemon::ready_line() const {
    const std::string port = std::to_string(api_port());
    switch (socket_type()) {
    case SocketType::websocket: return "nym-client listening on ws://127.0.0.1:" + port + "/mix, address " + address();
    case SocketType::tcp: return "nym-client listening on tcp://127.0.0.1:" + port + ", address " + address();
    case SocketType::none: break;
    }
    return "nym-client running without a socket (socket_type none), address " + address();
}

} // namespace nym::client
