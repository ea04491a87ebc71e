#pragma once
// An asynchronous websocket client for long-lived connections (e.g. a nym-client's link to its
// gateway), attached to a runtime::Loop: the handshake, the reader and the writer run on the loop's
// I/O thread, with an ordered send queue and callbacks for incoming messages. Boost.Beast stays
// behind the pimpl.

#include <runtime/errors.hpp>
#include <runtime/loop.hpp>
#include <util/expected.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <vector>

namespace nym::runtime {

struct WsConnectionHandlers {
    /// One whole incoming message, on the I/O thread, in order.
    std::function<void(std::span<const std::uint8_t> data, bool binary)> on_message;
    /// Exactly once, on the I/O thread, after the last on_message: the reason the connection ended
    /// (Errc::connection_closed for a close frame or EOF from the peer, an empty error_code after our
    /// own close(), a socket error otherwise). Not called once the WsConnection has been destroyed.
    std::function<void(std::error_code)> on_closed;
};

struct WsConnectOptions {
    std::chrono::milliseconds timeout{5000};   ///< resolve + connect + handshake
    std::size_t max_message_size = 1u << 20;   ///< larger incoming messages end the connection (1009)
    std::chrono::milliseconds idle_timeout{60000}; ///< pinged at half of it; dropped when nothing comes back
    std::chrono::milliseconds close_timeout{1000}; ///< how long close() may flush and finish the handshake
};

class WsConnection {
public:
    using ConnectCallback = std::function<void(Expected<std::unique_ptr<WsConnection>>)>;

    /// Connects (TCP + websocket handshake) and calls `done` on the I/O thread with the open
    /// connection or the error (the socket's error code, Errc::timeout, Errc::connection_closed).
    /// Thread-safe. `done` is not called if the loop stops first.
    static void connect(Loop& loop, std::string host, std::uint16_t port, std::string target,
                        WsConnectionHandlers handlers, WsConnectOptions options, ConnectCallback done);

    /// Closes (flushing what is queued, at most close_timeout); no handler runs afterwards. Safe from
    /// inside this connection's own handlers.
    ~WsConnection();
    WsConnection(const WsConnection&) = delete;
    WsConnection& operator=(const WsConnection&) = delete;

    /// Queues one message; messages go out in the order queued. Thread-safe. false once closed.
    bool send(std::vector<std::uint8_t> data, bool binary);
    /// Sends what is already queued, then a close frame, then closes. Thread-safe, idempotent;
    /// on_closed follows on the I/O thread.
    void close();
    /// true until close() is called, the peer closes or the connection fails.
    [[nodiscard]] bool is_open() const noexcept;
    /// The close code of the peer's close frame (e.g. 1000, 1008, 4xxx), 0 while open or when the
    /// connection ended without one. Set before on_closed runs.
    [[nodiscard]] std::uint16_t close_code() const noexcept;

    struct State; ///< implementation detail (kept alive by the I/O coroutines)

private:
    explicit WsConnection(std::shared_ptr<State> state);
    std::shared_ptr<State> m_state;
};

} // namespace nym::runtime
