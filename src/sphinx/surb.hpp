#pragma once
// Single-use reply blocks (sphinx-packet 0.1.0 and 0.6.0 src/surb/mod.rs). The creator builds a
// header to itself and keeps nothing; whoever holds the SURB can send one packet along that route:
//   SURB bytes = header (348) ‖ first hop address (32) ‖ payload key material (route order), either
//     192-byte payload keys (legacy versions and 00 01 02), or
//     16-byte payload key seeds (versions whose rules_for() has payload_key_seeds, e.g. 00 01 03)
// A reader tells the two apart by length, as the crate does: fewer than 192 bytes are seeds.
// use() encrypts the payload exactly as a forward packet does.

#include <crypto/lioness.hpp>
#include <crypto/rng.hpp>
#include <crypto/x25519.hpp>
#include <sphinx/builder.hpp>
#include <sphinx/types.hpp>
#include <util/expected.hpp>

#include <cstdint>
#include <span>
#include <vector>

namespace nym::sphinx {

/// A packet ready to send, and where to send it.
struct SurbPacket {
    std::vector<std::uint8_t> packet;
    NodeAddress first_hop;
};

class Surb {
public:
    /// header ‖ first hop ‖ 1..5 keys or 1..5 seeds; Errc::invalid_surb for any other length. (The
    /// crate would also take more than five keys; no route of ours has them.)
    [[nodiscard]] static Expected<Surb> parse(std::span<const std::uint8_t> bytes);

    [[nodiscard]] std::vector<std::uint8_t> to_bytes() const;
    /// The packet for `message` with a payload of `payload_size` bytes (Errc::payload_too_small,
    /// Errc::message_too_long).
    [[nodiscard]] Expected<SurbPacket> use(std::span<const std::uint8_t> message, std::size_t payload_size) const;

    const Header& header() const noexcept { return m_header; }
    const NodeAddress& first_hop() const noexcept { return m_first_hop; }
    /// The Lioness keys use() applies (expanded from the seeds when the SURB carries seeds).
    std::span<const crypto::LionessKey> payload_keys() const noexcept { return m_payload_keys; }
    /// The seeds the SURB carries instead of keys (empty for a SURB with full keys).
    std::span<const PayloadKeySeed> payload_key_seeds() const noexcept { return m_payload_key_seeds; }
    [[nodiscard]] bool uses_key_seeds() const noexcept { return !m_payload_key_seeds.empty(); }
    std::size_t serialized_size() const noexcept;

private:
    friend Expected<Surb> create_surb(const crypto::X25519SecretKey&, std::span<const std::uint8_t>,
                                      std::span<const RouteNode>, std::span<const Delay>, const DestinationAddress&,
                                      const SurbIdentifier&, const Version&);
    Header m_header{};
    NodeAddress m_first_hop;
    std::vector<crypto::LionessKey> m_payload_keys;
    std::vector<PayloadKeySeed> m_payload_key_seeds;
};

/// Deterministic creation (initial secret and final-hop padding given), as the vectors need it.
/// `version` as for build_packet; seed versions give a SURB that carries seeds.
[[nodiscard]] Expected<Surb> create_surb(const crypto::X25519SecretKey& initial_secret,
                                         std::span<const std::uint8_t> final_hop_padding,
                                         std::span<const RouteNode> route, std::span<const Delay> delays,
                                         const DestinationAddress& destination, const SurbIdentifier& surb_id,
                                         const Version& version = DEFAULT_VERSION);

/// Creation with a fresh initial secret and padding from `rng`.
[[nodiscard]] Expected<Surb> create_surb(std::span<const RouteNode> route, std::span<const Delay> delays,
                                         const DestinationAddress& destination, const SurbIdentifier& surb_id,
                                         crypto::Rng& rng, const Version& version = DEFAULT_VERSION);

} // namespace nym::sphinx
