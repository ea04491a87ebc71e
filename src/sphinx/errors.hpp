#pragma once
// Errors of the Sphinx library. Every one is a property of the input (a packet from the network, a
// SURB from a peer, parameters from a caller), returned as a value, never thrown.

#include <system_error>
#include <type_traits>

namespace nym::sphinx {

enum class Errc {
    invalid_packet_length = 1, ///< shorter than header + the minimum payload, or not the size asked for
    invalid_header_mac,        ///< γ does not match HMAC(β): "failed to verify integrity MAC"
    invalid_routing_flag,      ///< the decrypted flag is neither FORWARD_HOP (1) nor FINAL_HOP (2)
    invalid_payload,           ///< no 16 leading zero bytes, or no 0x01 padding marker, at the final hop
    invalid_route_length,      ///< a route of 0 or more than MAX_PATH_LENGTH hops
    invalid_delay_count,       ///< delays must number route length (last unused) or route length − 1
    message_too_long,          ///< more than payload_size − 17 bytes
    payload_too_small,         ///< a payload_size below MIN_PAYLOAD_SIZE (Lioness needs > 32 bytes)
    invalid_group_element,     ///< α of small order or not canonically encoded, or a route key of small order
    invalid_surb,              ///< SURB bytes not header ‖ first hop ‖ 1..5 payload keys
    invalid_padding_length,    ///< explicit final-hop padding of the wrong size for the route
    invalid_node_address,      ///< not Nym's type(4|6) ‖ port ‖ IP ‖ zero-padding encoding
    unknown_packet_size,       ///< a tag or length that is none of Nym's packet sizes
};

const std::error_category& sphinx_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), sphinx_category()}; }

} // namespace nym::sphinx

template <>
struct std::is_error_code_enum<nym::sphinx::Errc> : std::true_type {};
