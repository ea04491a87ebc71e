// The store serial's round (src/gateway/mix_stage.hpp): final hop + one group commit, acks of the
// committed messages, drops counted, deletions.
#include "gateway_fixture.hpp"

#include <wire/framing.hpp>

#include <gtest/gtest.h>

namespace nym::gateway {
namespace {

using namespace test;

TEST(MixStage, CommitsThenReturnsAcksAndCountsDrops) {
    GatewayFixture f;
    EXPECT_TRUE(f.register_client(1).closes.empty());
    StoreQueue::Work work;
    const Bytes packet = f.packet_for_client(7);
    work.packets.push_back(packet);
    work.packets.push_back(packet);                      // replay
    work.packets.push_back(Bytes(packet.size(), 0x55)); // garbage
    work.packets.push_back(Bytes(100, 1));              // not a packet size
    StageOutput out = f.stage.process(std::move(work), at(NOW));
    ASSERT_EQ(out.acks.size(), 1u);
    EXPECT_EQ(out.acks.acks()[0].first_hop, HOP_A);
    EXPECT_EQ(out.acks.acks()[0].packet.size(), ACK_PACKET_SIZE);
    EXPECT_EQ(out.clients_with_new_messages.count(f.client.public_key()), 1u);
    EXPECT_EQ(f.counters.stored.load(), 1u);
    EXPECT_EQ(f.counters.dropped_by(DropReason::replayed), 1u);
    EXPECT_EQ(f.counters.dropped_by(DropReason::bad_mac) + f.counters.dropped_by(DropReason::malformed), 2u);
    const auto stored = f.store->fetch_batch(f.client.public_key()).value();
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(stored[0].content, Bytes(40, 7));

    // Framed for the wire, the ack is an ack-sized packet.
    AdmittedAcks admitted = admit_acks(out.acks, f.first_hops, at(NOW));
    ASSERT_EQ(admitted.frames.size(), 1u);
    auto frame_size =
        wire::packet_size_for_length(admitted.frames[0].frame().size() - wire::FRAME_HEADER_SIZE);
    ASSERT_TRUE(frame_size.has_value());
    EXPECT_EQ(*frame_size, sphinx::PacketSize::ack);

    // Deletions of several Acks go through the same stage.
    StoreQueue::Work deletes;
    deletes.deletes.push_back(DeleteMessages{f.client.public_key(), {stored[0].id}});
    deletes.deletes.push_back(DeleteMessages{f.client.public_key(), {999}});
    (void)f.stage.process(std::move(deletes), at(NOW));
    EXPECT_EQ(f.counters.acked.load(), 1u);
    EXPECT_TRUE(f.store->fetch_batch(f.client.public_key()).value().empty());
}

TEST(MixStage, ExpiryDeletesOldMessagesAndCountsThem) {
    GatewayFixture f;
    ASSERT_TRUE(f.store->store(f.client.public_key(), Bytes{1}, at(NOW - 100)));
    ASSERT_TRUE(f.store->store(f.client.public_key(), Bytes{2}, at(NOW)));
    EXPECT_EQ(f.stage.expire(at(NOW - 50)), 1u);
    EXPECT_EQ(f.counters.expired.load(), 1u);
    EXPECT_EQ(f.store->fetch_batch(f.client.public_key()).value().size(), 1u);
}

} // namespace
} // namespace nym::gateway
