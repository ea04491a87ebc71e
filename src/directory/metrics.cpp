#include <directory/metrics.hpp>

#include <algorithm>

namespace nym::directory {

Expected<void> MetricsStore::accept(const wire::directory::MixMetric& metric, const crypto::Ed25519PublicKey& identity_key,
                                    std::int64_t now_ms) {
    if (auto ok = wire::directory::verify(metric, identity_key); !ok) return ok;
    const auto skew = metric.timestamp_ms > now_ms ? metric.timestamp_ms - now_ms : now_ms - metric.timestamp_ms;
    if (skew > m_config.max_clock_skew.count()) return fail(Errc::clock_skew);
    if (now_ms - m_last_prune_ms >= 1000) prune(now_ms);
    auto it = m_last.find(identity_key.bytes);
    if (it != m_last.end() && metric.timestamp_ms <= it->second.metric.timestamp_ms) return fail(Errc::replayed);
    if (it == m_last.end() && m_last.size() >= m_config.max_entries) {
        prune(now_ms);
        if (m_last.size() >= m_config.max_entries) return fail(Errc::registry_full);
    }
    m_last[identity_key.bytes] = Entry{metric, now_ms};
    return {};
}

void MetricsStore::prune(std::int64_t now_ms) {
    // Entries are kept for max_clock_skew (replay protection), shown for `window`.
    const auto keep = std::max(m_config.window, m_config.max_clock_skew).count();
    std::erase_if(m_last, [&](const auto& entry) { return now_ms - entry.second.received_ms > keep; });
    m_last_prune_ms = now_ms;
}

std::vector<wire::directory::MixMetric> MetricsStore::recent(std::int64_t now_ms) {
    prune(now_ms);
    std::vector<wire::directory::MixMetric> out;
    for (const auto& [identity, entry] : m_last)
        if (now_ms - entry.received_ms <= m_config.window.count()) out.push_back(entry.metric);
    // Ordered by Sphinx key, as the reports name their node by it.
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.pub_key.bytes < b.pub_key.bytes; });
    return out;
}

} // namespace nym::directory
