#include <gateway/rate_limit.hpp>

#include <algorithm>

namespace nym::gateway {

RateLimiter::RateLimiter(std::uint32_t per_minute, std::uint32_t total_per_minute, std::size_t max_keys)
    : m_per_key(std::max<std::uint32_t>(1, per_minute)), m_total_capacity(std::max<std::uint32_t>(1, total_per_minute)),
      m_max_keys(std::max<std::size_t>(1, max_keys)), m_total{m_total_capacity, UnixSeconds{}} {}

void RateLimiter::refill(Bucket& b, double capacity, UnixSeconds now) {
    if (now > b.at) {
        const auto elapsed = static_cast<double>((now - b.at).count());
        b.tokens = std::min(capacity, b.tokens + elapsed * capacity / 60.0);
    }
    b.at = std::max(b.at, now);
}

void RateLimiter::forget_full(UnixSeconds now) {
    for (auto it = m_buckets.begin(); it != m_buckets.end();) {
        refill(it->second, m_per_key, now);
        if (it->second.tokens >= m_per_key) it = m_buckets.erase(it);
        else ++it;
    }
}

bool RateLimiter::allow(std::string_view key, UnixSeconds now) {
    refill(m_total, m_total_capacity, now);
    if (m_total.tokens < 1) return false;
    auto it = m_buckets.find(key);
    if (it == m_buckets.end()) {
        if (m_buckets.size() >= m_max_keys) forget_full(now); // a full bucket is the same as none
        if (m_buckets.size() >= m_max_keys) return false;
        it = m_buckets.emplace(std::string(key), Bucket{m_per_key, now}).first;
    }
    refill(it->second, m_per_key, now);
    if (it->second.tokens < 1) return false;
    it->second.tokens -= 1;
    m_total.tokens -= 1;
    return true;
}

} // namespace nym::gateway
