#pragma once
// The websocket API of nym-client (docs/protocol/client-api.md) as a sans-IO handler: websocket
// frames in, frames out. Seed 003's JSON requests (send, fetch, getClients, ownDetails) with its
// exact responses, plus documented extensions: subscribe/unsubscribe (received messages pushed as
// {"type":"received",...}), send with "withReplySurbs", reply through a sender tag, and a small
// binary request format for payloads that are not text.
//
// Every failure is answered with {"type":"error","message":...} as a text frame and the session stays
// usable. The handler never touches a socket: the glue feeds frames from HttpServer sessions and
// sends what comes back. Not thread-safe: it runs on the client's loop thread with the core.

#include <client/core.hpp>

#include <util/expected.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nym::client {

using ApiSessionId = std::uint64_t;

/// What the API needs from the rest of the client (the glue implements it over ClientCore).
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

/// Binary request tags (first byte of a binary frame); none is a printable ASCII character, so a
/// text payload sent by mistake in a binary frame is always refused as an unknown request.
enum class BinaryRequest : std::uint8_t { send = 0x01, reply = 0x02, fetch = 0x03, subscribe = 0x04 };
/// Binary response tags. Errors are always JSON text frames.
enum class BinaryResponse : std::uint8_t { send = 0x01, reply = 0x02, fetch = 0x03, subscribe = 0x04, received = 0x10 };

struct ApiFrame {
    Bytes data;
    bool binary = false;
    [[nodiscard]] std::string_view text() const noexcept {
        return {reinterpret_cast<const char*>(data.data()), data.size()}; // NOLINT: byte view of text
    }
};

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
    /// A message arrived from the mixnet: pushed to every subscribed session, or kept for `fetch`
    /// when none is subscribed (the oldest are dropped beyond the buffer limits).
    [[nodiscard]] std::vector<ApiPush> on_received(const MessageReceived& message);

    [[nodiscard]] std::size_t buffered() const noexcept { return m_buffer.size(); }
    [[nodiscard]] std::size_t subscribers() const noexcept;
    [[nodiscard]] const ApiStats& stats() const noexcept { return m_stats; }

private:
    enum class Push : std::uint8_t { none, json, binary };
    std::vector<ApiFrame> on_text(ApiSessionId session, std::string_view text);
    std::vector<ApiFrame> on_binary(ApiSessionId session, std::span<const std::uint8_t> data);
    std::vector<ApiFrame> subscribe(ApiSessionId session, Push mode, ApiFrame ack);
    ApiFrame error(std::string_view message);
    void buffer(const MessageReceived& message);

    ApiBackend& m_backend;
    ApiLimits m_limits;
    std::map<ApiSessionId, Push> m_sessions;
    std::deque<MessageReceived> m_buffer;
    std::size_t m_buffer_bytes = 0;
    ApiStats m_stats;
};

/// Sender tags travel as base58 text in JSON.
[[nodiscard]] std::string sender_tag_to_string(const SenderTag& tag);
[[nodiscard]] std::optional<SenderTag> parse_sender_tag(std::string_view text);

} // namespace nym::client
