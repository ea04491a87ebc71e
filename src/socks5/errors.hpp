#pragma once
// Errors of the SOCKS5 front and of the stream protocol that carries its connections through the
// mixnet (docs/protocol/socks5.md). Returned as values: a bad SOCKS request is answered with a SOCKS
// reply code, a bad stream message resets that stream, and the daemons keep serving.

#include <system_error>
#include <type_traits>

namespace nym::socks5 {

enum class Errc {
    truncated = 1,         ///< a message shorter than its fields say
    unsupported_version,   ///< SOCKS version other than 4/5, or a stream message version other than 1
    no_acceptable_method,  ///< the SOCKS5 greeting offers no "no authentication" method
    unsupported_command,   ///< SOCKS BIND or UDP ASSOCIATE (only CONNECT is served)
    unsupported_address,   ///< an address type other than IPv4, domain name or IPv6
    invalid_address,       ///< an empty or over-long domain name, or one with bytes a host name cannot hold
    unknown_message_type,  ///< a stream message type this version does not define
    invalid_field,         ///< a field out of its range (zero port, empty data, oversize reason, stream id 0)
    trailing_bytes,        ///< bytes after the end of a fixed-size message
    window_exceeded,       ///< the peer sent beyond the credit it was given
    sequence_out_of_range, ///< a sequence number after a CLOSE, or too far ahead to be buffered
};

const std::error_category& socks5_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), socks5_category()};
}

} // namespace nym::socks5

template <>
struct std::is_error_code_enum<nym::socks5::Errc> : std::true_type {};
