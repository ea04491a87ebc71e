#pragma once
// The stream messages that carry SOCKS connections through the mixnet between nym-socks5-client and
// nym-network-requester (docs/protocol/socks5.md). One message is the payload of one mixnet message;
// the codec is pure and total: every byte string decodes to a message or a typed error.
//
//   message = version (1) = 1 ‖ type (1) ‖ stream id (8, big-endian) ‖ body
//   OPEN    (1)  credit (4) ‖ address type (1) ‖ address ‖ port (2)     client → requester
//   OPENED  (2)  credit (4)                                             requester → client
//   DATA    (3)  sequence (8) ‖ bytes (1..MAX_DATA)                     both ways
//   CLOSE   (4)  sequence (8)                                           both ways (no more data)
//   RESET   (5)  code (1) ‖ reason length (1) ‖ reason (UTF-8)          both ways (stream aborted)
//   CREDIT  (6)  acknowledged sequence (8) ‖ consumed bytes (8)         both ways
//   PING    (7)  nonce (8)                    stream id 0               client → requester
//   PONG    (8)  nonce (8)                    stream id 0               requester → client
//   SURBS   (9)  wanted (2)                   stream id 0               requester → client (more reply SURBs)

#include <util/expected.hpp>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace nym::socks5 {

using Bytes = std::vector<std::uint8_t>;
using StreamId = std::uint64_t;

inline constexpr std::uint8_t FRAME_VERSION = 1;
inline constexpr std::size_t FRAME_HEADER_SIZE = 1 + 1 + 8;
/// DATA payload so that a DATA message fills exactly one mixnet fragment (1576 bytes, less the
/// one-byte message flags of the client's encoding and the DATA header).
inline constexpr std::size_t MAX_DATA = 1576 - 1 - FRAME_HEADER_SIZE - 8;
inline constexpr std::size_t MAX_REASON = 200;
inline constexpr std::size_t MAX_DOMAIN = 255;

enum class FrameType : std::uint8_t {
    open = 1,
    opened = 2,
    data = 3,
    close = 4,
    reset = 5,
    credit = 6,
    ping = 7,
    pong = 8,
    surbs = 9
};

/// Address types numbered as in SOCKS5 (RFC 1928 §5).
enum class AddressType : std::uint8_t { ipv4 = 1, domain = 3, ipv6 = 4 };

/// A CONNECT destination as the application gave it: names stay names (resolved by the requester).
struct Target {
    AddressType type = AddressType::ipv4;
    Bytes address; ///< 4 bytes, 16 bytes, or 1..255 bytes of host name
    std::uint16_t port = 0;
    friend bool operator==(const Target&, const Target&) = default;
};
/// "1.2.3.4", "::1" (without brackets) or the name.
[[nodiscard]] std::string host_text(const Target& target);
/// "1.2.3.4:80", "[::1]:80", "example.com:443".
[[nodiscard]] std::string to_string(const Target& target);
/// Checks one address (length by type; a name of 1..255 printable bytes without spaces). Errc::invalid_address.
[[nodiscard]] Expected<void> validate(const Target& target);

/// RESET codes, mapped one to one onto SOCKS5 reply codes (RFC 1928 §6) by the SOCKS side.
enum class ResetCode : std::uint8_t {
    general_failure = 1,     ///< SOCKS 0x01
    not_allowed = 2,         ///< SOCKS 0x02: the requester's allow-list refuses the destination
    network_unreachable = 3, ///< SOCKS 0x03
    host_unreachable = 4,    ///< SOCKS 0x04 (also: the name does not resolve)
    connection_refused = 5,  ///< SOCKS 0x05
    timed_out = 6,           ///< SOCKS 0x06 (TTL expired; used for connect and idle timeouts)
    limit_reached = 7,       ///< too many streams (SOCKS 0x01 with this reason)
    protocol_error = 8,      ///< the peer broke the stream protocol (SOCKS 0x01)
    peer_unreachable = 9,    ///< the other side stopped answering (SOCKS 0x01 / connection closed)
};
[[nodiscard]] std::uint8_t socks_reply_code(ResetCode code) noexcept;

struct Open {
    StreamId stream = 0;
    std::uint32_t credit = 0; ///< bytes the requester may send before the first CREDIT
    Target target;
    friend bool operator==(const Open&, const Open&) = default;
};
struct Opened {
    StreamId stream = 0;
    std::uint32_t credit = 0;
    friend bool operator==(const Opened&, const Opened&) = default;
};
struct Data {
    StreamId stream = 0;
    std::uint64_t sequence = 0; ///< 1, 2, ... shared with CLOSE
    Bytes bytes;
    friend bool operator==(const Data&, const Data&) = default;
};
struct Close {
    StreamId stream = 0;
    std::uint64_t sequence = 0;
    friend bool operator==(const Close&, const Close&) = default;
};
struct Reset {
    StreamId stream = 0;
    ResetCode code = ResetCode::general_failure;
    std::string reason;
    friend bool operator==(const Reset&, const Reset&) = default;
};
struct Credit {
    StreamId stream = 0;
    std::uint64_t acknowledged = 0; ///< every sequence number up to this one arrived
    std::uint64_t consumed = 0;     ///< bytes the application has taken; the sender may send up to consumed + window
    friend bool operator==(const Credit&, const Credit&) = default;
};
struct Ping {
    std::uint64_t nonce = 0;
    friend bool operator==(const Ping&, const Ping&) = default;
};
struct Pong {
    std::uint64_t nonce = 0;
    friend bool operator==(const Pong&, const Pong&) = default;
};
struct SurbRequest {
    std::uint16_t wanted = 0;
    friend bool operator==(const SurbRequest&, const SurbRequest&) = default;
};

using Frame = std::variant<Open, Opened, Data, Close, Reset, Credit, Ping, Pong, SurbRequest>;

[[nodiscard]] Bytes encode(const Frame& frame);
/// Errc::truncated, unsupported_version, unknown_message_type, unsupported_address, invalid_address,
/// invalid_field (stream id 0 on a stream message or non-zero on a session one, port 0, empty DATA,
/// DATA over MAX_DATA, sequence 0, a reason over MAX_REASON or an unknown RESET code), trailing_bytes.
[[nodiscard]] Expected<Frame> decode(std::span<const std::uint8_t> bytes);

/// The stream a message belongs to (0 for PING, PONG and SURBS).
[[nodiscard]] StreamId stream_of(const Frame& frame) noexcept;

} // namespace nym::socks5
