#pragma once
// Small blocking HTTP/1.1 and websocket clients (Boost.Beast behind a pimpl) for tests and
// command-line tools. Each call runs its own private I/O loop, so they work from any thread; daemons
// use the asynchronous HttpClient and WsConnection on their runtime::Loop instead. Plain TCP only.

#include <runtime/errors.hpp>
#include <runtime/http.hpp>
#include <runtime/http_client.hpp> // HttpResult, ClientOptions
#include <util/expected.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace nym::runtime {


/// One request on a fresh connection. Network failures come back as the socket's error code,
/// Errc::timeout when the deadline passes.
[[nodiscard]] Expected<HttpResult> http_request(std::string_view host, std::uint16_t port, std::string_view method,
                                                std::string_view target, std::string_view body = {},
                                                std::string_view content_type = CONTENT_TYPE_JSON,
                                                ClientOptions options = {});

/// Writes `raw` bytes as they are (for tests of malformed HTTP) and parses the answer.
[[nodiscard]] Expected<HttpResult> http_exchange_raw(std::string_view host, std::uint16_t port, std::string_view raw,
                                                     ClientOptions options = {});

struct WsMessage {
    std::string data;
    bool binary = false;
};

/// A blocking websocket client (one call at a time, from one thread at a time).
class WsClient {
public:
    WsClient(WsClient&&) noexcept;
    WsClient& operator=(WsClient&&) noexcept;
    ~WsClient();

    [[nodiscard]] static Expected<WsClient> connect(std::string_view host, std::uint16_t port, std::string_view target,
                                                    std::chrono::milliseconds timeout = std::chrono::seconds(5));
    /// The next text or binary message. Errc::timeout leaves the client unusable (the socket is closed).
    [[nodiscard]] Expected<std::string> read(std::chrono::milliseconds timeout);
    /// The next message and whether it was binary; same error rules as read().
    [[nodiscard]] Expected<WsMessage> read_message(std::chrono::milliseconds timeout);
    [[nodiscard]] Expected<void> send(std::string_view text, std::chrono::milliseconds timeout);
    [[nodiscard]] Expected<void> send_binary(std::span<const std::uint8_t> data, std::chrono::milliseconds timeout);
    /// After a read failed with Errc::connection_closed: the close code the peer sent (0 if none).
    [[nodiscard]] std::uint16_t close_code() const noexcept;
    /// Sends a close frame (best effort) and closes the socket.
    void close();

private:
    struct Impl;
    explicit WsClient(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace nym::runtime
