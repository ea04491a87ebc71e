#pragma once
// The store's side of the mix port (docs/protocol/gateway.md "Running the gateway"): a batch of
// final-hop packets is unwrapped and its messages stored with ONE group commit; only then are the
// SURB-acks of the stored messages released (commit_then_release), and the clients with new
// messages named. Acknowledged ids are deleted in the same round (a failed deletion is handed back
// to be retried); expired messages on request. Every store failure is counted and logged (StoreHealth).
//
// Runs on the gateway's store serial (one round at a time, off the I/O thread): the only place,
// with the client hub's store requests, where the SQLite store is written.

#include <gateway/ack_release.hpp>
#include <gateway/counters.hpp>
#include <gateway/final_hop.hpp>
#include <gateway/message_store.hpp>
#include <gateway/store_health.hpp>
#include <gateway/store_queue.hpp>

#include <crypto/x25519.hpp>

#include <cstddef>
#include <set>

namespace nym::gateway {

/// What one store round produced, for the I/O thread.
struct StageOutput {
    ReleasedAcks acks = ReleasedAcks::none();                 ///< SURB-acks of committed messages only
    std::set<ClientAddress, AddressOrder> clients_with_new_messages;
    std::vector<DeleteMessages> retry_deletes;                ///< deletions that failed: try again later
};

class MixStage {
public:
    /// The references must outlive the stage.
    MixStage(const crypto::X25519SecretKey& sphinx_key, MessageStore& store, ReplayCache& replays,
             GatewayCounters& counters);
    /// Processes the packets (one commit for all their messages) and performs the deletions.
    [[nodiscard]] StageOutput process(StoreQueue::Work work, UnixSeconds now);
    /// Deletes messages received before `older_than`; how many.
    std::size_t expire(UnixSeconds older_than);
    /// Forgets the replay tags of packets stored before `older_than` (REPLAY_TAG_RETENTION ago).
    void forget_replay_tags(UnixSeconds older_than);
    /// Deletes the registrations never used since before `registered_before` (keeping `connected`);
    /// how many.
    std::size_t expire_unused_registrations(UnixSeconds registered_before, const std::vector<ClientAddress>& connected);
    /// Failures of every store operation run on the serial are reported here.
    [[nodiscard]] StoreHealth& health() noexcept { return m_health; }

private:
    MessageStore& m_store;
    GatewayCounters& m_counters;
    StoreHealth m_health;
    FinalHopProcessor m_final_hop;
};

} // namespace nym::gateway
