#pragma once
// Processing a Sphinx packet at a node (sphinx-packet 0.1.0 and 0.6.0 src/header/mod.rs,
// src/header/routing/nodes.rs, src/packet/mod.rs), sans-IO and in place: the caller's buffer holding
// header ‖ payload is rewritten into the packet for the next hop. Nothing on this path allocates.
//
// Order: s = X25519(sk, α) (small-order α → invalid_group_element); keys = HKDF(s), 288 bytes with
// the replay tag; γ checked in constant time against HMAC(β) before anything else is touched; then β
// is decrypted and the flag and version read. The version selects the rest (rules_for): α is blinded
// with the unclamped (b mod l)·α (legacy) or X25519(b, α) (current), and the payload is
// Lioness-decrypted once with the HKDF payload key or with the key expanded from its seed. Every
// version is accepted, as the crate accepts them; the result says which one the packet carried.
//
// Two stages, so a mix node can consult its replay cache before paying for the blinding and Lioness:
//   auto v = verify_header(packet, sk);          // DH + HKDF + MAC + replay tag; packet untouched
//   if (v && cache.insert(v->replay_tag)) auto r = finish_processing(packet, *v);
// process_packet() does both.

#include <crypto/x25519.hpp>
#include <sphinx/keys.hpp>
#include <sphinx/types.hpp>
#include <util/expected.hpp>

#include <cstdint>
#include <span>
#include <variant>

namespace nym::sphinx {

/// The packet goes on: after finish_processing the buffer holds the packet for `next_hop`
/// (same length: α' ‖ γ' ‖ β' ‖ payload decrypted once).
struct ForwardHop {
    NodeAddress next_hop;
    Delay delay;
    Version version; ///< as carried; it chose the blinding and the payload key (rules_for)
};

/// This node is the last hop. `message` points into the caller's buffer (the recovered plaintext:
/// after the 16 zero bytes, up to the last 0x01) and lives as long as that buffer is unchanged.
struct FinalHop {
    DestinationAddress destination;
    SurbIdentifier surb_id;
    Version version;
    std::span<const std::uint8_t> message;
};

struct ProcessedPacket {
    ReplayTag replay_tag; ///< sphinx-packet 0.6.0's replay tag (HKDF bytes 256..288), any version
    std::variant<ForwardHop, FinalHop> hop;

    [[nodiscard]] const Version& version() const noexcept {
        return std::visit([](const auto& h) -> const Version& { return h.version; }, hop);
    }
    [[nodiscard]] bool is_final() const noexcept { return std::holds_alternative<FinalHop>(hop); }
    [[nodiscard]] const ForwardHop* forward() const noexcept { return std::get_if<ForwardHop>(&hop); }
    [[nodiscard]] const FinalHop* final_hop() const noexcept { return std::get_if<FinalHop>(&hop); }
};

/// The outcome of the first stage: this hop's keys (secret, wiped on destruction; payload key still
/// the HKDF one, as the version is not read yet) and replay tag (= keys.replay_tag).
struct VerifiedHeader {
    RoutingKeys keys;
    ReplayTag replay_tag;
};

/// Smallest buffer process_packet accepts: header + MIN_PAYLOAD_SIZE (381 bytes).
inline constexpr std::size_t MIN_PACKET_SIZE = HEADER_SIZE + MIN_PAYLOAD_SIZE;

/// Stage 1. Reads but does not modify `packet`. Errc::invalid_packet_length,
/// Errc::invalid_group_element, Errc::invalid_header_mac.
[[nodiscard]] Expected<VerifiedHeader> verify_header(std::span<const std::uint8_t> packet,
                                                     const crypto::X25519SecretKey& node_key) noexcept;

/// Stage 2, on the same buffer that was verified. Errc::invalid_routing_flag and
/// Errc::invalid_group_element leave the buffer unchanged; Errc::invalid_payload (final hop only)
/// leaves the decrypted payload in it.
[[nodiscard]] Expected<ProcessedPacket> finish_processing(std::span<std::uint8_t> packet,
                                                          const VerifiedHeader& verified) noexcept;

/// verify_header + finish_processing.
[[nodiscard]] Expected<ProcessedPacket> process_packet(std::span<std::uint8_t> packet,
                                                       const crypto::X25519SecretKey& node_key) noexcept;

/// The crate's recover_plaintext: checks the 16 leading zero bytes and cuts at the last 0x01.
/// Errc::invalid_payload otherwise. The result points into `payload`.
[[nodiscard]] Expected<std::span<const std::uint8_t>> recover_plaintext(std::span<const std::uint8_t> payload) noexcept;

} // namespace nym::sphinx
