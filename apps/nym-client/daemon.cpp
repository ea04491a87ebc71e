#include "daemon.hpp"

#include "network.hpp"

#include <client/api.hpp>
#include <client/core.hpp>
#include <client/gateway_link.hpp>

#include <crypto/rng.hpp>
#include <runtime/http_server.hpp>
#include <runtime/ws_connection.hpp>

#include <spdlog/spdlog.h>

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace nym::client::app {
namespace {

using namespace std::chrono_literals;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

constexpr milliseconds MIN_BACKOFF{250};
constexpr milliseconds MAX_BACKOFF{10'000};
constexpr milliseconds HOUSEKEEPING{1000};
constexpr auto STATS_INTERVAL = 30s;
/// Largest gateway frame: a Deliver of MAX_DELIVER_SIZE plus its header, with room to spare.
constexpr std::size_t MAX_GATEWAY_FRAME = 64 * 1024;

bool is_loopback(const std::string& ip) {
    return ip.starts_with("127.") || ip == "::1" || ip.starts_with("::ffff:127.");
}

milliseconds to_ms(std::chrono::microseconds us) {
    return std::max(milliseconds(1), duration_cast<milliseconds>(us));
}

/// Why the start-up did not reach a ready gateway link.
struct StartupState {
    std::mutex mutex;
    std::condition_variable changed;
    bool done = false;
    std::optional<std::string> failure;
};

class Client final : public ApiBackend {
public:
    Client(RunOptions options, ClientKeys keys, std::optional<wire::gateway::SharedKey> shared_key,
           wire::directory::Topology topology, runtime::HttpServer* server)
        : m_config(std::move(options.config)), m_config_file(std::move(options.config_file)),
          m_shared_key(std::move(shared_key)),
          m_need_register(options.register_again || !m_shared_key), m_save_config(options.register_again),
          m_core(keys, Address{keys.identity_public, m_config.gateway_identity}, m_config.traffic, m_rng,
                 Clock::now()),
          m_link(keys.identity, m_config.gateway_identity), m_api(*this, api_limits(m_config)), m_server(server) {
        m_address = to_string(m_core.address());
        set_topology(std::move(topology));
    }

    ~Client() override { stop(); }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    static ApiLimits api_limits(const Config& config) {
        ApiLimits limits;
        limits.max_request_size = config.max_request_size;
        limits.max_message_size = config.traffic.max_message_size;
        return limits;
    }

    void start() {
        m_started = true;
        m_loop_thread = std::thread([this] { loop_main(); });
        m_topology_thread = std::thread([this] { topology_main(); });
        post([this] { connect(); });
    }

    /// Blocks until the gateway link is ready or the start-up failed.
    std::optional<std::string> wait_ready(milliseconds timeout) {
        std::unique_lock lock(m_startup.mutex);
        if (!m_startup.changed.wait_for(lock, timeout, [this] { return m_startup.done; }))
            return "no answer from the gateway within " + std::to_string(timeout.count()) + " ms";
        return m_startup.failure;
    }

    void stop() {
        {
            std::lock_guard lock(m_mutex);
            if (m_stopped) return;
            m_stopping = true;
            m_stopped = true;
        }
        m_wake.notify_all();
        m_wake_topology.notify_all();
        if (m_loop_thread.joinable()) m_loop_thread.join();
        if (m_topology_thread.joinable()) m_topology_thread.join();
        if (m_connector.joinable()) m_connector.join();
        if (m_connection) {
            m_connection->close();
            m_connection.reset();
        }
        for (auto& r : m_reapers) r.thread.join();
        m_reapers.clear();
        m_tasks.clear(); // never run: the loop has stopped (a pending connection is closed here)
        if (!m_started) return;
        const auto s = m_core.stats();
        spdlog::info("client stopped: real {} retransmissions {} cover {} loop cover {} acks {} messages received {}",
                     s.real_sent, s.retransmissions, s.cover_sent, s.loop_cover_sent, s.acks_received,
                     s.messages_received);
    }

    /// Fixed at construction, so any thread may read it.
    const std::string& address() const { return m_address; }

    // --- API sessions (called on the server thread; everything is handed to the loop) -----------

    runtime::WsSessionHandlers api_handlers() {
        runtime::WsSessionHandlers h;
        h.on_open = [this](runtime::WsSessionId id, const runtime::WsPeerInfo& peer) {
            if (!is_loopback(peer.remote_ip)) {
                spdlog::warn("refused an API connection from {} (loopback only)", peer.remote_ip);
                return false;
            }
            post([this, id] { m_api.open(id); });
            return true;
        };
        h.on_message = [this](runtime::WsSessionId id, std::span<const std::uint8_t> data, bool binary) {
            post([this, id, bytes = Bytes(data.begin(), data.end()), binary] {
                for (auto& frame : m_api.on_message(id, bytes, binary))
                    m_server->ws_send(id, std::move(frame.data), frame.binary);
            });
        };
        h.on_close = [this](runtime::WsSessionId id) { post([this, id] { m_api.close(id); }); };
        return h;
    }

    // --- ApiBackend (loop thread) -----------------------------------------------------------------

    Expected<void> send(std::span<const std::uint8_t> message, const ParsedAddress& recipient,
                        std::size_t reply_surbs) override {
        auto id = m_core.send(message, recipient, Clock::now(), reply_surbs);
        if (!id) {
            // The recipient (or its gateway) may have joined after our last refresh: look again now.
            if (id.error() == Errc::invalid_address || id.error() == Errc::no_route) request_topology_refresh();
            return Unexpected(id.error());
        }
        spdlog::debug("message {} queued: {} bytes", *id, message.size());
        return {};
    }
    Expected<void> reply(const SenderTag& tag, std::span<const std::uint8_t> message) override {
        return m_core.reply(tag, message, Clock::now());
    }
    std::vector<std::string> clients() override {
        std::vector<std::string> out;
        for (const auto& g : m_topology.gateways)
            for (const auto& c : g.registered_clients) {
                Address a;
                a.identity.bytes = c.bytes; // the gateway lists its clients' Ed25519 identities
                a.gateway = g.identity_key;
                out.push_back(to_string(a));
            }
        return out;
    }
    std::string own_address() override { return address(); }

private:
    struct Reaper {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };

    void post(std::function<void()> task) {
        {
            std::lock_guard lock(m_mutex);
            if (m_stopping) return;
            m_tasks.push_back(std::move(task));
        }
        m_wake.notify_one();
    }

    // --- the loop ---------------------------------------------------------------------------------

    void loop_main() {
        auto next_stats = Clock::now() + STATS_INTERVAL;
        std::deque<std::function<void()>> tasks;
        while (true) {
            {
                std::unique_lock lock(m_mutex);
                m_wake.wait_until(lock, deadline(), [this] { return m_stopping || !m_tasks.empty(); });
                if (m_stopping) return;
                tasks.swap(m_tasks);
            }
            for (auto& task : tasks) task();
            tasks.clear();
            const auto now = Clock::now();
            if (m_reconnect_at && now >= *m_reconnect_at) {
                m_reconnect_at.reset();
                connect();
            }
            pump(now);
            if (now >= next_stats) {
                next_stats = now + STATS_INTERVAL;
                const auto s = m_core.stats();
                spdlog::debug("stats: real {} retransmissions {} cover {} loop {} acks {} fragments {} messages {} "
                              "queued {} unacked {} api buffered {}",
                              s.real_sent, s.retransmissions, s.cover_sent, s.loop_cover_sent, s.acks_received,
                              s.fragments_received, s.messages_received, s.queued_packets, s.unacknowledged_fragments,
                              m_api.buffered());
            }
        }
    }

    TimePoint deadline() const {
        auto t = Clock::now() + HOUSEKEEPING;
        if (m_link.state() == LinkState::ready) t = std::min(t, m_core.next_wakeup());
        if (m_reconnect_at) t = std::min(t, *m_reconnect_at);
        return t;
    }

    /// Emits every due packet and acknowledges handled deliveries. While the link is down the core is
    /// not polled: real messages wait in its queue and the Poisson streams restart on reconnection.
    void pump(TimePoint now) {
        if (m_link.state() != LinkState::ready || !m_connection) return;
        for (int rounds = 0; rounds < 16; ++rounds) {
            auto packets = m_core.poll(now);
            for (const auto& p : packets)
                if (auto frame = m_link.send_packet(p)) m_connection->send(std::move(*frame), true);
            if (packets.empty() || m_core.next_wakeup() > now) break;
        }
        if (!m_pending_acks.empty()) {
            for (auto& frame : m_link.ack(m_pending_acks)) m_connection->send(std::move(frame), true);
            m_pending_acks.clear();
        }
    }

    // --- topology -----------------------------------------------------------------------------------

    void topology_main() {
        const auto period = to_ms(m_config.topology_refresh_rate);
        const auto timeout = to_ms(m_config.topology_resolution_timeout);
        bool failing = false;
        while (true) {
            // While the network is incomplete (a local mixnet still starting), look again every
            // second rather than leaving sends without a route for a whole refresh period.
            const auto wait = m_routable.load() ? period : std::min(period, milliseconds(1000));
            {
                std::unique_lock lock(m_mutex);
                m_wake_topology.wait_for(lock, wait, [this] { return m_stopping || m_refresh_requested; });
                if (m_stopping) return;
                m_refresh_requested = false;
            }
            auto topology = fetch_topology(m_config.directory_url, timeout);
            if (!topology) {
                if (!failing) spdlog::warn("topology refresh failed: {}", topology.error().message());
                failing = true;
                continue;
            }
            if (failing) spdlog::info("topology refresh works again");
            failing = false;
            post([this, t = std::move(*topology)]() mutable { set_topology(std::move(t)); });
        }
    }

    /// At most one early refresh per second, however often it is asked for.
    void request_topology_refresh() {
        const auto now = Clock::now();
        if (now - m_last_refresh_request < 1s) return;
        m_last_refresh_request = now;
        {
            std::lock_guard lock(m_mutex);
            m_refresh_requested = true;
        }
        m_wake_topology.notify_all();
    }

    void set_topology(wire::directory::Topology topology) {
        m_core.set_topology(topology, Clock::now());
        for (const auto& g : topology.gateways)
            if (g.identity_key == m_config.gateway_identity) {
                if (auto endpoint = parse_listener(g.client_listener)) {
                    m_gateway_endpoint = *endpoint;
                    m_config.gateway_listener = g.client_listener;
                }
            }
        if (!m_gateway_endpoint) {
            if (auto endpoint = parse_listener(m_config.gateway_listener)) m_gateway_endpoint = *endpoint;
        }
        m_topology = std::move(topology);
        const bool routable = m_core.routable();
        if (!routable && m_routable.load())
            spdlog::warn("the topology is not routable (a mix layer or our gateway is missing)");
        else if (!routable && !m_warned_unroutable)
            spdlog::warn("the topology is not routable yet (a mix layer or our gateway is missing)");
        m_warned_unroutable = !routable;
        m_routable.store(routable);
    }

    // --- the gateway connection ---------------------------------------------------------------------

    void connect() {
        if (m_connecting || m_connection) return;
        if (!m_gateway_endpoint) {
            startup_failed("gateway " + short_key(m_config.gateway_identity) +
                           " is not in the topology and no listener is known");
            schedule_reconnect();
            return;
        }
        if (m_connector.joinable()) m_connector.join(); // the previous attempt has posted its result
        m_connecting = true;
        const std::uint64_t generation = ++m_generation;
        const Endpoint endpoint = *m_gateway_endpoint;
        const milliseconds timeout = to_ms(m_config.gateway_connection_timeout);
        m_connector = std::thread([this, generation, endpoint, timeout] {
            runtime::WsConnectionHandlers handlers;
            handlers.on_message = [this, generation](std::span<const std::uint8_t> data, bool binary) {
                post([this, generation, bytes = Bytes(data.begin(), data.end()), binary] {
                    on_gateway_frame(generation, bytes, binary);
                });
            };
            handlers.on_closed = [this, generation](std::error_code ec) {
                post([this, generation, ec] { on_gateway_closed(generation, ec); });
            };
            auto connection = runtime::WsConnection::connect(endpoint.host, endpoint.port, endpoint.target,
                                                             std::move(handlers), timeout, MAX_GATEWAY_FRAME);
            if (!connection) {
                post([this, generation, why = connection.error().message(), endpoint] {
                    m_connecting = false;
                    if (generation != m_generation) return;
                    const std::string text =
                        "cannot reach the gateway at " + endpoint.host + ":" + std::to_string(endpoint.port) + ": " + why;
                    if (!startup_failed(text)) link_problem(text);
                    schedule_reconnect();
                });
                return;
            }
            // shared_ptr: std::function needs a copyable callable.
            auto shared = std::make_shared<std::unique_ptr<runtime::WsConnection>>(std::move(*connection));
            post([this, generation, shared] {
                m_connecting = false;
                if (generation != m_generation) return;
                on_connected(std::move(*shared));
            });
        });
    }

    void on_connected(std::unique_ptr<runtime::WsConnection> connection) {
        m_connection = std::move(connection);
        m_link.reset();
        Bytes hello;
        if (m_need_register || !m_shared_key) {
            spdlog::info("registering at gateway {}", short_key(m_config.gateway_identity));
            hello = m_link.begin_register(m_rng, unix_seconds());
        } else {
            hello = m_link.begin_authenticate(*m_shared_key, m_rng, unix_seconds());
        }
        m_connection->send(std::move(hello), true);
    }

    void on_gateway_frame(std::uint64_t generation, const Bytes& data, bool binary) {
        if (generation != m_generation || !m_connection) return;
        if (!binary) {
            drop_connection("the gateway sent a text frame");
            return;
        }
        LinkOutput out = m_link.on_frame(data);
        for (auto& frame : out.frames) m_connection->send(std::move(frame), true);
        bool refused = false;
        for (auto& event : out.events) {
            if (auto* registered = std::get_if<LinkRegistered>(&event)) {
                on_ready(std::move(registered->shared_key));
            } else if (std::holds_alternative<LinkAuthenticated>(event)) {
                on_ready(std::nullopt);
            } else if (auto* delivered = std::get_if<LinkDelivered>(&event)) {
                on_delivered(*delivered);
            } else if (auto* r = std::get_if<LinkRefused>(&event)) {
                refused = true;
                on_refused(*r);
            }
        }
        if (out.close && !refused) drop_connection("protocol error");
    }

    void on_ready(std::optional<wire::gateway::SharedKey> new_key) {
        if (new_key) {
            m_shared_key = std::move(new_key);
            m_need_register = false;
            if (auto saved = save_shared_key(m_config, *m_shared_key); !saved)
                spdlog::error("could not store the gateway's shared key: {}", saved.error().message());
            if (m_save_config) {
                if (auto saved = save_config(m_config, m_config_file); !saved)
                    spdlog::error("could not update the config: {}", saved.error().message());
                m_save_config = false;
            }
            spdlog::info("registered at gateway {}", short_key(m_config.gateway_identity));
        } else if (m_link_failures != 0) {
            spdlog::info("gateway link back after {} failed attempt(s)", m_link_failures);
        } else {
            spdlog::info("authenticated at gateway {}", short_key(m_config.gateway_identity));
        }
        m_link_failures = 0;
        m_backoff = MIN_BACKOFF;
        m_reregister_attempted = false;
        m_registration_retries = 0;
        std::lock_guard lock(m_startup.mutex);
        if (!m_startup.done) {
            m_startup.done = true;
            m_startup.changed.notify_all();
        }
    }

    void on_delivered(const LinkDelivered& delivered) {
        // Handled in full before the id is acknowledged: a crash before the ack makes the gateway
        // deliver it again, and the core drops what it has already seen.
        for (auto& event : m_core.on_delivered(delivered.message, Clock::now())) {
            if (auto* received = std::get_if<MessageReceived>(&event)) {
                for (auto& push : m_api.on_received(*received))
                    m_server->ws_send(push.session, std::move(push.frame.data), push.frame.binary);
            } else if (auto* done = std::get_if<MessageDelivered>(&event)) {
                spdlog::debug("message {} delivered", done->id);
            } else if (auto* failed = std::get_if<MessageFailed>(&event)) {
                spdlog::warn("message {} abandoned: {}", failed->id, failed->reason);
            }
        }
        m_pending_acks.push_back(delivered.id);
    }

    void on_refused(const LinkRefused& refused) {
        using wire::gateway::ErrorCode;
        // A gateway that forgot us (its database was reset) or holds another key: register again
        // with our identity key, once per failure streak.
        const bool key_problem = refused.during_authentication && refused.code &&
                                 (*refused.code == ErrorCode::unknown_client || *refused.code == ErrorCode::invalid_mac);
        close_connection();
        if (key_problem && !m_reregister_attempted) {
            spdlog::warn("gateway refused our stored key ({}); registering again", refused.reason);
            m_reregister_attempted = true;
            m_need_register = true;
            post([this] { connect(); });
            return;
        }
        // Registration timestamps are whole seconds and must increase: a registration in the same
        // second as the previous one is refused as a replay. Try again in the next second.
        if (refused.code && *refused.code == ErrorCode::registration_refused && m_need_register &&
            m_registration_retries < 3) {
            ++m_registration_retries;
            spdlog::info("registration refused as not newer than the stored one; retrying in a second");
            m_reconnect_at = Clock::now() + milliseconds(1100);
            return;
        }
        if (!startup_failed("the gateway refused: " + refused.reason))
            link_problem("the gateway refused: " + refused.reason);
        schedule_reconnect();
    }

    void on_gateway_closed(std::uint64_t generation, std::error_code ec) {
        if (generation != m_generation || !m_connection) return;
        drop_connection("the gateway closed the connection" + (ec ? ": " + ec.message() : std::string()));
    }

    void drop_connection(const std::string& why) {
        close_connection();
        if (!startup_failed(why)) link_problem("gateway link lost (" + why + "); reconnecting");
        schedule_reconnect();
    }

    void close_connection() {
        ++m_generation; // callbacks of the old connection are ignored from now on
        m_link.reset();
        m_pending_acks.clear(); // unacknowledged deliveries come again on the next connection
        if (!m_connection) return;
        m_connection->close();
        // Joining a connection's thread may take up to a second (close handshake): do it elsewhere.
        auto done = std::make_shared<std::atomic<bool>>(false);
        m_reapers.push_back(Reaper{std::thread([c = std::move(m_connection), done]() mutable {
                                       c.reset();
                                       done->store(true);
                                   }),
                                   done});
        std::erase_if(m_reapers, [](Reaper& r) {
            if (!r.done->load()) return false;
            r.thread.join();
            return true;
        });
    }

    /// The first problem of a streak is a warning, the rest debug, so a dead gateway does not flood the log.
    void link_problem(const std::string& text) {
        if (m_link_failures++ == 0) spdlog::warn("{}", text);
        else spdlog::debug("{}", text);
    }

    void schedule_reconnect() {
        m_reconnect_at = Clock::now() + m_backoff;
        m_backoff = std::min(MAX_BACKOFF, m_backoff * 2);
    }

    /// During start-up a failure ends the wait (and the process); afterwards it only returns false.
    bool startup_failed(const std::string& why) {
        std::lock_guard lock(m_startup.mutex);
        if (m_startup.done) return false;
        m_startup.done = true;
        m_startup.failure = why;
        m_startup.changed.notify_all();
        return true;
    }

    Config m_config;
    std::filesystem::path m_config_file;
    std::optional<wire::gateway::SharedKey> m_shared_key;
    bool m_need_register;
    bool m_save_config;
    bool m_reregister_attempted = false;
    int m_registration_retries = 0;
    std::uint64_t m_link_failures = 0; ///< consecutive connection failures (loop thread)
    crypto::Rng& m_rng = crypto::system_rng();
    ClientCore m_core;
    std::string m_address;
    GatewayLink m_link;
    ApiHandler m_api;
    runtime::HttpServer* m_server;
    wire::directory::Topology m_topology;
    std::optional<Endpoint> m_gateway_endpoint;
    std::atomic<bool> m_routable{false}; ///< written by the loop, read by the topology thread
    bool m_warned_unroutable = false;
    TimePoint m_last_refresh_request{};

    std::unique_ptr<runtime::WsConnection> m_connection;
    std::uint64_t m_generation = 0;
    bool m_connecting = false;
    std::optional<TimePoint> m_reconnect_at;
    milliseconds m_backoff = MIN_BACKOFF;
    std::vector<std::uint64_t> m_pending_acks;
    std::vector<Reaper> m_reapers;

    StartupState m_startup;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_wake_topology;
    std::deque<std::function<void()>> m_tasks;
    bool m_stopping = false;
    bool m_refresh_requested = false; ///< guarded by m_mutex
    bool m_stopped = false;
    bool m_started = false;
    std::thread m_loop_thread;
    std::thread m_topology_thread;
    std::thread m_connector;
};

int startup_error(const std::string& message) {
    std::fprintf(stderr, "error: %s\n", message.c_str());
    return 1;
}

} // namespace

int run_client(RunOptions options) {
    Config& config = options.config;
    if (config.socket_type == SocketType::tcp)
        return startup_error("socket type 'tcp' is not supported in this version; use 'websocket' (or 'none')");

    auto keys = load_keys(config);
    if (!keys) return startup_error(keys.error().message());
    std::optional<wire::gateway::SharedKey> shared_key;
    if (!options.register_again) {
        auto key = load_shared_key(config);
        if (key) shared_key = std::move(*key);
        else spdlog::warn("no gateway shared key ({}); registering again", key.error().message());
    }

    auto topology = fetch_topology(config.directory_url, to_ms(config.topology_resolution_timeout));
    if (!topology) return startup_error(topology.error().message());

    std::unique_ptr<runtime::HttpServer> server;
    std::uint16_t port = 0;
    if (config.socket_type == SocketType::websocket) {
        runtime::ServerOptions server_options;
        server_options.host = "127.0.0.1";
        server_options.port = static_cast<std::uint16_t>(config.listening_port);
        server_options.handle_signals = true;
        server_options.server_name = "nym-client";
        server = std::make_unique<runtime::HttpServer>(server_options);
    } else {
        // No server to catch signals: wait for them with sigwait on the main thread. Blocked before
        // any thread starts, so every thread inherits the mask.
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &set, nullptr);
    }

    Client client(options, std::move(*keys), std::move(shared_key), std::move(*topology), server.get());
    if (server) {
        runtime::WsSessionOptions ws;
        ws.max_message_size = config.max_request_size + 1024 * 1024; // the handler answers oversize with an error
        ws.send_queue_limit = 65536;
        server->websocket_sessions("/mix", client.api_handlers(), ws);
        auto bound = server->listen();
        if (!bound)
            return startup_error("cannot listen on 127.0.0.1:" + std::to_string(config.listening_port) + ": " +
                                 bound.error().message());
        port = *bound;
    }

    client.start();
    if (auto failure = client.wait_ready(to_ms(config.gateway_connection_timeout) + 5s)) {
        client.stop();
        return startup_error(*failure);
    }

    if (server) {
        std::printf("nym-client listening on ws://127.0.0.1:%u/mix, address %s\n", static_cast<unsigned>(port),
                    client.address().c_str());
        std::fflush(stdout);
        server->run();
    } else {
        std::printf("nym-client running without a socket (socket_type none), address %s\n", client.address().c_str());
        std::fflush(stdout);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        int signal = 0;
        sigwait(&set, &signal);
    }
    spdlog::info("shutting down");
    client.stop();
    return 0;
}

} // namespace nym::client::app
