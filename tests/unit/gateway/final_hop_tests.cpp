#include <gateway/final_hop.hpp>

#include "test_util.hpp"

#include <sphinx/builder.hpp>
#include <sphinx/node_address.hpp>
#include <sphinx/packet_size.hpp>
#include <sphinx/processing.hpp>

#include <gtest/gtest.h>
#include <sqlite3.h>

namespace nym::gateway {
namespace {

using test::TempDir;
using Bytes = std::vector<std::uint8_t>;

UnixSeconds at(std::int64_t s) { return UnixSeconds(std::chrono::seconds(s)); }

class FinalHopTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto opened = MessageStore::open(dir.path() / "db.sqlite", limits);
        ASSERT_TRUE(opened);
        store = std::move(*opened);
        client_address = client.public_key();
        ASSERT_TRUE(store->register_client({client_address, SharedKey{}, at(1)}));
    }

    static sphinx::NodeAddress node(std::uint8_t last_octet) {
        return sphinx::encode_node_address(sphinx::IpEndpoint::v4({10, 0, 0, last_octet}, 1789));
    }

    /// ack first hop (19) ‖ ack packet (386) ‖ body, as a Nym client lays out a message.
    Bytes with_ack(const Bytes& body) const {
        Bytes m(ack_first_hop.bytes.begin(), ack_first_hop.bytes.begin() + ACK_FIRST_HOP_SIZE);
        m.insert(m.end(), ack_packet.begin(), ack_packet.end());
        m.insert(m.end(), body.begin(), body.end());
        return m;
    }

    /// A packet routed mix → gateway for `destination`, already processed by the mix: what the
    /// gateway receives from layer 3.
    Bytes packet_for(const ClientAddress& destination, const Bytes& message,
                     sphinx::PacketSize size = sphinx::PacketSize::regular) {
        const std::vector<sphinx::RouteNode> route{{node(1), mix.public_key}, {node(2), gateway.public_key}};
        const std::vector<sphinx::Delay> delays{sphinx::Delay(0), sphinx::Delay(0)};
        sphinx::DestinationAddress dest;
        std::copy(destination.bytes.begin(), destination.bytes.end(), dest.bytes.begin());
        auto built = sphinx::build_packet(route, delays, dest, sphinx::SurbIdentifier{}, message,
                                          sphinx::payload_size(size), rng);
        EXPECT_TRUE(built) << built.error().message();
        if (!built) return {};
        Bytes packet = std::move(*built);
        auto at_mix = sphinx::process_packet(packet, mix.secret);
        EXPECT_TRUE(at_mix && !at_mix->is_final());
        if (at_mix && at_mix->forward()) {
            EXPECT_EQ(at_mix->forward()->next_hop, node(2));
        }
        return packet;
    }

    crypto::DeterministicRng rng{11};
    crypto::X25519KeyPair gateway = crypto::X25519KeyPair::generate(rng);
    crypto::X25519KeyPair mix = crypto::X25519KeyPair::generate(rng);
    crypto::Ed25519SecretKey client = crypto::Ed25519SecretKey::generate(rng);
    ClientAddress client_address;
    sphinx::NodeAddress ack_first_hop = node(7);
    Bytes ack_packet = Bytes(ACK_PACKET_SIZE, 0xac);
    TempDir dir;
    StoreLimits limits;
    std::unique_ptr<MessageStore> store;
    ReplayCache replays;
};

TEST_F(FinalHopTest, StoresTheMessageForARegisteredClientAndReturnsItsAck) {
    FinalHopProcessor processor(gateway.secret, *store, replays);
    const Bytes body(1000, 0x42);
    Bytes packet = packet_for(client_address, with_ack(body));
    const FinalHopResult r = processor.process(packet, at(500));
    ASSERT_EQ(r.outcome, FinalHopOutcome::stored);
    ASSERT_TRUE(r.message_id.has_value());
    EXPECT_EQ(r.client, client_address);
    ASSERT_TRUE(r.ack.has_value());
    EXPECT_EQ(r.ack->first_hop, ack_first_hop);
    EXPECT_EQ(r.ack->packet, ack_packet);

    auto batch = store->fetch_batch(client_address).value();
    ASSERT_EQ(batch.size(), 1u);
    EXPECT_EQ(batch[0].id, *r.message_id);
    EXPECT_EQ(batch[0].content, body);
    EXPECT_EQ(batch[0].received_at, at(500));
    EXPECT_EQ(processor.stats().stored, 1u);
}

