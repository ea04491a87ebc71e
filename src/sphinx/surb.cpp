#include <sphinx/detail.hpp>
#include <sphinx/errors.hpp>
#include <sphinx/surb.hpp>

#include <algorithm>

namespace nym::sphinx {

namespace {
constexpr std::size_t SURB_FIXED_SIZE = HEADER_SIZE + NODE_ADDRESS_LENGTH;
}

Expected<Surb> Surb::parse(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < SURB_FIXED_SIZE + PAYLOAD_KEY_SEED_SIZE) return fail(Errc::invalid_surb);
    const std::size_t material = bytes.size() - SURB_FIXED_SIZE;
    // Fewer bytes than one key: seeds (at most 5 · 16 = 80), as the crate decides.
    const bool seeds = material < PAYLOAD_KEY_SIZE;
    const std::size_t unit = seeds ? PAYLOAD_KEY_SEED_SIZE : PAYLOAD_KEY_SIZE;
    if (material % unit != 0 || material / unit > MAX_PATH_LENGTH) return fail(Errc::invalid_surb);
    Surb surb;
    std::copy_n(bytes.begin(), HEADER_SIZE, surb.m_header.begin());
    std::copy_n(bytes.begin() + HEADER_SIZE, NODE_ADDRESS_LENGTH, surb.m_first_hop.bytes.begin());
    surb.m_payload_keys.reserve(material / unit);
    for (std::size_t at = SURB_FIXED_SIZE; at < bytes.size(); at += unit) {
        if (seeds) {
            surb.m_payload_key_seeds.emplace_back(bytes.subspan(at).first<PAYLOAD_KEY_SEED_SIZE>());
            surb.m_payload_keys.push_back(derive_payload_key(surb.m_payload_key_seeds.back()));
        } else {
            surb.m_payload_keys.emplace_back(bytes.subspan(at).first<PAYLOAD_KEY_SIZE>());
        }
    }
    return surb;
}

std::size_t Surb::serialized_size() const noexcept {
    return SURB_FIXED_SIZE + (uses_key_seeds() ? PAYLOAD_KEY_SEED_SIZE * m_payload_key_seeds.size()
                                               : PAYLOAD_KEY_SIZE * m_payload_keys.size());
}

std::vector<std::uint8_t> Surb::to_bytes() const {
    std::vector<std::uint8_t> out;
    out.reserve(serialized_size());
    out.insert(out.end(), m_header.begin(), m_header.end());
    out.insert(out.end(), m_first_hop.bytes.begin(), m_first_hop.bytes.end());
    if (uses_key_seeds()) {
        for (const auto& seed : m_payload_key_seeds) out.insert(out.end(), seed.bytes().begin(), seed.bytes().end());
    } else {
        for (const auto& key : m_payload_keys) out.insert(out.end(), key.bytes().begin(), key.bytes().end());
    }
    return out;
}

Expected<SurbPacket> Surb::use(std::span<const std::uint8_t> message, std::size_t payload_size) const {
    if (auto ok = detail::check_payload(payload_size, message.size()); !ok) return Unexpected(ok.error());
    SurbPacket out;
    out.first_hop = m_first_hop;
    out.packet.assign(m_header.begin(), m_header.end());
    out.packet.resize(HEADER_SIZE + payload_size);
    std::array<const crypto::LionessKey*, MAX_PATH_LENGTH> keys{};
    for (std::size_t i = 0; i < m_payload_keys.size(); ++i) keys[i] = &m_payload_keys[i];
    auto ok = encrypt_payload(std::span(keys.data(), m_payload_keys.size()), message,
                              std::span(out.packet).subspan(HEADER_SIZE));
    if (!ok) return Unexpected(ok.error());
    return out;
}

Expected<Surb> create_surb(const crypto::X25519SecretKey& initial_secret, std::span<const std::uint8_t> final_hop_padding,
                           std::span<const RouteNode> route, std::span<const Delay> delays,
                           const DestinationAddress& destination, const SurbIdentifier& surb_id,
                           const Version& version) {
    if (auto ok = detail::check_route(route.size(), delays.size()); !ok) return Unexpected(ok.error());
    if (final_hop_padding.size() != final_hop_padding_size(route.size())) return fail(Errc::invalid_padding_length);
    auto hops = derive_key_material(route, initial_secret, version);
    if (!hops) return Unexpected(hops.error());
    auto header = build_header(route, *hops, delays, destination, surb_id, final_hop_padding, version);
    if (!header) return Unexpected(header.error());
    Surb surb;
    surb.m_header = *header;
    surb.m_first_hop = route.front().address;
    surb.m_payload_keys.reserve(hops->size());
    const bool seeds = rules_for(version).payload_key_seeds;
    for (const auto& hop : *hops) {
        surb.m_payload_keys.push_back(hop.keys.payload_key);
        if (seeds) surb.m_payload_key_seeds.push_back(hop.keys.payload_key_seed);
    }
    return surb;
}

Expected<Surb> create_surb(std::span<const RouteNode> route, std::span<const Delay> delays,
                           const DestinationAddress& destination, const SurbIdentifier& surb_id, crypto::Rng& rng,
                           const Version& version) {
    if (auto ok = detail::check_route(route.size(), delays.size()); !ok) return Unexpected(ok.error());
    const crypto::X25519SecretKey initial_secret = crypto::X25519SecretKey::generate(rng);
    std::array<std::uint8_t, final_hop_padding_size(1)> padding{};
    const std::span<std::uint8_t> used(padding.data(), final_hop_padding_size(route.size()));
    rng.fill(used);
    return create_surb(initial_secret, used, route, delays, destination, surb_id, version);
}

} // namespace nym::sphinx
