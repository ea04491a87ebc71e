// runtime::TcpService on loopback, against plain POSIX sockets: outbound peers that are forgotten,
// and the limits on inbound connections.
#include <runtime/loop.hpp>
#include <runtime/tcp.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <deque>
#include <future>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace nym::runtime {
namespace {

using namespace std::chrono_literals;

/// A loop running on its own thread; `on_loop` runs a function there and waits for its result.
class LoopThread {
public:
    explicit LoopThread(LoopOptions options = quiet()) : m_loop(options) {}
    ~LoopThread() { stop(); }
    void start() {
        m_thread = std::thread([this] { m_loop.run(); });
    }
    void stop() {
        if (!m_thread.joinable()) return;
        m_loop.stop();
        m_thread.join();
    }
    template <class F>
    auto on_loop(F f) {
        std::promise<decltype(f())> done;
        auto result = done.get_future();
        m_loop.post([&] {
            if constexpr (std::is_void_v<decltype(f())>) {
                f();
                done.set_value();
            } else {
                done.set_value(f());
            }
        });
        return result.get();
    }
    Loop& loop() { return m_loop; }

private:
    static LoopOptions quiet() {
        LoopOptions o;
        o.handle_signals = false;
        return o;
    }
    Loop m_loop;
    std::thread m_thread;
};

int listen_loopback(std::uint16_t& port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0) return -1;
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
    return fd;
}

int connect_loopback(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

/// What the peer reads until `timeout`: the bytes, and whether the connection was closed.
struct Read {
    std::vector<std::uint8_t> bytes;
    bool closed = false;
};
Read read_for(int fd, std::chrono::milliseconds timeout) {
    Read out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::uint8_t buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 20) <= 0) continue;
        const auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            out.closed = true;
            break;
        }
        out.bytes.insert(out.bytes.end(), buf, buf + n);
    }
    return out;
}

TEST(RuntimeTcp, AForgottenPeerIsClosedAndNeverAskedAgain) {
    std::uint16_t port = 0;
    const int listener = listen_loopback(port);
    ASSERT_GE(listener, 0);
    LoopThread lt;
    TcpService tcp(lt.loop());
    std::atomic<int> asked{0};
    std::atomic<bool> hand_out{true};
    OutboundHandlers handlers;
    handlers.next = [&](const PeerAddress&) -> std::optional<std::vector<std::uint8_t>> {
        ++asked;
        if (!hand_out.exchange(false)) return std::nullopt;
        return std::vector<std::uint8_t>{1, 2, 3};
    };
    handlers.on_written = [](const PeerAddress&) {};
    handlers.on_write_failed = [](const PeerAddress&, std::vector<std::uint8_t>) {};
    tcp.set_outbound(handlers);
    lt.start();
    const PeerAddress peer{"127.0.0.1", port};
    lt.on_loop([&] { tcp.wake_peer(peer); });
    const int accepted = ::accept(listener, nullptr, nullptr);
    ASSERT_GE(accepted, 0);
    EXPECT_EQ(read_for(accepted, 300ms).bytes.size(), 3u);
    EXPECT_EQ(lt.on_loop([&] { return tcp.connected_peers(); }), 1u);

    lt.on_loop([&] { tcp.forget_peer(peer); });
    EXPECT_TRUE(read_for(accepted, 2s).closed) << "the connection to a forgotten peer is closed";
    EXPECT_EQ(lt.on_loop([&] { return tcp.connected_peers(); }), 0u);
    const int asked_before = asked.load();
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(asked.load(), asked_before) << "next() is not asked for a forgotten peer";

    // A later wake starts afresh with a new connection.
    hand_out = true;
    lt.on_loop([&] { tcp.wake_peer(peer); });
    const int again = ::accept(listener, nullptr, nullptr);
    ASSERT_GE(again, 0);
    EXPECT_EQ(read_for(again, 300ms).bytes.size(), 3u);
    lt.stop();
    ::close(again);
    ::close(accepted);
    ::close(listener);
}

TEST(RuntimeTcp, InboundConnectionsArePerIpCappedAndClosedWhenIdle) {
    LoopThread lt;
    TcpOptions options;
    options.max_inbound_per_ip = 3;
    options.inbound_idle_timeout = 600ms;
    TcpService tcp(lt.loop(), options);
    InboundHandlers handlers;
    handlers.on_data = [](ConnectionId, std::span<const std::uint8_t>) { return true; };
    handlers.on_closed = [](ConnectionId) {};
    auto port = tcp.listen("127.0.0.1", 0, handlers);
    ASSERT_TRUE(port);
    lt.start();

    std::vector<int> fds;
    for (int i = 0; i < 3; ++i) fds.push_back(connect_loopback(*port));
    const int extra = connect_loopback(*port);
    EXPECT_TRUE(read_for(extra, 300ms).closed) << "a fourth connection from 127.0.0.1 is refused";
    EXPECT_EQ(lt.on_loop([&] { return tcp.inbound_connections(); }), 3u);
    EXPECT_EQ(lt.on_loop([&] { return tcp.refused_connections(); }), 1u);

    // One of them keeps talking: it outlives the idle timeout; the silent ones do not.
    for (int i = 0; i < 8; ++i) {
        const std::uint8_t byte = 0;
        ASSERT_EQ(::send(fds[0], &byte, 1, MSG_NOSIGNAL), 1);
        std::this_thread::sleep_for(150ms);
    }
    EXPECT_TRUE(read_for(fds[1], 100ms).closed);
    EXPECT_TRUE(read_for(fds[2], 100ms).closed);
    EXPECT_FALSE(read_for(fds[0], 100ms).closed);
    EXPECT_EQ(lt.on_loop([&] { return tcp.idle_closed_connections(); }), 2u);
    const int again = connect_loopback(*port);
    EXPECT_FALSE(read_for(again, 200ms).closed) << "slots freed by the idle timeout are usable again";
    lt.stop();
    for (int fd : fds) ::close(fd);
    ::close(extra);
    ::close(again);
}

