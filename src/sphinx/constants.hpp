#pragma once
// Sphinx constants, byte-compatible with Nym's Rust crate sphinx-packet 0.1.0 and 0.6.0
// (src/constants.rs, src/version.rs) and Nym's packet sizes (nymsphinx params/src/packet_sizes.rs).
// See docs/protocol/sphinx.md for the byte layout these numbers describe. Names follow the Rust code
// so the two read side by side.

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
/// HKDF output: stream key ‖ MAC key ‖ payload key ‖ blinding factor = 256 (0.1.0 stops here; 0.6.0
/// appends the replay tag, see EXPANDED_SHARED_SECRET_LENGTH).
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

/// The three version bytes of the routing info. sphinx-packet 0.6.0 reads them as 00 ‖ u16 BE
/// (Version::from_bytes) and lets the value choose the key derivation, see VersionRules.
using Version = std::array<std::uint8_t, VERSION_LENGTH>;

/// 00 01 00: what sphinx-packet 0.1.0 writes (its CARGO_PKG_VERSION). Our builder's default.
inline constexpr Version LEGACY_VERSION{0x00, 0x01, 0x00};
/// 00 00 01 and 00 01 01: 0.6.0's INITIAL_LEGACY_VERSION (1) and UPDATED_LEGACY_VERSION (257, what
/// 0.1.1 writes). Legacy derivation, like 00 01 00.
inline constexpr Version INITIAL_LEGACY_VERSION{0x00, 0x00, 0x01};
inline constexpr Version UPDATED_LEGACY_VERSION{0x00, 0x01, 0x01};
/// 00 01 02 (258): X25519 blinding, payload keys still the 192 HKDF bytes. What Nym's clients build
/// while `use_legacy_sphinx_format` is on (their default).
inline constexpr Version X25519_WITH_EXPLICIT_PAYLOAD_KEYS_VERSION{0x00, 0x01, 0x02};
/// 00 01 03 (259): X25519 blinding, payload keys expanded from 16-byte seeds. 0.6.0's CURRENT_VERSION.
inline constexpr Version PAYLOAD_KEYS_SEEDS_VERSION{0x00, 0x01, 0x03};
/// What build_packet and create_surb write unless told otherwise.
inline constexpr Version DEFAULT_VERSION = LEGACY_VERSION;

/// What the version bytes select, for building and for processing.
struct VersionRules {
    /// Legacy (false): a node blinds α with the unclamped (b mod l)·α, and the sender multiplies its
    /// accumulator by b mod l. Current (true): α' = X25519(b, α), the blinding factor clamped as an
    /// X25519 key, and the sender multiplies by clamp(b) mod l.
    bool x25519_blinding = false;
    /// The payload key is HKDF-SHA256(PAYLOAD_KEY_HKDF_SALT, seed, PAYLOAD_KEY_HKDF_INFO, 192) of the
    /// 16-byte seed at bytes 32..48 of the hop's expansion, instead of bytes 32..224 themselves.
    bool payload_key_seeds = false;
    friend constexpr bool operator==(const VersionRules&, const VersionRules&) = default;
};

/// 0.6.0's rules (Version::is_legacy, expects_legacy_full_payload_keys), except that 00 01 00 — the
/// version 0.1.0 writes — counts as legacy here, as in 0.1.0 (0.6.0 counts only 00 00 01 and
/// 00 01 01, and so processes a 0.1.0 packet with the current rules). 00 01 02 blinds with X25519 and
/// keeps full keys; every other value, 00 01 03 and unknown ones alike, gets the current rules, as in
/// the crate. The first byte is ignored, as the crate's release builds do.
constexpr VersionRules rules_for(const Version& version) noexcept {
    const unsigned value = (static_cast<unsigned>(version[1]) << 8) | version[2];
    if (value == 0x0001 || value == 0x0100 || value == 0x0101) return {false, false};
    if (value == 0x0102) return {true, false};
    return {true, true};
}

/// HKDF-SHA256 info (salt: none). The 97-byte string is the crate's HKDF_INPUT_SEED
/// (EXPANDED_SHARED_SECRET_HKDF_INFO in 0.6.0).
inline constexpr std::string_view HKDF_INPUT_SEED =
    "Dwste mou enan moxlo arketa makru kai ena upomoxlio gia na ton topothetisw kai tha kinisw thn gh.";
static_assert(HKDF_INPUT_SEED.size() == 97);

/// 32 bytes more HKDF output after the routing keys: sphinx-packet 0.6.0's replay tag (the hτ oracle),
/// the same for every version. A node sees the same tag exactly when it sees the same α.
inline constexpr std::size_t REPLAY_TAG_SIZE = 32;
inline constexpr std::size_t EXPANDED_SHARED_SECRET_LENGTH = ROUTING_KEYS_LENGTH + REPLAY_TAG_SIZE;

/// Seed-based payload keys (0.6.0 src/constants.rs, src/payload/key.rs).
inline constexpr std::size_t PAYLOAD_KEY_SEED_SIZE = SECURITY_PARAMETER;
inline constexpr std::string_view PAYLOAD_KEY_HKDF_SALT = "sphinx-payload-key-V01-CS01-HKDF:SHA256-SALT";
inline constexpr std::string_view PAYLOAD_KEY_HKDF_INFO = "sphinx-payload-key-V01-CS01-HKDF:SHA256-INFO";

static_assert(NODE_META_INFO_SIZE == 44);
static_assert(FINAL_NODE_META_INFO_LENGTH == 52);
static_assert(ENCRYPTED_ROUTING_INFO_SIZE == 300);
static_assert(STREAM_CIPHER_OUTPUT_LENGTH == 360);
static_assert(HEADER_SIZE == 348);
static_assert(ROUTING_KEYS_LENGTH == 256);
static_assert(EXPANDED_SHARED_SECRET_LENGTH == 288);

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