TEST_F(FinalHopTest, AckPacketsAreStoredWholeAndSplittingCanBeOff) {
    FinalHopProcessor processor(gateway.secret, *store, replays);
    const Bytes frag_id(sphinx::ACK_PACKET_PLAINTEXT_SIZE, 0x05);
    Bytes ack = packet_for(client_address, frag_id, sphinx::PacketSize::ack);
    ASSERT_EQ(ack.size(), ACK_PACKET_SIZE);
    const FinalHopResult r = processor.process(ack, at(1));
    ASSERT_EQ(r.outcome, FinalHopOutcome::stored);
    EXPECT_FALSE(r.ack.has_value());

    FinalHopProcessor whole(gateway.secret, *store, replays, FinalHopConfig{false});
    const Bytes body(30, 0x07);
    Bytes packet = packet_for(client_address, body);
    const FinalHopResult r2 = whole.process(packet, at(2));
    ASSERT_EQ(r2.outcome, FinalHopOutcome::stored);
    EXPECT_FALSE(r2.ack.has_value());

    auto batch = store->fetch_batch(client_address).value();
    ASSERT_EQ(batch.size(), 2u);
    EXPECT_EQ(batch[0].content, frag_id);
    EXPECT_EQ(batch[1].content, body);
}

TEST_F(FinalHopTest, UnknownClientIsDroppedAndCounted) {
    FinalHopProcessor processor(gateway.secret, *store, replays);
    ClientAddress stranger;
    stranger.bytes.fill(0x99);
    Bytes packet = packet_for(stranger, with_ack(Bytes(10, 1)));
    const FinalHopResult r = processor.process(packet, at(1));
    EXPECT_EQ(r.outcome, FinalHopOutcome::unknown_client);
    EXPECT_FALSE(r.ack.has_value()); // no ack: the sender will retransmit
    EXPECT_EQ(store->count(stranger).value(), 0u);
    EXPECT_EQ(processor.stats().unknown_client, 1u);
    EXPECT_EQ(processor.stats().stored, 0u);
}

TEST_F(FinalHopTest, ReplayedPacketIsDroppedAndCounted) {
    FinalHopProcessor processor(gateway.secret, *store, replays);
    const Bytes original = packet_for(client_address, with_ack(Bytes(10, 1)));
    Bytes first = original;
    Bytes second = original;
    EXPECT_EQ(processor.process(first, at(1)).outcome, FinalHopOutcome::stored);
    EXPECT_EQ(processor.process(second, at(2)).outcome, FinalHopOutcome::replayed);
    EXPECT_EQ(store->count(client_address).value(), 1u);
    EXPECT_EQ(processor.stats().replayed, 1u);
}

TEST_F(FinalHopTest, ForwardHopsAreDroppedAndCounted) {
    FinalHopProcessor processor(gateway.secret, *store, replays);
    // A route that continues past the gateway.
    const std::vector<sphinx::RouteNode> route{{node(2), gateway.public_key}, {node(1), mix.public_key}};
    const std::vector<sphinx::Delay> delays{sphinx::Delay(0), sphinx::Delay(0)};
    sphinx::DestinationAddress dest;
    std::copy(client_address.bytes.begin(), client_address.bytes.end(), dest.bytes.begin());
    auto packet = sphinx::build_packet(route, delays, dest, sphinx::SurbIdentifier{}, with_ack(Bytes(10, 1)),
                                       sphinx::payload_size(sphinx::PacketSize::regular), rng);
    ASSERT_TRUE(packet);
    EXPECT_EQ(processor.process(*packet, at(1)).outcome, FinalHopOutcome::forward_hop);
    EXPECT_EQ(processor.stats().forward_hop, 1u);
    EXPECT_EQ(store->count(client_address).value(), 0u);
}

