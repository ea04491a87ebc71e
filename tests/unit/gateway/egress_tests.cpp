// The gateway's egress to its first hops is the shared mixnet::EgressQueues, single-owner on the
// daemon's I/O thread: what the gateway relies on (wake on the first frame, bounded and counted
// overflow, failed writes back to the front, idle hops give their slot back).
#include <mixnet/egress.hpp>

#include <gtest/gtest.h>

namespace nym::gateway {
namespace {

using Bytes = std::vector<std::uint8_t>;
using mixnet::EgressQueues;

const sphinx::IpEndpoint HOP_A = sphinx::IpEndpoint::v4({127, 0, 0, 1}, 1000);
const sphinx::IpEndpoint HOP_B = sphinx::IpEndpoint::v4({127, 0, 0, 1}, 1001);
const mixnet::TimePoint T0{};

TEST(GatewayEgress, WakesOnFirstFrameAndCountsOverflow) {
    EgressQueues queues(2, 8);
    EXPECT_EQ(queues.enqueue(HOP_A, Bytes{1}, T0), EgressQueues::Result::queued_first);
    EXPECT_EQ(queues.enqueue(HOP_A, Bytes{2}, T0), EgressQueues::Result::queued);
    EXPECT_EQ(queues.enqueue(HOP_A, Bytes{3}, T0), EgressQueues::Result::dropped_queue_full);
    EXPECT_EQ(queues.enqueue(HOP_B, Bytes{4}, T0), EgressQueues::Result::queued_first);
    EXPECT_EQ(queues.dropped(), 1u);
    EXPECT_EQ(queues.queued_total(), 3u);
    EXPECT_EQ(queues.next(HOP_A), Bytes{1});
    queues.requeue(HOP_A, Bytes{1}); // a failed write goes back to the front
    EXPECT_EQ(queues.next(HOP_A), Bytes{1});
    EXPECT_EQ(queues.next(HOP_A), Bytes{2});
    EXPECT_FALSE(queues.next(HOP_A).has_value());
    // Drained: the next frame wakes the I/O side again.
    EXPECT_EQ(queues.enqueue(HOP_A, Bytes{5}, T0), EgressQueues::Result::queued_first);
}

TEST(GatewayEgress, BoundsDistinctHopsButFreesIdleOnes) {
    EgressQueues queues(4, 1);
    EXPECT_EQ(queues.enqueue(HOP_A, Bytes{1}, T0), EgressQueues::Result::queued_first);
    EXPECT_EQ(queues.enqueue(HOP_B, Bytes{2}, T0), EgressQueues::Result::dropped_too_many_hops);
    EXPECT_EQ(queues.next(HOP_A), Bytes{1});
    EXPECT_FALSE(queues.next(HOP_A).has_value());
    // Idle since T0: its slot is released by the daemon's periodic eviction.
    EXPECT_EQ(queues.evict_idle(T0 + std::chrono::seconds(1)), std::vector<sphinx::IpEndpoint>{HOP_A});
    EXPECT_EQ(queues.enqueue(HOP_B, Bytes{2}, T0), EgressQueues::Result::queued_first);
    EXPECT_EQ(queues.dropped(), 1u);
}

} // namespace
} // namespace nym::gateway
