#pragma once
// "Follow committed blocks in order from the last height finished", without I/O: the policy that
// issuers, verifiers and providers share. The daemon asks what to fetch, fetches it, and reports
// what happened; the role processes delivered blocks in order and reports each one processed once
// its effects are durable. Only processed heights count as done, so a restart resumes after the
// last one and skips nothing.
//
//   done      <= fetched height: blocks handed to the role, not all processed yet
//   at most `prefetch` blocks are fetched ahead of the last processed one; one fetch in flight
//   "not yet committed" waits poll_interval; failures back off exponentially up to max_backoff

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace nym::chain {

struct FollowerOptions {
    std::chrono::milliseconds poll_interval{100};
    std::chrono::milliseconds max_backoff{5000};
    std::size_t prefetch = 2;
};

class Follower {
public:
    using Clock = std::chrono::steady_clock;
    using TimePoint = Clock::time_point;

    /// Resumes after `done_height` (0: from the first block).
    explicit Follower(std::uint64_t done_height, FollowerOptions options = {});

    /// The height to fetch now, if one is due (and marks it in flight).
    [[nodiscard]] std::optional<std::uint64_t> fetch_due(TimePoint now);
    /// When a fetch becomes due by time alone (nullopt: waiting for a fetch or for processing).
    [[nodiscard]] std::optional<TimePoint> wake_at() const;

    /// The block at the in-flight height arrived and goes to the role.
    void fetched(TimePoint now);
    /// The node has not committed the in-flight height yet: ask again after poll_interval.
    void not_yet(TimePoint now);
    /// The fetch failed: ask again after the current back-off (doubled each time, reset on success).
    void failed(TimePoint now);
    /// The role has durably finished `height` (must be done_height() + 1).
    void processed(std::uint64_t height);

    [[nodiscard]] std::uint64_t done_height() const noexcept { return m_done; }
    [[nodiscard]] std::uint64_t fetched_height() const noexcept { return m_fetched; }
    [[nodiscard]] bool in_flight() const noexcept { return m_in_flight; }
    /// True while the last fetch said the chain has no newer block (the follower is at the tip).
    [[nodiscard]] bool at_tip() const noexcept { return m_at_tip; }

private:
    FollowerOptions m_options;
    std::uint64_t m_done;
    std::uint64_t m_fetched;
    bool m_in_flight = false;
    bool m_at_tip = false;
    TimePoint m_not_before{};
    std::chrono::milliseconds m_backoff;
};

} // namespace nym::chain
