#pragma once
// The mix node's delay stage (Loopix: each hop holds a packet for the delay its sender drew;
// nym-node/src/node/mixnet/packet_forwarding, docs/protocol/framing.md "Pipeline"): one min-heap of
// packets ordered by release time, with time passed in by the caller (sans-IO, testable without
// sleeping). The owner (one event-loop task) arms a timer for next_deadline() and calls pop_due().
//
// Rules:
// - a release time later than now + max_delay is clamped to now + max_delay (counted);
// - a packet already due (zero delay, or late) bypasses the heap: push() returns it to the caller;
// - the heap holds at most `capacity` packets; a push beyond that is dropped and counted.
// Packets due at the same instant leave in the order they were pushed.

#include <mixnode/packet.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace nym::mixnode {

struct DelayQueueConfig {
    std::chrono::nanoseconds max_delay = DEFAULT_MAX_DELAY;
    std::size_t capacity = 100'000; ///< ≈ 240 MB of regular packets at most
};

struct DelayQueueStats {
    std::uint64_t queued = 0;       ///< pushed into the heap
    std::uint64_t bypassed = 0;     ///< already due at push, handed straight back
    std::uint64_t clamped = 0;      ///< release time cut to now + max_delay
    std::uint64_t dropped_full = 0; ///< refused because the heap was at capacity
    std::uint64_t released = 0;     ///< returned by pop_due
};

class DelayQueue {
public:
    enum class Admission { delayed, due_now, dropped_full };
    struct PushResult {
        Admission admission;
        std::optional<ForwardPacket> packet; ///< the packet itself when admission == due_now
    };

    explicit DelayQueue(DelayQueueConfig config = {});

    [[nodiscard]] PushResult push(ForwardPacket packet, TimePoint now);
    /// Every packet with release ≤ now, earliest first.
    [[nodiscard]] std::vector<ForwardPacket> pop_due(TimePoint now);
    /// The earliest release time held, if any.
    [[nodiscard]] std::optional<TimePoint> next_deadline() const noexcept;

    [[nodiscard]] std::size_t size() const noexcept { return m_heap.size(); }
    [[nodiscard]] bool empty() const noexcept { return m_heap.empty(); }
    [[nodiscard]] const DelayQueueConfig& config() const noexcept { return m_config; }
    [[nodiscard]] const DelayQueueStats& stats() const noexcept { return m_stats; }

private:
    struct Entry {
        ForwardPacket packet;
        std::uint64_t sequence;
    };
    static bool later(const Entry& a, const Entry& b) noexcept; // heap order: min release, then FIFO

    DelayQueueConfig m_config;
    DelayQueueStats m_stats;
    std::vector<Entry> m_heap;
    std::uint64_t m_next_sequence = 0;
};

} // namespace nym::mixnode
