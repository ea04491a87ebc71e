// ClientCore: building Sphinx packets — SURB-acks, regular packets carrying a fragment, loop cover.
#include <client/core_impl.hpp>

namespace nym::client {

Expected<ClientCore::Impl::BuiltAck> ClientCore::Impl::build_ack(std::uint64_t ack_id, TimePoint now) {
    auto mixes = choose_mixes(now);
    if (!mixes || !own_gateway) return fail(Errc::no_route);
    const std::array<sphinx::RouteNode, ROUTE_LENGTH> route{(*mixes)[0], (*mixes)[1], (*mixes)[2], *own_gateway};
    const auto delays = sphinx::generate_delays(rng, ROUTE_LENGTH, sphinx::Delay::from_duration(config.average_ack_delay));
    const auto payload = format::seal_ack(derived, ack_id, rng);
    auto packet = sphinx::build_packet(route, delays, destination_of(self.identity), sphinx::SurbIdentifier{}, payload,
                                       sphinx::payload_size(sphinx::PacketSize::ack), rng);
    if (!packet) return Unexpected(packet.error());
    BuiltAck ack;
    ack.first_hop = route[0].address;
    ack.packet = std::move(*packet);
    for (std::size_t i = 0; i < MIX_LAYERS; ++i) ack.delay += delays[i].to_duration();
    ack.mixes = *mixes;
    return ack;
}

void ClientCore::Impl::write_ack_prefix(const BuiltAck& ack, std::span<std::uint8_t> plaintext) {
    std::copy_n(ack.first_hop.bytes.begin(), format::ACK_FIRST_HOP_SIZE, plaintext.begin());
    std::copy(ack.packet.begin(), ack.packet.end(), plaintext.begin() + static_cast<std::ptrdiff_t>(format::ACK_FIRST_HOP_SIZE));
}

Expected<ClientCore::Impl::Built> ClientCore::Impl::build_regular(const sphinx::RouteNode& gateway, const crypto::Ed25519PublicKey& identity,
                              const crypto::X25519PublicKey& identity_key, std::span<const std::uint8_t> fragment,
                              std::uint64_t ack_id, PacketKind kind, TimePoint now) {
    auto mixes = choose_mixes(now);
    if (!mixes) return fail(Errc::no_route);
    auto ack = build_ack(ack_id, now);
    if (!ack) return Unexpected(ack.error());

    std::array<std::uint8_t, format::SPHINX_PLAINTEXT_SIZE> plaintext{};
    write_ack_prefix(*ack, plaintext);
    auto sealed = format::seal_forward(identity_key, fragment, std::span(plaintext).subspan(format::ACK_OVERHEAD), rng);
    if (!sealed) return Unexpected(sealed.error());

    const std::array<sphinx::RouteNode, ROUTE_LENGTH> route{(*mixes)[0], (*mixes)[1], (*mixes)[2], gateway};
    const auto delays =
        sphinx::generate_delays(rng, ROUTE_LENGTH, sphinx::Delay::from_duration(config.average_packet_delay));
    auto packet = sphinx::build_packet(route, delays, destination_of(identity), sphinx::SurbIdentifier{}, plaintext,
                                       sphinx::payload_size(sphinx::PacketSize::regular), rng);
    crypto::secure_wipe(plaintext.data(), plaintext.size());
    if (!packet) return Unexpected(packet.error());

    Built built;
    built.packet = OutgoingPacket{route[0].address, std::move(*packet), kind};
    built.expected_delay = ack->delay;
    for (std::size_t i = 0; i < MIX_LAYERS; ++i) {
        built.expected_delay += delays[i].to_duration();
        built.mixes[i] = (*mixes)[i].address;
        built.mixes[MIX_LAYERS + i] = ack->mixes[i].address;
    }
    return built;
}

std::optional<OutgoingPacket> ClientCore::Impl::make_loop_cover(PacketKind kind, TimePoint now) {
    if (!own_gateway) return std::nullopt;
    std::array<std::uint8_t, format::FRAGMENT_PLAINTEXT_SIZE> fragment{};
    format::write_fragment(format::FragmentHeader{format::FRAGMENT_KIND_COVER, 0, 0, 0, 0}, {}, fragment);
    auto built = build_regular(*own_gateway, self.identity, derived.e2e_public, fragment, format::UNTRACKED_ACK_ID,
                               kind, now);
    if (!built) return std::nullopt;
    return std::move(built->packet);
}

} // namespace nym::client