TEST_F(FinalHopTest, BadMacAndBadLengthAreDroppedAndCounted) {
    FinalHopProcessor processor(gateway.secret, *store, replays);
    Bytes tampered = packet_for(client_address, with_ack(Bytes(10, 1)));
    tampered[sphinx::GROUP_ELEMENT_SIZE + sphinx::HEADER_INTEGRITY_MAC_SIZE + 5] ^= 1; // inside β
    EXPECT_EQ(processor.process(tampered, at(1)).outcome, FinalHopOutcome::bad_mac);

    const auto other = crypto::X25519KeyPair::generate(rng);
    FinalHopProcessor wrong_key(other.secret, *store, replays);
    Bytes packet = packet_for(client_address, with_ack(Bytes(10, 1)));
    EXPECT_EQ(wrong_key.process(packet, at(1)).outcome, FinalHopOutcome::bad_mac);

    Bytes short_packet(1000, 0);
    EXPECT_EQ(processor.process(short_packet, at(1)).outcome, FinalHopOutcome::invalid_packet);
    Bytes zero_alpha(sphinx::packet_size(sphinx::PacketSize::regular), 0); // α = 0 has small order
    EXPECT_EQ(processor.process(zero_alpha, at(1)).outcome, FinalHopOutcome::invalid_packet);
    EXPECT_EQ(processor.stats().bad_mac, 1u);
    EXPECT_EQ(processor.stats().invalid_packet, 2u);
    EXPECT_EQ(store->count(client_address).value(), 0u);
}

TEST_F(FinalHopTest, MalformedAckPrefixIsInvalid) {
    FinalHopProcessor processor(gateway.secret, *store, replays);
    Bytes message = with_ack(Bytes(10, 1));
    message[0] = 0x09; // neither IPv4 (4) nor IPv6 (6)
    Bytes packet = packet_for(client_address, message);
    EXPECT_EQ(processor.process(packet, at(1)).outcome, FinalHopOutcome::invalid_packet);
    Bytes too_short = packet_for(client_address, Bytes(100, 4));
    EXPECT_EQ(processor.process(too_short, at(1)).outcome, FinalHopOutcome::invalid_packet);
    EXPECT_EQ(store->count(client_address).value(), 0u);
}

TEST_F(FinalHopTest, OverQuotaIsDroppedWithoutAck) {
    limits.max_messages_per_client = 1;
    auto opened = MessageStore::open(dir.path() / "quota.sqlite", limits);
    ASSERT_TRUE(opened);
    auto& small = **opened;
    ASSERT_TRUE(small.register_client({client_address, SharedKey{}, at(1)}));
    FinalHopProcessor processor(gateway.secret, small, replays);
    Bytes p1 = packet_for(client_address, with_ack(Bytes(10, 1)));
    Bytes p2 = packet_for(client_address, with_ack(Bytes(10, 2)));
    EXPECT_EQ(processor.process(p1, at(1)).outcome, FinalHopOutcome::stored);
    const FinalHopResult r = processor.process(p2, at(1));
    EXPECT_EQ(r.outcome, FinalHopOutcome::over_quota);
    EXPECT_FALSE(r.ack.has_value());
    EXPECT_EQ(processor.stats().over_quota, 1u);
}

TEST_F(FinalHopTest, BatchStoresWithOneCommitAndKeepsPerPacketOutcomes) {
    FinalHopProcessor processor(gateway.secret, *store, replays);
    ClientAddress stranger;
    stranger.bytes.fill(0x99);
    Bytes a = packet_for(client_address, with_ack(Bytes(20, 1)));
    Bytes a_again = a;
    Bytes unknown = packet_for(stranger, with_ack(Bytes(20, 2)));
    Bytes junk(sphinx::packet_size(sphinx::PacketSize::regular), 0x11);
    Bytes b = packet_for(client_address, with_ack(Bytes(20, 3)));
    const std::vector<std::span<std::uint8_t>> packets{a, a_again, unknown, junk, b};
    const auto results = processor.process_batch(packets, at(9));
    ASSERT_EQ(results.size(), 5u);
    EXPECT_EQ(results[0].outcome, FinalHopOutcome::stored);
    EXPECT_EQ(results[1].outcome, FinalHopOutcome::replayed);
    EXPECT_EQ(results[2].outcome, FinalHopOutcome::unknown_client);
    EXPECT_NE(results[3].outcome, FinalHopOutcome::stored);
    EXPECT_EQ(results[4].outcome, FinalHopOutcome::stored);
    EXPECT_TRUE(results[0].ack.has_value());
    EXPECT_TRUE(results[4].ack.has_value());
    const auto batch = store->fetch_batch(client_address).value();
    ASSERT_EQ(batch.size(), 2u);
    EXPECT_EQ(batch[0].id, results[0].message_id);
    EXPECT_EQ(batch[0].content, Bytes(20, 1));
    EXPECT_EQ(batch[1].content, Bytes(20, 3));
    EXPECT_EQ(processor.stats().stored, 2u);
    EXPECT_TRUE(processor.process_batch({}, at(9)).empty());
}

