// The client hub (src/gateway/client_hub.hpp): sessions, the delivery window, the layer-1 rule for
// client packets, and the store work it hands to the store serial (run inline here by settle()).
#include "gateway_fixture.hpp"

#include <gateway/errors.hpp>
#include <wire/framing.hpp>

#include <gtest/gtest.h>

namespace nym::gateway {
namespace {

using namespace test;

TEST(ClientHub, RegisterReplyComesBeforeThePushAndTheWindowIsBounded) {
    GatewayFixture f;
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

    // Acking 4 opens 4 slots: exactly the next 4 go out, and the deletions go to the store queue.
    fx = f.settle(f.hub.on_frame(1, wg::serialize(wg::Message{wg::Ack{{ids[0], ids[1], ids[2], ids[3]}}}), at(NOW)));
    ASSERT_EQ(fx.deletes.size(), 1u);
    EXPECT_EQ(fx.deletes[0].ids.size(), 4u);
    auto more = delivered_ids(fx);
    ASSERT_EQ(more.size(), 4u);
    EXPECT_GT(more.front(), ids.back());
    EXPECT_EQ(f.hub.in_flight(1), 10u);

    // A full window: new messages wait; after acks they come.
    fx = f.hub.on_stored(f.client.public_key());
    EXPECT_TRUE(fx.store.empty()); // not even a fetch
    EXPECT_TRUE(delivered_ids(f.settle(std::move(fx))).empty());
    f.hub.closed(1);
    EXPECT_EQ(f.counters.clients_connected.load(), 0u);
    EXPECT_EQ(f.hub.connections(), 0u);
}

TEST(ClientHub, NewMessagesArePushedToTheConnectedClient) {
    GatewayFixture f;
    HubEffects fx = f.register_client(3);
    EXPECT_TRUE(delivered_ids(fx).empty());
    ASSERT_TRUE(f.store->store(f.client.public_key(), Bytes{1, 2, 3}, at(NOW)));
    fx = f.settle(f.hub.on_stored(f.client.public_key()));
    ASSERT_EQ(delivered_ids(fx).size(), 1u);
    // Nothing new: nothing sent twice.
    EXPECT_TRUE(delivered_ids(f.settle(f.hub.on_stored(f.client.public_key()))).empty());
}

TEST(ClientHub, StoredWhileAFetchIsOutIsFetchedWhenItReturns) {
    GatewayFixture f;
    (void)f.register_client(3);
    ASSERT_TRUE(f.store->store(f.client.public_key(), Bytes{1}, at(NOW)));
    HubEffects first = f.hub.on_stored(f.client.public_key());
    ASSERT_EQ(first.store.size(), 1u); // a fetch is out...
    StoreReply fetched = run_store_request(std::move(first.store[0]), *f.store); // ...and sees one message
    ASSERT_TRUE(f.store->store(f.client.public_key(), Bytes{2}, at(NOW)));
    HubEffects second = f.hub.on_stored(f.client.public_key());
    EXPECT_TRUE(second.store.empty()); // one fetch at a time per connection...
    // ...and once it is back, another one picks up what was stored meanwhile.
    EXPECT_EQ(delivered_ids(f.settle(f.hub.on_store_reply(std::move(fetched), at(NOW)))).size(), 2u);
}

TEST(ClientHub, HandshakesRunOnTheStoreAndLaterFramesWaitForThem) {
    GatewayFixture f;
    f.hub.open(1);
    HubEffects fx = f.hub.on_frame(1, f.register_frame(), at(NOW));
    // Nothing is answered on the spot: the handshake (registry lookup, key write) goes to the store.
    EXPECT_TRUE(fx.frames.empty());
    ASSERT_EQ(fx.store.size(), 1u);
    ASSERT_TRUE(std::holds_alternative<HandshakeRequest>(fx.store[0]));
    // A Ping sent right behind the RegisterRequest waits for it (a fresh session would refuse it).
    HubEffects ping = f.hub.on_frame(1, wg::serialize(wg::Message{wg::Ping{42}}), at(NOW));
    EXPECT_TRUE(ping.frames.empty());
    EXPECT_TRUE(ping.closes.empty());

    // The registration is stored before the reply exists: a client never hears "registered" for a
    // key the gateway did not keep.
    StoreReply reply = run_store_request(std::move(fx.store[0]), *f.store);
    auto stored = f.store->find_client(f.client.public_key());
    ASSERT_TRUE(stored);
    EXPECT_TRUE(stored->has_value());
    HubEffects after = f.settle(f.hub.on_store_reply(std::move(reply), at(NOW)));
    ASSERT_EQ(after.frames.size(), 2u);
    EXPECT_TRUE(std::holds_alternative<wg::RegisterResponse>(wg::parse_message(after.frames[0].second).value()));
    EXPECT_EQ(std::get<wg::Pong>(wg::parse_message(after.frames[1].second).value()).nonce, 42u);
    EXPECT_TRUE(after.closes.empty());
}

TEST(ClientHub, TooManyFramesDuringAHandshakeCloseTheConnection) {
    GatewayFixture f;
    f.hub.open(1);
    HubEffects fx = f.hub.on_frame(1, f.register_frame(), at(NOW));
    ASSERT_EQ(fx.store.size(), 1u);
    for (std::size_t i = 0; i < small_hub().max_queued_frames; ++i)
        EXPECT_TRUE(f.hub.on_frame(1, wg::serialize(wg::Message{wg::Ping{i}}), at(NOW)).closes.empty());
    HubEffects over = f.hub.on_frame(1, wg::serialize(wg::Message{wg::Ping{99}}), at(NOW));
    ASSERT_EQ(over.closes.size(), 1u);
    EXPECT_EQ(over.closes[0].second.code, wg::ErrorCode::busy);
    EXPECT_EQ(f.counters.client_errors.load(), 1u);
    // The handshake's late reply finds the connection closing: nothing more is sent.
    HubEffects late = f.settle(f.hub.on_store_reply(run_store_request(std::move(fx.store[0]), *f.store), at(NOW)));
    EXPECT_TRUE(late.frames.empty());
}

TEST(ClientHub, AFailedFetchClosesWithInternalError) {
    GatewayFixture f;
    (void)f.register_client(1);
    ASSERT_TRUE(f.store->store(f.client.public_key(), Bytes{1}, at(NOW)));
    HubEffects fx = f.hub.on_stored(f.client.public_key());
    ASSERT_EQ(fx.store.size(), 1u);
    const auto& fetch = std::get<FetchRequest>(fx.store[0]);
    FetchReply failed{fetch.id, Unexpected(make_error_code(Errc::database_error)), fetch.limit};
    HubEffects closed = f.hub.on_store_reply(std::move(failed), at(NOW));
    ASSERT_EQ(closed.closes.size(), 1u);
    EXPECT_EQ(closed.closes[0].second.code, wg::ErrorCode::internal_error);
    EXPECT_EQ(closed.closes[0].second.by, CloseReason::By::gateway);
    EXPECT_EQ(f.counters.clients_connected.load(), 0u);
}

TEST(ClientHub, SendPacketIsFramedForTheFirstHopAndCounted) {
    GatewayFixture f;
    (void)f.register_client(1);
    wg::SendPacket send;
    send.first_hop = sphinx::encode_node_address(HOP_B);
    send.packet = Bytes(sphinx::packet_size(sphinx::PacketSize::regular), 9);
    HubEffects fx;
    for (int i = 0; i < 3; ++i) fx = f.hub.on_frame(1, wg::serialize(wg::Message{send}), at(NOW));
    ASSERT_EQ(fx.forwards.size(), 1u);
    EXPECT_EQ(fx.forwards[0].hop(), HOP_B);
    auto framed = wire::encode_frame(send.packet);
    ASSERT_TRUE(framed);
    EXPECT_EQ(fx.forwards[0].frame(), *framed);
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
    GatewayFixture f;
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
    EXPECT_EQ(fx.forwards[0].hop(), HOP_A);
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
    GatewayFixture f;
    FirstHops never_updated;
    ClientHub hub{f.identity, *f.store, f.nonces, f.rng, f.counters, never_updated};
    hub.open(1);
    HubEffects fx = hub.on_frame(1, f.register_frame(), at(NOW));
    ASSERT_EQ(fx.store.size(), 1u);
    ASSERT_TRUE(hub.on_store_reply(run_store_request(std::move(fx.store[0]), *f.store), at(NOW)).closes.empty());
    fx = hub.on_frame(1, wg::serialize(send_to_hop(HOP_A, 1)), at(NOW));
    EXPECT_TRUE(fx.forwards.empty());
    EXPECT_TRUE(fx.closes.empty());
    EXPECT_EQ(f.counters.dropped_by(DropReason::unknown_first_hop), 1u);
    // The topology arrives: the next packet goes through.
    (void)never_updated.update({HOP_A}, at(NOW));
    EXPECT_EQ(hub.on_frame(1, wg::serialize(send_to_hop(HOP_A, 2)), at(NOW)).forwards.size(), 1u);
}

TEST(ClientHub, GarbageAndTextFramesCloseAndAreCounted) {
    GatewayFixture f;
    f.hub.open(1);
    HubEffects fx = f.hub.on_frame(1, Bytes{0x99, 1, 2}, at(NOW));
    ASSERT_EQ(fx.closes.size(), 1u);
    EXPECT_EQ(fx.frames.size(), 1u); // the Error
    EXPECT_TRUE(fx.store.empty());   // answered without the store
    // A closing connection ignores whatever else arrives.
    EXPECT_TRUE(f.hub.on_frame(1, Bytes{0x99}, at(NOW)).frames.empty());
    f.hub.open(2);
    fx = f.hub.on_text(2);
    EXPECT_EQ(fx.closes.size(), 1u);
    EXPECT_EQ(websocket_close(fx.closes[0].second).code, 1008);
    EXPECT_EQ(f.counters.client_errors.load(), 2u);
    EXPECT_EQ(f.counters.dropped_by(DropReason::client_protocol), 2u);
    f.hub.closed(1);
    f.hub.closed(2);
    f.hub.closed(7); // unknown: ignored
}

} // namespace
} // namespace nym::gateway
