// ClientCore: deliveries from the gateway — acks, fragments, reassembly and message decoding.
#include <client/core_impl.hpp>

namespace nym::client {

void ClientCore::Impl::collect_garbage(TimePoint now) {
    if (now < next_gc) return;
    next_gc = now + GC_INTERVAL;
    stats.partial_messages_expired += reassembler.expire(now);
}

void ClientCore::Impl::on_message(Bytes encoded, TimePoint now) {
    if (encoded.empty() || (encoded[0] & ~format::MESSAGE_FLAGS_KNOWN) != 0) {
        ++stats.malformed;
        return;
    }
    const std::uint8_t flags = encoded[0];
    std::size_t pos = 1;
    MessageReceived received;
    received.reply = (flags & format::MESSAGE_FLAG_REPLY) != 0;
    if ((flags & format::MESSAGE_FLAG_REPLY_SURBS) != 0) {
        if (encoded.size() - pos < format::SENDER_TAG_SIZE + 2) {
            ++stats.malformed;
            return;
        }
        SenderTag tag;
        std::copy_n(encoded.begin() + static_cast<std::ptrdiff_t>(pos), tag.size(), tag.begin());
        pos += tag.size();
        const auto count = static_cast<std::size_t>(format::get_be(std::span(encoded).subspan(pos), 2));
        pos += 2;
        if (count > format::MAX_REPLY_SURBS) {
            ++stats.malformed;
            return;
        }
        std::vector<StoredSurb> surbs;
        surbs.reserve(count);
        for (std::size_t i = 0; i < count; ++i) {
            if (encoded.size() - pos < format::REPLY_SURB_ENTRY_OVERHEAD) {
                ++stats.malformed;
                return;
            }
            StoredSurb s;
            const auto entry = std::span<const std::uint8_t>(encoded).subspan(pos);
            std::copy_n(entry.begin(), s.key_id.size(), s.key_id.begin());
            s.key = crypto::SecretBytes<format::REPLY_KEY_SIZE>(entry.subspan<format::REPLY_KEY_ID_SIZE, format::REPLY_KEY_SIZE>());
            const auto length = static_cast<std::size_t>(format::get_be(entry.subspan(format::REPLY_KEY_ID_SIZE + format::REPLY_KEY_SIZE), 2));
            pos += format::REPLY_SURB_ENTRY_OVERHEAD;
            if (length > format::MAX_SURB_SIZE || encoded.size() - pos < length) {
                ++stats.malformed;
                return;
            }
            auto surb = sphinx::Surb::parse(std::span<const std::uint8_t>(encoded).subspan(pos, length));
            if (!surb) {
                ++stats.malformed;
                return;
            }
            s.surb = std::move(*surb);
            pos += length;
            surbs.push_back(std::move(s));
        }
        store_surbs(tag, std::move(surbs), now);
        received.sender_tag = tag;
    }
    if (encoded.size() - pos > config.max_message_size) {
        ++stats.malformed; // larger than any message we accept to send either
        return;
    }
    received.data.assign(encoded.begin() + static_cast<std::ptrdiff_t>(pos), encoded.end());
    ++stats.messages_received;
    events.emplace_back(std::move(received));
}

void ClientCore::Impl::on_block(std::span<const std::uint8_t> block, TimePoint now) {
    if (block.size() < format::SEAL_OVERHEAD + format::FRAGMENT_HEADER_SIZE || block.size() > MAX_DELIVERED_SIZE) {
        ++stats.undecryptable;
        return;
    }
    Bytes plaintext(block.size() - format::SEAL_OVERHEAD);
    if (!format::open_sealed(derived, block, plaintext)) {
        ++stats.undecryptable;
        return;
    }
    auto fragment = format::parse_fragment(plaintext);
    if (!fragment) {
        ++stats.malformed;
        return;
    }
    if (fragment->header.kind == format::FRAGMENT_KIND_COVER) {
        ++stats.cover_received;
        return;
    }
    ++stats.fragments_received;
    Bytes message;
    switch (reassembler.add(fragment->header.message_id, fragment->header.index, fragment->header.total,
                            fragment->data, now, message)) {
    case Reassembler::Outcome::incomplete: break;
    case Reassembler::Outcome::duplicate: ++stats.duplicates; break;
    case Reassembler::Outcome::invalid: ++stats.malformed; break;
    case Reassembler::Outcome::complete: on_message(std::move(message), now); break;
    }
}

} // namespace nym::client
