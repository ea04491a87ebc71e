#include <mixnode/delay_queue.hpp>

#include <gtest/gtest.h>

namespace nym::mixnode {
namespace {

using namespace std::chrono_literals;

ForwardPacket packet_at(TimePoint release, std::uint8_t marker) {
    ForwardPacket p;
    p.next_hop = sphinx::IpEndpoint::v4({127, 0, 0, 1}, 1789);
    p.release = release;
    p.frame = {marker};
    return p;
}

const TimePoint T0 = TimePoint{} + 1000s;

TEST(DelayQueue, ReleasesInTimeOrder) {
    DelayQueue q;
    ASSERT_EQ(q.push(packet_at(T0 + 30ms, 3), T0).admission, DelayQueue::Admission::delayed);
    ASSERT_EQ(q.push(packet_at(T0 + 10ms, 1), T0).admission, DelayQueue::Admission::delayed);
    ASSERT_EQ(q.push(packet_at(T0 + 20ms, 2), T0).admission, DelayQueue::Admission::delayed);
    EXPECT_EQ(q.next_deadline(), T0 + 10ms);
    EXPECT_TRUE(q.pop_due(T0 + 9ms).empty());
    auto due = q.pop_due(T0 + 20ms);
    ASSERT_EQ(due.size(), 2u);
    EXPECT_EQ(due[0].frame[0], 1);
    EXPECT_EQ(due[1].frame[0], 2);
    EXPECT_EQ(q.next_deadline(), T0 + 30ms);
    due = q.pop_due(T0 + 1h);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].frame[0], 3);
    EXPECT_FALSE(q.next_deadline());
    EXPECT_EQ(q.stats().released, 3u);
}

TEST(DelayQueue, EqualReleaseTimesKeepPushOrder) {
    DelayQueue q;
    for (std::uint8_t i = 0; i < 50; ++i) (void)q.push(packet_at(T0 + 5ms, i), T0);
    auto due = q.pop_due(T0 + 5ms);
    ASSERT_EQ(due.size(), 50u);
    for (std::uint8_t i = 0; i < 50; ++i) EXPECT_EQ(due[i].frame[0], i);
}

TEST(DelayQueue, ZeroOrPastDelayBypasses) {
    DelayQueue q;
    auto r = q.push(packet_at(T0, 7), T0);
    EXPECT_EQ(r.admission, DelayQueue::Admission::due_now);
    ASSERT_TRUE(r.packet);
    EXPECT_EQ(r.packet->frame[0], 7);
    r = q.push(packet_at(T0 - 1s, 8), T0);
    EXPECT_EQ(r.admission, DelayQueue::Admission::due_now);
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.stats().bypassed, 2u);
}

TEST(DelayQueue, ClampsToMaxDelay) {
    DelayQueue q({.max_delay = 10s, .capacity = 10});
    ASSERT_EQ(q.push(packet_at(T0 + 1h, 1), T0).admission, DelayQueue::Admission::delayed);
    EXPECT_EQ(q.next_deadline(), T0 + 10s);
    EXPECT_EQ(q.stats().clamped, 1u);
    EXPECT_TRUE(q.pop_due(T0 + 9999ms).empty());
    EXPECT_EQ(q.pop_due(T0 + 10s).size(), 1u);
}

TEST(DelayQueue, ZeroMaxDelayMeansNothingWaits) {
    DelayQueue q({.max_delay = 0s, .capacity = 10});
    auto r = q.push(packet_at(T0 + 5ms, 1), T0);
    EXPECT_EQ(r.admission, DelayQueue::Admission::due_now);
    EXPECT_TRUE(q.empty());
}

TEST(DelayQueue, BoundedWithDropCounting) {
    DelayQueue q({.max_delay = 10s, .capacity = 3});
    for (std::uint8_t i = 0; i < 3; ++i)
        ASSERT_EQ(q.push(packet_at(T0 + 1s, i), T0).admission, DelayQueue::Admission::delayed);
    auto r = q.push(packet_at(T0 + 1s, 9), T0);
    EXPECT_EQ(r.admission, DelayQueue::Admission::dropped_full);
    EXPECT_FALSE(r.packet);
    EXPECT_EQ(q.size(), 3u);
    EXPECT_EQ(q.stats().dropped_full, 1u);
    // A due packet is not held, so a full heap does not refuse it.
    EXPECT_EQ(q.push(packet_at(T0, 10), T0).admission, DelayQueue::Admission::due_now);
    (void)q.pop_due(T0 + 1s);
    EXPECT_EQ(q.push(packet_at(T0 + 2s, 11), T0 + 1s).admission, DelayQueue::Admission::delayed);
}

TEST(ReleaseTime, ClampsNegativeAndLarge) {
    EXPECT_EQ(release_time(T0, -5ms, 10s), T0);
    EXPECT_EQ(release_time(T0, 3ms, 10s), T0 + 3ms);
    EXPECT_EQ(release_time(T0, std::chrono::nanoseconds::max(), 10s), T0 + 10s);
}

} // namespace
} // namespace nym::mixnode
