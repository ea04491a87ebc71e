#pragma once
// One TCP connection as a byte stream owned by its caller, for proxies (the SOCKS5 client's
// application connections, the network requester's outbound connections): connect by name or
// address (resolved asynchronously), reads that can be paused (back-pressure), a write queue whose
// size is visible and that reports when it drains, half-close, close. Attached to a runtime::Loop;
// every callback runs on the I/O thread and every method is called there.
//
// Destroying a TcpStream closes the connection; no callback runs afterwards.

#include <runtime/loop.hpp>
#include <util/expected.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <vector>

namespace nym::runtime {

struct TcpStreamHandlers {
    std::function<void(std::span<const std::uint8_t>)> on_data; ///< bytes read (while not paused)
    std::function<void()> on_end;                               ///< the peer will send no more
    std::function<void(std::error_code)> on_error;              ///< the connection broke (not after close())
    std::function<void()> on_drained;                           ///< every queued byte was written
};

class TcpStream {
public:
    using ConnectDone = std::function<void(Expected<std::unique_ptr<TcpStream>>)>;
    /// Resolves `host` (a name or a literal) and connects to the first address that answers, within
    /// `timeout` (std::errc::timed_out). `done` runs on the I/O thread.
    static void connect(Loop& loop, const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout,
                        ConnectDone done);

    ~TcpStream();
    TcpStream(const TcpStream&) = delete;
    TcpStream& operator=(const TcpStream&) = delete;

    /// Starts reading (call once).
    void start(TcpStreamHandlers handlers);
    void pause_reading();
    void resume_reading();
    /// Queues bytes; written in order.
    void write(std::vector<std::uint8_t> bytes);
    [[nodiscard]] std::size_t queued_bytes() const noexcept;
    /// Sends FIN once the queue is written.
    void shutdown_write();
    /// Closes at once (queued bytes are dropped).
    void close();
    [[nodiscard]] const std::string& remote() const noexcept;

    struct Impl;
    explicit TcpStream(std::shared_ptr<Impl> impl);

private:
    std::shared_ptr<Impl> m_impl;
};

/// A listener that hands each accepted connection to its owner as a TcpStream.
class TcpAcceptor {
public:
    explicit TcpAcceptor(Loop& loop);
    ~TcpAcceptor();
    TcpAcceptor(const TcpAcceptor&) = delete;
    TcpAcceptor& operator=(const TcpAcceptor&) = delete;

    /// Binds and listens; the bound port. `on_accept` runs on the I/O thread per connection.
    [[nodiscard]] Expected<std::uint16_t> listen(const std::string& host, std::uint16_t port,
                                                 std::function<void(std::unique_ptr<TcpStream>)> on_accept);
    void close();

private:
    struct Impl;
    std::shared_ptr<Impl> m_impl;
};

} // namespace nym::runtime
