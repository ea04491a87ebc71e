#pragma once
// The per-hop key schedule shared by sender and node (sphinx-packet 0.1.0 src/header/keys.rs,
// src/crypto/mod.rs, src/header/mac.rs):
//   keys = HKDF-SHA256(salt = none, ikm = s, info = HKDF_INPUT_SEED, L = 256)
//        = stream key 16 ‖ MAC key 16 ‖ payload (Lioness) key 192 ‖ blinding factor 32
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

/// The HKDF output of one hop, split as the crate splits it. Wipes itself.
struct RoutingKeys {
    StreamKey stream_cipher_key;
    MacKey header_integrity_hmac_key;
    crypto::LionessKey payload_key;
    BlindingFactor blinding_factor;

    [[nodiscard]] static RoutingKeys derive(const SharedSecret& shared_secret) noexcept;
    /// b = blinding factor mod l, the scalar that blinds α for the next hop.
    [[nodiscard]] crypto::Scalar25519 blinding_scalar() const noexcept;
};

/// 360 bytes of AES-128-CTR keystream under the hop's stream key (IV = 0).
void generate_pseudorandom_bytes(const StreamKey& key, std::span<std::uint8_t, STREAM_CIPHER_OUTPUT_LENGTH> out) noexcept;

/// HMAC-SHA256(MAC key, β) truncated to 16 bytes.
[[nodiscard]] HeaderMac compute_header_mac(const MacKey& key,
                                           std::span<const std::uint8_t, ENCRYPTED_ROUTING_INFO_SIZE> beta) noexcept;

/// SHA-256(REPLAY_TAG_DOMAIN ‖ s): a node sees the same s exactly when it sees the same α, so the
/// tag identifies a replayed packet without revealing s. Our addition; the 0.1.0 wire format has no tag.
[[nodiscard]] ReplayTag derive_replay_tag(const SharedSecret& shared_secret) noexcept;

} // namespace nym::sphinx
