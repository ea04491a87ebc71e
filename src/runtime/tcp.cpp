// Raw TCP on a runtime::Loop (see tcp.hpp): one coroutine per inbound reader, a writer coroutine
// per inbound connection while it has bytes queued, one coroutine per outbound peer (gathering what
// next() hands out into one write).
#include <runtime/loop_core.hpp>
#include <runtime/tcp.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <map>
#include <sys/socket.h>
#include <sys/uio.h>
#include <system_error>
#include <utility>

namespace nym::runtime {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

void log_failure(std::exception_ptr e) {
    detail::log_exception("tcp task", e);
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
    bool forgotten = false;       // forget_peer(): the coroutine ends without calling back
    std::uint64_t generation = 0; // of the current connection, for its watcher
    bool closed_by_peer = false;  // reconnect only when there is something to send again
    bool idle = false;            // the writer sleeps with nothing to write: wake_peer() may write itself
    // Taken from next() by write_now() but not (completely) written yet: the writer sends them first.
    std::vector<std::vector<std::uint8_t>> pending;
    std::size_t pending_offset = 0; // bytes of pending.front() already written
};

struct Inbound {
    Inbound(tcp::socket s, std::string remote_ip)
        : socket(std::move(s)), ip(std::move(remote_ip)), idle_timer(socket.get_executor()) {}
    tcp::socket socket;
    std::string ip;
    asio::steady_timer idle_timer; // idle_watch() sleeps on it; cancelled when the connection ends
    std::chrono::steady_clock::time_point last_read = std::chrono::steady_clock::now();
    std::deque<std::vector<std::uint8_t>> out;
    bool writing = false;
    bool close_after_write = false;
    bool closed = false;
};

} // namespace

std::string PeerAddress::to_string() const {
    if (ip.find(':') != std::string::npos) return "[" + ip + "]:" + std::to_string(port);
    return ip + ":" + std::to_string(port);
}

struct TcpService::Impl : std::enable_shared_from_this<TcpService::Impl> {
    Impl(Loop& l, TcpOptions o) : loop(l), io(l.core().io), options(o), acceptor(io), accept_pause(io) {}

    Loop& loop;
    asio::io_context& io;
    TcpOptions options;
    tcp::acceptor acceptor;
    asio::steady_timer accept_pause; // after a failed accept()
    InboundHandlers inbound;
    OutboundHandlers outbound;
    std::map<ConnectionId, std::shared_ptr<Inbound>> connections;
    std::map<PeerAddress, std::shared_ptr<Peer>> peers;
    std::map<std::string, std::size_t> per_ip; // inbound connections per remote IP
    ConnectionId next_id = 1;
    bool stopping = false;
    std::uint64_t refused = 0;
    std::uint64_t idle_closed = 0;
    std::uint64_t accept_failed = 0;
    std::uint64_t accept_failed_logged = 0; // accept_failed at the last log line
    std::chrono::steady_clock::time_point accept_logged_at{};

    asio::awaitable<void> accept_loop();
    asio::awaitable<void> session(ConnectionId id, std::shared_ptr<Inbound> connection);
    asio::awaitable<void> write_loop(ConnectionId id, std::shared_ptr<Inbound> connection);
    asio::awaitable<void> idle_watch(std::shared_ptr<Inbound> connection);
    void log_accept_failure(const boost::system::error_code& ec);
    asio::awaitable<void> peer_loop(std::shared_ptr<Peer> peer);
    asio::awaitable<void> watch_peer(std::shared_ptr<Peer> peer, std::uint64_t generation);
    asio::awaitable<bool> connect(Peer& peer);
    /// TcpOptions::write_on_wake: writes what next() has for an idle, connected peer at once, without
    /// blocking; what the socket does not take goes to the writer coroutine (Peer::pending).
    void write_now(Peer& peer);
    /// A write to `peer` failed: close, hand the buffers back (last first), reconnect.
    void write_failed(Peer& peer, std::vector<std::vector<std::uint8_t>>& buffers, const std::string& why);
    std::vector<std::vector<std::uint8_t>> gather; // write_now()'s buffers (kept: no allocation per call)
    std::vector<iovec> iov;
    void close_listener();
    void close_all();
};

