#pragma once
// A raw-TCP event loop for nodes that speak a byte-stream protocol (the mix port): one I/O thread
// running listeners, outbound peer connections and timers, plus a worker pool for CPU-heavy work.
// Asio stays behind a pimpl; callers see byte spans and plain callbacks.
//
// Threading: every callback given here (on_data, on_closed, next, on_written, on_write_failed,
// timers) runs on the I/O thread, the one that calls run(). post() and post_work() are thread-safe;
// everything else must be called before run() or from the I/O thread.
//
// Outbound peers: wake_peer(p) makes sure a connection to p exists (connect timeout; on failure a
// reconnect backoff doubling from reconnect_initial to reconnect_max) and, while connected, writes
// whatever next(p) hands out until it returns std::nullopt. The bytes themselves stay with the
// caller (its own bounded queues) until a connection is ready to write them.

#include <util/expected.hpp>

#include <chrono>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace nym::runtime {

using ConnectionId = std::uint64_t;

/// Where an outbound connection goes: a numeric IP address ("127.0.0.1", "::1") and a port.
struct PeerAddress {
    std::string ip;
    std::uint16_t port = 0;
    friend auto operator<=>(const PeerAddress&, const PeerAddress&) = default;
    [[nodiscard]] std::string to_string() const;
};

struct TcpLoopOptions {
    std::uint32_t worker_threads = 1;
    bool handle_signals = true; ///< SIGINT/SIGTERM stop run()
    std::chrono::milliseconds connect_timeout{2000};
    std::chrono::milliseconds reconnect_initial{100};
    std::chrono::milliseconds reconnect_max{5000};
    std::size_t max_inbound_connections = 4096; ///< further connections are closed at once
    std::size_t read_buffer_size = 64 * 1024;
};

struct InboundHandlers {
    /// Bytes received on a connection. Return false to close it (e.g. a framing error).
    std::function<bool(ConnectionId, std::span<const std::uint8_t>)> on_data;
    /// The connection is gone (closed by either side); no more on_data for this id.
    std::function<void(ConnectionId)> on_closed;
};

struct OutboundHandlers {
    /// The next bytes to write to a peer, or std::nullopt when nothing is waiting.
    std::function<std::optional<std::vector<std::uint8_t>>(const PeerAddress&)> next;
    /// A buffer handed out by next() was written completely.
    std::function<void(const PeerAddress&)> on_written;
    /// A buffer handed out by next() could not be written (the connection broke); it is returned.
    std::function<void(const PeerAddress&, std::vector<std::uint8_t>)> on_write_failed;
};

class TcpLoop {
public:
    using TimePoint = std::chrono::steady_clock::time_point;

    explicit TcpLoop(TcpLoopOptions options = {});
    ~TcpLoop();
    TcpLoop(const TcpLoop&) = delete;
    TcpLoop& operator=(const TcpLoop&) = delete;

    /// Binds and listens; the bound port (useful with port 0) or the system error.
    [[nodiscard]] Expected<std::uint16_t> listen(const std::string& host, std::uint16_t port, InboundHandlers handlers);
    void set_outbound(OutboundHandlers handlers);
    /// There is something to send to `peer` (I/O thread only).
    void wake_peer(const PeerAddress& peer);

    /// Runs `task` on the I/O thread. Thread-safe.
    void post(std::function<void()> task);
    /// Runs `task` on the worker pool. Thread-safe.
    void post_work(std::function<void()> task);
    /// The one deadline timer: (re)arms it for `when`, replacing any earlier arming (I/O thread only).
    void arm_deadline(TimePoint when, std::function<void()> on_due);
    /// Calls `task` every `interval` on the I/O thread until stop().
    void every(std::chrono::milliseconds interval, std::function<void()> task);
    /// Called once on the I/O thread when the loop starts shutting down (signal or stop()).
    void on_shutdown(std::function<void()> task);

    /// Serves until stop() or a signal. On return the worker pool has been stopped and joined (work
    /// not yet started is abandoned), so nothing posted with post_work() runs afterwards.
    void run();
    /// Stops accepting, closes every connection and ends run(). Thread-safe.
    void stop();

    /// Counters, read on the I/O thread.
    [[nodiscard]] std::size_t inbound_connections() const noexcept;
    [[nodiscard]] std::size_t connected_peers() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace nym::runtime
