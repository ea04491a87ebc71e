// Raw-TCP event loop (see tcp.hpp). Coroutines on one io_context; a thread_pool for work.
#include <runtime/tcp.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <utility> // before Asio (see reference/dependencies.md)

namespace nym::runtime {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

void log_exception(std::exception_ptr e) {
    if (!e) return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        spdlog::error("runtime: tcp task failed: {}", ex.what());
    }
}

struct Peer {
    explicit Peer(asio::any_io_executor executor, PeerAddress a)
        : address(std::move(a)), socket(executor), wakeup(executor) {
        wakeup.expires_at(asio::steady_timer::time_point::max());
    }
    PeerAddress address;
    tcp::socket socket;
    asio::steady_timer wakeup; // cancelled to wake the writer
    bool connected = false;
};

} // namespace

std::string PeerAddress::to_string() const {
    if (ip.find(':') != std::string::npos) return "[" + ip + "]:" + std::to_string(port);
    return ip + ":" + std::to_string(port);
}

struct TcpLoop::Impl {
    explicit Impl(TcpLoopOptions o)
        : options(o), pool(std::max<std::uint32_t>(1, o.worker_threads)), acceptor(io), signals(io), deadline(io) {}

    TcpLoopOptions options;
    asio::io_context io{1};
    asio::thread_pool pool;
    tcp::acceptor acceptor;
    asio::signal_set signals;
    asio::steady_timer deadline;
    InboundHandlers inbound;
    OutboundHandlers outbound;
    std::map<ConnectionId, std::shared_ptr<tcp::socket>> connections;
    std::map<PeerAddress, std::shared_ptr<Peer>> peers;
    std::vector<std::shared_ptr<asio::steady_timer>> periodic;
    std::vector<std::function<void()>> shutdown_tasks;
    ConnectionId next_id = 1;
    bool stopping = false;

    asio::awaitable<void> accept_loop();
    asio::awaitable<void> session(ConnectionId id, std::shared_ptr<tcp::socket> socket);
    asio::awaitable<void> peer_loop(std::shared_ptr<Peer> peer);
    asio::awaitable<bool> connect(Peer& peer);
    void shutdown();
};

asio::awaitable<void> TcpLoop::Impl::accept_loop() {
    while (!stopping) {
        auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
        if (ec) {
            if (stopping || ec == asio::error::operation_aborted) co_return;
            spdlog::warn("runtime: accept failed: {}", ec.message());
            continue;
        }
        if (connections.size() >= options.max_inbound_connections) {
            boost::system::error_code ignored;
            socket.close(ignored);
            continue;
        }
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        const ConnectionId id = next_id++;
        auto shared = std::make_shared<tcp::socket>(std::move(socket));
        connections.emplace(id, shared);
        asio::co_spawn(io, session(id, shared), log_exception);
    }
}

asio::awaitable<void> TcpLoop::Impl::session(ConnectionId id, std::shared_ptr<tcp::socket> socket) {
    std::vector<std::uint8_t> buffer(options.read_buffer_size);
    while (!stopping) {
        auto [ec, n] = co_await socket->async_read_some(asio::buffer(buffer), use_tuple);
        if (ec) break;
        if (inbound.on_data && !inbound.on_data(id, std::span<const std::uint8_t>(buffer.data(), n))) break;
    }
    boost::system::error_code ignored;
    socket->shutdown(tcp::socket::shutdown_both, ignored);
    socket->close(ignored);
    connections.erase(id);
    if (inbound.on_closed) inbound.on_closed(id);
}

asio::awaitable<bool> TcpLoop::Impl::connect(Peer& peer) {
    boost::system::error_code ec;
    const auto ip = asio::ip::make_address(peer.address.ip, ec);
    if (ec) co_return false;
    const tcp::endpoint endpoint(ip, peer.address.port);
    peer.socket = tcp::socket(io);
    asio::steady_timer timer(io);
    timer.expires_after(options.connect_timeout);
    auto result = co_await (peer.socket.async_connect(endpoint, use_tuple) || timer.async_wait(use_tuple));
    if (result.index() == 1) {
        peer.socket.close(ec);
        co_return false;
    }
    const auto [connect_ec] = std::get<0>(result);
    if (connect_ec) {
        peer.socket.close(ec);
        co_return false;
    }
    peer.socket.set_option(tcp::no_delay(true), ec);
    co_return true;
}

asio::awaitable<void> TcpLoop::Impl::peer_loop(std::shared_ptr<Peer> peer) {
    auto backoff = options.reconnect_initial;
    while (!stopping) {
        if (!peer->connected) {
            if (co_await connect(*peer)) {
                peer->connected = true;
                backoff = options.reconnect_initial;
                spdlog::info("runtime: connected to {}", peer->address.to_string());
            } else {
                spdlog::debug("runtime: cannot connect to {}; retrying in {} ms", peer->address.to_string(),
                              backoff.count());
                asio::steady_timer timer(io);
                timer.expires_after(backoff);
                co_await timer.async_wait(use_tuple);
                backoff = std::min(backoff * 2, options.reconnect_max);
                continue;
            }
        }
        while (!stopping && peer->connected) {
            auto bytes = outbound.next ? outbound.next(peer->address) : std::nullopt;
            if (!bytes) break;
            auto [ec, n] = co_await asio::async_write(peer->socket, asio::buffer(*bytes), use_tuple);
            if (ec) {
                spdlog::info("runtime: connection to {} lost: {}", peer->address.to_string(), ec.message());
                boost::system::error_code ignored;
                peer->socket.close(ignored);
                peer->connected = false;
                if (outbound.on_write_failed) outbound.on_write_failed(peer->address, std::move(*bytes));
                break;
            }
            if (outbound.on_written) outbound.on_written(peer->address);
        }
        if (!peer->connected || stopping) continue;
        // Idle: sleep until wake_peer() cancels the timer.
        peer->wakeup.expires_at(asio::steady_timer::time_point::max());
        co_await peer->wakeup.async_wait(use_tuple);
    }
    boost::system::error_code ignored;
    peer->socket.close(ignored);
}

