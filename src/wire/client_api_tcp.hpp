#pragma once
// nym-client's TCP socket API (docs/protocol/client-api.md, "The TCP socket"): the protobuf
// Request/Response messages of the original client's socket API (client_api.proto), each framed by
// an 8-byte big-endian length, mapped onto the same requests and responses as the websocket API
// (wire::client_api). The protobuf types stay inside this library's .cpp: callers see
// wire::client_api values and bytes only.

#include <wire/client_api.hpp>

#include <util/expected.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace nym::wire::client_api::tcp {

/// u64 big-endian length of the protobuf bytes that follow (the original's encodeBigEndianLen).
inline constexpr std::size_t LENGTH_PREFIX_SIZE = 8;

/// RequestFlush: the original flushed its buffered writer. Every response is written at once here,
/// so a flush has nothing to do and gets no response (the original's examples write a request and
/// a flush, then read one response).
struct FlushRequest {};
/// What this socket carries: a subset of the API's requests, and flush.
using TcpRequest = std::variant<SendRequest, FetchRequest, GetClientsRequest, OwnDetailsRequest, FlushRequest>;
/// The API request of a TcpRequest other than a flush.
[[nodiscard]] Request to_request(TcpRequest request);

/// The byte stream of one connection cut into frames.
class FrameReader {
public:
    /// Frames larger than `max_frame` bytes are refused.
    explicit FrameReader(std::size_t max_frame) : m_max(max_frame) {}

    void feed(std::span<const std::uint8_t> bytes);
    /// The next whole frame (without its prefix), std::nullopt until one is complete, or the error
    /// once a prefix announces more than max_frame bytes: the stream cannot be followed past it, and
    /// every later call returns the same error.
    [[nodiscard]] Expected<std::optional<Bytes>, ParseError> next();
    [[nodiscard]] std::size_t buffered() const noexcept { return m_buffer.size(); }

private:
    std::size_t m_max;
    std::deque<std::uint8_t> m_buffer;
    std::optional<ParseError> m_failed;
};

/// One frame's protobuf Request. Refused: bytes that are not a Request, a Request with nothing in
/// its oneof, a message over `limits.max_message_size`.
[[nodiscard]] Expected<TcpRequest, ParseError> decode_request(std::span<const std::uint8_t> frame, const Limits& limits);
/// A response as a whole frame (prefix included). Errors become ResponseException; responses the
/// socket API has no message for (reply, subscribe, pushes) too, naming them.
[[nodiscard]] Bytes encode_response(const Response& response);

/// The application's side: a request as a whole frame, and the parse of one response frame (without
/// its prefix). Reply SURBs are not carried: a send with reply_surbs is refused.
[[nodiscard]] Expected<Bytes, ParseError> encode_request(const TcpRequest& request);
[[nodiscard]] Expected<Response, ParseError> decode_response(std::span<const std::uint8_t> frame);

} // namespace nym::wire::client_api::tcp
