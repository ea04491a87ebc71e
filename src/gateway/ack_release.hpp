#pragma once
// The rule "a SURB-ack leaves only after its message is committed" (docs/protocol/gateway.md
// "Final hop"). A SURB-ack tells the sender its message is durably stored at the recipient's
// gateway; sent before the commit, a crash or a failed write would lose a message the sender no
// longer retransmits. So the acks of a batch are held while its messages are written, and only the
// acks of the messages the commit stored are released — in a type (ReleasedAcks) that nothing but
// commit_then_release() can make, after the commit has returned.

#include <gateway/message_store.hpp>

#include <sphinx/node_address.hpp>
#include <util/expected.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

namespace nym::gateway {

/// A SURB-ack split off a final-hop message: where it goes first, and the ack packet itself.
struct HeldAck {
    sphinx::IpEndpoint first_hop;
    std::vector<std::uint8_t> packet; ///< ACK_PACKET_SIZE bytes
};

/// One message of a batch, waiting for the commit, with the SURB-ack it carried (if any).
struct HeldMessage {
    IncomingMessage message;
    std::optional<HeldAck> ack;
};

/// Stores a batch's messages in one transaction: one result per message, in order (an id once
/// committed, or why it was not stored). MessageStore::store_batch is one.
using CommitFunction = std::function<std::vector<Expected<std::uint64_t>>(std::span<const IncomingMessage>)>;

struct CommitOutcome;

/// SURB-acks whose messages are committed. Only commit_then_release() makes one with acks in it.
class ReleasedAcks {
public:
    /// No acks (a round that stored nothing).
    [[nodiscard]] static ReleasedAcks none() { return ReleasedAcks{}; }

    [[nodiscard]] const std::vector<HeldAck>& acks() const noexcept { return m_acks; }
    [[nodiscard]] bool empty() const noexcept { return m_acks.empty(); }
    [[nodiscard]] std::size_t size() const noexcept { return m_acks.size(); }

private:
    ReleasedAcks() = default;
    friend CommitOutcome commit_then_release(std::vector<HeldMessage> held, const CommitFunction& commit);
    std::vector<HeldAck> m_acks;
};

struct CommitOutcome {
    std::vector<Expected<std::uint64_t>> ids; ///< one per held message, as the commit returned them
    ReleasedAcks acks;                        ///< of the messages the commit stored, in batch order
};

/// Calls `commit` once with every held message (one group commit) and, once it has returned,
/// releases the acks of the messages it stored. Acks of messages it refused (quota, database error)
/// are never released: their senders retransmit. A commit that answers with the wrong number of
/// results counts as failed for the whole batch.
[[nodiscard]] CommitOutcome commit_then_release(std::vector<HeldMessage> held, const CommitFunction& commit);

} // namespace nym::gateway
