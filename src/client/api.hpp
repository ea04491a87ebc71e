#pragma once
// The application API of nym-client (docs/protocol/client-api.md) as a sans-IO handler: requests in,
// responses out. The messages and their JSON/binary forms are wire::client_api's; this handler
// decides what each request does (through ApiBackend), keeps the fetch buffer and pushes received
// messages to subscribed sessions.
//
// Every failure is answered with {"type":"error","message":...} as a text frame and the session stays
// usable. The handler never touches a socket. Not thread-safe: it runs on the client's loop thread
// with the core.

#include <client/core.hpp>

#include <util/expected.hpp>
#include <wire/client_api.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nym::client {

using ApiSessionId = std::uint64_t;

/// What the API needs from the rest of the client (client::Client implements it over ClientCore).
class ApiBackend {
public:
    virtual ~ApiBackend() = default;
    /// Queue a message; the error's message() is shown to the application.
    [[nodiscard]] virtual Expected<void> send(std::span<const std::uint8_t> message, const ParsedAddress& recipient,
                                              std::size_t reply_surbs) = 0;
    [[nodiscard]] virtual Expected<void> reply(const SenderTag& tag, std::span<const std::uint8_t> message) = 0;
    /// Addresses ("identity@gateway") of the clients registered at the topology's gateways.
    [[nodiscard]] virtual std::vector<std::string> clients() = 0;
    [[nodiscard]] virtual std::string own_address() = 0;
};

struct ApiLimits {
    std::size_t max_request_size = 32u * 1024 * 1024;  ///< bytes of one request frame
    std::size_t max_message_size = 16u * 1024 * 1024;  ///< bytes of one message payload
    std::size_t max_reply_surbs = 500;                 ///< per send (the core's limit)
    std::size_t max_buffered_messages = 10000;         ///< received but not yet fetched
    std::size_t max_buffered_bytes = 256u * 1024 * 1024;
};

using wire::client_api::BinaryRequest;
using wire::client_api::BinaryResponse;
using wire::client_api::parse_sender_tag;
using wire::client_api::sender_tag_to_string;
using ApiFrame = wire::client_api::Frame;
using ApiEncoding = wire::client_api::Encoding;

/// A frame for one session, produced outside a request (a pushed message).
struct ApiPush {
    ApiSessionId session = 0;
    ApiFrame frame;
};

struct ApiStats {
    std::uint64_t requests = 0, errors = 0, received = 0, pushed = 0, fetched = 0, dropped = 0;
};

class ApiHandler {
public:
    ApiHandler(ApiBackend& backend, ApiLimits limits);

    void open(ApiSessionId session);
    void close(ApiSessionId session);

    /// One websocket message from a session: the frames to send back to it, in order.
    [[nodiscard]] std::vector<ApiFrame> on_message(ApiSessionId session, std::span<const std::uint8_t> data,
                                                   bool binary);
    /// One parsed request (any framing): the responses, in order. `pushes` is how this session
    /// wants received messages pushed once it subscribes.
    [[nodiscard]] std::vector<wire::client_api::Response> handle(ApiSessionId session,
                                                                 const wire::client_api::Request& request,
                                                                 ApiEncoding pushes);
    /// An error response, counted in the stats (for requests refused before handle(), e.g. unparsable).
    [[nodiscard]] wire::client_api::Response error(std::string message);
    /// A message arrived from the mixnet: pushed to every subscribed session, or kept for `fetch`
    /// when none is subscribed (the oldest are dropped beyond the buffer limits).
    [[nodiscard]] std::vector<ApiPush> on_received(const MessageReceived& message);

    [[nodiscard]] std::size_t buffered() const noexcept { return m_buffer.size(); }
    [[nodiscard]] std::size_t subscribers() const noexcept;
    [[nodiscard]] const ApiStats& stats() const noexcept { return m_stats; }
    [[nodiscard]] wire::client_api::Limits wire_limits() const noexcept;

private:
    enum class Push : std::uint8_t { none, text, binary };
    std::vector<wire::client_api::Response> subscribe(ApiSessionId session, Push mode);
    void buffer(const MessageReceived& message);

    ApiBackend& m_backend;
    ApiLimits m_limits;
    std::map<ApiSessionId, Push> m_sessions;
    std::deque<MessageReceived> m_buffer;
    std::size_t m_buffer_bytes = 0;
    ApiStats m_stats;
};

} // namespace nym::client
