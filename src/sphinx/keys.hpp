#pragma once
// The per-hop key schedule shared by sender and node (sphinx-packet 0.1.0 src/header/keys.rs,
// 0.6.0 src/header/shared_secret.rs and src/payload/key.rs, src/crypto/mod.rs, src/header/mac.rs):
//   HKDF-SHA256(salt = none, ikm = s, info = HKDF_INPUT_SEED, L = 288)
//     = stream key 16 ‖ MAC key 16 ‖ payload key 192 ‖ blinding factor 32 ‖ replay tag 32
//   (0.1.0 asks for the first 256 bytes; HKDF's output does not depend on L, so they are the same.)
//   Seed versions: payload key = HKDF-SHA256(PAYLOAD_KEY_HKDF_SALT, bytes 32..48, PAYLOAD_KEY_HKDF_INFO, 192)
//   PRG(stream key) = AES-128-CTR, IV 0, 360 bytes;   MAC = HMAC-SHA256(MAC key, β)[0:16]

#include <crypto/lioness.hpp>
#include <crypto/secret.hpp>
#include <crypto/x25519.hpp>
#include <sphinx/constants.hpp>
#include <sphinx/types.hpp>

#include <array>
#include <cstdint>
#include <span>

namespace nym::sphinx {

/// The 32-byte X25519 output s shared by the sender and one hop.
using SharedSecret = crypto::SecretBytes<GROUP_ELEMENT_SIZE>;
using HeaderMac = std::array<std::uint8_t, HEADER_INTEGRITY_MAC_SIZE>;
using StreamKey = crypto::SecretBytes<STREAM_CIPHER_KEY_SIZE>;
using MacKey = crypto::SecretBytes<HEADER_INTEGRITY_MAC_KEY_SIZE>;
using BlindingFactor = crypto::SecretBytes<BLINDING_FACTOR_SIZE>;

using PayloadKeySeed = crypto::SecretBytes<PAYLOAD_KEY_SEED_SIZE>;

/// The HKDF output of one hop, split as the crate splits it. Wipes itself.
struct RoutingKeys {
    StreamKey stream_cipher_key;
    MacKey header_integrity_hmac_key;
    /// The Lioness key of this hop for the packet's version: HKDF bytes 32..224 (derive(s), and any
    /// version without seeds) or the key expanded from payload_key_seed (derive(s, seed version)).
    crypto::LionessKey payload_key;
    /// HKDF bytes 32..48, the 16-byte seed that 0.6.0's seed-carrying versions expand into the payload key.
    PayloadKeySeed payload_key_seed;
    BlindingFactor blinding_factor;
    /// HKDF bytes 256..288, sphinx-packet 0.6.0's replay tag.
    ReplayTag replay_tag;

    /// The legacy split: payload_key = HKDF bytes 32..224.
    [[nodiscard]] static RoutingKeys derive(const SharedSecret& shared_secret) noexcept;
    /// The split `version` uses (rules_for(version).payload_key_seeds picks the payload key).
    [[nodiscard]] static RoutingKeys derive(const SharedSecret& shared_secret, const Version& version) noexcept;
    /// b = blinding factor mod l, the legacy blinding scalar.
    [[nodiscard]] crypto::Scalar25519 blinding_scalar() const noexcept;
    /// The scalar a packet of `version` is blinded with: b mod l (legacy) or clamp(b) mod l (X25519).
    [[nodiscard]] crypto::Scalar25519 blinding_scalar(const Version& version) const noexcept;
};

/// 0.6.0's derive_payload_key: HKDF-SHA256(salt = PAYLOAD_KEY_HKDF_SALT, ikm = seed,
/// info = PAYLOAD_KEY_HKDF_INFO, L = 192).
[[nodiscard]] crypto::LionessKey derive_payload_key(const PayloadKeySeed& seed) noexcept;

/// 360 bytes of AES-128-CTR keystream under the hop's stream key (IV = 0).
void generate_pseudorandom_bytes(const StreamKey& key, std::span<std::uint8_t, STREAM_CIPHER_OUTPUT_LENGTH> out) noexcept;

/// HMAC-SHA256(MAC key, β) truncated to 16 bytes.
[[nodiscard]] HeaderMac compute_header_mac(const MacKey& key,
                                           std::span<const std::uint8_t, ENCRYPTED_ROUTING_INFO_SIZE> beta) noexcept;

} // namespace nym::sphinx
