#pragma once
// Building Sphinx packets, byte-compatible with sphinx-packet 0.1.0 and 0.6.0 (src/header/{keys,filler}.rs,
// src/header/routing/*.rs, src/payload/mod.rs, src/packet/builder.rs). docs/protocol/sphinx.md has
// the byte layout. A packet is header (348) ‖ payload (payload_size).
//
// `version` (default DEFAULT_VERSION = 00 01 00, sphinx-packet 0.1.0's) is written into every hop's
// routing info and selects the key derivation (rules_for): 0.6.0's builder with_version(v) gives the
// same bytes for the same inputs. 0.6.0 builds its legacy versions from the raw initial secret
// reduced mod l without clamping it; we clamp (as 0.1.0 does), so the two agree for a clamped secret.
//
// Every function that needs randomness has a deterministic twin taking the initial secret and the
// final hop's padding explicitly: the crate draws both from the OS, and known-answer vectors record them.

#include <crypto/rng.hpp>
#include <crypto/x25519.hpp>
#include <sphinx/keys.hpp>
#include <sphinx/types.hpp>
#include <util/expected.hpp>

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace nym::sphinx {

using Header = std::array<std::uint8_t, HEADER_SIZE>;

/// What the sender derives for hop i (KeyMaterial::derive).
struct HopKeyMaterial {
    crypto::MontgomeryPoint alpha;        ///< α_i = acc_i · G
    crypto::Scalar25519 accumulator;      ///< acc_i, reduced mod l
    SharedSecret shared_secret;           ///< s_i = acc_i · pk_i
    RoutingKeys keys;                     ///< HKDF(s_i), payload key as the version wants it
};

/// acc_0 = the clamped initial secret; α_i = acc_i·G; s_i = acc_i·pk_i; keys_i = HKDF(s_i);
/// acc_{i+1} = acc_i · keys_i.blinding_scalar(version): b mod l (legacy) or clamp(b) mod l (X25519
/// versions, equal to the crate's chain of X25519 calls). Errc::invalid_route_length for 0 or > 5
/// nodes, Errc::invalid_group_element for a public key of small order.
[[nodiscard]] Expected<std::vector<HopKeyMaterial>> derive_key_material(std::span<const RouteNode> route,
                                                                        const crypto::X25519SecretKey& initial_secret,
                                                                        const Version& version = DEFAULT_VERSION);

/// Φ_{r−1}, 60(r−1) bytes: Φ_i = (Φ_{i−1} ‖ 0^60) ⊕ PRG(k_{i−1})[360−60i : 360].
[[nodiscard]] std::vector<std::uint8_t> compute_filler(std::span<const HopKeyMaterial> hops);

/// The header, given the key material (derived for the same `version`). `delays` has route.size() entries (the last is never encoded)
/// or route.size() − 1; `final_hop_padding` has final_hop_padding_size(route.size()) bytes.
[[nodiscard]] Expected<Header> build_header(std::span<const RouteNode> route, std::span<const HopKeyMaterial> hops,
                                            std::span<const Delay> delays, const DestinationAddress& destination,
                                            const SurbIdentifier& surb_id, std::span<const std::uint8_t> final_hop_padding,
                                            const Version& version = DEFAULT_VERSION);

/// The payload: 0^16 ‖ message ‖ 0x01 ‖ 0… (payload_size bytes), Lioness-encrypted under the last
/// hop's key first and the first hop's key last. Writes into `out` (payload_size = out.size()).
/// Errc::payload_too_small, Errc::message_too_long.
[[nodiscard]] Expected<void> encrypt_payload(std::span<const crypto::LionessKey* const> keys_in_route_order,
                                             std::span<const std::uint8_t> message, std::span<std::uint8_t> out);

/// Deterministic packet creation (the crate's builder with_initial_secret, plus the padding).
[[nodiscard]] Expected<std::vector<std::uint8_t>> build_packet(const crypto::X25519SecretKey& initial_secret,
                                                               std::span<const std::uint8_t> final_hop_padding,
                                                               std::span<const RouteNode> route,
                                                               std::span<const Delay> delays,
                                                               const DestinationAddress& destination,
                                                               const SurbIdentifier& surb_id,
                                                               std::span<const std::uint8_t> message,
                                                               std::size_t payload_size,
                                                               const Version& version = DEFAULT_VERSION);

/// Packet creation with a fresh initial secret and padding drawn from `rng`.
[[nodiscard]] Expected<std::vector<std::uint8_t>> build_packet(std::span<const RouteNode> route,
                                                               std::span<const Delay> delays,
                                                               const DestinationAddress& destination,
                                                               const SurbIdentifier& surb_id,
                                                               std::span<const std::uint8_t> message,
                                                               std::size_t payload_size, crypto::Rng& rng,
                                                               const Version& version = DEFAULT_VERSION);

} // namespace nym::sphinx
