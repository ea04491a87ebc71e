#include <sphinx/builder.hpp>
#include <sphinx/detail.hpp>
#include <sphinx/errors.hpp>

#include <algorithm>
#include <cstring>

namespace nym::sphinx {

namespace detail {

Expected<void> check_route(std::size_t route_len, std::size_t delay_count) {
    if (route_len == 0 || route_len > MAX_PATH_LENGTH) return fail(Errc::invalid_route_length);
    if (delay_count != route_len && delay_count + 1 != route_len) return fail(Errc::invalid_delay_count);
    return {};
}

Expected<void> check_payload(std::size_t payload_size, std::size_t message_size) {
    if (payload_size < MIN_PAYLOAD_SIZE) return fail(Errc::payload_too_small);
    if (message_size > max_message_size(payload_size)) return fail(Errc::message_too_long);
    return {};
}

} // namespace detail

Expected<std::vector<HopKeyMaterial>> derive_key_material(std::span<const RouteNode> route,
                                                          const crypto::X25519SecretKey& initial_secret,
                                                          const Version& version) {
    if (route.empty() || route.size() > MAX_PATH_LENGTH) return fail(Errc::invalid_route_length);
    std::vector<HopKeyMaterial> hops(route.size());
    // The crate keeps acc_0 as the unreduced clamped scalar; reducing it mod l changes nothing on the
    // prime-order subgroup, where G and every honest public key live.
    crypto::Scalar25519 acc = initial_secret.to_scalar();
    for (std::size_t i = 0; i < route.size(); ++i) {
        HopKeyMaterial& hop = hops[i];
        hop.alpha = crypto::scalarmult_base(acc);
        auto shared = crypto::scalarmult(acc, route[i].public_key);
        if (!shared) return fail(Errc::invalid_group_element);
        hop.shared_secret = SharedSecret(std::span<const std::uint8_t, GROUP_ELEMENT_SIZE>(shared->bytes));
        crypto::secure_wipe(shared->bytes.data(), shared->bytes.size());
        hop.keys = RoutingKeys::derive(hop.shared_secret, version);
        hop.accumulator = acc;
        if (i + 1 < route.size()) acc = acc * hop.keys.blinding_scalar(version);
    }
    return hops;
}

std::vector<std::uint8_t> compute_filler(std::span<const HopKeyMaterial> hops) {
    std::vector<std::uint8_t> filler;
    if (hops.empty()) return filler;
    filler.reserve(ROUTING_SLOT_SIZE * (hops.size() - 1));
    detail::Keystream stream;
    for (std::size_t i = 1; i < hops.size(); ++i) {
        filler.resize(ROUTING_SLOT_SIZE * i, 0);
        generate_pseudorandom_bytes(hops[i - 1].keys.stream_cipher_key, stream.bytes);
        const std::size_t from = STREAM_CIPHER_OUTPUT_LENGTH - ROUTING_SLOT_SIZE * i;
        for (std::size_t j = 0; j < filler.size(); ++j) filler[j] ^= stream.bytes[from + j];
    }
    return filler;
}

Expected<Header> build_header(std::span<const RouteNode> route, std::span<const HopKeyMaterial> hops,
                              std::span<const Delay> delays, const DestinationAddress& destination,
                              const SurbIdentifier& surb_id, std::span<const std::uint8_t> final_hop_padding,
                              const Version& version) {
    if (auto ok = detail::check_route(route.size(), delays.size()); !ok) return Unexpected(ok.error());
    if (hops.size() != route.size()) return fail(Errc::invalid_route_length);
    const std::size_t r = route.size();
    if (final_hop_padding.size() != final_hop_padding_size(r)) return fail(Errc::invalid_padding_length);

    const std::vector<std::uint8_t> filler = compute_filler(hops);
    std::array<std::uint8_t, ENCRYPTED_ROUTING_INFO_SIZE> beta{};
    detail::Keystream stream;

    // Final hop: D = 0x02 ‖ version ‖ destination ‖ id ‖ padding, encrypted, then the filler.
    const std::size_t d_len = ENCRYPTED_ROUTING_INFO_SIZE - filler.size();
    {
        std::uint8_t* p = beta.data();
        *p++ = FINAL_HOP;
        p = std::copy(version.begin(), version.end(), p);
        p = std::copy(destination.bytes.begin(), destination.bytes.end(), p);
        p = std::copy(surb_id.bytes.begin(), surb_id.bytes.end(), p);
        std::copy(final_hop_padding.begin(), final_hop_padding.end(), p);
        generate_pseudorandom_bytes(hops[r - 1].keys.stream_cipher_key, stream.bytes);
        for (std::size_t j = 0; j < d_len; ++j) beta[j] ^= stream.bytes[j];
        std::copy(filler.begin(), filler.end(), beta.begin() + static_cast<std::ptrdiff_t>(d_len));
    }
    HeaderMac mac = compute_header_mac(hops[r - 1].keys.header_integrity_hmac_key, beta);

    // Forward hops, innermost first: 0x01 ‖ version ‖ next address ‖ delay ‖ next γ ‖ next β[0:240].
    for (std::size_t i = r - 1; i-- > 0;) {
        std::memmove(beta.data() + ROUTING_SLOT_SIZE, beta.data(), ENCRYPTED_ROUTING_INFO_SIZE - ROUTING_SLOT_SIZE);
        std::uint8_t* p = beta.data();
        *p++ = FORWARD_HOP;
        p = std::copy(version.begin(), version.end(), p);
        p = std::copy(route[i + 1].address.bytes.begin(), route[i + 1].address.bytes.end(), p);
        const auto delay = delays[i].to_be_bytes();
        p = std::copy(delay.begin(), delay.end(), p);
        std::copy(mac.begin(), mac.end(), p);
        generate_pseudorandom_bytes(hops[i].keys.stream_cipher_key, stream.bytes);
        for (std::size_t j = 0; j < ENCRYPTED_ROUTING_INFO_SIZE; ++j) beta[j] ^= stream.bytes[j];
        mac = compute_header_mac(hops[i].keys.header_integrity_hmac_key, beta);
    }

    Header header{};
    auto out = std::copy(hops[0].alpha.bytes.begin(), hops[0].alpha.bytes.end(), header.begin());
    out = std::copy(mac.begin(), mac.end(), out);
    std::copy(beta.begin(), beta.end(), out);
    return header;
}

Expected<void> encrypt_payload(std::span<const crypto::LionessKey* const> keys_in_route_order,
                               std::span<const std::uint8_t> message, std::span<std::uint8_t> out) {
    if (auto ok = detail::check_payload(out.size(), message.size()); !ok) return ok;
    std::fill_n(out.begin(), SECURITY_PARAMETER, std::uint8_t{0});
    std::copy(message.begin(), message.end(), out.begin() + static_cast<std::ptrdiff_t>(SECURITY_PARAMETER));
    const std::size_t marker = SECURITY_PARAMETER + message.size();
    out[marker] = PAYLOAD_PADDING_MARKER;
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(marker + 1), out.end(), std::uint8_t{0});
    for (std::size_t i = keys_in_route_order.size(); i-- > 0;) {
        if (!crypto::lioness_encrypt(*keys_in_route_order[i], out)) return fail(Errc::payload_too_small);
    }
    return {};
}

