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
    // Announcing the honest node's (public) Sphinx key needs its secret: the proof fails, so the
    // key cannot be squatted.
    attacker.sphinx_key = honest.sphinx_key;
    EXPECT_EQ(registry.accept(attacker.mixnode("10.0.0.9:1789", NOW_MS + 1), NOW_MS + 1).error(),
              wire::Errc::bad_key_proof);
    EXPECT_EQ(registry.accept(attacker.gateway("10.0.0.1:1789", NOW_MS + 1), NOW_MS + 1).error(),
              wire::Errc::bad_key_proof);
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

namespace nym::directory {
namespace {

using testing::NOW_MS;
using testing::TestNode;

TEST(PresenceRegistry, AHeartbeatMustProveItsSphinxKey) {
    PresenceRegistry registry;
    const TestNode node(1);
    auto without = node.mixnode("10.0.0.1:1789");
    without.sphinx_key_proof.reset();
    EXPECT_EQ(registry.accept(without, NOW_MS).error(), wire::Errc::missing_key_proof);
    // A proof made by another key than the one announced.
    auto wrong = node.mixnode("10.0.0.1:1789");
    wrong.sphinx_key_proof = TestNode(2).mixnode("10.0.0.2:1789").sphinx_key_proof;
    EXPECT_EQ(registry.accept(wrong, NOW_MS).error(), wire::Errc::bad_key_proof);
    // A proof binds the Sphinx key to one identity: replaying it under another identity fails.
    TestNode thief(3);
    auto stolen = thief.gateway("10.0.0.3:1789");
    stolen.sphinx_key = node.sphinx_key;
    wire::directory::sign(stolen, thief.identity, thief.sphinx); // a valid identity signature by the thief...
    stolen.sphinx_key_proof = node.gateway("10.0.0.3:1789").sphinx_key_proof; // ...with the victim's proof
    EXPECT_EQ(registry.accept(stolen, NOW_MS).error(), wire::Errc::bad_key_proof);
    EXPECT_TRUE(registry.accept(node.mixnode("10.0.0.1:1789"), NOW_MS));
}

TEST(PresenceRegistry, NewIdentitiesPerAddressAreRateLimited) {
    RegistryConfig config;
    config.new_identities_per_window = 5; // host names: the sender-address rule does not apply
    PresenceRegistry registry(config);
    for (std::uint64_t i = 0; i < 5; ++i)
        ASSERT_TRUE(registry.accept(TestNode(100 + i).mixnode("node" + std::to_string(i) + ".example:1789"), NOW_MS,
                                    "192.0.2.7"));
    EXPECT_EQ(registry.accept(TestNode(200).mixnode("new.example:1789"), NOW_MS, "192.0.2.7").error(),
              Errc::rate_limited);
    // Another address is not affected, and known identities keep announcing themselves.
    EXPECT_TRUE(registry.accept(TestNode(201).mixnode("other.example:1789"), NOW_MS, "192.0.2.8"));
    EXPECT_TRUE(registry.accept(TestNode(100).mixnode("node0.example:1789", NOW_MS + 1), NOW_MS + 1, "192.0.2.7"));
    // After the window the address may introduce new identities again.
    const auto later = NOW_MS + config.identity_window.count();
    EXPECT_TRUE(registry.accept(TestNode(200).mixnode("new.example:1789", later), later, "192.0.2.7"));
}

TEST(PresenceRegistry, AnAnnouncedAddressMustBeTheSendersOwn) {
    PresenceRegistry registry;
    // Pointing the mixnet at a third party's address (e.g. a fake layer-1 node) is refused.
    EXPECT_EQ(registry.accept(TestNode(1).mixnode("203.0.113.5:1789"), NOW_MS, "198.51.100.9").error(),
              Errc::foreign_host);
    EXPECT_EQ(registry.accept(TestNode(2).gateway("[2001:db8::5]:1789"), NOW_MS, "2001:db8::9").error(),
              Errc::foreign_host);
    EXPECT_TRUE(registry.accept(TestNode(1).mixnode("198.51.100.9:1789"), NOW_MS, "198.51.100.9"));
    EXPECT_TRUE(registry.accept(TestNode(2).gateway("[2001:db8::9]:1789"), NOW_MS, "2001:db8::9"));
    EXPECT_TRUE(registry.accept(TestNode(3).mixnode("127.0.0.1:1790"), NOW_MS, "::ffff:127.0.0.1"));
    RegistryConfig proxied;
    proxied.host_must_match_sender = false;
    PresenceRegistry behind_a_proxy(proxied);
    EXPECT_TRUE(behind_a_proxy.accept(TestNode(1).mixnode("203.0.113.5:1789"), NOW_MS, "198.51.100.9"));
}

TEST(PresenceRegistry, OneShotIdentitiesAreForgottenQuicklyEstablishedOnesAreHeld) {
    RegistryConfig config;
    config.max_nodes = 10;
    PresenceRegistry registry(config);
    // Ten identities that announce themselves once fill the registry...
    for (std::uint64_t i = 0; i < 10; ++i)
        ASSERT_TRUE(registry.accept(TestNode(300 + i).gateway("10.0.3." + std::to_string(i) + ":1789"), NOW_MS));
    const TestNode honest(1);
    EXPECT_EQ(registry.accept(honest.mixnode("10.0.0.1:1789"), NOW_MS).error(), Errc::registry_full);
    // ...but only until the presence timeout, not for the whole claim_hold.
    const auto after_timeout = NOW_MS + config.presence_timeout.count() + 1;
    EXPECT_TRUE(registry.accept(honest.mixnode("10.0.0.1:1789", after_timeout), after_timeout));
    // A node present for establish_time keeps its claim for claim_hold after it falls silent.
    const TestNode steady(2);
    std::int64_t t = after_timeout;
    for (; t <= after_timeout + config.establish_time.count(); t += 5'000)
        ASSERT_TRUE(registry.accept(steady.mixnode("10.0.0.2:1789", t), t));
    const auto silent = t + config.presence_timeout.count() * 3;
    EXPECT_EQ(registry.accept(TestNode(3).mixnode("10.0.0.2:1789", silent), silent).error(), Errc::identity_conflict);
}

TEST(PresenceRegistry, TheTopologyListsABoundedNumberOfRegisteredClients) {
    RegistryConfig config;
    config.topology_clients_per_gateway = 3;
    config.topology_clients_total = 5;
    PresenceRegistry registry(config);
    for (std::uint64_t g = 0; g < 3; ++g) {
        const TestNode gw(400 + g);
        auto hb = gw.gateway("10.0.4." + std::to_string(g) + ":1789");
        hb.registered_clients.clear();
        for (std::uint8_t c = 0; c < 10; ++c) {
            crypto::X25519PublicKey client;
            client.bytes.fill(static_cast<std::uint8_t>(g * 16 + c + 1));
            hb.registered_clients.push_back(client);
        }
        wire::directory::sign(hb, gw.identity, gw.sphinx);
        ASSERT_TRUE(registry.accept(hb, NOW_MS));
    }
    const auto topology = registry.topology(NOW_MS);
    ASSERT_EQ(topology.gateways.size(), 3u);
    std::size_t total = 0;
    for (const auto& g : topology.gateways) {
        EXPECT_LE(g.registered_clients.size(), 3u);
        total += g.registered_clients.size();
    }
    EXPECT_EQ(total, 5u);
    // Every client is still available from registered_clients().
    auto all = registry.registered_clients(TestNode(400).identity.public_key(), NOW_MS);
    ASSERT_TRUE(all);
    EXPECT_EQ(all->size(), 10u);
    EXPECT_FALSE(registry.registered_clients(TestNode(999).identity.public_key(), NOW_MS));
}

TEST(MetricsStore, OneEntryPerIdentityEvenWhenTheSphinxKeyRotates) {
    MetricsStore store;
    TestNode node(1);
    for (int i = 0; i < 100; ++i) {
        // A new Sphinx key each time: the old store grew one entry per key.
        crypto::DeterministicRng rng(static_cast<std::uint64_t>(1000 + i));
        node.sphinx_key = crypto::X25519SecretKey::generate(rng).public_key();
        ASSERT_TRUE(store.accept(node.metric(NOW_MS + i), node.identity.public_key(), NOW_MS + i));
    }
    EXPECT_EQ(store.size(), 1u);
    // Old entries are pruned as new ones arrive, without anyone asking for the list.
    const auto later = NOW_MS + 10 * 60'000;
    ASSERT_TRUE(store.accept(TestNode(2).metric(later), TestNode(2).identity.public_key(), later));
    EXPECT_EQ(store.size(), 1u);
}

} // namespace
} // namespace nym::directory
