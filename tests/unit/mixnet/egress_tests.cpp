// mixnet::EgressQueues: bounded per-hop FIFOs of framed packets, a bounded number of hops, every
// refusal counted, idle hops evicted.
#include <gtest/gtest.h>

#include <mixnet/egress.hpp>

namespace nym::mixnet {
namespace {

using namespace std::chrono_literals;
using Result = EgressQueues::Result;

const TimePoint T0 = TimePoint{} + 1000s;

sphinx::IpEndpoint hop(std::uint16_t port) {
    return sphinx::IpEndpoint::v4({10, 0, 0, 1}, port);
}
Frame frame(std::uint8_t marker) {
    return Frame{marker};
}

TEST(EgressQueues, FifoAndBoundedPerHop) {
    EgressQueues q(2, 8);
    EXPECT_EQ(q.enqueue(hop(1), frame(1), T0), Result::queued_first);
    EXPECT_EQ(q.enqueue(hop(1), frame(2), T0), Result::queued);
    EXPECT_EQ(q.enqueue(hop(1), frame(3), T0), Result::dropped_queue_full);
    EXPECT_EQ(q.dropped(), 1u);
    EXPECT_EQ(q.queued(hop(1)), 2u);
    EXPECT_EQ((*q.next(hop(1)))[0], 1);
    EXPECT_EQ((*q.next(hop(1)))[0], 2);
    EXPECT_FALSE(q.next(hop(1)));
    EXPECT_EQ(q.enqueue(hop(1), frame(4), T0), Result::queued_first) << "empty again: the hop must be woken";
}

TEST(EgressQueues, AFailedWriteGoesBackToTheFrontOrIsCounted) {
    EgressQueues q(2, 8);
    ASSERT_EQ(q.enqueue(hop(1), frame(1), T0), Result::queued_first);
    auto first = q.next(hop(1));
    ASSERT_TRUE(first);
    q.requeue(hop(1), std::move(*first));
    ASSERT_EQ(q.enqueue(hop(1), frame(2), T0), Result::queued);
    q.requeue(hop(1), frame(0)); // full: dropped, counted
    EXPECT_EQ(q.dropped(), 1u);
    EXPECT_EQ((*q.next(hop(1)))[0], 1) << "the failed frame is retried before the one behind it";
    q.requeue(hop(9), frame(9)); // a hop that no longer exists: counted
    EXPECT_EQ(q.dropped(), 2u);
}

TEST(EgressQueues, OneQueuePerHopAndABoundedNumberOfHops) {
    EgressQueues q(1, 2);
    EXPECT_EQ(q.enqueue(hop(1), frame(1), T0), Result::queued_first);
    EXPECT_EQ(q.enqueue(hop(2), frame(2), T0), Result::queued_first);
    EXPECT_EQ(q.enqueue(hop(1), frame(3), T0), Result::dropped_queue_full);
    EXPECT_EQ(q.enqueue(hop(3), frame(4), T0), Result::dropped_too_many_hops);
    EXPECT_EQ(q.hop_count(), 2u);
    EXPECT_EQ(q.dropped(), 2u);
    EXPECT_EQ(q.dropped_too_many_hops(), 1u);
    EXPECT_FALSE(q.contains(hop(3)));
    EXPECT_EQ(q.remove(hop(2)), 1u) << "one frame was still queued there";
    EXPECT_EQ(q.hop_count(), 1u);
    EXPECT_EQ(q.dropped(), 3u);
    EXPECT_EQ(q.enqueue(hop(3), frame(5), T0), Result::queued_first) << "the removed hop's slot is free";
    EXPECT_EQ(q.hops().size(), 2u);
    EXPECT_EQ(q.queued_total(), 2u);
}

TEST(EgressQueues, IdleHopsAreEvictedAndTheirSlotsReturn) {
    EgressQueues q(4, 2);
    ASSERT_EQ(q.enqueue(hop(1), frame(1), T0), Result::queued_first);
    ASSERT_EQ(q.enqueue(hop(2), frame(2), T0), Result::queued_first);
    ASSERT_TRUE(q.next(hop(1)));
    q.written(hop(1), T0 + 5s);
    // hop 2 still holds a frame: never evicted for idleness; hop 1 was used at T0 + 5 s.
    EXPECT_TRUE(q.evict_idle(T0 + 5s).empty());
    const auto evicted = q.evict_idle(T0 + 6s);
    ASSERT_EQ(evicted.size(), 1u);
    EXPECT_EQ(evicted[0], hop(1));
    EXPECT_EQ(q.enqueue(hop(3), frame(3), T0 + 6s), Result::queued_first);
    EXPECT_EQ(q.dropped(), 0u);
}

} // namespace
} // namespace nym::mixnet
