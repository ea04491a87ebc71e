// The block follower policy: in order from the last processed height, one fetch at a time,
// bounded prefetch, polling at the tip, back-off on failures; only processed heights count.
#include <gtest/gtest.h>

#include <chain/follower.hpp>

namespace nym::chain {
namespace {

using namespace std::chrono_literals;
using TimePoint = Follower::TimePoint;

TEST(ChainFollower, ResumesAfterTheLastProcessedHeightInOrder) {
    FollowerOptions options;
    options.prefetch = 2;
    Follower f(41, options);
    const TimePoint t0{};
    EXPECT_EQ(f.fetch_due(t0), 42u);
    EXPECT_EQ(f.fetch_due(t0), std::nullopt) << "one fetch in flight";
    f.fetched(t0);
    EXPECT_EQ(f.fetch_due(t0), 43u);
    f.fetched(t0);
    EXPECT_EQ(f.fetch_due(t0), std::nullopt) << "prefetch window full until 42 is processed";
    EXPECT_EQ(f.wake_at(), std::nullopt);
    f.processed(43); // out of order: ignored
    EXPECT_EQ(f.done_height(), 41u);
    f.processed(42);
    EXPECT_EQ(f.done_height(), 42u);
    EXPECT_EQ(f.fetch_due(t0), 44u);
}

TEST(ChainFollower, PollsAtTheTipAndBacksOffOnFailures) {
    FollowerOptions options;
    options.poll_interval = 100ms;
    options.max_backoff = 350ms;
    Follower f(0, options);
    TimePoint now{};
    ASSERT_EQ(f.fetch_due(now), 1u);
    f.not_yet(now);
    EXPECT_TRUE(f.at_tip());
    EXPECT_EQ(f.fetch_due(now + 99ms), std::nullopt);
    EXPECT_EQ(f.wake_at(), now + 100ms);
    ASSERT_EQ(f.fetch_due(now + 100ms), 1u) << "the same height again";
    now += 100ms;
    f.failed(now);
    EXPECT_EQ(f.wake_at(), now + 100ms);
    ASSERT_EQ(f.fetch_due(now + 100ms), 1u);
    now += 100ms;
    f.failed(now);
    EXPECT_EQ(f.wake_at(), now + 200ms) << "doubled";
    ASSERT_EQ(f.fetch_due(now + 200ms), 1u);
    now += 200ms;
    f.failed(now);
    EXPECT_EQ(f.wake_at(), now + 350ms) << "capped";
    ASSERT_EQ(f.fetch_due(now + 350ms), 1u);
    now += 350ms;
    f.fetched(now);
    EXPECT_FALSE(f.at_tip());
    EXPECT_EQ(f.fetch_due(now), 2u) << "success resets the back-off and fetches on at once";
    f.failed(now);
    EXPECT_EQ(f.wake_at(), now + 100ms);
}

TEST(ChainFollower, NothingIsDoneUntilProcessed) {
    Follower f(0);
    const TimePoint t0{};
    ASSERT_EQ(f.fetch_due(t0), 1u);
    f.fetched(t0);
    EXPECT_EQ(f.fetched_height(), 1u);
    EXPECT_EQ(f.done_height(), 0u) << "a restart now would fetch height 1 again";
}

} // namespace
} // namespace nym::chain
