#include <sphinx/detail.hpp>
#include <sphinx/errors.hpp>
#include <sphinx/processing.hpp>

#include <crypto/lioness.hpp>
#include <crypto/secret.hpp>

#include <algorithm>
#include <cstring>
#include <optional>

namespace nym::sphinx {
namespace {

constexpr std::size_t ALPHA_OFFSET = 0;
constexpr std::size_t MAC_OFFSET = GROUP_ELEMENT_SIZE;
constexpr std::size_t BETA_OFFSET = MAC_OFFSET + HEADER_INTEGRITY_MAC_SIZE;

// Offsets inside the decrypted routing info (β ‖ 0^60) ⊕ PRG.
constexpr std::size_t RAW_VERSION = FLAG_LENGTH;
constexpr std::size_t RAW_ADDRESS = RAW_VERSION + VERSION_LENGTH;
constexpr std::size_t RAW_DELAY = RAW_ADDRESS + NODE_ADDRESS_LENGTH;
constexpr std::size_t RAW_NEXT_MAC = RAW_DELAY + DELAY_LENGTH;
constexpr std::size_t RAW_SURB_ID = RAW_ADDRESS + DESTINATION_ADDRESS_LENGTH;
static_assert(RAW_NEXT_MAC + HEADER_INTEGRITY_MAC_SIZE == ROUTING_SLOT_SIZE);

crypto::MontgomeryPoint read_alpha(std::span<const std::uint8_t> packet) noexcept {
    crypto::MontgomeryPoint alpha;
    std::copy_n(packet.begin() + ALPHA_OFFSET, GROUP_ELEMENT_SIZE, alpha.bytes.begin());
    return alpha;
}

/// A canonical u-coordinate: below p = 2^255 − 19, so bit 255 clear. The crate masks bit 255 and
/// reduces mod p, which makes a few encodings of the same α; we refuse the non-canonical ones so that
/// no bit of a packet can change without the packet being rejected.
bool is_canonical_u(const crypto::MontgomeryPoint& u) noexcept {
    const auto& b = u.bytes;
    if ((b[31] & 0x80) != 0) return false;
    if (b[31] != 0x7f || b[0] < 0xed) return true;
    for (std::size_t i = 1; i < 31; ++i)
        if (b[i] != 0xff) return true;
    return false;
}

} // namespace

Expected<VerifiedHeader> verify_header(std::span<const std::uint8_t> packet,
                                       const crypto::X25519SecretKey& node_key) noexcept {
    if (packet.size() < MIN_PACKET_SIZE) return fail(Errc::invalid_packet_length);
    const crypto::MontgomeryPoint alpha = read_alpha(packet);
    if (!is_canonical_u(alpha)) return fail(Errc::invalid_group_element);
    auto shared = crypto::x25519(node_key, alpha);
    if (!shared) return fail(Errc::invalid_group_element);
    const SharedSecret secret(std::span<const std::uint8_t, GROUP_ELEMENT_SIZE>(shared->bytes));
    crypto::secure_wipe(shared->bytes.data(), shared->bytes.size());

    VerifiedHeader verified{RoutingKeys::derive(secret), {}};
    verified.replay_tag = verified.keys.replay_tag;
    const auto beta = packet.subspan<BETA_OFFSET, ENCRYPTED_ROUTING_INFO_SIZE>();
    const HeaderMac expected = compute_header_mac(verified.keys.header_integrity_hmac_key, beta);
    if (!crypto::ct_equal(expected, packet.subspan(MAC_OFFSET, HEADER_INTEGRITY_MAC_SIZE)))
        return fail(Errc::invalid_header_mac);
    return verified;
}

Expected<ProcessedPacket> finish_processing(std::span<std::uint8_t> packet, const VerifiedHeader& verified) noexcept {
    if (packet.size() < MIN_PACKET_SIZE) return fail(Errc::invalid_packet_length);
    const RoutingKeys& keys = verified.keys;

    // raw = (β ‖ 0^60) ⊕ PRG(stream key), built on the stack so a bad flag leaves the packet untouched.
    detail::Keystream raw;
    generate_pseudorandom_bytes(keys.stream_cipher_key, raw.bytes);
    for (std::size_t i = 0; i < ENCRYPTED_ROUTING_INFO_SIZE; ++i) raw.bytes[i] ^= packet[BETA_OFFSET + i];

    Version version{};
    std::copy_n(raw.bytes.begin() + RAW_VERSION, VERSION_LENGTH, version.begin());
    const VersionRules rules = rules_for(version);
    const std::span<std::uint8_t> payload = packet.subspan(HEADER_SIZE);
    // Seed versions expand the hop's 16-byte seed; the others use the 192 HKDF bytes as they are.
    std::optional<crypto::LionessKey> seeded;
    if (rules.payload_key_seeds) seeded.emplace(derive_payload_key(keys.payload_key_seed));
    const crypto::LionessKey& payload_key = seeded ? *seeded : keys.payload_key;

    switch (raw.bytes[0]) {
    case FORWARD_HOP: {
        auto blinded = rules.x25519_blinding
                           ? crypto::x25519(crypto::X25519SecretKey::from_bytes(keys.blinding_factor.bytes()), read_alpha(packet))
                           : crypto::scalarmult(keys.blinding_scalar(), read_alpha(packet));
        if (!blinded) return fail(Errc::invalid_group_element);
        ForwardHop hop;
        std::copy_n(raw.bytes.begin() + RAW_ADDRESS, NODE_ADDRESS_LENGTH, hop.next_hop.bytes.begin());
        hop.delay = Delay::from_be_bytes(std::span(raw.bytes).subspan<RAW_DELAY, DELAY_LENGTH>());
        hop.version = version;
        // α' ‖ γ' ‖ β' with γ' ‖ β' = raw[44:360].
        std::copy(blinded->bytes.begin(), blinded->bytes.end(), packet.begin() + ALPHA_OFFSET);
        std::memcpy(packet.data() + MAC_OFFSET, raw.bytes.data() + RAW_NEXT_MAC,
                    STREAM_CIPHER_OUTPUT_LENGTH - RAW_NEXT_MAC);
        if (!crypto::lioness_decrypt(payload_key, payload)) return fail(Errc::invalid_packet_length);
        return ProcessedPacket{verified.replay_tag, hop};
    }
    case FINAL_HOP: {
        FinalHop hop;
        std::copy_n(raw.bytes.begin() + RAW_ADDRESS, DESTINATION_ADDRESS_LENGTH, hop.destination.bytes.begin());
        std::copy_n(raw.bytes.begin() + RAW_SURB_ID, IDENTIFIER_LENGTH, hop.surb_id.bytes.begin());
        hop.version = version;
        if (!crypto::lioness_decrypt(payload_key, payload)) return fail(Errc::invalid_packet_length);
        auto message = recover_plaintext(payload);
        if (!message) return Unexpected(message.error());
        hop.message = *message;
        return ProcessedPacket{verified.replay_tag, hop};
    }
    default: return fail(Errc::invalid_routing_flag);
    }
}

Expected<ProcessedPacket> process_packet(std::span<std::uint8_t> packet, const crypto::X25519SecretKey& node_key) noexcept {
    auto verified = verify_header(packet, node_key);
    if (!verified) return Unexpected(verified.error());
    return finish_processing(packet, *verified);
}

Expected<std::span<const std::uint8_t>> recover_plaintext(std::span<const std::uint8_t> payload) noexcept {
    if (payload.size() < PAYLOAD_OVERHEAD_SIZE) return fail(Errc::invalid_payload);
    std::uint8_t leading = 0;
    for (std::size_t i = 0; i < SECURITY_PARAMETER; ++i) leading |= payload[i];
    if (leading != 0) return fail(Errc::invalid_payload);
    const auto body = payload.subspan(SECURITY_PARAMETER);
    const auto marker = std::find(body.rbegin(), body.rend(), PAYLOAD_PADDING_MARKER);
    if (marker == body.rend()) return fail(Errc::invalid_payload);
    const auto length = static_cast<std::size_t>(body.rend() - marker) - 1;
    return body.first(length);
}

} // namespace nym::sphinx
