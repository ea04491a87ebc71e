// MixNode: the sans-IO pipeline Processor → DelayQueue → EgressQueues and its counters, driven with
// injected time exactly as the daemon's event loop drives it.
#include <mixnode/node.hpp>

#include <sphinx/builder.hpp>
#include <sphinx/node_address.hpp>
#include <sphinx/packet_size.hpp>
#include <wire/directory.hpp>
#include <wire/framing.hpp>

#include <gtest/gtest.h>

namespace nym::mixnode {
namespace {

using namespace std::chrono_literals;
using sphinx::PacketSize;

const TimePoint T0 = TimePoint{} + 1000s;

class MixNodeTest : public ::testing::Test {
protected:
    crypto::DeterministicRng rng{7};
    NodeKeys keys = make_keys();
    Config config = make_config();
    MixNode node{config, keys, rng};
    crypto::X25519SecretKey next_key = crypto::X25519SecretKey::generate(rng);
    sphinx::IpEndpoint next = sphinx::IpEndpoint::v4({127, 0, 0, 1}, 2001);
    sphinx::IpEndpoint other = sphinx::IpEndpoint::v4({127, 0, 0, 1}, 2002);

    void SetUp() override { EXPECT_TRUE(node.update_topology(topology({next, other}), T0).empty()); }

    /// A topology whose layer-3 mix nodes (the next layer of this layer-2 node) are `hops`.
    static wire::directory::Topology topology(const std::vector<sphinx::IpEndpoint>& hops) {
        wire::directory::Topology t;
        for (const auto& hop : hops) {
            wire::directory::TopologyMixNode mix;
            mix.host = hop.to_string();
            mix.layer = 3;
            t.mix_nodes.push_back(mix);
        }
        wire::directory::TopologyMixNode elsewhere; // layer 1: never a next hop of layer 2
        elsewhere.host = "127.0.0.1:2999";
        elsewhere.layer = 1;
        t.mix_nodes.push_back(elsewhere);
        return t;
    }

    NodeKeys make_keys() {
        auto identity = crypto::Ed25519SecretKey::generate(rng);
        auto identity_public = identity.public_key();
        auto sphinx_key = crypto::X25519SecretKey::generate(rng);
        auto sphinx_public = sphinx_key.public_key();
        return NodeKeys{std::move(identity), identity_public, std::move(sphinx_key), sphinx_public};
    }
    static Config make_config() {
        Config c;
        c.id = "unit";
        c.layer = 2;
        c.max_delay = 1000ms;
        c.egress_queue_length = 3;
        c.replay_expected_packets_per_second = 10;
        return c;
    }