TEST(RuntimeTcp, APeerClosingAnIdleConnectionIsNoticedBeforeTheNextWrite) {
    std::uint16_t port = 0;
    const int listener = listen_loopback(port);
    ASSERT_GE(listener, 0);
    LoopThread lt;
    TcpService tcp(lt.loop());
    std::atomic<int> pending{1};
    std::atomic<int> written{0};
    OutboundHandlers handlers;
    handlers.next = [&](const PeerAddress&) -> std::optional<std::vector<std::uint8_t>> {
        if (pending.load() == 0) return std::nullopt;
        --pending;
        return std::vector<std::uint8_t>{7};
    };
    handlers.on_written = [&](const PeerAddress&) { ++written; };
    handlers.on_write_failed = [&](const PeerAddress&, std::vector<std::uint8_t>) { ++pending; };
    tcp.set_outbound(handlers);
    lt.start();
    const PeerAddress peer{"127.0.0.1", port};
    lt.on_loop([&] { tcp.wake_peer(peer); });
    const int first = ::accept(listener, nullptr, nullptr);
    ASSERT_GE(first, 0);
    EXPECT_EQ(read_for(first, 300ms).bytes.size(), 1u);
    ::close(first); // e.g. the receiver's idle timeout
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(lt.on_loop([&] { return tcp.connected_peers(); }), 0u) << "the close was noticed";

    pending = 1;
    lt.on_loop([&] { tcp.wake_peer(peer); });
    const int second = ::accept(listener, nullptr, nullptr);
    ASSERT_GE(second, 0);
    EXPECT_EQ(read_for(second, 500ms).bytes.size(), 1u) << "the next frame goes to a fresh connection";
    EXPECT_EQ(written.load(), 2);
    lt.stop();
    ::close(second);
    ::close(listener);
}

TEST(RuntimeTcp, WritesOnWakeKeepTheirOrderWhenTheSocketFillsUp) {
    // write_on_wake: wake_peer() sends at once; what a full socket does not take, the writer sends
    // later, before anything newer. 200 buffers of 32 KiB (6.4 MB) to a peer that does not read yet.
    std::uint16_t port = 0;
    const int listener = listen_loopback(port);
    ASSERT_GE(listener, 0);
    LoopThread lt;
    TcpOptions options;
    options.write_on_wake = true;
    TcpService tcp(lt.loop(), options);
    std::deque<std::vector<std::uint8_t>> queue; // loop thread only
    std::vector<std::uint8_t> expected;
    int written = 0;  // loop thread only
    int recycled = 0; // loop thread only
    OutboundHandlers handlers;
    handlers.next = [&](const PeerAddress&) -> std::optional<std::vector<std::uint8_t>> {
        if (queue.empty()) return std::nullopt;
        auto bytes = std::move(queue.front());
        queue.pop_front();
        return bytes;
    };
    handlers.on_written = [&](const PeerAddress&) { ++written; };
    handlers.on_write_failed = [](const PeerAddress&, std::vector<std::uint8_t>) { ADD_FAILURE() << "no write fails"; };
    handlers.recycle = [&](std::vector<std::uint8_t> bytes) {
        EXPECT_FALSE(bytes.empty());
        ++recycled;
    };
    tcp.set_outbound(handlers);
    lt.start();
    const PeerAddress peer{"127.0.0.1", port};
    lt.on_loop([&] {
        queue.push_back({0xAA});
        tcp.wake_peer(peer);
    });
    const int accepted = ::accept(listener, nullptr, nullptr);
    ASSERT_GE(accepted, 0);
    ASSERT_EQ(read_for(accepted, 300ms).bytes, std::vector<std::uint8_t>{0xAA});
    ASSERT_EQ(lt.on_loop([&] { return written; }), 1) << "connected, and the writer is idle again";

    constexpr std::size_t BUFFERS = 200;
    constexpr std::size_t SIZE = 32 * 1024;
    for (std::size_t i = 0; i < BUFFERS; ++i)
        for (std::size_t j = 0; j < SIZE; ++j) expected.push_back(static_cast<std::uint8_t>((i * 31 + j * 7) & 0xff));
    lt.on_loop([&] {
        for (std::size_t i = 0; i < BUFFERS; ++i)
            queue.emplace_back(expected.begin() + static_cast<std::ptrdiff_t>(i * SIZE),
                               expected.begin() + static_cast<std::ptrdiff_t>((i + 1) * SIZE));
        tcp.wake_peer(peer);
    });
    EXPECT_LT(lt.on_loop([&] { return static_cast<std::size_t>(written); }), BUFFERS + 1)
        << "the socket cannot have taken 6.4 MB";
    std::vector<std::uint8_t> got;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (got.size() < expected.size() && std::chrono::steady_clock::now() < deadline) {
        auto more = read_for(accepted, 50ms);
        got.insert(got.end(), more.bytes.begin(), more.bytes.end());
        ASSERT_FALSE(more.closed);
    }
    ASSERT_EQ(got.size(), expected.size());
    EXPECT_TRUE(got == expected) << "every byte, in order";
    EXPECT_EQ(lt.on_loop([&] { return static_cast<std::size_t>(written); }), BUFFERS + 1);
    EXPECT_EQ(lt.on_loop([&] { return static_cast<std::size_t>(recycled); }), BUFFERS + 1);
    lt.stop();
    ::close(accepted);
    ::close(listener);
}

} // namespace
} // namespace nym::runtime
