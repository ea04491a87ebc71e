#pragma once
// Reassembly of fragmented messages at the recipient (docs/protocol/client.md "Reassembly"):
// fragments arrive in any order and possibly more than once; each message is completed exactly once.
// Memory is bounded: partial messages expire after a timeout of silence, the bytes held by partial
// messages have a ceiling (the stalest partial is evicted first), and completed ids are remembered
// for a while so late duplicates are recognised.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <unordered_map>
#include <vector>

namespace nym::client {

struct ReassemblyLimits {
    std::uint32_t max_fragments = 1u << 16;        ///< a fragment claiming a larger total is refused
    std::size_t max_buffered_bytes = 256u << 20;   ///< over all partial messages
    std::size_t max_partial_messages = 4096;
    std::chrono::steady_clock::duration partial_timeout = std::chrono::minutes(10);
    std::chrono::steady_clock::duration completed_memory = std::chrono::minutes(30);
    std::size_t max_completed_remembered = 1u << 20;
};

class Reassembler {
public:
    using TimePoint = std::chrono::steady_clock::time_point;
    enum class Outcome : std::uint8_t { incomplete, complete, duplicate, invalid };

    explicit Reassembler(ReassemblyLimits limits) : m_limits(limits) {}

    /// Adds one fragment. On Outcome::complete, `out` holds the whole message.
    Outcome add(std::uint64_t message_id, std::uint32_t index, std::uint32_t total, std::span<const std::uint8_t> data,
                TimePoint now, std::vector<std::uint8_t>& out);
    /// Drops partial messages silent for longer than the timeout and forgets old completed ids.
    /// Returns the number of partial messages dropped.
    std::size_t expire(TimePoint now);

    std::size_t partial_messages() const noexcept { return m_partials.size(); }
    std::size_t buffered_bytes() const noexcept { return m_buffered; }

private:
    struct Partial {
        std::uint32_t total = 0;
        std::uint32_t received = 0;
        std::vector<std::vector<std::uint8_t>> parts; ///< by index; `have` says which arrived
        std::vector<bool> have;
        std::size_t bytes = 0; ///< accounted against max_buffered_bytes
        TimePoint last_update;
    };
    void drop(std::unordered_map<std::uint64_t, Partial>::iterator it);
    void remember_completed(std::uint64_t id, TimePoint now);
    void evict_stalest();

    ReassemblyLimits m_limits;
    std::unordered_map<std::uint64_t, Partial> m_partials;
    std::size_t m_buffered = 0;
    std::unordered_map<std::uint64_t, TimePoint> m_completed;
    std::deque<std::pair<TimePoint, std::uint64_t>> m_completed_order;
};

} // namespace nym::client
