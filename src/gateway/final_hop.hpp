#pragma once
// The gateway as the last Sphinx hop (docs/protocol/gateway.md "Final hop"): unwrap a packet from the
// last mix layer with the gateway's Sphinx key and store its message for the client it names.
//
//   destination (32 bytes) = the client's Ed25519 identity key = its ClientAddress here.
//   Final hop, client registered  → (split off the SURB-ack) → store → ack to forward.
//   Final hop, client unknown     → dropped, counted (no ack: the sender retransmits).
//   Forward hop                   → dropped, counted (a gateway is always the last hop).
//   Bad MAC, bad length, replay   → dropped, counted. A replay is a tag in the in-memory cache, or one
//                                  the store recorded with a committed message (so it survives restarts).
//
// SURB-ack split (nym framing/src/processing.rs, reference §2.6): the message of every packet that is
// not an AckPacket starts with the ack's first hop (19 bytes: Nym's node address without its zero
// padding) and the ack packet (386 bytes). The gateway stores only the rest and hands the ack back
// to the caller, which forwards it to that first hop **only after** the store committed, so an ack
// means "durably stored at the recipient's gateway". AckPackets themselves (the sender's own acks
// coming home) are stored whole.
//
// Not thread-safe: one processor per thread (the gateway's store serial), sharing the (thread-safe)
// store and replay cache.

#include <gateway/ack_release.hpp>
#include <gateway/message_store.hpp>

#include <crypto/x25519.hpp>
#include <sphinx/packet_size.hpp>
#include <sphinx/types.hpp>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <unordered_set>
#include <vector>

namespace nym::gateway {

inline constexpr std::size_t ACK_FIRST_HOP_SIZE = 19; ///< sphinx::MAX_NODE_ADDRESS_UNPADDED_LEN
inline constexpr std::size_t ACK_PACKET_SIZE = 386;   ///< sphinx::packet_size(PacketSize::ack)
inline constexpr std::size_t ACK_OVERHEAD = ACK_FIRST_HOP_SIZE + ACK_PACKET_SIZE;
/// How long the store remembers the replay tags of stored packets: two of the mix nodes' replay
/// epochs (25 h each, Sphinx key lifetime + overlap; a mix node's filter covers the current and the
/// previous epoch), so a packet replayed to the gateway within the time any mix node on its route
/// would still refuse it is refused here too.
inline constexpr std::chrono::seconds REPLAY_TAG_RETENTION{2 * 25 * 3600};

/// Replay tags of accepted packets, exact, in two generations of at most capacity/2 each: when the
/// current one fills, the older is forgotten. Memory stays bounded and it starts empty at every
/// start; behind it, the store keeps the tags of stored packets for REPLAY_TAG_RETENTION.
/// Thread-safe.
class ReplayCache {
public:
    explicit ReplayCache(std::size_t capacity = 1u << 21);
    /// True when the tag is new (and now recorded); false for a replay.
    bool insert(const sphinx::ReplayTag& tag);
    std::size_t size() const;

private:
    struct Hash {
        std::size_t operator()(const sphinx::ReplayTag& t) const noexcept;
    };
    std::size_t m_generation_size;
    mutable std::mutex m_mutex;
    std::unordered_set<sphinx::ReplayTag, Hash> m_current;
    std::unordered_set<sphinx::ReplayTag, Hash> m_previous;
};

enum class FinalHopOutcome {
    stored,             ///< the message is durably stored for its client
    unknown_client,     ///< the destination is not a registered client
    forward_hop,        ///< the packet was routed onwards: a gateway does not forward
    invalid_packet,     ///< not a Nym packet size, small-order α, bad flag or payload, malformed ack prefix
    bad_mac,            ///< the header MAC does not verify (not for this key, or tampered)
    replayed,           ///< the same packet was processed before
    over_quota,         ///< the client's quota is full (or the message too large); dropped
    storage_error,      ///< the database failed; dropped
    no_space,           ///< the disk is below the store's free-space reserve; dropped
};

struct ForwardAck {
    sphinx::NodeAddress first_hop;
    std::vector<std::uint8_t> packet; ///< ACK_PACKET_SIZE bytes
};

struct FinalHopResult {
    FinalHopOutcome outcome = FinalHopOutcome::invalid_packet;
    std::optional<ClientAddress> client;     ///< set once the destination is known
    std::optional<std::uint64_t> message_id; ///< set when stored
    std::optional<ForwardAck> ack;           ///< set when stored and the packet carried a SURB-ack
};

/// A batch after its group commit: one result per packet, and the SURB-acks it released.
struct CommittedBatch {
    std::vector<FinalHopResult> results;
    ReleasedAcks acks;
};

struct FinalHopStats {
    std::uint64_t stored = 0;
    std::uint64_t unknown_client = 0;
    std::uint64_t forward_hop = 0;
    std::uint64_t invalid_packet = 0;
    std::uint64_t bad_mac = 0;
    std::uint64_t replayed = 0;
    std::uint64_t over_quota = 0;
    std::uint64_t storage_error = 0;
    std::uint64_t no_space = 0;
};

struct FinalHopConfig {
    bool split_acks = true; ///< split off and return the SURB-ack (Nym's behaviour)
};

class FinalHopProcessor {
public:
    /// The references must outlive the processor.
    FinalHopProcessor(const crypto::X25519SecretKey& sphinx_key, MessageStore& store, ReplayCache& replays,
                      FinalHopConfig config = {});

    /// Processes one packet (header ‖ payload) received from a mix node at `now`. The buffer is
    /// rewritten in place (Sphinx processing decrypts it).
    [[nodiscard]] FinalHopResult process(std::span<std::uint8_t> packet, UnixSeconds now);
    /// Processes several packets and stores their messages with one group commit
    /// (MessageStore::store_batch): one disk flush for the whole batch instead of one per packet.
    /// One result per packet, in order; acks are returned only for messages of the committed batch.
    [[nodiscard]] std::vector<FinalHopResult> process_batch(std::span<const std::span<std::uint8_t>> packets,
                                                            UnixSeconds now);
    /// process_batch, also handing out the released SURB-acks as the type the gateway's egress
    /// takes (commit_then_release).
    [[nodiscard]] CommittedBatch commit_batch(std::span<const std::span<std::uint8_t>> packets, UnixSeconds now);

    const FinalHopStats& stats() const noexcept { return m_stats; }

private:
    /// Everything up to the store: the result so far and, when the message is to be stored, its bytes
    /// (pointing into the packet buffer).
    struct Unwrapped {
        FinalHopResult result;
        std::optional<std::span<const std::uint8_t>> message;
        std::optional<ForwardAck> ack;             ///< as carried (Nym's node-address bytes)
        std::optional<sphinx::IpEndpoint> ack_hop; ///< the same first hop, parsed
        sphinx::ReplayTag tag;                     ///< recorded with the message when it is stored
    };
    Unwrapped unwrap(std::span<std::uint8_t> packet);
    static Unwrapped dropped(FinalHopResult result);
    FinalHopResult finish(FinalHopOutcome outcome, FinalHopResult result = {});

    const crypto::X25519SecretKey& m_key;
    MessageStore& m_store;
    ReplayCache& m_replays;
    FinalHopConfig m_config;
    FinalHopStats m_stats;
};

} // namespace nym::gateway
