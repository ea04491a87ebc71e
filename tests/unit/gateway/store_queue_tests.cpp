// The store's work queue (src/gateway/store_queue.hpp): bounded packets, one batch in hand at a time.
#include <gateway/store_queue.hpp>

#include <gtest/gtest.h>

namespace nym::gateway {
namespace {

using Bytes = std::vector<std::uint8_t>;

TEST(StoreQueue, BoundedBatchesOneInHandAndDeletes) {
    StoreQueue queue(5, 3);
    EXPECT_FALSE(queue.start_batch().has_value()); // nothing waits
    for (std::uint8_t i = 0; i < 5; ++i) EXPECT_TRUE(queue.push_packet(Bytes{i}));
    EXPECT_FALSE(queue.push_packet(Bytes{9})); // full: refused, the caller counts it
    queue.push_delete(DeleteMessages{ClientAddress{}, {1, 2}});
    auto work = queue.start_batch();
    ASSERT_TRUE(work.has_value());
    EXPECT_EQ(work->packets.size(), 3u);
    EXPECT_EQ(work->packets[0], Bytes{0});
    EXPECT_EQ(work->deletes.size(), 1u);
    EXPECT_TRUE(queue.in_hand());
    // One batch at a time: what arrives meanwhile waits for the next one.
    EXPECT_TRUE(queue.push_packet(Bytes{7}));
    EXPECT_FALSE(queue.start_batch().has_value());
    queue.finish_batch();
    work = queue.start_batch();
    ASSERT_TRUE(work.has_value());
    EXPECT_EQ(work->packets.size(), 3u);
    EXPECT_EQ(work->packets[2], Bytes{7});
    EXPECT_TRUE(work->deletes.empty());
    queue.finish_batch();
    EXPECT_EQ(queue.pending_packets(), 0u);

    // Closed: nothing is accepted and no batch starts; a batch in hand may still finish.
    EXPECT_TRUE(queue.push_packet(Bytes{8}));
    work = queue.start_batch();
    ASSERT_TRUE(work.has_value());
    queue.close();
    EXPECT_TRUE(queue.in_hand());
    queue.finish_batch();
    EXPECT_FALSE(queue.push_packet(Bytes{1}));
    queue.push_delete(DeleteMessages{ClientAddress{}, {3}});
    EXPECT_FALSE(queue.start_batch().has_value());
    EXPECT_TRUE(queue.closed());
}

} // namespace
} // namespace nym::gateway
