// ClientCore: reply SURBs — attached to a message, stored for an anonymous sender, used to answer.
#include <client/core_impl.hpp>

namespace nym::client {

void ClientCore::Impl::evict_stalest_tag() {
    auto stalest = surb_store.begin();
    for (auto i = surb_store.begin(); i != surb_store.end(); ++i)
        if (i->second.last_used < stalest->second.last_used) stalest = i;
    if (stalest == surb_store.end()) return;
    surbs_stored -= stalest->second.surbs.size();
    surb_store.erase(stalest);
}

void ClientCore::Impl::store_surbs(const SenderTag& tag, std::vector<StoredSurb> surbs, TimePoint now) {
    auto it = surb_store.find(tag);
    if (it == surb_store.end()) {
        if (surb_store.size() >= MAX_SENDER_TAGS) evict_stalest_tag();
        it = surb_store.emplace(tag, SurbBucket{}).first;
    }
    SurbBucket& bucket = it->second;
    for (StoredSurb& s : surbs) {
        if (bucket.surbs.size() >= MAX_SURBS_PER_TAG) {
            bucket.surbs.pop_front(); // the oldest are the likeliest to have stale routes
            --surbs_stored;
        }
        bucket.surbs.push_back(std::move(s));
        ++surbs_stored;
    }
    bucket.last_used = now;
}

Expected<Bytes> ClientCore::Impl::encode_with_surbs(std::span<const std::uint8_t> message, const crypto::Ed25519PublicKey& recipient,
                                  std::size_t reply_surbs, TimePoint now) {
    Bytes encoded;
    if (reply_surbs == 0) {
        encoded.reserve(1 + message.size());
        encoded.push_back(0);
        encoded.insert(encoded.end(), message.begin(), message.end());
        return encoded;
    }
    auto tag_it = own_tags.find(recipient);
    if (tag_it == own_tags.end()) {
        SenderTag tag;
        rng.fill(tag);
        tag_it = own_tags.emplace(recipient, tag).first;
    }
    encoded.reserve(1 + format::SENDER_TAG_SIZE + 2 + reply_surbs * (format::REPLY_SURB_ENTRY_OVERHEAD + format::MAX_SURB_SIZE) +
                    message.size());
    encoded.push_back(format::MESSAGE_FLAG_REPLY_SURBS);
    encoded.insert(encoded.end(), tag_it->second.begin(), tag_it->second.end());
    encoded.push_back(static_cast<std::uint8_t>(reply_surbs >> 8));
    encoded.push_back(static_cast<std::uint8_t>(reply_surbs));
    for (std::size_t i = 0; i < reply_surbs; ++i) {
        auto mixes = choose_mixes(now);
        if (!mixes || !own_gateway) return fail(Errc::no_route);
        const std::array<sphinx::RouteNode, ROUTE_LENGTH> route{(*mixes)[0], (*mixes)[1], (*mixes)[2], *own_gateway};
        const auto delays =
            sphinx::generate_delays(rng, ROUTE_LENGTH, sphinx::Delay::from_duration(config.average_packet_delay));
        auto surb = sphinx::create_surb(route, delays, destination_of(self.identity), sphinx::SurbIdentifier{}, rng);
        if (!surb) return Unexpected(surb.error());
        std::array<std::uint8_t, format::REPLY_KEY_ID_SIZE> key_id{};
        rng.fill(key_id);
        const auto key = format::reply_key_for(derived, key_id);
        const Bytes surb_bytes = surb->to_bytes();
        encoded.insert(encoded.end(), key_id.begin(), key_id.end());
        encoded.insert(encoded.end(), key.bytes().begin(), key.bytes().end());
        encoded.push_back(static_cast<std::uint8_t>(surb_bytes.size() >> 8));
        encoded.push_back(static_cast<std::uint8_t>(surb_bytes.size()));
        encoded.insert(encoded.end(), surb_bytes.begin(), surb_bytes.end());
    }
    encoded.insert(encoded.end(), message.begin(), message.end());
    return encoded;
}

Expected<void> ClientCore::Impl::reply(const SenderTag& tag, std::span<const std::uint8_t> message, TimePoint now) {
    observe(now);
    auto it = surb_store.find(tag);
    if (it == surb_store.end()) return fail(Errc::unknown_sender_tag);
    if (message.size() > config.max_message_size) return fail(Errc::message_too_large);
    const std::size_t total = format::fragment_count(1 + message.size());
    if (it->second.surbs.size() < total) return fail(Errc::no_reply_surbs);
    if (!routable()) return fail(Errc::no_route);

    Bytes encoded;
    encoded.reserve(1 + message.size());
    encoded.push_back(format::MESSAGE_FLAG_REPLY);
    encoded.insert(encoded.end(), message.begin(), message.end());
    const std::uint64_t wire_id = rng.next_u64();

    std::vector<OutgoingPacket> packets;
    packets.reserve(total);
    SurbBucket& bucket = it->second;
    for (std::size_t i = 0; i < total; ++i) {
        // Replies are not retransmitted (a SURB is single-use), but still carry a SURB-ack so they
        // look like every other packet to the sender's gateway; its ack comes back untracked.
        auto ack = build_ack(format::UNTRACKED_ACK_ID, now);
        if (!ack) return Unexpected(ack.error());
        const std::size_t offset = i * format::FRAGMENT_PAYLOAD_SIZE;
        const std::size_t length = std::min(format::FRAGMENT_PAYLOAD_SIZE, encoded.size() - offset);
        std::array<std::uint8_t, format::FRAGMENT_PLAINTEXT_SIZE> fragment{};
        format::write_fragment(format::FragmentHeader{format::FRAGMENT_KIND_MESSAGE, wire_id,
                                                      static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(total),
                                                      static_cast<std::uint16_t>(length)},
                               std::span(encoded).subspan(offset, length), fragment);
        const StoredSurb& surb = bucket.surbs[i];
        std::array<std::uint8_t, format::SPHINX_PLAINTEXT_SIZE> plaintext{};
        write_ack_prefix(*ack, plaintext);
        format::seal_reply(surb.key_id, surb.key.bytes(), fragment, std::span(plaintext).subspan(format::ACK_OVERHEAD));
        auto packet = surb.surb.use(plaintext, sphinx::payload_size(sphinx::PacketSize::regular));
        if (!packet) return Unexpected(packet.error());
        packets.push_back(OutgoingPacket{packet->first_hop, std::move(packet->packet), PacketKind::reply});
    }
    // Only now that every packet is built are the SURBs consumed.
    for (std::size_t i = 0; i < total; ++i) bucket.surbs.pop_front();
    surbs_stored -= total;
    bucket.last_used = now;
    for (auto& p : packets) real_queue.emplace_back(std::move(p));
    return {};
}

Expected<void> ClientCore::reply(const SenderTag& tag, std::span<const std::uint8_t> message, TimePoint now) {
    return m_impl->reply(tag, message, now);
}

std::size_t ClientCore::reply_surbs_available(const SenderTag& tag) const {
    auto it = m_impl->surb_store.find(tag);
    return it == m_impl->surb_store.end() ? 0 : it->second.surbs.size();
}

} // namespace nym::client
