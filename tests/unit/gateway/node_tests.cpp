// The running gateway's sans-IO state (src/gateway/node.hpp): egress and store queues, the store
// thread's stage (final hop + group commit + deletions) and the client hub's delivery window.
#include <gateway/node.hpp>

#include "test_util.hpp"

#include <sphinx/builder.hpp>
#include <sphinx/node_address.hpp>
#include <sphinx/packet_size.hpp>
#include <wire/framing.hpp>

#include <gtest/gtest.h>

#include <thread>

namespace nym::gateway {
namespace {

namespace wg = wire::gateway;
using Bytes = std::vector<std::uint8_t>;

constexpr std::int64_t NOW = 1'700'000'000;
UnixSeconds at(std::int64_t s) { return UnixSeconds(std::chrono::seconds(s)); }
const sphinx::IpEndpoint HOP_A = sphinx::IpEndpoint::v4({127, 0, 0, 1}, 1000);
const sphinx::IpEndpoint HOP_B = sphinx::IpEndpoint::v4({127, 0, 0, 1}, 1001);

TEST(EgressQueues, WakesOnFirstFrameAndCountsOverflow) {
    EgressQueues queues(2, 8);
    EXPECT_EQ(queues.enqueue(HOP_A, Bytes{1}), EgressQueues::Result::queued_wake);
    EXPECT_EQ(queues.enqueue(HOP_A, Bytes{2}), EgressQueues::Result::queued);
    EXPECT_EQ(queues.enqueue(HOP_A, Bytes{3}), EgressQueues::Result::dropped);
    EXPECT_EQ(queues.enqueue(HOP_B, Bytes{4}), EgressQueues::Result::queued_wake);
    EXPECT_EQ(queues.dropped(), 1u);
    EXPECT_EQ(queues.queued(), 3u);
    EXPECT_EQ(queues.next(HOP_A), Bytes{1});
    queues.requeue(HOP_A, Bytes{1}); // a failed write goes back to the front
    EXPECT_EQ(queues.next(HOP_A), Bytes{1});
    EXPECT_EQ(queues.next(HOP_A), Bytes{2});
    EXPECT_FALSE(queues.next(HOP_A).has_value());
    // Drained: the next frame wakes the I/O side again.
    EXPECT_EQ(queues.enqueue(HOP_A, Bytes{5}), EgressQueues::Result::queued_wake);
}

TEST(EgressQueues, BoundsDistinctHopsButFreesIdleOnes) {
    EgressQueues queues(4, 1);
    EXPECT_EQ(queues.enqueue(HOP_A, Bytes{1}), EgressQueues::Result::queued_wake);
    EXPECT_EQ(queues.enqueue(HOP_B, Bytes{2}), EgressQueues::Result::dropped);
    EXPECT_EQ(queues.next(HOP_A), Bytes{1});
    EXPECT_FALSE(queues.next(HOP_A).has_value()); // idle: its slot is released
    EXPECT_EQ(queues.enqueue(HOP_B, Bytes{2}), EgressQueues::Result::queued_wake);
    EXPECT_EQ(queues.dropped(), 1u);
}

TEST(StoreQueue, BoundedBatchesAndDeletes) {
    StoreQueue queue(5, 3);
    for (std::uint8_t i = 0; i < 5; ++i) EXPECT_TRUE(queue.push_packet(Bytes{i}));
    EXPECT_FALSE(queue.push_packet(Bytes{9})); // full: refused, the caller counts it
    queue.push_delete(DeleteMessages{ClientAddress{}, {1, 2}});
    auto work = queue.take(std::chrono::steady_clock::now());
    EXPECT_EQ(work.packets.size(), 3u);
    EXPECT_EQ(work.packets[0], Bytes{0});
    EXPECT_EQ(work.deletes.size(), 1u);
    work = queue.take(std::chrono::steady_clock::now());
    EXPECT_EQ(work.packets.size(), 2u);
    EXPECT_TRUE(work.deletes.empty());
    // An empty queue waits until the deadline, or until close().
    std::thread closer([&queue] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        queue.close();
    });
    work = queue.take(std::chrono::steady_clock::now() + std::chrono::seconds(10));
    closer.join();
    EXPECT_TRUE(work.packets.empty());
    EXPECT_TRUE(queue.closed());
    EXPECT_FALSE(queue.push_packet(Bytes{1}));
}

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

/// A gateway's keys, store and hub, plus a registered client.
struct Fixture {
    Fixture() { (void)first_hops.update({HOP_A, HOP_B}, at(NOW)); }

