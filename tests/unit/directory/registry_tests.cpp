#include "test_nodes.hpp"

#include <directory/metrics.hpp>
#include <directory/registry.hpp>

#include <gtest/gtest.h>

namespace nym::directory {
namespace {

using testing::NOW_MS;
using testing::TestNode;

TEST(PresenceRegistry, AcceptedNodesAppearInTheTopology) {
    PresenceRegistry registry;
    const TestNode mix(1);
    const TestNode gw(2);
    ASSERT_TRUE(registry.accept(mix.mixnode("10.0.0.1:1789", NOW_MS, 2), NOW_MS));
    ASSERT_TRUE(registry.accept(gw.gateway("10.0.0.2:1789"), NOW_MS));
    const auto t = registry.topology(NOW_MS + 1);
    ASSERT_EQ(t.mix_nodes.size(), 1u);
    EXPECT_EQ(t.mix_nodes[0].host, "10.0.0.1:1789");
    EXPECT_EQ(t.mix_nodes[0].layer, 2);
    EXPECT_EQ(t.mix_nodes[0].pub_key, mix.sphinx_key);
    EXPECT_EQ(t.mix_nodes[0].identity_key, mix.identity.public_key());
    EXPECT_EQ(t.mix_nodes[0].last_seen_ns, NOW_MS * 1'000'000);
    ASSERT_EQ(t.gateways.size(), 1u);
    EXPECT_EQ(t.gateways[0].registered_clients.size(), 1u);
}

TEST(PresenceRegistry, SilentNodesLeaveTheTopologyAfterThePresenceTimeout) {
    PresenceRegistry registry(RegistryConfig{std::chrono::seconds(10)});
    const TestNode mix(1);
    ASSERT_TRUE(registry.accept(mix.mixnode("10.0.0.1:1789"), NOW_MS));
    EXPECT_EQ(registry.topology(NOW_MS + 10'000).mix_nodes.size(), 1u);
    EXPECT_TRUE(registry.topology(NOW_MS + 10'001).mix_nodes.empty());
    // A fresh heartbeat brings it back.
    ASSERT_TRUE(registry.accept(mix.mixnode("10.0.0.1:1789", NOW_MS + 20'000), NOW_MS + 20'000));
    EXPECT_EQ(registry.topology(NOW_MS + 20'001).mix_nodes.size(), 1u);
}

TEST(PresenceRegistry, UnsignedOrForgedHeartbeatsAreRefused) {
    PresenceRegistry registry;
    auto h = TestNode(1).mixnode("10.0.0.1:1789");
    h.layer = 3; // tampered after signing
    EXPECT_EQ(registry.accept(h, NOW_MS).error(), wire::Errc::bad_signature);
    auto g = TestNode(2).gateway("10.0.0.2:1789");
    g.signature = {};
    EXPECT_EQ(registry.accept(g, NOW_MS).error(), wire::Errc::bad_signature);
    EXPECT_EQ(registry.size(), 0u);
}

TEST(PresenceRegistry, ReplayedAndOldTimestampsAreRefused) {
    PresenceRegistry registry;
    const TestNode mix(1);
    const auto first = mix.mixnode("10.0.0.1:1789", NOW_MS);
    ASSERT_TRUE(registry.accept(first, NOW_MS));
    EXPECT_EQ(registry.accept(first, NOW_MS + 1000).error(), Errc::replayed);
    EXPECT_EQ(registry.accept(mix.mixnode("10.0.0.1:1789", NOW_MS - 1), NOW_MS + 1000).error(), Errc::replayed);
    EXPECT_TRUE(registry.accept(mix.mixnode("10.0.0.1:1789", NOW_MS + 1), NOW_MS + 1000));
}

TEST(PresenceRegistry, TimestampsFarFromNowAreRefused) {
    PresenceRegistry registry;
    const TestNode mix(1);
    EXPECT_EQ(registry.accept(mix.mixnode("10.0.0.1:1789", NOW_MS - 60'001), NOW_MS).error(), Errc::clock_skew);
    EXPECT_EQ(registry.accept(mix.mixnode("10.0.0.1:1789", NOW_MS + 60'001), NOW_MS).error(), Errc::clock_skew);
    EXPECT_TRUE(registry.accept(mix.mixnode("10.0.0.1:1789", NOW_MS + 60'000), NOW_MS));
}

TEST(PresenceRegistry, AnotherIdentityCannotTakeOverAHostOrSphinxKey) {
    PresenceRegistry registry;
    const TestNode honest(1);
    ASSERT_TRUE(registry.accept(honest.mixnode("10.0.0.1:1789"), NOW_MS));

    TestNode attacker(2);
    EXPECT_EQ(registry.accept(attacker.mixnode("10.0.0.1:1789", NOW_MS + 1), NOW_MS + 1).error(),
              Errc::identity_conflict);
    attacker.sphinx_key = honest.sphinx_key;
    EXPECT_EQ(registry.accept(attacker.mixnode("10.0.0.9:1789", NOW_MS + 1), NOW_MS + 1).error(),
              Errc::identity_conflict);
    EXPECT_EQ(registry.accept(attacker.gateway("10.0.0.1:1789", NOW_MS + 1), NOW_MS + 1).error(),
              Errc::identity_conflict);
    const auto t = registry.topology(NOW_MS + 2);
    ASSERT_EQ(t.mix_nodes.size(), 1u);
    EXPECT_EQ(t.mix_nodes[0].identity_key, honest.identity.public_key());

    // After the holder has been silent for claim_hold, the host is free again.
    const auto later = NOW_MS + registry.config().claim_hold.count() + 1;
    TestNode newcomer(3);
    EXPECT_TRUE(registry.accept(newcomer.mixnode("10.0.0.1:1789", later), later));
}

TEST(PresenceRegistry, ANodeMayMoveItsOwnHostAndTheOldOneIsReleased) {
    PresenceRegistry registry;
    const TestNode mix(1);
    ASSERT_TRUE(registry.accept(mix.mixnode("10.0.0.1:1789", NOW_MS), NOW_MS));
    ASSERT_TRUE(registry.accept(mix.mixnode("10.0.0.7:1789", NOW_MS + 1), NOW_MS + 1));
    EXPECT_TRUE(registry.accept(TestNode(2).mixnode("10.0.0.1:1789", NOW_MS + 2), NOW_MS + 2));
    EXPECT_EQ(registry.topology(NOW_MS + 3).mix_nodes.size(), 2u);
}

TEST(PresenceRegistry, AnIdentityKeepsItsRole) {
    PresenceRegistry registry;
    const TestNode node(1);
    ASSERT_TRUE(registry.accept(node.mixnode("10.0.0.1:1789", NOW_MS), NOW_MS));
    EXPECT_EQ(registry.accept(node.gateway("10.0.0.1:1789", NOW_MS + 1), NOW_MS + 1).error(), Errc::role_conflict);
}

TEST(PresenceRegistry, IsBoundedInSize) {
    RegistryConfig config;
    config.max_nodes = 2;
    PresenceRegistry registry(config);
    ASSERT_TRUE(registry.accept(TestNode(1).mixnode("10.0.0.1:1"), NOW_MS));
    ASSERT_TRUE(registry.accept(TestNode(2).mixnode("10.0.0.2:1"), NOW_MS));
    EXPECT_EQ(registry.accept(TestNode(3).mixnode("10.0.0.3:1"), NOW_MS).error(), Errc::registry_full);
}

TEST(PresenceRegistry, FindsTheIdentityOfAMixBySphinxKey) {
    PresenceRegistry registry;
    const TestNode mix(1);
    const TestNode gw(2);
    ASSERT_TRUE(registry.accept(mix.mixnode("10.0.0.1:1789"), NOW_MS));
    ASSERT_TRUE(registry.accept(gw.gateway("10.0.0.2:1789"), NOW_MS));
    EXPECT_EQ(registry.mixnode_identity(mix.sphinx_key), mix.identity.public_key());
    EXPECT_FALSE(registry.mixnode_identity(gw.sphinx_key)); // gateways report no mix metrics
    EXPECT_FALSE(registry.mixnode_identity(TestNode(3).sphinx_key));
}

TEST(MetricsStore, KeepsTheLatestReportInTheWindowAndRefusesReplays) {
    MetricsStore store;
    const TestNode mix(1);
    const auto id = mix.identity.public_key();
    ASSERT_TRUE(store.accept(mix.metric(NOW_MS), id, NOW_MS));
    EXPECT_EQ(store.accept(mix.metric(NOW_MS), id, NOW_MS).error(), Errc::replayed);
    ASSERT_TRUE(store.accept(mix.metric(NOW_MS + 1), id, NOW_MS + 1));
    auto recent = store.recent(NOW_MS + 2);
    ASSERT_EQ(recent.size(), 1u);
    EXPECT_EQ(recent[0].timestamp_ms, NOW_MS + 1);
    EXPECT_TRUE(store.recent(NOW_MS + 3'002).empty());
    EXPECT_EQ(store.accept(mix.metric(NOW_MS + 1), id, NOW_MS + 3'002).error(), Errc::replayed);
}

TEST(MetricsStore, RefusesReportsSignedByAnotherKeyOrFarFromNow) {
    MetricsStore store;
    const TestNode mix(1);
    EXPECT_EQ(store.accept(mix.metric(NOW_MS), TestNode(2).identity.public_key(), NOW_MS).error(),
              wire::Errc::bad_signature);
    EXPECT_EQ(store.accept(mix.metric(NOW_MS - 61'000), mix.identity.public_key(), NOW_MS).error(), Errc::clock_skew);
}

} // namespace
} // namespace nym::directory
