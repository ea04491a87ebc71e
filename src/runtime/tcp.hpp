#pragma once
// Raw TCP for nodes that speak a byte-stream protocol (the mix port, the ABCI socket), attached to a
// runtime::Loop. Asio stays behind a pimpl; callers see byte spans and plain callbacks.
//
// Threading: every callback given here (on_data, on_closed, next, on_written, on_write_failed)
// runs on the loop's I/O thread, and every method must be called there too (or before the loop
// runs) — post() to the loop from other threads.
//
// Inbound: listen() accepts connections and hands their bytes to on_data; send() queues bytes back
// on an inbound connection (written in order), close() ends one. Budgets (TcpOptions): a global and
// a per-IP cap on inbound connections, an idle timeout, and a paced, rate-limited retry when
// accept() runs out of file descriptors.
// Outbound peers: wake_peer(p) makes sure a connection to p exists (connect timeout; on failure a
// reconnect backoff doubling from reconnect_initial to reconnect_max) and, while connected, writes
// whatever next(p) hands out until it returns std::nullopt — gathering up to max_gather_buffers
// buffers (max_gather_bytes) per write, i.e. one system call for a burst. The bytes themselves stay
// with the caller (its own bounded queues) until a connection is ready to write them.

#include <runtime/loop.hpp>
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

struct TcpOptions {
    std::chrono::milliseconds connect_timeout{2000};
    std::chrono::milliseconds reconnect_initial{100};
    std::chrono::milliseconds reconnect_max{5000};
    std::size_t max_inbound_connections = 4096; ///< further connections are closed at once
    /// Inbound connections from one IP address at a time; further ones are closed at once. 0 = no cap.
    std::size_t max_inbound_per_ip = 0;
    /// An inbound connection that sends nothing for this long is closed. 0 = never.
    std::chrono::milliseconds inbound_idle_timeout{0};
    /// After accept() fails for lack of resources (EMFILE, ENFILE, ENOBUFS, ENOMEM) the listener
    /// pauses this long, doubling up to accept_backoff_max while it keeps failing; other accept
    /// errors pause accept_backoff. Accept failures are logged at most once per log interval.
    std::chrono::milliseconds accept_backoff{50};
    std::chrono::milliseconds accept_backoff_max{1000};
    std::size_t read_buffer_size = 64 * 1024;
    std::size_t max_send_queue = 1024; ///< buffers queued by send() per inbound connection
    /// An outbound write gathers at most this many buffers from next(), and stops asking once it
    /// holds max_gather_bytes.
    std::size_t max_gather_buffers = 64;
    std::size_t max_gather_bytes = 256 * 1024;
    /// wake_peer() on a connected peer whose writer is idle writes what next() hands out at once
    /// (one non-blocking gathered send on the caller's stack) instead of waking the writer: the
    /// callbacks then run inside wake_peer(). What the socket does not take, the writer sends later.
    bool write_on_wake = false;
};

struct InboundHandlers {
    /// Bytes received on a connection. Return false to close it (e.g. a framing error).
    std::function<bool(ConnectionId, std::span<const std::uint8_t>)> on_data;
    /// The connection is gone (closed by either side); no more on_data for this id.
    std::function<void(ConnectionId)> on_closed;
    /// Optional: a new connection from `remote` ("ip:port"); return false to refuse it.
    std::function<bool(ConnectionId, const std::string& remote)> on_open;
};

struct OutboundHandlers {
    /// The next bytes to write to a peer, or std::nullopt when nothing is waiting. Called several
    /// times before one write (gather), in the order the buffers go out.
    std::function<std::optional<std::vector<std::uint8_t>>(const PeerAddress&)> next;
    /// A buffer handed out by next() was written completely (once per buffer, in order).
    std::function<void(const PeerAddress&)> on_written;
    /// A buffer handed out by next() could not be written (the connection broke); it is returned.
    /// When a gathered write fails, its buffers come back last first, so that putting each back at
    /// the front of a queue restores the original order.
    std::function<void(const PeerAddress&, std::vector<std::uint8_t>)> on_write_failed;
    /// Optional: a buffer handed out by next() is given back after on_written, for reuse (a pool);
    /// without it the buffer is freed.
    std::function<void(std::vector<std::uint8_t>)> recycle;
};

class TcpService {
public:
    /// Destroy the service before `loop`, and only once the loop has stopped running.
    TcpService(Loop& loop, TcpOptions options = {});
    ~TcpService();
    TcpService(const TcpService&) = delete;
    TcpService& operator=(const TcpService&) = delete;

    /// Binds and listens; the bound port (useful with port 0) or the system error. One listener per
    /// service.
    [[nodiscard]] Expected<std::uint16_t> listen(const std::string& host, std::uint16_t port, InboundHandlers handlers);
    void set_outbound(OutboundHandlers handlers);
    /// There is something to send to `peer`.
    void wake_peer(const PeerAddress& peer);
    /// Closes the connection to `peer` (or stops trying to reach it) and forgets it: next() is not
    /// asked for it again, and a buffer being written is neither confirmed nor returned. A later
    /// wake_peer() starts afresh.
    void forget_peer(const PeerAddress& peer);

    /// Queues bytes for an inbound connection; false (and nothing queued) when it is gone or its
    /// queue is full, which closes it.
    bool send(ConnectionId id, std::vector<std::uint8_t> bytes);
    /// Closes an inbound connection once what send() queued has been written.
    void close(ConnectionId id);

    /// Bytes received on an inbound connection and not yet handed to on_data (0 when it is gone):
    /// lets a caller see, inside on_data, that more input is already waiting.
    [[nodiscard]] std::size_t readable_bytes(ConnectionId id) const;

    /// Counters.
    [[nodiscard]] std::size_t inbound_connections() const noexcept;
    [[nodiscard]] std::size_t connected_peers() const noexcept;
    /// Inbound connections closed at once by the caps (total and per IP) since the start.
    [[nodiscard]] std::uint64_t refused_connections() const noexcept;
    /// Inbound connections closed for idleness since the start.
    [[nodiscard]] std::uint64_t idle_closed_connections() const noexcept;
    /// accept() failures since the start (e.g. EMFILE).
    [[nodiscard]] std::uint64_t accept_failures() const noexcept;

private:
    struct Impl;
    std::shared_ptr<Impl> m_impl;
};

} // namespace nym::runtime
