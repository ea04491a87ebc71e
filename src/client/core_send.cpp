// ClientCore: sending — a message split into fragments, and one fragment built on a fresh route.
#include <client/core_impl.hpp>

namespace nym::client {

std::optional<OutgoingPacket> ClientCore::Impl::emit_fragment(std::uint64_t ack_id, PacketKind kind, TimePoint now) {
    auto it = pending.find(ack_id);
    if (it == pending.end()) return std::nullopt;
    PendingFragment& f = it->second;
    auto msg_it = outgoing.find(f.message);
    if (msg_it == outgoing.end()) return std::nullopt;
    const OutMessage& m = msg_it->second;

    auto park = [&]() -> std::optional<OutgoingPacket> {
        f.parked = true;
        arm_timer(ack_id, f, now + PARK_DURATION);
        return std::nullopt;
    };
    auto gateway = gateways.find(m.recipient_gateway);
    if (gateway == gateways.end()) return park();

    const std::size_t offset = static_cast<std::size_t>(f.index) * format::FRAGMENT_PAYLOAD_SIZE;
    const std::size_t length = std::min(format::FRAGMENT_PAYLOAD_SIZE, m.encoded.size() - offset);
    std::array<std::uint8_t, format::FRAGMENT_PLAINTEXT_SIZE> fragment{};
    format::write_fragment(
        format::FragmentHeader{format::FRAGMENT_KIND_MESSAGE, m.wire_id, f.index, m.total, static_cast<std::uint16_t>(length)},
        std::span(m.encoded).subspan(offset, length), fragment);

    // A fragment parked before it ever left is still a first transmission.
    if (!f.has_route) kind = PacketKind::real;
    auto built = build_regular(gateway->second, m.recipient, m.recipient_key, fragment, ack_id, kind, now);
    if (!built) return park();

    f.parked = false;
    f.has_route = true;
    f.route = built->mixes;
    if (!f.in_flight) {
        f.in_flight = true;
        ++in_flight;
    }
    const auto base = std::chrono::duration_cast<Nanos>(
                          std::chrono::duration<double, std::nano>(static_cast<double>(built->expected_delay.count()) *
                                                                   config.ack_wait_multiplier)) +
                      std::chrono::duration_cast<Nanos>(config.ack_wait_addition);
    arm_timer(ack_id, f, now + backed_off(base, f.retransmissions));
    return std::move(built->packet);
}

Expected<MessageId> ClientCore::Impl::send(std::span<const std::uint8_t> message, const ParsedAddress& recipient, TimePoint now,
                         std::size_t reply_surbs) {
    observe(now);
    if (message.size() > config.max_message_size) return fail(Errc::message_too_large);
    if (reply_surbs > format::MAX_REPLY_SURBS) return fail(Errc::too_many_reply_surbs);
    if (!routable()) return fail(Errc::no_route);
    crypto::Ed25519PublicKey gateway_identity;
    if (recipient.gateway) {
        gateway_identity = *recipient.gateway;
    } else {
        auto it = client_gateways.find(recipient.identity);
        if (it == client_gateways.end()) return fail(Errc::invalid_address);
        gateway_identity = it->second;
    }
    if (gateways.count(gateway_identity) == 0) return fail(Errc::invalid_address);
    auto recipient_key = crypto::ed25519_public_to_x25519(recipient.identity);
    if (!recipient_key) return fail(Errc::invalid_address);

    auto encoded = encode_with_surbs(message, recipient.identity, reply_surbs, now);
    if (!encoded) return Unexpected(encoded.error());
    const std::size_t total = format::fragment_count(encoded->size());
    if (total > std::numeric_limits<std::uint32_t>::max()) return fail(Errc::message_too_large);

    OutMessage m;
    m.id = next_message_id++;
    m.wire_id = rng.next_u64();
    m.recipient = recipient.identity;
    m.recipient_gateway = gateway_identity;
    m.recipient_key = *recipient_key;
    m.encoded = std::move(*encoded);
    m.total = static_cast<std::uint32_t>(total);
    m.unacked = m.total;
    m.ack_ids.reserve(total);
    for (std::uint32_t i = 0; i < m.total; ++i) {
        const std::uint64_t ack_id = allocate_ack_id();
        PendingFragment f;
        f.message = m.id;
        f.index = i;
        pending.emplace(ack_id, f);
        m.ack_ids.push_back(ack_id);
        real_queue.emplace_back(ack_id);
    }
    const MessageId id = m.id;
    outgoing.emplace(id, std::move(m));
    return id;
}

} // namespace nym::client