    /// A two-hop packet [this node, `to`] whose first hop waits `delay`, framed as it arrives.
    wire::Frame packet(std::chrono::milliseconds delay, const sphinx::IpEndpoint& to) {
        const std::vector<sphinx::RouteNode> route{{sphinx::encode_node_address(next), keys.sphinx_public},
                                                   {sphinx::encode_node_address(to), next_key.public_key()}};
        const std::vector<sphinx::Delay> delays{sphinx::Delay::from_duration(delay), sphinx::Delay{}};
        const std::vector<std::uint8_t> message{'m'};
        auto built = sphinx::build_packet(route, delays, sphinx::DestinationAddress{}, sphinx::SurbIdentifier{},
                                          message, sphinx::payload_size(PacketSize::regular), rng);
        EXPECT_TRUE(built);
        wire::Frame frame;
        frame.size = PacketSize::regular;
        frame.packet = built ? *built : std::vector<std::uint8_t>{};
        return frame;
    }
};

TEST_F(MixNodeTest, AZeroDelayPacketGoesStraightToItsNeighbourFramed) {
    auto hop = node.accept(node.unwrap(packet(0ms, next), T0), T0);
    ASSERT_TRUE(hop);
    EXPECT_EQ(*hop, next);
    EXPECT_EQ(node.delayed(), 0u);

    auto frame = node.next_frame(next);
    ASSERT_TRUE(frame);
    ASSERT_EQ(frame->size(), wire::FRAME_HEADER_SIZE + sphinx::packet_size(PacketSize::regular));
    const auto header = wire::encode_frame_header(PacketSize::regular);
    EXPECT_TRUE(std::equal(header.begin(), header.end(), frame->begin()));
    EXPECT_FALSE(node.next_frame(next)) << "one packet in, one frame out";

    node.on_written(next, T0);
    const Metrics totals = node.totals();
    EXPECT_EQ(totals.received, 1u);
    EXPECT_EQ(totals.forwarded, 1u);
    EXPECT_EQ(totals.sent_total(), 1u);
}

TEST_F(MixNodeTest, ADelayedPacketIsReleasedOnlyWhenDue) {
    EXPECT_FALSE(node.accept(node.unwrap(packet(200ms, next), T0), T0));
    EXPECT_EQ(node.delayed(), 1u);
    ASSERT_TRUE(node.next_deadline());
    EXPECT_EQ(*node.next_deadline(), T0 + 200ms);

    EXPECT_TRUE(node.release_due(T0 + 199ms).empty());
    EXPECT_FALSE(node.next_frame(next));
    const auto woken = node.release_due(T0 + 200ms);
    ASSERT_EQ(woken.size(), 1u);
    EXPECT_EQ(woken[0], next);
    EXPECT_TRUE(node.next_frame(next));
    EXPECT_EQ(node.delayed(), 0u);
}

TEST_F(MixNodeTest, DelaysAboveTheMaximumAreClampedAndCounted) {
    EXPECT_FALSE(node.accept(node.unwrap(packet(60'000ms, next), T0), T0));
    ASSERT_TRUE(node.next_deadline());
    EXPECT_EQ(*node.next_deadline(), T0 + config.max_delay);
    EXPECT_EQ(node.totals().delay_clamped, 1u);
}

TEST_F(MixNodeTest, ReplaysAndForeignPacketsAreDroppedAndCounted) {
    const wire::Frame original = packet(0ms, next);
    EXPECT_TRUE(node.accept(node.unwrap(original, T0), T0));
    EXPECT_FALSE(node.accept(node.unwrap(original, T0), T0)) << "the same packet again";

    wire::Frame tampered = packet(0ms, next);
    tampered.packet[40] ^= 1; // inside the header MAC's coverage
    EXPECT_FALSE(node.accept(node.unwrap(tampered, T0), T0));

    const Metrics totals = node.totals();
    EXPECT_EQ(totals.received, 3u);
    EXPECT_EQ(totals.forwarded, 1u);
    EXPECT_EQ(totals.dropped_by(DropReason::replayed), 1u);
    EXPECT_EQ(totals.dropped_by(DropReason::bad_mac), 1u);
}

TEST_F(MixNodeTest, AFullNeighbourQueueDropsAndCountsWithoutTouchingOthers) {
    for (int i = 0; i < 5; ++i) (void)node.accept(node.unwrap(packet(0ms, next), T0), T0);
    EXPECT_TRUE(node.accept(node.unwrap(packet(0ms, other), T0), T0));
    EXPECT_EQ(node.totals().egress_dropped(), 2u) << "queue length 3: packets 4 and 5 to `next` dropped";
    int frames = 0;
    while (node.next_frame(next)) ++frames;
    EXPECT_EQ(frames, 3);
    EXPECT_TRUE(node.next_frame(other));
}

TEST_F(MixNodeTest, AFailedWriteGoesBackToTheFrontOfItsQueue) {
    (void)node.accept(node.unwrap(packet(0ms, next), T0), T0);
    (void)node.accept(node.unwrap(packet(0ms, next), T0), T0);
    auto first = node.next_frame(next);
    ASSERT_TRUE(first);
    const auto copy = *first;
    node.on_write_failed(next, std::move(*first));
    auto again = node.next_frame(next);
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, copy) << "the failed frame is retried before the one behind it";
    EXPECT_EQ(node.totals().sent_total(), 0u);
}

TEST_F(MixNodeTest, IntervalsAreDeltasOfTheTotals) {
    (void)node.accept(node.unwrap(packet(0ms, next), T0), T0);
    ASSERT_TRUE(node.next_frame(next));
    node.on_written(next, T0);
    const Metrics first = node.take_interval();
    EXPECT_EQ(first.received, 1u);
    EXPECT_EQ(first.sent_total(), 1u);

    const Metrics quiet = node.take_interval();
    EXPECT_EQ(quiet.received, 0u);
    EXPECT_EQ(quiet.sent_total(), 0u);
    EXPECT_TRUE(quiet.sent.empty());

    node.on_framing_error();
    node.on_ingress_overflow();
    const Metrics errors = node.take_interval();
    EXPECT_EQ(errors.framing_errors, 1u);
    EXPECT_EQ(errors.ingress_dropped(), 1u);
    EXPECT_EQ(node.totals().received, 1u);
}

TEST_F(MixNodeTest, HeartbeatsAndMetricsAreSignedByTheIdentityKey) {
    auto heartbeat = node.heartbeat("127.0.0.1:2000", 1'700'000'000'000);
    EXPECT_EQ(heartbeat.layer, 2);
    EXPECT_EQ(heartbeat.identity_key, keys.identity_public);
    EXPECT_EQ(heartbeat.sphinx_key, keys.sphinx_public);
    EXPECT_TRUE(wire::directory::verify(heartbeat));
    heartbeat.layer = 3;
    EXPECT_FALSE(wire::directory::verify(heartbeat)) << "the layer is covered by the signature";

    (void)node.accept(node.unwrap(packet(0ms, next), T0), T0);
    ASSERT_TRUE(node.next_frame(next));
    node.on_written(next, T0);
    auto metric = node.metric(node.take_interval(), 1'700'000'001'000);
    EXPECT_EQ(metric.received, 1u);
    ASSERT_EQ(metric.sent.size(), 1u);
    EXPECT_EQ(metric.sent.begin()->first, next.to_string());
    EXPECT_TRUE(wire::directory::verify(metric, keys.identity_public));
    metric.received = 2;
    EXPECT_FALSE(wire::directory::verify(metric, keys.identity_public));
}

TEST_F(MixNodeTest, BogusNextHopsAreRefusedAndARealNextHopStillGetsTraffic) {
    // More distinct bogus next hops than the egress queues have slots for (1,024).
    for (std::uint16_t i = 0; i < 1040; ++i) {
        const auto bogus = sphinx::IpEndpoint::v4({127, 1, static_cast<std::uint8_t>(i >> 8),
                                                   static_cast<std::uint8_t>(i & 0xff)}, 9);
        EXPECT_FALSE(node.accept(node.unwrap(packet(0ms, bogus), T0), T0));
    }
    EXPECT_EQ(node.held(), MAX_HELD_PACKETS) << "held for a topology refresh";
    EXPECT_TRUE(node.take_refresh_request());
    EXPECT_TRUE(node.update_topology(topology({next, other}), T0 + 1s).empty());
    EXPECT_EQ(node.held(), 0u);
    EXPECT_EQ(node.totals().dropped_by(DropReason::unknown_next_hop), 1040u);
    EXPECT_EQ(node.neighbours(), 0u) << "no queue was ever made for a bogus hop";

    const auto hop = node.accept(node.unwrap(packet(0ms, next), T0 + 1s), T0 + 1s);
    ASSERT_TRUE(hop);
    EXPECT_EQ(*hop, next);
    EXPECT_TRUE(node.next_frame(next));
}

TEST_F(MixNodeTest, APacketForANodeThatJustJoinedWaitsForTheTopology) {
    const auto joined = sphinx::IpEndpoint::v4({127, 0, 0, 1}, 2003);
    EXPECT_FALSE(node.accept(node.unwrap(packet(0ms, joined), T0), T0));
    EXPECT_EQ(node.held(), 1u);
    EXPECT_TRUE(node.take_refresh_request());
    EXPECT_FALSE(node.take_refresh_request()) << "one request until the next one is due";
    const auto woken = node.update_topology(topology({next, other, joined}), T0 + 300ms);
    ASSERT_EQ(woken.size(), 1u);
    EXPECT_EQ(woken[0], joined);
    EXPECT_TRUE(node.next_frame(joined));
    EXPECT_EQ(node.totals().dropped_by(DropReason::unknown_next_hop), 0u);
}

TEST_F(MixNodeTest, HeldPacketsAreRefusedWhenTheTopologyCannotBeFetched) {
    const auto joined = sphinx::IpEndpoint::v4({127, 0, 0, 1}, 2003);
    EXPECT_FALSE(node.accept(node.unwrap(packet(0ms, joined), T0), T0));
    node.topology_unavailable();
    EXPECT_EQ(node.held(), 0u);
    EXPECT_EQ(node.totals().dropped_by(DropReason::unknown_next_hop), 1u);
}

TEST_F(MixNodeTest, ANodeThatLeftStaysAllowedForTheGracePeriodThenIsEvicted) {
    ASSERT_TRUE(node.accept(node.unwrap(packet(0ms, other), T0), T0));
    ASSERT_TRUE(node.next_frame(other));
    node.on_written(other, T0);
    (void)node.update_topology(topology({next}), T0 + 1s); // `other` left
    EXPECT_TRUE(node.accept(node.unwrap(packet(0ms, other), T0 + 2s), T0 + 2s)) << "within the grace period";
    EXPECT_TRUE(node.evict(T0 + 2s, T0, T0).empty());
    const auto after = T0 + 1s + DEFAULT_NEXT_HOP_GRACE + 1s;
    (void)node.update_topology(topology({next}), after);
    EXPECT_FALSE(node.accept(node.unwrap(packet(0ms, other), after), after));
    const auto evicted = node.evict(after, T0, T0);
    ASSERT_EQ(evicted.size(), 1u);
    EXPECT_EQ(evicted[0], other);
    EXPECT_EQ(node.neighbours(), 0u);
}

TEST_F(MixNodeTest, IdleAndStalledNeighboursAreEvicted) {
    ASSERT_TRUE(node.accept(node.unwrap(packet(0ms, next), T0), T0));
    ASSERT_TRUE(node.next_frame(next));
    node.on_written(next, T0);
    ASSERT_TRUE(node.accept(node.unwrap(packet(0ms, other), T0 + 10s), T0 + 10s)); // never written
    EXPECT_TRUE(node.evict(T0 + 20s, T0, T0).empty()) << "nothing idle or stalled before T0";
    auto evicted = node.evict(T0 + 20s, T0 + 1s, T0 + 5s);
    ASSERT_EQ(evicted.size(), 1u) << "`next` is idle since T0; `other` has been waiting only since T0 + 10 s";
    EXPECT_EQ(evicted[0], next);
    evicted = node.evict(T0 + 80s, T0 + 1s, T0 + 11s);
    ASSERT_EQ(evicted.size(), 1u);
    EXPECT_EQ(evicted[0], other) << "a frame queued, none written since: unreachable";
    EXPECT_EQ(node.totals().egress_dropped(), 1u) << "its queued frame is dropped, counted";
    EXPECT_EQ(node.neighbours(), 0u);
}

} // namespace
} // namespace nym::mixnode
