#pragma once
// Nym's encoding of a node's socket address inside the 32-byte Sphinx node address
// (nymtech/nym common/nymsphinx/addressing/src/nodes.rs, NymNodeRoutingAddress):
//   IPv4: 0x04 ‖ port (u16 BE) ‖ 4 address bytes  ‖ 25 zero bytes
//   IPv6: 0x06 ‖ port (u16 BE) ‖ 16 address bytes ‖ 13 zero bytes
// Parsing demands the zero padding, so every address has exactly one encoding.

#include <sphinx/types.hpp>
#include <util/expected.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace nym::sphinx {

inline constexpr std::uint8_t NODE_ADDRESS_TYPE_IPV4 = 4;
inline constexpr std::uint8_t NODE_ADDRESS_TYPE_IPV6 = 6;
inline constexpr std::size_t MAX_NODE_ADDRESS_UNPADDED_LEN = 1 + 2 + 16; ///< 19

/// An IP address and port, without any socket API (the library is sans-IO).
struct IpEndpoint {
    enum class Family : std::uint8_t { v4, v6 };

    Family family = Family::v4;
    std::array<std::uint8_t, 16> ip{}; ///< v4 uses the first 4 bytes, network order
    std::uint16_t port = 0;

    static IpEndpoint v4(std::array<std::uint8_t, 4> ip, std::uint16_t port) noexcept;
    static IpEndpoint v6(std::array<std::uint8_t, 16> ip, std::uint16_t port) noexcept;
    /// "1.2.3.4:1789" or "[::1]:1789". Errc::invalid_node_address on anything else.
    [[nodiscard]] static Expected<IpEndpoint> parse(std::string_view text);
    [[nodiscard]] std::string to_string() const;

    friend bool operator==(const IpEndpoint&, const IpEndpoint&) = default;
};

[[nodiscard]] NodeAddress encode_node_address(const IpEndpoint& endpoint) noexcept;
/// Errc::invalid_node_address for an unknown type byte or non-zero padding.
[[nodiscard]] Expected<IpEndpoint> decode_node_address(const NodeAddress& address);

} // namespace nym::sphinx
