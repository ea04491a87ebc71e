// The rule "client packets and SURB-acks go only to layer-1 nodes of the topology, with a 60 s
// grace" (src/gateway/first_hops.hpp). These tests fail if a frame reaches the egress for a node
// that is not (or no longer) in layer 1, or before the first topology.
#include "gateway_fixture.hpp"

#include <wire/framing.hpp>

#include <gtest/gtest.h>

namespace nym::gateway {
namespace {

using namespace test;

TEST(FirstHops, NothingBeforeTheFirstTopologyThenLayerOneWithAGracePeriod) {
    FirstHops hops(std::chrono::seconds(60));
    EXPECT_FALSE(hops.known());
    EXPECT_FALSE(hops.allowed(HOP_A, at(NOW))); // no topology yet: refuse
    EXPECT_TRUE(hops.update({HOP_A, HOP_B}, at(NOW)));  // the first update says so (logged once)
    EXPECT_FALSE(hops.update({HOP_A, HOP_B}, at(NOW))); // later ones do not
    EXPECT_TRUE(hops.known());
    EXPECT_TRUE(hops.allowed(HOP_A, at(NOW)));
    EXPECT_TRUE(hops.allowed(HOP_B, at(NOW)));
    EXPECT_FALSE(hops.allowed(sphinx::IpEndpoint::v4({127, 0, 0, 1}, 9), at(NOW)));
    EXPECT_FALSE(hops.allowed(sphinx::IpEndpoint::v4({127, 0, 0, 2}, 1000), at(NOW))); // same port, other ip

    // HOP_B leaves the topology at NOW + 10: allowed for 60 s more, then not.
    EXPECT_FALSE(hops.update({HOP_A}, at(NOW + 10)));
    EXPECT_TRUE(hops.allowed(HOP_B, at(NOW + 10)));
    EXPECT_TRUE(hops.allowed(HOP_B, at(NOW + 70)));
    EXPECT_FALSE(hops.allowed(HOP_B, at(NOW + 71)));
    // A node that is still listed stays allowed however old the last update is (a directory outage
    // must not stop traffic).
    EXPECT_TRUE(hops.allowed(HOP_A, at(NOW + 100'000)));

    // Back in the topology inside the grace period: current again, with a fresh grace when it leaves.
    EXPECT_FALSE(hops.update({HOP_A, HOP_B}, at(NOW + 50)));
    EXPECT_FALSE(hops.update({HOP_A}, at(NOW + 100)));
    EXPECT_TRUE(hops.allowed(HOP_B, at(NOW + 160)));
    EXPECT_FALSE(hops.allowed(HOP_B, at(NOW + 161)));
    // Expired entries are forgotten at the next update.
    EXPECT_EQ(hops.size(), 2u);
    EXPECT_FALSE(hops.update({HOP_A}, at(NOW + 200)));
    EXPECT_EQ(hops.size(), 1u);
    // An empty topology (every mix gone at once): the old ones still get their grace period.
    EXPECT_FALSE(hops.update({}, at(NOW + 300)));
    EXPECT_TRUE(hops.allowed(HOP_A, at(NOW + 360)));
    EXPECT_FALSE(hops.allowed(HOP_A, at(NOW + 361)));

    EXPECT_FALSE(hops.take_refresh_request());
    hops.request_refresh();
    EXPECT_TRUE(hops.take_refresh_request());
    EXPECT_FALSE(hops.take_refresh_request());
}

TEST(FirstHops, OnlyAllowedHopsGetAClearedFrame) {
    FirstHops hops;
    EXPECT_FALSE(hops.clear(HOP_A, Bytes{1}, at(NOW)).has_value()); // before the first topology
    (void)hops.update({HOP_A}, at(NOW));
    auto cleared = hops.clear(HOP_A, Bytes{1, 2}, at(NOW));
    ASSERT_TRUE(cleared.has_value());
    EXPECT_EQ(cleared->hop(), HOP_A);
    EXPECT_EQ(cleared->frame(), (Bytes{1, 2}));
    EXPECT_FALSE(hops.clear(HOP_B, Bytes{1}, at(NOW)).has_value());
}

/// Acks released by a commit that stored every message.
ReleasedAcks released(const std::vector<sphinx::IpEndpoint>& hops) {
    static const Bytes content{1};
    std::vector<HeldMessage> held;
    for (const auto& hop : hops)
        held.push_back(HeldMessage{IncomingMessage{ClientAddress{}, content, at(NOW)},
                                   HeldAck{hop, Bytes(ACK_PACKET_SIZE, 0xac)}});
    return commit_then_release(std::move(held), [](std::span<const IncomingMessage> messages) {
               std::vector<Expected<std::uint64_t>> ids;
               for (std::size_t i = 0; i < messages.size(); ++i) ids.emplace_back(i + 1);
               return ids;
           })
        .acks;
}

TEST(AdmitAcks, ReleasedAcksLeaveOnlyForLayerOneNodesFramed) {
    const auto nowhere = sphinx::IpEndpoint::v4({127, 0, 0, 1}, 9);
    const ReleasedAcks acks = released({HOP_A, nowhere, HOP_B});

    FirstHops before_topology;
    AdmittedAcks none = admit_acks(acks, before_topology, at(NOW));
    EXPECT_TRUE(none.frames.empty());
    EXPECT_EQ(none.refused, 3u);

    FirstHops hops;
    (void)hops.update({HOP_A, HOP_B}, at(NOW));
    AdmittedAcks admitted = admit_acks(acks, hops, at(NOW));
    ASSERT_EQ(admitted.frames.size(), 2u);
    EXPECT_EQ(admitted.refused, 1u);
    EXPECT_EQ(admitted.frames[0].hop(), HOP_A);
    EXPECT_EQ(admitted.frames[1].hop(), HOP_B);
    EXPECT_EQ(admitted.frames[0].frame(), wire::encode_frame(Bytes(ACK_PACKET_SIZE, 0xac)).value());

    // HOP_B leaves layer 1: its acks still go during the grace period, not after.
    (void)hops.update({HOP_A}, at(NOW + 1));
    EXPECT_EQ(admit_acks(acks, hops, at(NOW + 61)).frames.size(), 2u);
    AdmittedAcks late = admit_acks(acks, hops, at(NOW + 62));
    ASSERT_EQ(late.frames.size(), 1u);
    EXPECT_EQ(late.frames[0].hop(), HOP_A);
    EXPECT_EQ(late.refused, 2u);
}

} // namespace
} // namespace nym::gateway
