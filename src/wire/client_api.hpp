#pragma once
// The messages of nym-client's application API (docs/protocol/client-api.md): the original JSON
// requests and responses (send, fetch, getClients, ownDetails, error), the documented extensions
// (subscribe/unsubscribe and pushed "received" messages, send "withReplySurbs", reply through a
// sender tag) and the small binary format for payloads that are not text. Pure values with their
// parse/serialize, shared by the client's handler and by anything that talks to a client (a service
// provider, a SOCKS5 client), so both sides read and write the same bytes.
//
// One websocket message is one request or one response. Text frames carry JSON; binary frames carry
// tag (1 byte) ‖ body with big-endian integers. Errors are always JSON text frames.

#include <util/expected.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace nym::wire::client_api {

using Bytes = std::vector<std::uint8_t>;

inline constexpr std::size_t SENDER_TAG_SIZE = 16;
/// 16 random bytes naming an anonymous sender's reply SURBs at the recipient; base58 in JSON.
using SenderTag = std::array<std::uint8_t, SENDER_TAG_SIZE>;

/// Binary request tags (first byte of a binary frame); none is a printable ASCII character, so a
/// text payload sent by mistake in a binary frame is always refused as an unknown request.
enum class BinaryRequest : std::uint8_t { send = 0x01, reply = 0x02, fetch = 0x03, subscribe = 0x04 };
/// Binary response tags. Errors are always JSON text frames.
enum class BinaryResponse : std::uint8_t { send = 0x01, reply = 0x02, fetch = 0x03, subscribe = 0x04, received = 0x10 };

/// Bounds a reader applies while parsing a request.
struct Limits {
    std::size_t max_request_size = 32u * 1024 * 1024; ///< bytes of one request frame
    std::size_t max_message_size = 16u * 1024 * 1024; ///< bytes of one message payload
    std::size_t max_reply_surbs = 500;                ///< per send
};

// --- Requests ------------------------------------------------------------------------------------------

/// {"type":"send","message":...,"recipient_address":...[,"withReplySurbs":n]}; binary 0x01.
/// `recipient` is kept as text: the client resolves it ("identity@gateway" or a bare identity).
struct SendRequest {
    Bytes message;
    std::string recipient;
    std::size_t reply_surbs = 0;
};
/// {"type":"reply","senderTag":...,"message":...}; binary 0x02.
struct ReplyRequest {
    SenderTag sender_tag{};
    Bytes message;
};
struct FetchRequest {};       ///< {"type":"fetch"}; binary 0x03
struct GetClientsRequest {};  ///< {"type":"getClients"}
struct OwnDetailsRequest {};  ///< {"type":"ownDetails"}
struct SubscribeRequest {};   ///< {"type":"subscribe"}; binary 0x04 (pushes arrive as binary then)
struct UnsubscribeRequest {}; ///< {"type":"unsubscribe"}
using Request = std::variant<SendRequest, ReplyRequest, FetchRequest, GetClientsRequest, OwnDetailsRequest,
                             SubscribeRequest, UnsubscribeRequest>;

// --- Responses -----------------------------------------------------------------------------------------

/// A message from the mixnet, pushed to subscribers or returned by fetch.
struct Received {
    Bytes message;
    std::optional<SenderTag> sender_tag; ///< set when the sender attached reply SURBs
};
struct SendResponse {};
struct ReplyResponse {};
struct FetchResponse {
    std::vector<Received> messages;
};
struct ClientsResponse {
    std::vector<std::string> clients;
};
struct OwnDetailsResponse {
    std::string address;
};
struct SubscribeResponse {};
struct UnsubscribeResponse {};
struct ErrorResponse {
    std::string message;
};
using Response = std::variant<SendResponse, ReplyResponse, FetchResponse, ClientsResponse, OwnDetailsResponse,
                              SubscribeResponse, UnsubscribeResponse, Received, ErrorResponse>;

// --- Frames --------------------------------------------------------------------------------------------

enum class Encoding : std::uint8_t { text, binary };

/// One websocket message.
struct Frame {
    Bytes data;
    bool binary = false;
    [[nodiscard]] std::string_view text() const noexcept {
        return {reinterpret_cast<const char*>(data.data()), data.size()}; // NOLINT: byte view of text
    }
};

/// Why a frame is not a valid message, in the words the client answers with
/// ({"type":"error","message":...}).
struct ParseError {
    std::string message;
};

/// A request frame as the client reads it (text: JSON; binary: tag ‖ body). Every refusal names the
/// problem ("missing field 'message'", "binary send: truncated header", "request too large: ...").
[[nodiscard]] Expected<Request, ParseError> parse_request(std::span<const std::uint8_t> frame, bool binary,
                                                          const Limits& limits);
/// A response as the client writes it. Binary only for the responses that have a binary form
/// (send, reply, fetch, subscribe, received); the others, and every error, are JSON text.
[[nodiscard]] Frame serialize(const Response& response, Encoding encoding);

/// The application's side: a request frame (binary only for send, reply, fetch and subscribe) and
/// the parse of a response frame.
[[nodiscard]] Frame serialize(const Request& request, Encoding encoding);
[[nodiscard]] Expected<Response, ParseError> parse_response(std::span<const std::uint8_t> frame, bool binary);

/// Sender tags travel as base58 text in JSON.
[[nodiscard]] std::string sender_tag_to_string(const SenderTag& tag);
[[nodiscard]] std::optional<SenderTag> parse_sender_tag(std::string_view text);

} // namespace nym::wire::client_api