/// How often accept failures are logged at most (a flood of them must not flood the log).
constexpr std::chrono::seconds ACCEPT_LOG_INTERVAL{10};

bool out_of_resources(const boost::system::error_code& ec) {
    return ec == boost::system::errc::too_many_files_open || ec == boost::system::errc::too_many_files_open_in_system ||
           ec == boost::system::errc::no_buffer_space || ec == boost::system::errc::not_enough_memory;
}

void TcpService::Impl::log_accept_failure(const boost::system::error_code& ec) {
    ++accept_failed;
    const auto now = std::chrono::steady_clock::now();
    if (accept_failed_logged != 0 && now - accept_logged_at < ACCEPT_LOG_INTERVAL) return;
    const auto since = accept_failed - accept_failed_logged;
    if (since <= 1)
        spdlog::warn("runtime: accept failed: {}; pausing the listener", ec.message());
    else
        spdlog::warn("runtime: accept failed {} times in the last {} s (now: {}); pausing the listener", since,
                     ACCEPT_LOG_INTERVAL.count(), ec.message());
    accept_failed_logged = accept_failed;
    accept_logged_at = now;
}

asio::awaitable<void> TcpService::Impl::accept_loop() {
    auto self = shared_from_this();
    auto backoff = options.accept_backoff;
    while (!stopping) {
        auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
        if (ec) {
            if (stopping || ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
            // Out of descriptors: the pending connection stays in the backlog; retrying at once would
            // spin. Pause, longer while it lasts, and say so at most once per interval.
            log_accept_failure(ec);
            accept_pause.expires_after(out_of_resources(ec) ? backoff : options.accept_backoff);
            if (out_of_resources(ec)) backoff = std::min(backoff * 2, options.accept_backoff_max);
            co_await accept_pause.async_wait(use_tuple);
            continue;
        }
        backoff = options.accept_backoff;
        boost::system::error_code ignored;
        const auto remote = socket.remote_endpoint(ignored);
        const std::string ip = ignored ? std::string("?") : remote.address().to_string();
        if (connections.size() >= options.max_inbound_connections ||
            (options.max_inbound_per_ip != 0 && per_ip[ip] >= options.max_inbound_per_ip)) {
            if (per_ip[ip] == 0) per_ip.erase(ip);
            ++refused;
            socket.close(ignored);
            continue;
        }
        socket.set_option(tcp::no_delay(true), ignored);
        const ConnectionId id = next_id++;
        if (inbound.on_open) {
            const std::string text = ip == "?" ? ip : PeerAddress{ip, remote.port()}.to_string();
            if (!inbound.on_open(id, text)) {
                socket.close(ignored);
                continue;
            }
        }
        auto connection = std::make_shared<Inbound>(std::move(socket), ip);
        ++per_ip[ip];
        connections.emplace(id, connection);
        asio::co_spawn(io, session(id, connection), log_failure);
        if (options.inbound_idle_timeout.count() > 0) asio::co_spawn(io, idle_watch(connection), log_failure);
    }
}

asio::awaitable<void> TcpService::Impl::idle_watch(std::shared_ptr<Inbound> connection) {
    auto self = shared_from_this();
    while (!stopping && !connection->closed) {
        const auto due = connection->last_read + options.inbound_idle_timeout;
        if (std::chrono::steady_clock::now() >= due) {
            ++idle_closed;
            boost::system::error_code ignored;
            connection->socket.close(ignored); // the reader notices and ends the connection
            co_return;
        }
        connection->idle_timer.expires_at(due);
        co_await connection->idle_timer.async_wait(use_tuple);
    }
}

asio::awaitable<void> TcpService::Impl::session(ConnectionId id, std::shared_ptr<Inbound> connection) {
    auto self = shared_from_this();
    std::vector<std::uint8_t> buffer(options.read_buffer_size);
    while (!stopping && !connection->closed) {
        auto [ec, n] = co_await connection->socket.async_read_some(asio::buffer(buffer), use_tuple);
        if (ec) break;
        connection->last_read = std::chrono::steady_clock::now();
        if (inbound.on_data && !inbound.on_data(id, std::span<const std::uint8_t>(buffer.data(), n))) break;
    }
    connection->closed = true;
    connection->out.clear();
    connection->idle_timer.cancel();
    boost::system::error_code ignored;
    connection->socket.shutdown(tcp::socket::shutdown_both, ignored);
    connection->socket.close(ignored);
    connections.erase(id);
    if (auto it = per_ip.find(connection->ip); it != per_ip.end() && --it->second == 0) per_ip.erase(it);
    if (inbound.on_closed) inbound.on_closed(id);
}

asio::awaitable<void> TcpService::Impl::write_loop(ConnectionId id, std::shared_ptr<Inbound> connection) {
    auto self = shared_from_this();
    (void)id;
    while (!connection->closed && !connection->out.empty()) {
        std::vector<std::uint8_t> bytes = std::move(connection->out.front());
        connection->out.pop_front();
        auto [ec, n] = co_await asio::async_write(connection->socket, asio::buffer(bytes), use_tuple);
        if (ec) {
            boost::system::error_code ignored;
            connection->socket.close(ignored); // the reader notices and ends the connection
            break;
        }
    }
    connection->writing = false;
    if (connection->close_after_write && !connection->closed) {
        boost::system::error_code ignored;
        connection->socket.shutdown(tcp::socket::shutdown_both, ignored);
        connection->socket.close(ignored);
    }
}

asio::awaitable<bool> TcpService::Impl::connect(Peer& peer) {
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

asio::awaitable<void> TcpService::Impl::peer_loop(std::shared_ptr<Peer> peer) {
    auto self = shared_from_this();
    auto backoff = options.reconnect_initial;
    std::vector<std::vector<std::uint8_t>> batch;
    std::vector<asio::const_buffer> buffers;
    while (!stopping && !peer->forgotten) {
        if (!peer->connected && peer->closed_by_peer) {
            peer->wakeup.expires_at(asio::steady_timer::time_point::max());
            co_await peer->wakeup.async_wait(use_tuple); // wake_peer()
            peer->closed_by_peer = false;
            continue;
        }
        if (!peer->connected) {
            const bool connected = co_await connect(*peer);
            if (peer->forgotten) break;
            if (connected) {
                peer->connected = true;
                backoff = options.reconnect_initial;
                asio::co_spawn(io, watch_peer(peer, ++peer->generation), log_failure);
                spdlog::info("runtime: connected to {}", peer->address.to_string());
            } else {
                if (stopping || peer->forgotten) break;
                spdlog::debug("runtime: cannot connect to {}; retrying in {} ms", peer->address.to_string(),
                              backoff.count());
                peer->wakeup.expires_after(backoff); // stop() cancels it
                co_await peer->wakeup.async_wait(use_tuple);
                backoff = std::min(backoff * 2, options.reconnect_max);
                continue;
            }
        }
        while (!stopping && peer->connected && !peer->forgotten) {
            // Gather what is waiting into one write (one system call for a burst): first what
            // write_now() could not finish.
            batch.clear();
            buffers.clear();
            std::size_t gathered = 0;
            for (auto& bytes : peer->pending) {
                gathered += bytes.size();
                batch.push_back(std::move(bytes));
            }
            peer->pending.clear();
            const std::size_t skip = std::exchange(peer->pending_offset, 0);
            while (outbound.next && batch.size() < std::max<std::size_t>(options.max_gather_buffers, 1) &&
                   (batch.empty() || gathered < options.max_gather_bytes)) {
                auto bytes = outbound.next(peer->address);
                if (!bytes) break;
                gathered += bytes->size();
                batch.push_back(std::move(*bytes));
            }
            if (batch.empty()) break;
            for (const auto& bytes : batch) buffers.emplace_back(bytes.data(), bytes.size());
            buffers.front() += skip;
            auto [ec, n] = co_await asio::async_write(peer->socket, buffers, use_tuple);
            if (peer->forgotten) break;
            if (ec) {
                write_failed(*peer, batch, ec.message());
                break;
            }
            for (auto& bytes : batch) {
                if (outbound.on_written) outbound.on_written(peer->address);
                if (outbound.recycle) outbound.recycle(std::move(bytes));
            }
        }
        if (!peer->connected || stopping || peer->forgotten) continue;
        // Idle: sleep until wake_peer() cancels the timer (or, with write_on_wake, writes itself
        // and cancels it only for what the socket did not take).
        peer->wakeup.expires_at(asio::steady_timer::time_point::max());
        peer->idle = true;
        co_await peer->wakeup.async_wait(use_tuple);
        peer->idle = false;
    }
    boost::system::error_code ignored;
    peer->socket.close(ignored);
}

// The mix protocol is one-way: a peer that sends anything, or closes (e.g. its idle timeout), ends
// the connection here at once, so the next frame goes to a fresh connection instead of into a socket
// the peer no longer reads.
asio::awaitable<void> TcpService::Impl::watch_peer(std::shared_ptr<Peer> peer, std::uint64_t generation) {
    auto self = shared_from_this();
    std::uint8_t byte = 0;
    co_await peer->socket.async_read_some(asio::buffer(&byte, 1), use_tuple);
    if (peer->generation != generation || !peer->connected || peer->forgotten || stopping) co_return;
    spdlog::debug("runtime: {} closed the connection", peer->address.to_string());
    boost::system::error_code ignored;
    peer->socket.close(ignored); // fails a write in progress: its buffer goes back via on_write_failed
    peer->connected = false;
    peer->closed_by_peer = true;
    peer->wakeup.cancel();
}

void TcpService::Impl::close_listener() {
    boost::system::error_code ec;
    acceptor.close(ec);
    accept_pause.cancel();
}

void TcpService::Impl::close_all() {
    if (stopping) return;
    stopping = true;
    close_listener();
    boost::system::error_code ec;
    for (auto& [id, connection] : connections) connection->socket.close(ec);
    for (auto& [address, peer] : peers) {
        peer->socket.close(ec);
        peer->wakeup.cancel();
    }
}

TcpService::TcpService(Loop& loop, TcpOptions options) : m_impl(std::make_shared<Impl>(loop, options)) {
    std::weak_ptr<Impl> weak = m_impl;
    loop.on_shutdown(ShutdownStage::stop_accepting, [weak] {
        if (auto impl = weak.lock()) impl->close_listener();
    });
    loop.on_shutdown(ShutdownStage::drain, [weak] {
        if (auto impl = weak.lock()) impl->close_all();
    });
}

TcpService::~TcpService() {
    // Coroutines still suspended hold the Impl; closing everything lets them end when the loop runs.
    if (m_impl && !m_impl->stopping) m_impl->close_all();
}

Expected<std::uint16_t> TcpService::listen(const std::string& host, std::uint16_t port, InboundHandlers handlers) {
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
    asio::co_spawn(impl.io, impl.accept_loop(), log_failure);
    return bound;
}

void TcpService::Impl::write_failed(Peer& peer, std::vector<std::vector<std::uint8_t>>& buffers,
                                    const std::string& why) {
    spdlog::info("runtime: connection to {} lost: {}", peer.address.to_string(), why);
    boost::system::error_code ignored;
    peer.socket.close(ignored);
    peer.connected = false;
    peer.closed_by_peer = false; // frames are waiting: reconnect now
    if (outbound.on_write_failed)
        for (auto it = buffers.rbegin(); it != buffers.rend(); ++it)
            if (!it->empty()) outbound.on_write_failed(peer.address, std::move(*it));
}

void TcpService::Impl::write_now(Peer& peer) {
    for (;;) { // batch after batch, until next() has nothing more or the socket is full
        gather.clear();
        iov.clear();
        std::size_t gathered = 0;
        while (gather.size() < std::max<std::size_t>(options.max_gather_buffers, 1) &&
               (gather.empty() || gathered < options.max_gather_bytes)) {
            auto bytes = outbound.next(peer.address);
            if (!bytes) break;
            gathered += bytes->size();
            gather.push_back(std::move(*bytes));
        }
        if (gather.empty()) return;
        for (auto& bytes : gather) iov.push_back(iovec{bytes.data(), bytes.size()});
        msghdr message{};
        message.msg_iov = iov.data();
        message.msg_iovlen = iov.size();
        const ssize_t sent = ::sendmsg(peer.socket.native_handle(), &message, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            write_failed(peer, gather, std::system_category().message(errno));
            peer.wakeup.cancel(); // the writer reconnects
            return;
        }
        auto left = static_cast<std::size_t>(std::max<ssize_t>(sent, 0));
        std::size_t done = 0;
        for (; done < gather.size() && left >= gather[done].size(); ++done) {
            left -= gather[done].size();
            if (outbound.on_written) outbound.on_written(peer.address);
            if (outbound.recycle) outbound.recycle(std::move(gather[done]));
        }
        if (done == gather.size()) continue;
        // The socket is full: the writer waits until it takes the rest (and then asks next() again).
        for (std::size_t i = done; i < gather.size(); ++i) peer.pending.push_back(std::move(gather[i]));
        peer.pending_offset = left;
        peer.wakeup.cancel();
        return;
    }
}

void TcpService::set_outbound(OutboundHandlers handlers) {
    m_impl->outbound = std::move(handlers);
}

void TcpService::wake_peer(const PeerAddress& address) {
    auto& impl = *m_impl;
    if (impl.stopping) return;
    auto it = impl.peers.find(address);
    if (it == impl.peers.end()) {
        auto peer = std::make_shared<Peer>(impl.io.get_executor(), address);
        impl.peers.emplace(address, peer);
        asio::co_spawn(impl.io, impl.peer_loop(peer), log_failure);
        return;
    }
    Peer& peer = *it->second;
    if (impl.options.write_on_wake && peer.connected && peer.idle && peer.pending.empty() && impl.outbound.next) {
        impl.write_now(peer); // the writer stays asleep unless the socket is full or broke
        return;
    }
    if (peer.connected || peer.closed_by_peer) peer.wakeup.cancel();
}

void TcpService::forget_peer(const PeerAddress& address) {
    auto& impl = *m_impl;
    auto it = impl.peers.find(address);
    if (it == impl.peers.end()) return;
    auto peer = it->second;
    impl.peers.erase(it);
    peer->forgotten = true;
    peer->connected = false;
    boost::system::error_code ignored;
    peer->socket.close(ignored); // aborts a pending connect or write
    peer->wakeup.cancel();       // ends an idle wait or a backoff
}

bool TcpService::send(ConnectionId id, std::vector<std::uint8_t> bytes) {
    auto& impl = *m_impl;
    auto it = impl.connections.find(id);
    if (it == impl.connections.end() || it->second->closed || it->second->close_after_write) return false;
    auto& connection = it->second;
    if (connection->out.size() >= impl.options.max_send_queue) {
        spdlog::warn("runtime: connection {} does not read what it asked for ({} buffers queued), closing it", id,
                     connection->out.size());
        boost::system::error_code ignored;
        connection->socket.close(ignored);
        return false;
    }
    connection->out.push_back(std::move(bytes));
    if (!connection->writing) {
        connection->writing = true;
        asio::co_spawn(impl.io, impl.write_loop(id, connection), log_failure);
    }
    return true;
}

void TcpService::close(ConnectionId id) {
    auto& impl = *m_impl;
    auto it = impl.connections.find(id);
    if (it == impl.connections.end()) return;
    auto& connection = it->second;
    if (connection->writing) {
        connection->close_after_write = true;
        return;
    }
    boost::system::error_code ignored;
    connection->socket.shutdown(tcp::socket::shutdown_both, ignored);
    connection->socket.close(ignored);
}

std::size_t TcpService::readable_bytes(ConnectionId id) const {
    auto it = m_impl->connections.find(id);
    if (it == m_impl->connections.end() || it->second->closed) return 0;
    boost::system::error_code ec;
    const std::size_t n = it->second->socket.available(ec); // FIONREAD: no data is read
    return ec ? 0 : n;
}

std::size_t TcpService::inbound_connections() const noexcept {
    return m_impl->connections.size();
}

std::uint64_t TcpService::refused_connections() const noexcept {
    return m_impl->refused;
}
std::uint64_t TcpService::idle_closed_connections() const noexcept {
    return m_impl->idle_closed;
}
std::uint64_t TcpService::accept_failures() const noexcept {
    return m_impl->accept_failed;
}

std::size_t TcpService::connected_peers() const noexcept {
    return static_cast<std::size_t>(std::count_if(m_impl->peers.begin(), m_impl->peers.end(),
                                                  [](const auto& entry) { return entry.second->connected; }));
}

} // namespace nym::runtime
