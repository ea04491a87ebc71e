#pragma once
// The application side of a SOCKS connection, sans-IO: bytes from the application in, the bytes to
// answer and the CONNECT request out (RFC 1928 with the "no authentication" method; SOCKS4 and
// SOCKS4a as well). Names are kept as names: nothing here resolves anything.
//
//   Handshake h;
//   auto step = h.feed(bytes);        // write step.reply; on step.error close after writing;
//   if (step.request) ...             // CONNECT: open the stream, later answer with success_reply()
//                                     // or failure_reply(); h.leftover() is early application data

#include <util/expected.hpp>

#include <cstdint>
#include <optional>
#include <socks5/frames.hpp>
#include <span>
#include <system_error>

namespace nym::socks5 {

inline constexpr std::uint8_t SOCKS5_VERSION = 5;
inline constexpr std::uint8_t SOCKS4_VERSION = 4;
inline constexpr std::uint8_t METHOD_NO_AUTH = 0x00;
inline constexpr std::uint8_t METHOD_NONE_ACCEPTABLE = 0xff;
inline constexpr std::uint8_t COMMAND_CONNECT = 1;
/// SOCKS5 reply codes (RFC 1928 §6).
inline constexpr std::uint8_t REPLY_SUCCEEDED = 0x00;
inline constexpr std::uint8_t REPLY_GENERAL_FAILURE = 0x01;
inline constexpr std::uint8_t REPLY_NOT_ALLOWED = 0x02;
inline constexpr std::uint8_t REPLY_COMMAND_NOT_SUPPORTED = 0x07;
inline constexpr std::uint8_t REPLY_ADDRESS_NOT_SUPPORTED = 0x08;
/// SOCKS4 reply codes.
inline constexpr std::uint8_t SOCKS4_GRANTED = 0x5a;
inline constexpr std::uint8_t SOCKS4_REJECTED = 0x5b;
/// Longest handshake kept in memory (a SOCKS4a user id and name are each at most 255 bytes).
inline constexpr std::size_t MAX_HANDSHAKE = 1024;

struct ConnectRequest {
    std::uint8_t version = SOCKS5_VERSION; ///< 4 (SOCKS4/4a) or 5
    Target target;
};

struct HandshakeStep {
    Bytes reply;                           ///< write to the application now
    std::optional<ConnectRequest> request; ///< the CONNECT request is complete
    std::optional<std::error_code> error;  ///< refused: close after writing `reply`
};

class Handshake {
public:
    /// More bytes from the application. After a request or an error, further bytes are kept as leftover.
    [[nodiscard]] HandshakeStep feed(std::span<const std::uint8_t> bytes);
    /// Bytes the application sent after its request (to forward once the stream is open).
    [[nodiscard]] Bytes take_leftover();

private:
    enum class State { greeting, request, done };
    HandshakeStep step();
    State m_state = State::greeting;
    std::uint8_t m_version = 0;
    Bytes m_buffer;
};

/// The answer to a CONNECT that succeeded (bound address 0.0.0.0:0: the real one is the requester's).
[[nodiscard]] Bytes success_reply(std::uint8_t version);
/// The answer to a CONNECT that failed with a SOCKS5 reply code (SOCKS4: "rejected").
[[nodiscard]] Bytes failure_reply(std::uint8_t version, std::uint8_t code);

} // namespace nym::socks5
