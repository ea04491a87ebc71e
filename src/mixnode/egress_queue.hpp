#pragma once
// Per-neighbour egress buffering (nym-node's mixnet-client keeps one connection per next hop with a
// 2000-packet buffer and drops, counted, when it is full; docs/protocol/framing.md "Pipeline").
// Overflow never blocks the delay stage and is never silent: every refused packet is counted.
//
// Single owner: the event-loop task that feeds the connections (not synchronised).

#include <mixnode/packet.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

namespace nym::mixnode {

inline constexpr std::size_t DEFAULT_EGRESS_QUEUE_LENGTH = 2000; ///< packets per neighbour, as nym-node
inline constexpr std::size_t DEFAULT_MAX_NEIGHBOURS = 1024;

/// A bounded FIFO of packets for one next hop.
class EgressQueue {
public:
    explicit EgressQueue(std::size_t capacity = DEFAULT_EGRESS_QUEUE_LENGTH) : m_capacity(capacity) {}

    /// False (and counted in dropped()) when the queue is full.
    [[nodiscard]] bool push(ForwardPacket packet);
    [[nodiscard]] std::optional<ForwardPacket> pop();
    /// Puts a packet that could not be written back at the front (a write failed mid-way); counts
    /// as a drop if that would exceed the capacity.
    void push_front(ForwardPacket packet);

    [[nodiscard]] std::size_t size() const noexcept { return m_packets.size(); }
    [[nodiscard]] bool empty() const noexcept { return m_packets.empty(); }
    [[nodiscard]] std::size_t capacity() const noexcept { return m_capacity; }
    [[nodiscard]] std::uint64_t enqueued() const noexcept { return m_enqueued; }
    [[nodiscard]] std::uint64_t dropped() const noexcept { return m_dropped; }
    /// Drops everything queued (e.g. the neighbour is unreachable), counting each packet.
    std::size_t drop_all() noexcept;

private:
    std::size_t m_capacity;
    std::deque<ForwardPacket> m_packets;
    std::uint64_t m_enqueued = 0;
    std::uint64_t m_dropped = 0;
};

/// One EgressQueue per next hop, created on first use. The number of neighbours is bounded too, so
/// packets naming many distinct next hops cannot grow memory without limit.
class EgressQueues {
public:
    enum class Result { queued, dropped_queue_full, dropped_too_many_neighbours };

    explicit EgressQueues(std::size_t queue_length = DEFAULT_EGRESS_QUEUE_LENGTH,
                          std::size_t max_neighbours = DEFAULT_MAX_NEIGHBOURS)
        : m_queue_length(queue_length), m_max_neighbours(max_neighbours) {}

    [[nodiscard]] Result enqueue(ForwardPacket packet);
    /// The queue of a neighbour, or nullptr if none exists.
    [[nodiscard]] EgressQueue* find(const sphinx::IpEndpoint& neighbour) noexcept;
    /// Forgets a neighbour (idle connection closed); its queued packets are counted as dropped.
    void remove(const sphinx::IpEndpoint& neighbour);
    [[nodiscard]] std::vector<sphinx::IpEndpoint> neighbours() const;

    [[nodiscard]] std::size_t neighbour_count() const noexcept { return m_queues.size(); }
    /// Drops of queues that still exist plus those of removed ones and neighbour-limit refusals.
    [[nodiscard]] std::uint64_t total_dropped() const noexcept;
    [[nodiscard]] std::uint64_t dropped_too_many_neighbours() const noexcept { return m_dropped_neighbour_limit; }

private:
    std::size_t m_queue_length;
    std::size_t m_max_neighbours;
    std::map<sphinx::IpEndpoint, EgressQueue, EndpointLess> m_queues;
    std::uint64_t m_dropped_removed = 0;
    std::uint64_t m_dropped_neighbour_limit = 0;
};

} // namespace nym::mixnode
