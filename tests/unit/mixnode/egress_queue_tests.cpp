#include <mixnode/egress_queue.hpp>

#include <gtest/gtest.h>

namespace nym::mixnode {
namespace {

ForwardPacket to(std::uint16_t port, std::uint8_t marker) {
    ForwardPacket p;
    p.next_hop = sphinx::IpEndpoint::v4({10, 0, 0, 1}, port);
    p.packet = {marker};
    return p;
}

TEST(EgressQueue, FifoAndBounded) {
    EgressQueue q(2);
    EXPECT_TRUE(q.push(to(1, 1)));
    EXPECT_TRUE(q.push(to(1, 2)));
    EXPECT_FALSE(q.push(to(1, 3)));
    EXPECT_EQ(q.dropped(), 1u);
    EXPECT_EQ(q.enqueued(), 2u);
    EXPECT_EQ(q.pop()->packet[0], 1);
    EXPECT_EQ(q.pop()->packet[0], 2);
    EXPECT_FALSE(q.pop());
}

TEST(EgressQueue, PushFrontAndDropAllCount) {
    EgressQueue q(2);
    ASSERT_TRUE(q.push(to(1, 1)));
    auto p = q.pop();
    q.push_front(std::move(*p));
    ASSERT_TRUE(q.push(to(1, 2)));
    q.push_front(to(1, 0)); // full: dropped, counted
    EXPECT_EQ(q.dropped(), 1u);
    EXPECT_EQ(q.pop()->packet[0], 1);
    EXPECT_EQ(q.drop_all(), 1u);
    EXPECT_EQ(q.dropped(), 2u);
    EXPECT_TRUE(q.empty());
}

TEST(EgressQueues, OneQueuePerNeighbour) {
    EgressQueues qs(1, 2);
    EXPECT_EQ(qs.enqueue(to(1, 1)), EgressQueues::Result::queued);
    EXPECT_EQ(qs.enqueue(to(2, 2)), EgressQueues::Result::queued);
    EXPECT_EQ(qs.enqueue(to(1, 3)), EgressQueues::Result::dropped_queue_full);
    EXPECT_EQ(qs.enqueue(to(3, 4)), EgressQueues::Result::dropped_too_many_neighbours);
    EXPECT_EQ(qs.neighbour_count(), 2u);
    EXPECT_EQ(qs.total_dropped(), 2u);
    EXPECT_EQ(qs.dropped_too_many_neighbours(), 1u);
    auto* q1 = qs.find(sphinx::IpEndpoint::v4({10, 0, 0, 1}, 1));
    ASSERT_NE(q1, nullptr);
    EXPECT_EQ(q1->pop()->packet[0], 1);
    EXPECT_EQ(qs.find(sphinx::IpEndpoint::v4({10, 0, 0, 1}, 3)), nullptr);
    qs.remove(sphinx::IpEndpoint::v4({10, 0, 0, 1}, 2)); // one packet still queued there
    EXPECT_EQ(qs.neighbour_count(), 1u);
    EXPECT_EQ(qs.total_dropped(), 3u);
    EXPECT_EQ(qs.enqueue(to(3, 5)), EgressQueues::Result::queued);
    EXPECT_EQ(qs.neighbours().size(), 2u);
}

} // namespace
} // namespace nym::mixnode
