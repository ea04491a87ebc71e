#include <algorithm>
#include <chain/follower.hpp>

namespace nym::chain {

Follower::Follower(std::uint64_t done_height, FollowerOptions options)
    : m_options(options), m_done(done_height), m_fetched(done_height), m_backoff(options.poll_interval) {
    if (m_options.prefetch == 0) m_options.prefetch = 1;
}

std::optional<std::uint64_t> Follower::fetch_due(TimePoint now) {
    if (m_in_flight || m_fetched - m_done >= m_options.prefetch || now < m_not_before) return std::nullopt;
    m_in_flight = true;
    return m_fetched + 1;
}

std::optional<Follower::TimePoint> Follower::wake_at() const {
    if (m_in_flight || m_fetched - m_done >= m_options.prefetch) return std::nullopt;
    return m_not_before;
}

void Follower::fetched(TimePoint now) {
    m_in_flight = false;
    m_at_tip = false;
    ++m_fetched;
    m_backoff = m_options.poll_interval;
    m_not_before = now;
}

void Follower::not_yet(TimePoint now) {
    m_in_flight = false;
    m_at_tip = true;
    m_backoff = m_options.poll_interval;
    m_not_before = now + m_options.poll_interval;
}

void Follower::failed(TimePoint now) {
    m_in_flight = false;
    m_not_before = now + m_backoff;
    m_backoff = std::min(m_backoff * 2, m_options.max_backoff);
}

void Follower::processed(std::uint64_t height) {
    if (height == m_done + 1 && height <= m_fetched) m_done = height;
}

} // namespace nym::chain
