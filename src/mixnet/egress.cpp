#include <mixnet/egress.hpp>

namespace nym::mixnet {

EgressQueues::Result EgressQueues::enqueue(const sphinx::IpEndpoint& hop, Frame frame, TimePoint now) {
    auto it = m_queues.find(hop);
    if (it == m_queues.end()) {
        if (m_queues.size() >= m_max_hops) {
            ++m_dropped;
            ++m_dropped_hop_limit;
            return Result::dropped_too_many_hops;
        }
        it = m_queues.emplace(hop, Queue{}).first;
    }
    auto& queue = it->second;
    queue.last_used = now;
    if (queue.frames.size() >= m_queue_length) {
        ++m_dropped;
        return Result::dropped_queue_full;
    }
    const bool first = queue.frames.empty();
    queue.frames.push_back(std::move(frame));
    return first ? Result::queued_first : Result::queued;
}

std::optional<Frame> EgressQueues::next(const sphinx::IpEndpoint& hop) {
    auto it = m_queues.find(hop);
    if (it == m_queues.end() || it->second.frames.empty()) return std::nullopt;
    Frame frame = std::move(it->second.frames.front());
    it->second.frames.pop_front();
    return frame;
}

void EgressQueues::written(const sphinx::IpEndpoint& hop, TimePoint now) {
    if (auto it = m_queues.find(hop); it != m_queues.end()) it->second.last_used = now;
}

void EgressQueues::requeue(const sphinx::IpEndpoint& hop, Frame frame) {
    auto it = m_queues.find(hop);
    if (it == m_queues.end() || it->second.frames.size() >= m_queue_length) {
        ++m_dropped;
        return;
    }
    it->second.frames.push_front(std::move(frame));
}

std::size_t EgressQueues::remove(const sphinx::IpEndpoint& hop) {
    auto it = m_queues.find(hop);
    if (it == m_queues.end()) return 0;
    const std::size_t n = it->second.frames.size();
    m_dropped += n;
    m_queues.erase(it);
    return n;
}

std::vector<sphinx::IpEndpoint> EgressQueues::evict_idle(TimePoint idle_before) {
    std::vector<sphinx::IpEndpoint> evicted;
    for (auto it = m_queues.begin(); it != m_queues.end();) {
        if (it->second.frames.empty() && it->second.last_used < idle_before) {
            evicted.push_back(it->first);
            it = m_queues.erase(it);
        } else {
            ++it;
        }
    }
    return evicted;
}

std::size_t EgressQueues::queued(const sphinx::IpEndpoint& hop) const noexcept {
    auto it = m_queues.find(hop);
    return it == m_queues.end() ? 0 : it->second.frames.size();
}

std::size_t EgressQueues::queued_total() const noexcept {
    std::size_t n = 0;
    for (const auto& [hop, queue] : m_queues) n += queue.frames.size();
    return n;
}

std::vector<sphinx::IpEndpoint> EgressQueues::hops() const {
    std::vector<sphinx::IpEndpoint> out;
    out.reserve(m_queues.size());
    for (const auto& [hop, queue] : m_queues) out.push_back(hop);
    return out;
}

} // namespace nym::mixnet
