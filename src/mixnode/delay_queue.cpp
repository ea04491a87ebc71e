#include <mixnode/delay_queue.hpp>

#include <algorithm>

namespace nym::mixnode {

DelayQueue::DelayQueue(DelayQueueConfig config) : m_config(config) {
    if (m_config.max_delay < std::chrono::nanoseconds::zero()) m_config.max_delay = std::chrono::nanoseconds::zero();
}

bool DelayQueue::later(const Entry& a, const Entry& b) noexcept {
    if (a.packet.release != b.packet.release) return a.packet.release > b.packet.release;
    return a.sequence > b.sequence;
}

DelayQueue::PushResult DelayQueue::push(ForwardPacket packet, TimePoint now) {
    if (packet.release <= now) {
        ++m_stats.bypassed;
        return {Admission::due_now, std::move(packet)};
    }
    const TimePoint latest = now + std::chrono::duration_cast<Clock::duration>(m_config.max_delay);
    if (packet.release > latest) {
        packet.release = latest;
        ++m_stats.clamped;
        if (packet.release <= now) { // max_delay of zero: nothing may wait
            ++m_stats.bypassed;
            return {Admission::due_now, std::move(packet)};
        }
    }
    if (m_heap.size() >= m_config.capacity) {
        ++m_stats.dropped_full;
        return {Admission::dropped_full, std::nullopt};
    }
    m_heap.push_back(Entry{std::move(packet), m_next_sequence++});
    std::push_heap(m_heap.begin(), m_heap.end(), later);
    ++m_stats.queued;
    return {Admission::delayed, std::nullopt};
}

std::vector<ForwardPacket> DelayQueue::pop_due(TimePoint now) {
    std::vector<ForwardPacket> out;
    while (!m_heap.empty() && m_heap.front().packet.release <= now) {
        std::pop_heap(m_heap.begin(), m_heap.end(), later);
        out.push_back(std::move(m_heap.back().packet));
        m_heap.pop_back();
    }
    m_stats.released += out.size();
    return out;
}

std::optional<TimePoint> DelayQueue::next_deadline() const noexcept {
    if (m_heap.empty()) return std::nullopt;
    return m_heap.front().packet.release;
}

} // namespace nym::mixnode
