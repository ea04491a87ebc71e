#pragma once
// Errors of the client library: addresses, routing, messages, the gateway and the directory. Returned
// as values; the API turns each into {"type":"error","message":...}. Config and key files report
// node::ConfigError (node/config_file.hpp).

#include <system_error>
#include <type_traits>

namespace nym::client {

enum class Errc {
    invalid_address = 1,    ///< not "identity@gateway" / a base58 identity, or the recipient's gateway is unknown
    no_route,               ///< the topology lacks a mix node in some layer, or this client's gateway
    message_too_large,      ///< a message larger than the configured maximum
    unknown_sender_tag,     ///< a reply to a sender tag this client never received
    no_reply_surbs,         ///< every reply SURB of that sender has been used
    malformed_message,      ///< a delivered message that does not decrypt or parse
    gateway_error,          ///< the gateway refused registration or authentication, or could not be reached
    directory_error,        ///< the directory could not be reached or answered something unusable
    too_many_reply_surbs,   ///< send() asked for more reply SURBs than one message may carry (500)
};

const std::error_category& client_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), client_category()}; }

} // namespace nym::client

template <>
struct std::is_error_code_enum<nym::client::Errc> : std::true_type {};
