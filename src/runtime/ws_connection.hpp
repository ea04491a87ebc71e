#pragma once
// An asynchronous websocket client for long-lived connections (e.g. a nym-client's link to its
// gateway): one connection, its own I/O thread, an ordered unbounded send queue and callbacks for
// incoming messages. Boost.Beast stays behind the pimpl.

#include <runtime/errors.hpp>
#include <util/expected.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

namespace nym::runtime {

struct WsConnectionHandlers {
    /// One whole incoming message, on the connection's own thread, in order.
    std::function<void(std::span<const std::uint8_t> data, bool binary)> on_message;
    /// Exactly once, on the connection's thread, after the last on_message: the reason the
    /// connection ended (Errc::connection_closed for a close frame or EOF from the peer, an empty
    /// error_code after our own close(), a socket error otherwise).
    std::function<void(std::error_code)> on_closed;
};

class WsConnection {
public:
    /// Connects (TCP + websocket handshake) within `timeout`, then starts the connection's own I/O
    /// thread. Incoming messages larger than `max_message_size` end the connection (close 1009).
    /// Errors: the socket's error code, Errc::timeout, Errc::connection_closed.
    [[nodiscard]] static Expected<std::unique_ptr<WsConnection>> connect(
        std::string_view host, std::uint16_t port, std::string_view target, WsConnectionHandlers handlers,
        std::chrono::milliseconds timeout = std::chrono::seconds(5), std::size_t max_message_size = 1u << 20);

    /// Closes (best-effort close frame, at most ~1 s) and joins the I/O thread; on_closed has run
    /// when it returns. Safe from any thread, also from inside this connection's own handlers:
    /// there the thread cannot join itself, so it is detached and finishes on its own (it owns
    /// everything it still touches); no handler runs after the handler that destroyed it returns.
    ~WsConnection();
    WsConnection(const WsConnection&) = delete;
    WsConnection& operator=(const WsConnection&) = delete;

    /// Queues one message; messages go out in the order queued. Thread-safe. false once closed.
    bool send(std::vector<std::uint8_t> data, bool binary);
    /// Sends what is already queued, then a close frame (best effort), then closes. Thread-safe,
    /// idempotent; returns at once (on_closed follows on the connection's thread).
    void close();
    /// true until close() is called, the peer closes or the connection fails.
    [[nodiscard]] bool is_open() const noexcept;
    /// The close code of the peer's close frame (e.g. 1000, 1008, 4xxx), 0 while open or when the
    /// connection ended without one. Set before on_closed runs.
    [[nodiscard]] std::uint16_t close_code() const noexcept;

    struct State; ///< implementation detail (shared with the I/O thread)

private:
    explicit WsConnection(std::shared_ptr<State> state);
    std::shared_ptr<State> m_state;
};

} // namespace nym::runtime
