#include <gateway/store_queue.hpp>

#include <algorithm>

namespace nym::gateway {

StoreQueue::StoreQueue(std::size_t packet_limit, std::size_t max_batch)
    : m_packet_limit(packet_limit), m_max_batch(std::max<std::size_t>(1, max_batch)) {}

bool StoreQueue::push_packet(std::vector<std::uint8_t> packet) {
    if (m_closed || m_packets.size() >= m_packet_limit) return false;
    m_packets.push_back(std::move(packet));
    return true;
}

void StoreQueue::push_delete(DeleteMessages deletes) {
    if (m_closed) return;
    m_deletes.push_back(std::move(deletes));
}

std::optional<StoreQueue::Work> StoreQueue::start_batch() {
    if (m_in_hand || m_closed || (m_packets.empty() && m_deletes.empty())) return std::nullopt;
    Work work;
    const std::size_t n = std::min(m_max_batch, m_packets.size());
    work.packets.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        work.packets.push_back(std::move(m_packets.front()));
        m_packets.pop_front();
    }
    work.deletes.swap(m_deletes);
    m_in_hand = true;
    return work;
}

} // namespace nym::gateway