TEST(ReplayCache, RemembersExactlyAndStaysBounded) {
    ReplayCache cache(4);
    auto tag = [](std::uint8_t v) {
        sphinx::ReplayTag t;
        t.bytes.fill(v);
        return t;
    };
    EXPECT_TRUE(cache.insert(tag(1)));
    EXPECT_FALSE(cache.insert(tag(1)));
    EXPECT_TRUE(cache.insert(tag(2)));
    EXPECT_TRUE(cache.insert(tag(3))); // rotates: {1,2} become the previous generation
    EXPECT_FALSE(cache.insert(tag(1)));
    EXPECT_TRUE(cache.insert(tag(4)));
    EXPECT_TRUE(cache.insert(tag(5))); // rotates again: {1,2} forgotten
    EXPECT_LE(cache.size(), 4u);
    EXPECT_FALSE(cache.insert(tag(4)));
    EXPECT_TRUE(cache.insert(tag(1)));
}

TEST_F(FinalHopTest, AReplayAfterARestartIsRefusedFromTheStore) {
    const Bytes packet = packet_for(client_address, with_ack(Bytes(20, 3)));
    {
        FinalHopProcessor processor(gateway.secret, *store, replays);
        Bytes copy = packet;
        ASSERT_EQ(processor.process(copy, at(1000)).outcome, FinalHopOutcome::stored);
    }
    // The gateway restarts: a fresh, empty in-memory cache over the reopened store.
    store.reset();
    store = std::move(MessageStore::open(dir.path() / "db.sqlite", limits).value());
    ReplayCache fresh;
    FinalHopProcessor restarted(gateway.secret, *store, fresh);
    Bytes copy = packet;
    const FinalHopResult r = restarted.process(copy, at(2000));
    EXPECT_EQ(r.outcome, FinalHopOutcome::replayed);
    EXPECT_FALSE(r.ack.has_value());
    EXPECT_EQ(restarted.stats().replayed, 1u);
    EXPECT_EQ(store->count(client_address).value(), 1u); // delivered once, not twice

    // After the retention the tag is forgotten (the mix nodes' keys have rotated since).
    EXPECT_EQ(store->forget_replay_tags(at(1000) + REPLAY_TAG_RETENTION + std::chrono::seconds(1)).value(), 1u);
    ReplayCache later;
    FinalHopProcessor much_later(gateway.secret, *store, later);
    Bytes again = packet;
    EXPECT_EQ(much_later.process(again, at(1000) + REPLAY_TAG_RETENTION + std::chrono::seconds(2)).outcome,
              FinalHopOutcome::stored);
}

TEST_F(FinalHopTest, TheReplayTagIsCommittedWithItsMessageOrNotAtAll) {
    const Bytes over = packet_for(client_address, with_ack(Bytes(20, 4)));
    {
        // A commit that fails (the messages table is gone) records no tag either: after a restart
        // the packet is not refused as a replay of a message that was never stored.
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open((dir.path() / "db.sqlite").c_str(), &db), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(db, "ALTER TABLE messages RENAME TO messages_away;", nullptr, nullptr, nullptr), SQLITE_OK);
        FinalHopProcessor processor(gateway.secret, *store, replays);
        Bytes copy = over;
        EXPECT_EQ(processor.process(copy, at(1000)).outcome, FinalHopOutcome::storage_error);
        ASSERT_EQ(sqlite3_exec(db, "ALTER TABLE messages_away RENAME TO messages;", nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
    }
    store.reset();
    store = std::move(MessageStore::open(dir.path() / "db.sqlite", limits).value());
    ReplayCache fresh;
    FinalHopProcessor restarted(gateway.secret, *store, fresh);
    Bytes copy = over;
    EXPECT_EQ(restarted.process(copy, at(2000)).outcome, FinalHopOutcome::stored);
}

} // namespace
} // namespace nym::gateway
