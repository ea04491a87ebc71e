#include <gateway/mix_stage.hpp>

#include <map>
#include <span>
#include <string>

namespace nym::gateway {

MixStage::MixStage(const crypto::X25519SecretKey& sphinx_key, MessageStore& store, ReplayCache& replays,
                   GatewayCounters& counters)
    : m_store(store), m_counters(counters), m_health(counters), m_final_hop(sphinx_key, store, replays) {}

StageOutput MixStage::process(StoreQueue::Work work, UnixSeconds now) {
    StageOutput out;
    if (!work.packets.empty()) {
        std::vector<std::span<std::uint8_t>> spans;
        spans.reserve(work.packets.size());
        for (auto& packet : work.packets) spans.emplace_back(packet);
        CommittedBatch batch = m_final_hop.commit_batch(spans, now);
        std::size_t stored = 0;
        std::size_t failed = 0;
        std::size_t no_space = 0;
        for (const FinalHopResult& r : batch.results) {
            if (r.outcome == FinalHopOutcome::storage_error) ++failed;
            if (r.outcome == FinalHopOutcome::no_space) ++no_space;
            if (r.outcome != FinalHopOutcome::stored) {
                m_counters.drop(drop_reason_for(r.outcome));
                continue;
            }
            ++stored;
            m_counters.stored.fetch_add(1, std::memory_order_relaxed);
            if (r.client) out.clients_with_new_messages.insert(*r.client);
        }
        out.acks = std::move(batch.acks);
        if (no_space != 0) m_counters.low_space_refusals.fetch_add(no_space, std::memory_order_relaxed);
        if (failed != 0 || no_space != 0) {
            m_health.failed(StoreOperation::commit, std::to_string(failed + no_space) + " message(s) not stored: " +
                                                        m_store.last_error());
        } else if (stored != 0) {
            m_health.succeeded(StoreOperation::commit);
        }
    }
    // One delete per client, however many Acks it sent since the last round.
    std::map<ClientAddress, std::vector<std::uint64_t>, AddressOrder> by_client;
    for (DeleteMessages& d : work.deletes) {
        auto& ids = by_client[d.client];
        ids.insert(ids.end(), d.ids.begin(), d.ids.end());
    }
    for (auto& [client, ids] : by_client) {
        auto deleted = m_store.ack(client, ids);
        if (!deleted) {
            m_health.failed(StoreOperation::delete_acked, m_store.last_error());
            out.retry_deletes.push_back(DeleteMessages{client, std::move(ids)});
            continue;
        }
        m_health.succeeded(StoreOperation::delete_acked);
        m_counters.acked.fetch_add(*deleted, std::memory_order_relaxed);
    }
    return out;
}

std::size_t MixStage::expire(UnixSeconds older_than) {
    auto n = m_store.expire(older_than);
    if (!n) {
        m_health.failed(StoreOperation::expire, m_store.last_error());
        return 0;
    }
    m_health.succeeded(StoreOperation::expire);
    m_counters.expired.fetch_add(*n, std::memory_order_relaxed);
    return *n;
}

std::size_t MixStage::expire_unused_registrations(UnixSeconds registered_before,
                                                  const std::vector<ClientAddress>& connected) {
    auto n = m_store.expire_unused_registrations(registered_before, connected);
    if (!n) {
        m_health.failed(StoreOperation::expire, m_store.last_error());
        return 0;
    }
    m_counters.registrations_expired.fetch_add(*n, std::memory_order_relaxed);
    return *n;
}

void MixStage::forget_replay_tags(UnixSeconds older_than) {
    if (!m_store.forget_replay_tags(older_than)) m_health.failed(StoreOperation::expire, m_store.last_error());
}

} // namespace nym::gateway
