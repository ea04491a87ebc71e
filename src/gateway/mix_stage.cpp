#include <gateway/mix_stage.hpp>

#include <map>
#include <span>

namespace nym::gateway {

MixStage::MixStage(const crypto::X25519SecretKey& sphinx_key, MessageStore& store, ReplayCache& replays,
                   GatewayCounters& counters)
    : m_store(store), m_counters(counters), m_final_hop(sphinx_key, store, replays) {}

StageOutput MixStage::process(StoreQueue::Work work, UnixSeconds now) {
    StageOutput out;
    if (!work.packets.empty()) {
        std::vector<std::span<std::uint8_t>> spans;
        spans.reserve(work.packets.size());
        for (auto& packet : work.packets) spans.emplace_back(packet);
        CommittedBatch batch = m_final_hop.commit_batch(spans, now);
        for (const FinalHopResult& r : batch.results) {
            if (r.outcome != FinalHopOutcome::stored) {
                m_counters.drop(drop_reason_for(r.outcome));
                continue;
            }
            m_counters.stored.fetch_add(1, std::memory_order_relaxed);
            if (r.client) out.clients_with_new_messages.insert(*r.client);
        }
        out.acks = std::move(batch.acks);
    }
    // One delete per client, however many Acks it sent since the last round.
    std::map<ClientAddress, std::vector<std::uint64_t>, AddressOrder> by_client;
    for (DeleteMessages& d : work.deletes) {
        auto& ids = by_client[d.client];
        ids.insert(ids.end(), d.ids.begin(), d.ids.end());
    }
    for (const auto& [client, ids] : by_client) {
        auto deleted = m_store.ack(client, ids);
        if (deleted) m_counters.acked.fetch_add(*deleted, std::memory_order_relaxed);
    }
    return out;
}

std::size_t MixStage::expire(UnixSeconds older_than) {
    auto n = m_store.expire(older_than);
    if (!n) return 0;
    m_counters.expired.fetch_add(*n, std::memory_order_relaxed);
    return *n;
}

} // namespace nym::gateway