    test::TempDir dir;
    crypto::DeterministicRng rng{5};
    crypto::Ed25519SecretKey identity = crypto::Ed25519SecretKey::generate(rng);
    crypto::X25519KeyPair sphinx_keys = crypto::X25519KeyPair::generate(rng);
    crypto::Ed25519SecretKey client = crypto::Ed25519SecretKey::generate(rng);
    std::unique_ptr<MessageStore> store = std::move(MessageStore::open(dir.path() / "messages.sqlite").value());
    NonceCache nonces;
    ReplayCache replays;
    GatewayCounters counters;
    FirstHops first_hops;
    ClientHub hub{identity, *store, nonces, rng, counters, first_hops, HubConfig{10, 4, 100, {}}};
    MixStage stage{sphinx_keys.secret, *store, replays, counters};

    /// Registers the client on connection `id`; returns the effects (RegisterResponse + pushes).
    HubEffects register_client(ConnectionId id) {
        hub.open(id);
        const auto eph = crypto::X25519KeyPair::generate(rng);
        const auto request = wg::make_register_request(client, identity.public_key(), eph.public_key, NOW);
        return hub.on_frame(id, wg::serialize(wg::Message{request}), at(NOW));
    }

    /// A Sphinx packet whose only hop is this gateway, for the client, carrying a SURB-ack for HOP_A.
    Bytes packet_for_client(std::uint8_t fill) {
        const std::vector<sphinx::RouteNode> route{
            {sphinx::encode_node_address(sphinx::IpEndpoint::v4({10, 0, 0, 1}, 1789)), sphinx_keys.public_key}};
        sphinx::DestinationAddress dest;
        dest.bytes = client.public_key().bytes;
        Bytes message;
        const auto first_hop = sphinx::encode_node_address(HOP_A);
        message.insert(message.end(), first_hop.bytes.begin(), first_hop.bytes.begin() + ACK_FIRST_HOP_SIZE);
        message.resize(ACK_OVERHEAD, 0xac);
        message.resize(ACK_OVERHEAD + 40, fill);
        return sphinx::build_packet(route, std::vector<sphinx::Delay>{sphinx::Delay(0)}, dest,
                                    sphinx::SurbIdentifier{}, message,
                                    sphinx::payload_size(sphinx::PacketSize::regular), rng)
            .value();
    }
};

std::vector<std::uint64_t> delivered_ids(const HubEffects& fx) {
    std::vector<std::uint64_t> ids;
    for (const auto& [id, frame] : fx.frames) {
        auto parsed = wg::parse_message(frame);
        if (parsed && std::holds_alternative<wg::Deliver>(*parsed)) ids.push_back(std::get<wg::Deliver>(*parsed).id);
    }
    return ids;
}

TEST(MixStage, CommitsThenReturnsAcksAndCountsDrops) {
    Fixture f;
    EXPECT_TRUE(f.register_client(1).closes.empty());
    StoreQueue::Work work;
    const Bytes packet = f.packet_for_client(7);
    work.packets.push_back(packet);
    work.packets.push_back(packet);                      // replay
    work.packets.push_back(Bytes(packet.size(), 0x55)); // garbage
    work.packets.push_back(Bytes(100, 1));              // not a packet size
    StageOutput out = f.stage.process(std::move(work), at(NOW));
    ASSERT_EQ(out.acks.size(), 1u);
    EXPECT_EQ(out.acks[0].hop, HOP_A);
    auto frame_size = wire::packet_size_for_length(out.acks[0].frame.size() - wire::FRAME_HEADER_SIZE);
    ASSERT_TRUE(frame_size.has_value());
    EXPECT_EQ(*frame_size, sphinx::PacketSize::ack);
    EXPECT_EQ(out.clients_with_new_messages.count(f.client.public_key()), 1u);
    EXPECT_EQ(f.counters.stored.load(), 1u);
    EXPECT_EQ(f.counters.dropped_by(DropReason::replayed), 1u);
    EXPECT_EQ(f.counters.dropped_by(DropReason::bad_mac) + f.counters.dropped_by(DropReason::invalid_packet), 2u);
    const auto stored = f.store->fetch_batch(f.client.public_key()).value();
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(stored[0].content, Bytes(40, 7));

    // Deletions of several Acks go through the same stage.
    StoreQueue::Work deletes;
    deletes.deletes.push_back(DeleteMessages{f.client.public_key(), {stored[0].id}});
    deletes.deletes.push_back(DeleteMessages{f.client.public_key(), {999}});
    (void)f.stage.process(std::move(deletes), at(NOW));
    EXPECT_EQ(f.counters.acked.load(), 1u);
    EXPECT_TRUE(f.store->fetch_batch(f.client.public_key()).value().empty());
}

TEST(ClientHub, RegisterReplyComesBeforeThePushAndTheWindowIsBounded) {
    Fixture f;
    for (std::uint8_t i = 0; i < 25; ++i)
        ASSERT_TRUE(f.store->store(f.client.public_key(), Bytes(10, i), at(NOW)));
    // The client is not registered yet: store() does not check registration, so these wait for it.
    HubEffects fx = f.register_client(1);
    ASSERT_TRUE(fx.closes.empty());
    ASSERT_FALSE(fx.frames.empty());
    auto first = wg::parse_message(fx.frames.front().second);
    ASSERT_TRUE(first);
    EXPECT_TRUE(std::holds_alternative<wg::RegisterResponse>(*first));
    auto ids = delivered_ids(fx);
    ASSERT_EQ(ids.size(), 10u); // the window
    EXPECT_EQ(f.hub.in_flight(1), 10u);
    EXPECT_EQ(f.counters.delivered.load(), 10u);
    EXPECT_EQ(f.counters.clients_connected.load(), 1u);

    // Acking 4 opens 4 slots: exactly the next 4 go out, and the deletions go to the store thread.
    fx = f.hub.on_frame(1, wg::serialize(wg::Message{wg::Ack{{ids[0], ids[1], ids[2], ids[3]}}}), at(NOW));
    ASSERT_EQ(fx.deletes.size(), 1u);
    EXPECT_EQ(fx.deletes[0].ids.size(), 4u);
    auto more = delivered_ids(fx);
    ASSERT_EQ(more.size(), 4u);
    EXPECT_GT(more.front(), ids.back());
    EXPECT_EQ(f.hub.in_flight(1), 10u);

    // A full window: new messages wait; after acks they come.
    EXPECT_TRUE(delivered_ids(f.hub.on_stored(f.client.public_key())).empty());
    f.hub.closed(1);
    EXPECT_EQ(f.counters.clients_connected.load(), 0u);
    EXPECT_EQ(f.hub.connections(), 0u);
}

TEST(ClientHub, NewMessagesArePushedToTheConnectedClient) {
    Fixture f;
    HubEffects fx = f.register_client(3);
    EXPECT_TRUE(delivered_ids(fx).empty());
    ASSERT_TRUE(f.store->store(f.client.public_key(), Bytes{1, 2, 3}, at(NOW)));
    fx = f.hub.on_stored(f.client.public_key());
    ASSERT_EQ(delivered_ids(fx).size(), 1u);
    // Nothing new: nothing sent twice.
    EXPECT_TRUE(delivered_ids(f.hub.on_stored(f.client.public_key())).empty());
}

TEST(ClientHub, SendPacketIsFramedForTheFirstHopAndCounted) {
    Fixture f;
    (void)f.register_client(1);
    wg::SendPacket send;
    send.first_hop = sphinx::encode_node_address(HOP_B);
    send.packet = Bytes(sphinx::packet_size(sphinx::PacketSize::regular), 9);
    HubEffects fx;
    for (int i = 0; i < 3; ++i) fx = f.hub.on_frame(1, wg::serialize(wg::Message{send}), at(NOW));
    ASSERT_EQ(fx.forwards.size(), 1u);
    EXPECT_EQ(fx.forwards[0].hop, HOP_B);
    auto framed = wire::encode_frame(send.packet);
    ASSERT_TRUE(framed);
    EXPECT_EQ(fx.forwards[0].frame, *framed);
    EXPECT_EQ(f.counters.packets_from_clients.load(), 3u);
    ASSERT_EQ(f.hub.client_counters().size(), 1u);
    EXPECT_EQ(f.hub.client_counters().begin()->second.packets_sent, 3u);
    const std::string json = stats_json(f.counters, f.hub.client_counters());
    EXPECT_NE(json.find("\"packets_from_clients\":3"), std::string::npos) << json;
    EXPECT_NE(json.find("{\"packets_sent\":3}"), std::string::npos) << json;
    EXPECT_NE(json.find("\"dropped\":{\"bad_mac\":0"), std::string::npos) << json;
}

wg::Message send_to_hop(const sphinx::IpEndpoint& hop, std::uint8_t fill) {
    wg::SendPacket send;
    send.first_hop = sphinx::encode_node_address(hop);
    send.packet = Bytes(sphinx::packet_size(sphinx::PacketSize::regular), fill);
    return wg::Message{send};
}

TEST(ClientHub, FirstHopThatIsNotLayerOneIsRefusedCountedAndTheSessionGoesOn) {
    Fixture f;
    ASSERT_TRUE(f.register_client(1).closes.empty());
    const auto nowhere = sphinx::IpEndpoint::v4({127, 0, 0, 1}, 9);
    HubEffects fx = f.hub.on_frame(1, wg::serialize(send_to_hop(nowhere, 1)), at(NOW));
    EXPECT_TRUE(fx.forwards.empty()); // nothing for the egress queues: no connection is ever opened
    EXPECT_TRUE(fx.closes.empty());
    ASSERT_EQ(fx.frames.size(), 1u);
    auto reply = wg::parse_message(fx.frames[0].second);
    ASSERT_TRUE(reply);
    ASSERT_TRUE(std::holds_alternative<wg::ErrorMessage>(*reply));
    EXPECT_EQ(std::get<wg::ErrorMessage>(*reply).code, wg::ErrorCode::invalid_packet);
    EXPECT_EQ(std::get<wg::ErrorMessage>(*reply).text, "first hop is not a layer-1 mix node");
    EXPECT_EQ(f.counters.dropped_by(DropReason::unknown_first_hop), 1u);
    EXPECT_EQ(f.counters.packets_from_clients.load(), 0u); // refused, not accepted
    EXPECT_EQ(f.counters.client_errors.load(), 0u);        // not a protocol error: the session is fine
    EXPECT_TRUE(f.first_hops.take_refresh_request());     // and the topology is refreshed early

    // The same connection goes on: a packet to a layer-1 node is forwarded.
    fx = f.hub.on_frame(1, wg::serialize(send_to_hop(HOP_A, 2)), at(NOW));
    ASSERT_EQ(fx.forwards.size(), 1u);
    EXPECT_EQ(fx.forwards[0].hop, HOP_A);
    EXPECT_TRUE(fx.frames.empty());
    EXPECT_EQ(f.counters.packets_from_clients.load(), 1u);
    const std::string json = stats_json(f.counters, f.hub.client_counters());
    EXPECT_NE(json.find("\"unknown_first_hop\":1"), std::string::npos) << json;

    // HOP_B leaves the topology: still allowed within the grace period, refused after it.
    (void)f.first_hops.update({HOP_A}, at(NOW + 1));
    EXPECT_EQ(f.hub.on_frame(1, wg::serialize(send_to_hop(HOP_B, 3)), at(NOW + 1 + 60)).forwards.size(), 1u);
    fx = f.hub.on_frame(1, wg::serialize(send_to_hop(HOP_B, 4)), at(NOW + 1 + 61));
    EXPECT_TRUE(fx.forwards.empty());
    EXPECT_TRUE(fx.closes.empty());
    EXPECT_EQ(f.counters.dropped_by(DropReason::unknown_first_hop), 2u);
}

TEST(ClientHub, EverySendPacketIsRefusedBeforeTheFirstTopology) {
    test::TempDir dir;
    crypto::DeterministicRng rng{6};
    const auto identity = crypto::Ed25519SecretKey::generate(rng);
    const auto client = crypto::Ed25519SecretKey::generate(rng);
    auto store = std::move(MessageStore::open(dir.path() / "messages.sqlite").value());
    NonceCache nonces;
    GatewayCounters counters;
    FirstHops first_hops; // never updated
    ClientHub hub{identity, *store, nonces, rng, counters, first_hops};
    hub.open(1);
    const auto eph = crypto::X25519KeyPair::generate(rng);
    const auto request = wg::make_register_request(client, identity.public_key(), eph.public_key, NOW);
    ASSERT_TRUE(hub.on_frame(1, wg::serialize(wg::Message{request}), at(NOW)).closes.empty());
    HubEffects fx = hub.on_frame(1, wg::serialize(send_to_hop(HOP_A, 1)), at(NOW));
    EXPECT_TRUE(fx.forwards.empty());
    EXPECT_TRUE(fx.closes.empty());
    EXPECT_EQ(counters.dropped_by(DropReason::unknown_first_hop), 1u);
    // The topology arrives: the next packet goes through.
    (void)first_hops.update({HOP_A}, at(NOW));
    EXPECT_EQ(hub.on_frame(1, wg::serialize(send_to_hop(HOP_A, 2)), at(NOW)).forwards.size(), 1u);
}

TEST(ClientHub, GarbageAndTextFramesCloseAndAreCounted) {
    Fixture f;
    f.hub.open(1);
    HubEffects fx = f.hub.on_frame(1, Bytes{0x99, 1, 2}, at(NOW));
    ASSERT_EQ(fx.closes.size(), 1u);
    EXPECT_EQ(fx.frames.size(), 1u); // the Error
    // A closing connection ignores whatever else arrives.
    EXPECT_TRUE(f.hub.on_frame(1, Bytes{0x99}, at(NOW)).frames.empty());
    f.hub.open(2);
    fx = f.hub.on_text(2);
    EXPECT_EQ(fx.closes.size(), 1u);
    EXPECT_EQ(f.counters.client_errors.load(), 2u);
    EXPECT_EQ(f.counters.dropped_by(DropReason::client_protocol), 2u);
    f.hub.closed(1);
    f.hub.closed(2);
    f.hub.closed(7); // unknown: ignored
}

} // namespace
} // namespace nym::gateway
