#include <mixnode/egress_queue.hpp>

namespace nym::mixnode {

bool EgressQueue::push(ForwardPacket packet) {
    if (m_packets.size() >= m_capacity) {
        ++m_dropped;
        return false;
    }
    m_packets.push_back(std::move(packet));
    ++m_enqueued;
    return true;
}

std::optional<ForwardPacket> EgressQueue::pop() {
    if (m_packets.empty()) return std::nullopt;
    ForwardPacket p = std::move(m_packets.front());
    m_packets.pop_front();
    return p;
}

void EgressQueue::push_front(ForwardPacket packet) {
    if (m_packets.size() >= m_capacity) {
        ++m_dropped;
        return;
    }
    m_packets.push_front(std::move(packet));
}

std::size_t EgressQueue::drop_all() noexcept {
    const std::size_t n = m_packets.size();
    m_dropped += n;
    m_packets.clear();
    return n;
}

EgressQueues::Result EgressQueues::enqueue(ForwardPacket packet) {
    auto it = m_queues.find(packet.next_hop);
    if (it == m_queues.end()) {
        if (m_queues.size() >= m_max_neighbours) {
            ++m_dropped_neighbour_limit;
            return Result::dropped_too_many_neighbours;
        }
        it = m_queues.emplace(packet.next_hop, EgressQueue(m_queue_length)).first;
    }
    return it->second.push(std::move(packet)) ? Result::queued : Result::dropped_queue_full;
}

EgressQueue* EgressQueues::find(const sphinx::IpEndpoint& neighbour) noexcept {
    const auto it = m_queues.find(neighbour);
    return it == m_queues.end() ? nullptr : &it->second;
}

void EgressQueues::remove(const sphinx::IpEndpoint& neighbour) {
    const auto it = m_queues.find(neighbour);
    if (it == m_queues.end()) return;
    it->second.drop_all();
    m_dropped_removed += it->second.dropped();
    m_queues.erase(it);
}

std::vector<sphinx::IpEndpoint> EgressQueues::neighbours() const {
    std::vector<sphinx::IpEndpoint> out;
    out.reserve(m_queues.size());
    for (const auto& [endpoint, queue] : m_queues) out.push_back(endpoint);
    return out;
}

std::uint64_t EgressQueues::total_dropped() const noexcept {
    std::uint64_t total = m_dropped_removed + m_dropped_neighbour_limit;
    for (const auto& [endpoint, queue] : m_queues) total += queue.dropped();
    return total;
}

} // namespace nym::mixnode
