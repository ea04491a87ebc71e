#pragma once
// Per-next-hop egress buffering shared by the mix node and the gateway: one bounded FIFO of framed
// packets per next hop, and a bound on the number of next hops, so packets naming many distinct
// (or bogus) next hops cannot grow memory without limit. Overflow never blocks the caller and is
// never silent: every refused frame is counted. Hops that stay idle, or whose connection keeps
// failing, are evicted so their slots return (evict()).
//
// Single owner: the event-loop thread that feeds the connections (not synchronised). Time comes in
// as a value; no clock is read here.

#include <sphinx/node_address.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

namespace nym::mixnet {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Frame = std::vector<std::uint8_t>;

inline constexpr std::size_t DEFAULT_EGRESS_QUEUE_LENGTH = 2000; ///< frames per next hop (as nym-node)
inline constexpr std::size_t DEFAULT_MAX_NEXT_HOPS = 1024;

/// Orders endpoints, to key per-hop maps.
struct EndpointLess {
    bool operator()(const sphinx::IpEndpoint& a, const sphinx::IpEndpoint& b) const noexcept {
        if (a.family != b.family) return a.family < b.family;
        if (a.ip != b.ip) return a.ip < b.ip;
        return a.port < b.port;
    }
};

class EgressQueues {
public:
    enum class Result {
        queued_first,        ///< queued into an empty queue: the hop's connection must be woken
        queued,              ///< queued behind others
        dropped_queue_full,  ///< the hop's queue is full
        dropped_too_many_hops, ///< a new hop while max_hops hops already exist
    };

    explicit EgressQueues(std::size_t queue_length = DEFAULT_EGRESS_QUEUE_LENGTH,
                          std::size_t max_hops = DEFAULT_MAX_NEXT_HOPS)
        : m_queue_length(queue_length), m_max_hops(max_hops) {}

    /// Queues a frame for `hop` at time `now` (which marks the hop as used).
    [[nodiscard]] Result enqueue(const sphinx::IpEndpoint& hop, Frame frame, TimePoint now);
    /// The next frame for `hop`, or std::nullopt when its queue is empty (or the hop is unknown).
    [[nodiscard]] std::optional<Frame> next(const sphinx::IpEndpoint& hop);
    /// The frame handed out last was written at `now`.
    void written(const sphinx::IpEndpoint& hop, TimePoint now);
    /// A frame could not be written: back to the front (counted as dropped if that overflows).
    void requeue(const sphinx::IpEndpoint& hop, Frame frame);
    /// Forgets a hop; its queued frames are counted as dropped. How many were dropped.
    std::size_t remove(const sphinx::IpEndpoint& hop);
    /// Removes hops with an empty queue that were last used before `idle_before`; returns them so
    /// the caller can close their connections.
    [[nodiscard]] std::vector<sphinx::IpEndpoint> evict_idle(TimePoint idle_before);

    [[nodiscard]] bool contains(const sphinx::IpEndpoint& hop) const noexcept { return m_queues.count(hop) != 0; }
    [[nodiscard]] std::size_t queued(const sphinx::IpEndpoint& hop) const noexcept;
    [[nodiscard]] std::size_t queued_total() const noexcept;
    [[nodiscard]] std::size_t hop_count() const noexcept { return m_queues.size(); }
    [[nodiscard]] std::vector<sphinx::IpEndpoint> hops() const;
    /// Every frame refused or dropped so far (full queues, hop limit, removals, failed requeues).
    [[nodiscard]] std::uint64_t dropped() const noexcept { return m_dropped; }
    [[nodiscard]] std::uint64_t dropped_too_many_hops() const noexcept { return m_dropped_hop_limit; }

private:
    struct Queue {
        std::deque<Frame> frames;
        TimePoint last_used{};
    };
    std::size_t m_queue_length;
    std::size_t m_max_hops;
    std::map<sphinx::IpEndpoint, Queue, EndpointLess> m_queues;
    std::uint64_t m_dropped = 0;
    std::uint64_t m_dropped_hop_limit = 0;
};

} // namespace nym::mixnet
