#include <gateway/errors.hpp>
#include <gateway/final_hop.hpp>

#include <sphinx/errors.hpp>
#include <sphinx/node_address.hpp>
#include <sphinx/processing.hpp>

#include <algorithm>
#include <cstring>

namespace nym::gateway {

static_assert(ACK_FIRST_HOP_SIZE == sphinx::MAX_NODE_ADDRESS_UNPADDED_LEN);
static_assert(ACK_PACKET_SIZE == sphinx::packet_size(sphinx::PacketSize::ack));

// --- ReplayCache -------------------------------------------------------------------------------------

ReplayCache::ReplayCache(std::size_t capacity) : m_generation_size(std::max<std::size_t>(1, capacity / 2)) {}

std::size_t ReplayCache::Hash::operator()(const sphinx::ReplayTag& t) const noexcept {
    // The tag is a SHA-256 output: any 8 of its bytes are already uniform.
    std::size_t h = 0;
    std::memcpy(&h, t.bytes.data(), sizeof h);
    return h;
}

bool ReplayCache::insert(const sphinx::ReplayTag& tag) {
    std::lock_guard lock(m_mutex);
    if (m_current.count(tag) != 0 || m_previous.count(tag) != 0) return false;
    if (m_current.size() >= m_generation_size) {
        m_previous = std::move(m_current);
        m_current.clear();
    }
    m_current.insert(tag);
    return true;
}

std::size_t ReplayCache::size() const {
    std::lock_guard lock(m_mutex);
    return m_current.size() + m_previous.size();
}

// --- FinalHopProcessor -------------------------------------------------------------------------------

FinalHopProcessor::FinalHopProcessor(const crypto::X25519SecretKey& sphinx_key, MessageStore& store,
                                     ReplayCache& replays, FinalHopConfig config)
    : m_key(sphinx_key), m_store(store), m_replays(replays), m_config(config) {}

FinalHopResult FinalHopProcessor::finish(FinalHopOutcome outcome, FinalHopResult result) {
    result.outcome = outcome;
    switch (outcome) {
    case FinalHopOutcome::stored: ++m_stats.stored; break;
    case FinalHopOutcome::unknown_client: ++m_stats.unknown_client; break;
    case FinalHopOutcome::forward_hop: ++m_stats.forward_hop; break;
    case FinalHopOutcome::invalid_packet: ++m_stats.invalid_packet; break;
    case FinalHopOutcome::bad_mac: ++m_stats.bad_mac; break;
    case FinalHopOutcome::replayed: ++m_stats.replayed; break;
    case FinalHopOutcome::over_quota: ++m_stats.over_quota; break;
    case FinalHopOutcome::storage_error: ++m_stats.storage_error; break;
    case FinalHopOutcome::no_space: ++m_stats.no_space; break;
    }
    return result;
}

FinalHopProcessor::Unwrapped FinalHopProcessor::dropped(FinalHopResult result) {
    Unwrapped u;
    u.result = std::move(result);
    return u;
}

FinalHopProcessor::Unwrapped FinalHopProcessor::unwrap(std::span<std::uint8_t> packet) {
    auto size = sphinx::packet_size_from_length(packet.size());
    if (!size) return dropped(finish(FinalHopOutcome::invalid_packet));

    auto verified = sphinx::verify_header(packet, m_key);
    if (!verified) {
        const bool mac = verified.error() == make_error_code(sphinx::Errc::invalid_header_mac);
        return dropped(finish(mac ? FinalHopOutcome::bad_mac : FinalHopOutcome::invalid_packet));
    }
    if (!m_replays.insert(verified->replay_tag)) return dropped(finish(FinalHopOutcome::replayed));
    // The cache starts empty at every start; the store remembers the tags of stored packets.
    auto seen = m_store.replay_tag_seen(verified->replay_tag);
    if (!seen) return dropped(finish(FinalHopOutcome::storage_error));
    if (*seen) return dropped(finish(FinalHopOutcome::replayed));

    auto processed = sphinx::finish_processing(packet, *verified);
    if (!processed) return dropped(finish(FinalHopOutcome::invalid_packet));
    const sphinx::FinalHop* final_hop = processed->final_hop();
    if (final_hop == nullptr) return dropped(finish(FinalHopOutcome::forward_hop));

    FinalHopResult result;
    ClientAddress client;
    std::copy(final_hop->destination.bytes.begin(), final_hop->destination.bytes.end(), client.bytes.begin());
    result.client = client;

    Unwrapped unwrapped;
    unwrapped.tag = verified->replay_tag;
    std::span<const std::uint8_t> message = final_hop->message;
    if (m_config.split_acks && *size != sphinx::PacketSize::ack) {
        if (message.size() < ACK_OVERHEAD) return dropped(finish(FinalHopOutcome::invalid_packet, std::move(result)));
        ForwardAck ack;
        std::copy_n(message.begin(), ACK_FIRST_HOP_SIZE, ack.first_hop.bytes.begin()); // rest stays zero padding
        auto hop = sphinx::decode_node_address(ack.first_hop);
        if (!hop) return dropped(finish(FinalHopOutcome::invalid_packet, std::move(result)));
        const auto ack_bytes = message.subspan(ACK_FIRST_HOP_SIZE, ACK_PACKET_SIZE);
        ack.packet.assign(ack_bytes.begin(), ack_bytes.end());
        unwrapped.ack = std::move(ack);
        unwrapped.ack_hop = *hop;
        message = message.subspan(ACK_OVERHEAD);
    }

    auto registered = m_store.find_client(client);
    if (!registered) return dropped(finish(FinalHopOutcome::storage_error, FinalHopResult{{}, client, {}, {}}));
    if (!registered->has_value())
        return dropped(finish(FinalHopOutcome::unknown_client, FinalHopResult{{}, client, {}, {}}));
    unwrapped.result = std::move(result);
    unwrapped.message = message;
    return unwrapped;
}

FinalHopResult FinalHopProcessor::process(std::span<std::uint8_t> packet, UnixSeconds now) {
    return std::move(process_batch(std::span<const std::span<std::uint8_t>>(&packet, 1), now).front());
}

std::vector<FinalHopResult> FinalHopProcessor::process_batch(std::span<const std::span<std::uint8_t>> packets,
                                                             UnixSeconds now) {
    return commit_batch(packets, now).results;
}

CommittedBatch FinalHopProcessor::commit_batch(std::span<const std::span<std::uint8_t>> packets, UnixSeconds now) {
    std::vector<Unwrapped> unwrapped;
    unwrapped.reserve(packets.size());
    std::vector<HeldMessage> held;
    std::vector<sphinx::ReplayTag> tags; // of the held messages' packets
    for (std::span<std::uint8_t> packet : packets) {
        unwrapped.push_back(unwrap(packet));
        const Unwrapped& u = unwrapped.back();
        if (!u.message) continue;
        HeldMessage h{IncomingMessage{*u.result.client, *u.message, now}, std::nullopt};
        if (u.ack && u.ack_hop) h.ack = HeldAck{*u.ack_hop, u.ack->packet};
        held.push_back(std::move(h));
        tags.push_back(u.tag);
    }
    CommitOutcome committed =
        commit_then_release(std::move(held), [this, &tags, now](std::span<const IncomingMessage> messages) {
            return m_store.store_batch(messages, tags, now);
        });

    CommittedBatch batch{{}, std::move(committed.acks)};
    batch.results.reserve(packets.size());
    std::size_t next = 0;
    for (Unwrapped& u : unwrapped) {
        if (!u.message) {
            batch.results.push_back(std::move(u.result));
            continue;
        }
        const Expected<std::uint64_t>& id = committed.ids[next++];
        if (!id) {
            const std::error_code& ec = id.error();
            const bool quota = ec == make_error_code(Errc::quota_exceeded_count) ||
                               ec == make_error_code(Errc::quota_exceeded_bytes) ||
                               ec == make_error_code(Errc::message_too_large);
            const FinalHopOutcome outcome = quota ? FinalHopOutcome::over_quota
                                            : ec == make_error_code(Errc::low_disk_space) ? FinalHopOutcome::no_space
                                                                                          : FinalHopOutcome::storage_error;
            batch.results.push_back(finish(outcome, FinalHopResult{{}, u.result.client, {}, {}}));
            continue;
        }
        u.result.message_id = *id;
        u.result.ack = std::move(u.ack); // stored: its ack is among the released ones
        batch.results.push_back(finish(FinalHopOutcome::stored, std::move(u.result)));
    }
    return batch;
}

} // namespace nym::gateway
