#include <directory/metrics.hpp>

#include <algorithm>

namespace nym::directory {

Expected<void> MetricsStore::accept(const wire::directory::MixMetric& metric, const crypto::Ed25519PublicKey& identity_key,
                                    std::int64_t now_ms) {
    if (auto ok = wire::directory::verify(metric, identity_key); !ok) return ok;
    const auto skew = metric.timestamp_ms > now_ms ? metric.timestamp_ms - now_ms : now_ms - metric.timestamp_ms;
    if (skew > m_config.max_clock_skew.count()) return fail(Errc::clock_skew);
    auto it = m_last.find(metric.pub_key.bytes);
    if (it != m_last.end() && metric.timestamp_ms <= it->second.metric.timestamp_ms) return fail(Errc::replayed);
    m_last[metric.pub_key.bytes] = Entry{metric, now_ms};
    return {};
}

std::vector<wire::directory::MixMetric> MetricsStore::recent(std::int64_t now_ms) {
    std::vector<wire::directory::MixMetric> out;
    // Entries are kept for max_clock_skew (replay protection), shown for `window`.
    const auto keep = std::max(m_config.window, m_config.max_clock_skew).count();
    for (auto it = m_last.begin(); it != m_last.end();) {
        const auto age = now_ms - it->second.received_ms;
        if (age > keep) {
            it = m_last.erase(it);
            continue;
        }
        if (age <= m_config.window.count()) out.push_back(it->second.metric);
        ++it;
    }
    return out;
}

} // namespace nym::directory
