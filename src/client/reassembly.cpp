#include <client/reassembly.hpp>

#include <algorithm>

namespace nym::client {

Reassembler::Outcome Reassembler::add(std::uint64_t message_id, std::uint32_t index, std::uint32_t total,
                                      std::span<const std::uint8_t> data, TimePoint now,
                                      std::vector<std::uint8_t>& out) {
    if (total == 0 || index >= total || total > m_limits.max_fragments) return Outcome::invalid;
    if (m_completed.count(message_id) != 0) return Outcome::duplicate;

    if (total == 1) {
        // Nothing to buffer: a one-fragment message completes at once.
        out.assign(data.begin(), data.end());
        remember_completed(message_id, now);
        return Outcome::complete;
    }

    auto it = m_partials.find(message_id);
    if (it == m_partials.end()) {
        while (m_partials.size() >= m_limits.max_partial_messages) evict_stalest();
        Partial p;
        p.total = total;
        p.parts.resize(total);
        p.have.resize(total, false);
        p.bytes = total * sizeof(std::vector<std::uint8_t>);
        p.last_update = now;
        m_buffered += p.bytes;
        it = m_partials.emplace(message_id, std::move(p)).first;
    }
    Partial& p = it->second;
    if (p.total != total) return Outcome::invalid; // fragments of one message disagree
    if (p.have[index]) return Outcome::duplicate;

    p.have[index] = true;
    p.parts[index].assign(data.begin(), data.end());
    p.bytes += data.size();
    m_buffered += data.size();
    ++p.received;
    p.last_update = now;

    if (p.received == p.total) {
        std::size_t size = 0;
        for (const auto& part : p.parts) size += part.size();
        out.clear();
        out.reserve(size);
        for (const auto& part : p.parts) out.insert(out.end(), part.begin(), part.end());
        drop(it);
        remember_completed(message_id, now);
        return Outcome::complete;
    }
    // Keep the ceiling: evict the stalest partial messages other than this one.
    while (m_buffered > m_limits.max_buffered_bytes && m_partials.size() > 1) evict_stalest();
    if (m_buffered > m_limits.max_buffered_bytes) {
        drop(m_partials.find(message_id));
        return Outcome::invalid;
    }
    return Outcome::incomplete;
}

void Reassembler::drop(std::unordered_map<std::uint64_t, Partial>::iterator it) {
    m_buffered -= it->second.bytes;
    m_partials.erase(it);
}

void Reassembler::evict_stalest() {
    auto stalest = m_partials.begin();
    for (auto it = m_partials.begin(); it != m_partials.end(); ++it)
        if (it->second.last_update < stalest->second.last_update) stalest = it;
    if (stalest == m_partials.end()) return;
    m_buffered -= stalest->second.bytes;
    m_partials.erase(stalest);
}

void Reassembler::remember_completed(std::uint64_t id, TimePoint now) {
    m_completed[id] = now;
    m_completed_order.emplace_back(now, id);
    while (m_completed_order.size() > m_limits.max_completed_remembered) {
        m_completed.erase(m_completed_order.front().second);
        m_completed_order.pop_front();
    }
}

std::size_t Reassembler::expire(TimePoint now) {
    std::size_t dropped = 0;
    for (auto it = m_partials.begin(); it != m_partials.end();) {
        if (now - it->second.last_update > m_limits.partial_timeout) {
            m_buffered -= it->second.bytes;
            it = m_partials.erase(it);
            ++dropped;
        } else {
            ++it;
        }
    }
    while (!m_completed_order.empty() && now - m_completed_order.front().first > m_limits.completed_memory) {
        m_completed.erase(m_completed_order.front().second);
        m_completed_order.pop_front();
    }
    return dropped;
}

} // namespace nym::client