void TcpLoop::Impl::shutdown() {
    if (stopping) return;
    stopping = true;
    for (auto& task : shutdown_tasks) task();
    boost::system::error_code ec;
    acceptor.close(ec);
    signals.cancel(ec);
    deadline.cancel();
    for (auto& timer : periodic) timer->cancel();
    for (auto& [id, socket] : connections) socket->close(ec);
    for (auto& [address, peer] : peers) {
        peer->socket.close(ec);
        peer->wakeup.cancel();
    }
    io.stop();
}

TcpLoop::TcpLoop(TcpLoopOptions options) : m_impl(std::make_unique<Impl>(options)) {}

TcpLoop::~TcpLoop() {
    m_impl->pool.stop();
    m_impl->pool.join();
}

Expected<std::uint16_t> TcpLoop::listen(const std::string& host, std::uint16_t port, InboundHandlers handlers) {
    auto& impl = *m_impl;
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (ec) return Unexpected(std::error_code(ec.value(), std::system_category()));
    const tcp::endpoint endpoint(address, port);
    impl.acceptor.open(endpoint.protocol(), ec);
    if (!ec) impl.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) impl.acceptor.bind(endpoint, ec);
    if (!ec) impl.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        boost::system::error_code ignored;
        impl.acceptor.close(ignored);
        return Unexpected(std::error_code(ec.value(), std::system_category()));
    }
    impl.inbound = std::move(handlers);
    const auto bound = impl.acceptor.local_endpoint(ec).port();
    asio::co_spawn(impl.io, impl.accept_loop(), log_exception);
    return bound;
}

void TcpLoop::set_outbound(OutboundHandlers handlers) {
    m_impl->outbound = std::move(handlers);
}

void TcpLoop::wake_peer(const PeerAddress& address) {
    auto& impl = *m_impl;
    if (impl.stopping) return;
    auto it = impl.peers.find(address);
    if (it == impl.peers.end()) {
        auto peer = std::make_shared<Peer>(impl.io.get_executor(), address);
        impl.peers.emplace(address, peer);
        asio::co_spawn(impl.io, impl.peer_loop(peer), log_exception);
        return;
    }
    it->second->wakeup.cancel();
}

void TcpLoop::post(std::function<void()> task) {
    asio::post(m_impl->io, std::move(task));
}

void TcpLoop::post_work(std::function<void()> task) {
    asio::post(m_impl->pool, std::move(task));
}

void TcpLoop::arm_deadline(TimePoint when, std::function<void()> on_due) {
    auto& impl = *m_impl;
    if (impl.stopping) return;
    impl.deadline.expires_at(when);
    impl.deadline.async_wait([task = std::move(on_due)](const boost::system::error_code& ec) {
        if (!ec) task();
    });
}

void TcpLoop::every(std::chrono::milliseconds interval, std::function<void()> task) {
    auto& impl = *m_impl;
    auto timer = std::make_shared<asio::steady_timer>(impl.io);
    impl.periodic.push_back(timer);
    asio::co_spawn(
        impl.io,
        [&impl, timer, interval, task = std::move(task)]() -> asio::awaitable<void> {
            auto next = std::chrono::steady_clock::now() + interval;
            while (!impl.stopping) {
                timer->expires_at(next);
                auto [ec] = co_await timer->async_wait(use_tuple);
                if (ec || impl.stopping) co_return;
                task();
                next += interval;
                const auto now = std::chrono::steady_clock::now();
                if (next < now) next = now + interval;
            }
        },
        log_exception);
}

void TcpLoop::on_shutdown(std::function<void()> task) {
    m_impl->shutdown_tasks.push_back(std::move(task));
}

void TcpLoop::run() {
    auto& impl = *m_impl;
    if (impl.options.handle_signals) {
        impl.signals.add(SIGINT);
        impl.signals.add(SIGTERM);
        impl.signals.async_wait([&impl](const boost::system::error_code& ec, int signal) {
            if (ec) return;
            spdlog::info("runtime: signal {} received, shutting down", signal);
            impl.shutdown();
        });
    }
    impl.io.run();
    // No work item may outlive run(): callers destroy what the work captured once run() returns.
    impl.pool.stop();
    impl.pool.join();
}

void TcpLoop::stop() {
    asio::post(m_impl->io, [impl = m_impl.get()] { impl->shutdown(); });
}

std::size_t TcpLoop::inbound_connections() const noexcept {
    return m_impl->connections.size();
}

std::size_t TcpLoop::connected_peers() const noexcept {
    return static_cast<std::size_t>(std::count_if(m_impl->peers.begin(), m_impl->peers.end(),
                                                  [](const auto& entry) { return entry.second->connected; }));
}

} // namespace nym::runtime