Expected<std::vector<std::uint8_t>> build_packet(const crypto::X25519SecretKey& initial_secret,
                                                 std::span<const std::uint8_t> final_hop_padding,
                                                 std::span<const RouteNode> route, std::span<const Delay> delays,
                                                 const DestinationAddress& destination, const SurbIdentifier& surb_id,
                                                 std::span<const std::uint8_t> message, std::size_t payload_size,
                                                 const Version& version) {
    // Cheap checks first, before any curve arithmetic.
    if (auto ok = detail::check_payload(payload_size, message.size()); !ok) return Unexpected(ok.error());
    if (auto ok = detail::check_route(route.size(), delays.size()); !ok) return Unexpected(ok.error());
    if (final_hop_padding.size() != final_hop_padding_size(route.size())) return fail(Errc::invalid_padding_length);

    auto hops = derive_key_material(route, initial_secret, version);
    if (!hops) return Unexpected(hops.error());
    auto header = build_header(route, *hops, delays, destination, surb_id, final_hop_padding, version);
    if (!header) return Unexpected(header.error());

    std::vector<std::uint8_t> packet(header->begin(), header->end());
    packet.resize(HEADER_SIZE + payload_size);
    std::array<const crypto::LionessKey*, MAX_PATH_LENGTH> keys{};
    for (std::size_t i = 0; i < hops->size(); ++i) keys[i] = &(*hops)[i].keys.payload_key;
    auto ok = encrypt_payload(std::span(keys.data(), hops->size()), message,
                              std::span(packet).subspan(HEADER_SIZE));
    if (!ok) return Unexpected(ok.error());
    return packet;
}

Expected<std::vector<std::uint8_t>> build_packet(std::span<const RouteNode> route, std::span<const Delay> delays,
                                                 const DestinationAddress& destination, const SurbIdentifier& surb_id,
                                                 std::span<const std::uint8_t> message, std::size_t payload_size,
                                                 crypto::Rng& rng, const Version& version) {
    if (auto ok = detail::check_route(route.size(), delays.size()); !ok) return Unexpected(ok.error());
    const crypto::X25519SecretKey initial_secret = crypto::X25519SecretKey::generate(rng);
    std::array<std::uint8_t, final_hop_padding_size(1)> padding{};
    const std::span<std::uint8_t> used(padding.data(), final_hop_padding_size(route.size()));
    rng.fill(used);
    return build_packet(initial_secret, used, route, delays, destination, surb_id, message, payload_size, version);
}

} // namespace nym::sphinx
