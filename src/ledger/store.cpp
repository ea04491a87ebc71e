#include <ledger/store.hpp>

#include <mutex>

namespace nym::ledger {

std::optional<Bytes> MemoryStore::get(ByteSpan key) const {
    std::shared_lock lock(m_mutex);
    auto it = m_data.find(key);
    if (it == m_data.end()) return std::nullopt;
    return it->second;
}

void MemoryStore::scan(const std::function<void(ByteSpan key, ByteSpan value)>& visit) const {
    std::shared_lock lock(m_mutex);
    for (const auto& [k, v] : m_data) visit(k, v);
}

void MemoryStore::commit(const WriteBatch& batch, const CommitPoint& point) {
    std::unique_lock lock(m_mutex);
    for (const auto& [k, v] : batch) {
        if (v)
            m_data.insert_or_assign(k, *v);
        else
            m_data.erase(k);
    }
    m_point = point;
}

CommitPoint MemoryStore::last_commit() const {
    std::shared_lock lock(m_mutex);
    return m_point;
}

std::size_t MemoryStore::size() const {
    std::shared_lock lock(m_mutex);
    return m_data.size();
}

} // namespace nym::ledger
