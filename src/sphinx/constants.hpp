#pragma once
// Sphinx constants, byte-compatible with Nym's Rust crate sphinx-packet 0.1.0 (src/constants.rs) and
// Nym's packet sizes (nymsphinx params/src/packet_sizes.rs). See docs/protocol/sphinx.md for the
// byte layout these numbers describe. Names follow the Rust code so the two read side by side.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace nym::sphinx {

// --- Sizes in bytes (sphinx-packet 0.1.0, src/constants.rs) ---------------------------------------

inline constexpr std::size_t SECURITY_PARAMETER = 16;                          ///< k
inline constexpr std::size_t MAX_PATH_LENGTH = 5;                              ///< r_max, hops
inline constexpr std::size_t NODE_ADDRESS_LENGTH = 2 * SECURITY_PARAMETER;     ///< 32
inline constexpr std::size_t DESTINATION_ADDRESS_LENGTH = 2 * SECURITY_PARAMETER; ///< 32
inline constexpr std::size_t IDENTIFIER_LENGTH = SECURITY_PARAMETER;           ///< SURB id, 16
inline constexpr std::size_t FLAG_LENGTH = 1;
inline constexpr std::size_t VERSION_LENGTH = 3;                               ///< major, minor, patch
inline constexpr std::size_t DELAY_LENGTH = 8;                                 ///< u64 big-endian, nanoseconds
inline constexpr std::size_t HEADER_INTEGRITY_MAC_SIZE = SECURITY_PARAMETER;   ///< γ, truncated HMAC-SHA256
inline constexpr std::size_t GROUP_ELEMENT_SIZE = 32;                          ///< α, a Montgomery u-coordinate

/// flag ‖ version ‖ next address ‖ delay = 44.
inline constexpr std::size_t NODE_META_INFO_SIZE = FLAG_LENGTH + VERSION_LENGTH + NODE_ADDRESS_LENGTH + DELAY_LENGTH;
/// flag ‖ version ‖ destination ‖ identifier = 52.
inline constexpr std::size_t FINAL_NODE_META_INFO_LENGTH =
    FLAG_LENGTH + VERSION_LENGTH + DESTINATION_ADDRESS_LENGTH + IDENTIFIER_LENGTH;
/// One routing slot: meta info plus the next hop's MAC = 60.
inline constexpr std::size_t ROUTING_SLOT_SIZE = NODE_META_INFO_SIZE + HEADER_INTEGRITY_MAC_SIZE;
/// β = 60 · r_max = 300.
inline constexpr std::size_t ENCRYPTED_ROUTING_INFO_SIZE = ROUTING_SLOT_SIZE * MAX_PATH_LENGTH;
/// The per-hop keystream: 60 · (r_max + 1) = 360.
inline constexpr std::size_t STREAM_CIPHER_OUTPUT_LENGTH = ROUTING_SLOT_SIZE * (MAX_PATH_LENGTH + 1);
/// α ‖ γ ‖ β = 348, whatever the real route length.
inline constexpr std::size_t HEADER_SIZE = GROUP_ELEMENT_SIZE + HEADER_INTEGRITY_MAC_SIZE + ENCRYPTED_ROUTING_INFO_SIZE;

inline constexpr std::size_t STREAM_CIPHER_KEY_SIZE = 16;   ///< AES-128-CTR, IV = 16 zero bytes
inline constexpr std::size_t HEADER_INTEGRITY_MAC_KEY_SIZE = 16;
inline constexpr std::size_t PAYLOAD_KEY_SIZE = 192;        ///< one Lioness key
inline constexpr std::size_t BLINDING_FACTOR_SIZE = 32;
/// HKDF output: stream key ‖ MAC key ‖ payload key ‖ blinding factor = 256 (0.1.0 has no replay tag in it).
inline constexpr std::size_t ROUTING_KEYS_LENGTH =
    STREAM_CIPHER_KEY_SIZE + HEADER_INTEGRITY_MAC_KEY_SIZE + PAYLOAD_KEY_SIZE + BLINDING_FACTOR_SIZE;

/// Payload plaintext = 16 zero bytes ‖ message ‖ 0x01 ‖ 0x00…: 17 bytes more than the message.
inline constexpr std::size_t PAYLOAD_OVERHEAD_SIZE = SECURITY_PARAMETER + 1;
inline constexpr std::uint8_t PAYLOAD_PADDING_MARKER = 0x01;
/// Lioness needs a block longer than its 32-byte left half, so a payload has at least 33 bytes.
inline constexpr std::size_t MIN_PAYLOAD_SIZE = 33;
inline constexpr std::size_t DEFAULT_PAYLOAD_SIZE = 1024; ///< the crate's builder default; Nym overrides it

/// Routing flags (src/header/routing/mod.rs).
inline constexpr std::uint8_t FORWARD_HOP = 1;
inline constexpr std::uint8_t FINAL_HOP = 2;

/// The version the crate writes: its own CARGO_PKG_VERSION, 0.1.0 (INITIAL_LEGACY_VERSION upstream).
/// Processing parses the version bytes but, like the crate, does not reject other values.
using Version = std::array<std::uint8_t, VERSION_LENGTH>;
inline constexpr Version CURRENT_VERSION{0x00, 0x01, 0x00};

/// HKDF-SHA256 info (salt: none). The 97-byte string is the crate's HKDF_INPUT_SEED.
inline constexpr std::string_view HKDF_INPUT_SEED =
    "Dwste mou enan moxlo arketa makru kai ena upomoxlio gia na ton topothetisw kai tha kinisw thn gh.";
static_assert(HKDF_INPUT_SEED.size() == 97);

/// Our replay tag (the 0.1.0 format has none): SHA-256(REPLAY_TAG_DOMAIN ‖ shared secret).
inline constexpr std::size_t REPLAY_TAG_SIZE = 32;
inline constexpr std::string_view REPLAY_TAG_DOMAIN = "nym-cpp/sphinx/v1/replay-tag";

static_assert(NODE_META_INFO_SIZE == 44);
static_assert(FINAL_NODE_META_INFO_LENGTH == 52);
static_assert(ENCRYPTED_ROUTING_INFO_SIZE == 300);
static_assert(STREAM_CIPHER_OUTPUT_LENGTH == 360);
static_assert(HEADER_SIZE == 348);
static_assert(ROUTING_KEYS_LENGTH == 256);

/// Size of the final hop's random padding inside β for a route of `route_len` hops (1..5):
/// 300 − 60(r−1) − 52, i.e. 248 for r = 1 and 8 for r = 5.
constexpr std::size_t final_hop_padding_size(std::size_t route_len) noexcept {
    return ENCRYPTED_ROUTING_INFO_SIZE - ROUTING_SLOT_SIZE * (route_len - 1) - FINAL_NODE_META_INFO_LENGTH;
}

/// Largest message a payload of `payload_size` bytes carries (payload_size − 17).
constexpr std::size_t max_message_size(std::size_t payload_size) noexcept {
    return payload_size < PAYLOAD_OVERHEAD_SIZE ? 0 : payload_size - PAYLOAD_OVERHEAD_SIZE;
}

} // namespace nym::sphinx
