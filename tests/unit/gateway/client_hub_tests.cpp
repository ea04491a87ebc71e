// The client hub (src/gateway/client_hub.hpp): sessions, the delivery window, the layer-1 rule for
// client packets, and the store work it hands to the store serial (run inline here by settle()).
#include "gateway_fixture.hpp"

#include <gateway/rate_limit.hpp>

#include <gateway/errors.hpp>

#include <sqlite3.h>
#include <wire/framing.hpp>

#include <gtest/gtest.h>

#include <array>

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
    auto messages = f.read(fx);
    ASSERT_FALSE(messages.empty());
    EXPECT_TRUE(std::holds_alternative<wg::RegisterResponse>(messages.front().second));
    std::vector<std::uint64_t> ids;
    for (const auto& [id, m] : messages)
        if (const auto* d = std::get_if<wg::Deliver>(&m)) ids.push_back(d->id);
    ASSERT_EQ(ids.size(), 10u); // the window
    EXPECT_EQ(f.hub.in_flight(1), 10u);
    EXPECT_EQ(f.counters.delivered.load(), 10u);
    EXPECT_EQ(f.counters.clients_connected.load(), 1u);

    // Acking 4 opens 4 slots: exactly the next 4 go out, and the deletions go to the store queue.
    fx = f.settle(f.hub.on_frame(1, f.frame(1, wg::Message{wg::Ack{{ids[0], ids[1], ids[2], ids[3]}}}), at(NOW)));
    ASSERT_EQ(fx.deletes.size(), 1u);
    EXPECT_EQ(fx.deletes[0].ids.size(), 4u);
    auto more = f.delivered(fx);
    ASSERT_EQ(more.size(), 4u);
    EXPECT_GT(more.front(), ids.back());
    EXPECT_EQ(f.hub.in_flight(1), 10u);

    // A full window: new messages wait; after acks they come.
    fx = f.hub.on_stored(f.client.public_key());
    EXPECT_TRUE(fx.store.empty()); // not even a fetch
    EXPECT_TRUE(f.delivered(f.settle(std::move(fx))).empty());
    f.hub.closed(1);
    EXPECT_EQ(f.counters.clients_connected.load(), 0u);
    EXPECT_EQ(f.hub.connections(), 0u);
}

TEST(ClientHub, NewMessagesArePushedToTheConnectedClient) {
    GatewayFixture f;
    EXPECT_TRUE(f.register_and_read(3).empty());
    ASSERT_TRUE(f.store->store(f.client.public_key(), Bytes{1, 2, 3}, at(NOW)));
    HubEffects fx = f.settle(f.hub.on_stored(f.client.public_key()));
    ASSERT_EQ(f.delivered(fx).size(), 1u);
    // Nothing new: nothing sent twice.
    EXPECT_TRUE(f.delivered(f.settle(f.hub.on_stored(f.client.public_key()))).empty());
}

TEST(ClientHub, StoredWhileAFetchIsOutIsFetchedWhenItReturns) {
    GatewayFixture f;
    (void)f.register_and_read(3);
    ASSERT_TRUE(f.store->store(f.client.public_key(), Bytes{1}, at(NOW)));
    HubEffects first = f.hub.on_stored(f.client.public_key());
    ASSERT_EQ(first.store.size(), 1u); // a fetch is out...
    StoreReply fetched = run_store_request(std::move(first.store[0]), *f.store); // ...and sees one message
    ASSERT_TRUE(f.store->store(f.client.public_key(), Bytes{2}, at(NOW)));
    HubEffects second = f.hub.on_stored(f.client.public_key());
    EXPECT_TRUE(second.store.empty()); // one fetch at a time per connection...
    // ...and once it is back, another one picks up what was stored meanwhile.
    EXPECT_EQ(f.delivered(f.settle(f.hub.on_store_reply(std::move(fetched), at(NOW)))).size(), 2u);
}

TEST(ClientHub, HandshakesRunOnTheStoreAndLaterFramesWaitForThem) {
    GatewayFixture f;
    ASSERT_TRUE(f.hub.open(1));
    HubEffects fx = f.hub.on_frame(1, f.register_frame(1), at(NOW));
    // Nothing is answered on the spot: the handshake (registry lookup, key write) goes to the store.
    EXPECT_TRUE(fx.frames.empty());
    ASSERT_EQ(fx.store.size(), 1u);
    ASSERT_TRUE(std::holds_alternative<HandshakeRequest>(fx.store[0]));
    // A plain Ping sent right behind the RegisterRequest waits for it, and is then refused: after
    // the handshake every frame needs the session MAC, which the client cannot have had yet.
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
    auto messages = f.read(after);
    ASSERT_EQ(messages.size(), 2u);
    EXPECT_TRUE(std::holds_alternative<wg::RegisterResponse>(messages[0].second));
    ASSERT_TRUE(std::holds_alternative<wg::ErrorMessage>(messages[1].second));
    EXPECT_EQ(std::get<wg::ErrorMessage>(messages[1].second).code, wg::ErrorCode::invalid_mac);
    ASSERT_TRUE(f.peers[1].key.has_value());

    // An authentication can be followed at once by sealed frames (its session keys depend on the
    // request only): they wait for the handshake and are answered after its reply, in order.
    std::array<std::uint8_t, wg::AUTH_NONCE_SIZE> nonce{};
    const auto request =
        wg::make_authenticate_request(*f.peers[1].key, f.identity.public_key(), f.client.public_key(), NOW + 1, nonce);
    wg::SessionChannel channel(wg::Side::client, *f.peers[1].key, wg::authentication_session_transcript(request));
    ASSERT_TRUE(f.hub.open(2));
    HubEffects auth = f.hub.on_frame(2, wg::serialize(wg::Message{request}), at(NOW));
    ASSERT_EQ(auth.store.size(), 1u);
    EXPECT_TRUE(f.hub.on_frame(2, channel.seal(wg::serialize(wg::Message{wg::Ping{43}})), at(NOW)).frames.empty());
    HubEffects answered = f.settle(std::move(auth));
    ASSERT_EQ(answered.frames.size(), 2u);
    EXPECT_EQ(std::get<wg::AuthenticateResponse>(wg::parse_message(answered.frames[0].second).value()).status,
              wg::AuthStatus::ok);
    auto pong = channel.open(answered.frames[1].second);
    ASSERT_TRUE(pong);
    EXPECT_EQ(std::get<wg::Pong>(wg::parse_message(*pong).value()).nonce, 43u);
}

TEST(ClientHub, TooManyFramesDuringAHandshakeCloseTheConnection) {
    GatewayFixture f;
    ASSERT_TRUE(f.hub.open(1));
    HubEffects fx = f.hub.on_frame(1, f.register_frame(1), at(NOW));
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
    (void)f.register_and_read(1);
    ASSERT_TRUE(f.store->store(f.client.public_key(), Bytes{1}, at(NOW)));
    HubEffects fx = f.hub.on_stored(f.client.public_key());
    ASSERT_EQ(fx.store.size(), 1u);
    // The messages table is gone behind the store's back: the fetch fails.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((f.dir.path() / "messages.sqlite").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "DROP TABLE messages;", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    StoreReply failed = run_store_request(std::move(fx.store[0]), *f.store);
    ASSERT_FALSE(std::get<FetchReply>(failed).messages.has_value());
    HubEffects closed = f.hub.on_store_reply(std::move(failed), at(NOW));
    (void)f.read(closed);
    ASSERT_EQ(closed.closes.size(), 1u);
    EXPECT_EQ(closed.closes[0].second.code, wg::ErrorCode::internal_error);
    EXPECT_EQ(closed.closes[0].second.by, CloseReason::By::gateway);
    EXPECT_EQ(f.counters.clients_connected.load(), 0u);
}

TEST(ClientHub, SendPacketIsFramedForTheFirstHopAndCounted) {
    GatewayFixture f;
    (void)f.register_and_read(1);
    wg::SendPacket send;
    send.first_hop = sphinx::encode_node_address(HOP_B);
    send.packet = Bytes(sphinx::packet_size(sphinx::PacketSize::regular), 9);
    HubEffects fx;
    for (int i = 0; i < 3; ++i) fx = f.hub.on_frame(1, f.frame(1, wg::Message{send}), at(NOW));
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
    HubEffects registered = f.register_client(1);
    ASSERT_TRUE(registered.closes.empty());
    (void)f.read(registered);
    const auto nowhere = sphinx::IpEndpoint::v4({127, 0, 0, 1}, 9);
    HubEffects fx = f.hub.on_frame(1, f.frame(1, send_to_hop(nowhere, 1)), at(NOW));
    EXPECT_TRUE(fx.forwards.empty()); // nothing for the egress queues: no connection is ever opened
    EXPECT_TRUE(fx.closes.empty());
    auto replies = f.read(fx); // the Error is sealed with the session MAC
    ASSERT_EQ(replies.size(), 1u);
    const auto* reply = std::get_if<wg::ErrorMessage>(&replies[0].second);
    ASSERT_NE(reply, nullptr);
    EXPECT_EQ(reply->code, wg::ErrorCode::invalid_packet);
    EXPECT_EQ(reply->text, "first hop is not a layer-1 mix node");
    EXPECT_EQ(f.counters.dropped_by(DropReason::unknown_first_hop), 1u);
    EXPECT_EQ(f.counters.packets_from_clients.load(), 0u); // refused, not accepted
    EXPECT_EQ(f.counters.client_errors.load(), 0u);        // not a protocol error: the session is fine
    EXPECT_TRUE(f.first_hops.take_refresh_request());     // and the topology is refreshed early

    // The same connection goes on: a packet to a layer-1 node is forwarded.
    fx = f.hub.on_frame(1, f.frame(1, send_to_hop(HOP_A, 2)), at(NOW));
    ASSERT_EQ(fx.forwards.size(), 1u);
    EXPECT_EQ(fx.forwards[0].hop(), HOP_A);
    EXPECT_TRUE(fx.frames.empty());
    EXPECT_EQ(f.counters.packets_from_clients.load(), 1u);
    const std::string json = stats_json(f.counters, f.hub.client_counters());
    EXPECT_NE(json.find("\"unknown_first_hop\":1"), std::string::npos) << json;

    // HOP_B leaves the topology: still allowed within the grace period, refused after it.
    (void)f.first_hops.update({HOP_A}, at(NOW + 1));
    EXPECT_EQ(f.hub.on_frame(1, f.frame(1, send_to_hop(HOP_B, 3)), at(NOW + 1 + 60)).forwards.size(), 1u);
    fx = f.hub.on_frame(1, f.frame(1, send_to_hop(HOP_B, 4)), at(NOW + 1 + 61));
    (void)f.read(fx);
    EXPECT_TRUE(fx.forwards.empty());
    EXPECT_TRUE(fx.closes.empty());
    EXPECT_EQ(f.counters.dropped_by(DropReason::unknown_first_hop), 2u);
}

TEST(ClientHub, EverySendPacketIsRefusedBeforeTheFirstTopology) {
    GatewayFixture f;
    FirstHops never_updated;
    ClientHub hub{f.identity, *f.store, f.nonces, f.rng, f.counters, never_updated};
    ASSERT_TRUE(hub.open(1));
    HubEffects fx = hub.on_frame(1, f.register_frame(1), at(NOW));
    ASSERT_EQ(fx.store.size(), 1u);
    HubEffects registered = hub.on_store_reply(run_store_request(std::move(fx.store[0]), *f.store), at(NOW));
    ASSERT_TRUE(registered.closes.empty());
    (void)f.read(registered);
    fx = hub.on_frame(1, f.frame(1, send_to_hop(HOP_A, 1)), at(NOW));
    (void)f.read(fx);
    EXPECT_TRUE(fx.forwards.empty());
    EXPECT_TRUE(fx.closes.empty());
    EXPECT_EQ(f.counters.dropped_by(DropReason::unknown_first_hop), 1u);
    // The topology arrives: the next packet goes through.
    (void)never_updated.update({HOP_A}, at(NOW));
    EXPECT_EQ(hub.on_frame(1, f.frame(1, send_to_hop(HOP_A, 2)), at(NOW)).forwards.size(), 1u);
}

TEST(ClientHub, GarbageAndTextFramesCloseAndAreCounted) {
    GatewayFixture f;
    ASSERT_TRUE(f.hub.open(1));
    HubEffects fx = f.hub.on_frame(1, Bytes{0x99, 1, 2}, at(NOW));
    ASSERT_EQ(fx.closes.size(), 1u);
    EXPECT_EQ(fx.frames.size(), 1u); // the Error
    EXPECT_TRUE(fx.store.empty());   // answered without the store
    // A closing connection ignores whatever else arrives.
    EXPECT_TRUE(f.hub.on_frame(1, Bytes{0x99}, at(NOW)).frames.empty());
    ASSERT_TRUE(f.hub.open(2));
    fx = f.hub.on_text(2);
    EXPECT_EQ(fx.closes.size(), 1u);
    EXPECT_EQ(websocket_close(fx.closes[0].second).code, 1008);
    EXPECT_EQ(f.counters.client_errors.load(), 2u);
    EXPECT_EQ(f.counters.dropped_by(DropReason::client_protocol), 2u);
    f.hub.closed(1);
    f.hub.closed(2);
    f.hub.closed(7); // unknown: ignored
}

TEST(ClientHub, ConnectionsThatDoNotAuthenticateInTimeAreClosed) {
    GatewayFixture f; // authentication_timeout 10 s
    ASSERT_TRUE(f.hub.open(1, "10.0.0.1", at(NOW)));
    ASSERT_TRUE(f.hub.open(2, "10.0.0.1", at(NOW)));
    (void)f.read(f.settle(f.hub.on_frame(2, f.register_frame(2), at(NOW)))); // connection 2 registers
    EXPECT_TRUE(f.hub.expire_unauthenticated(at(NOW + 9)).closes.empty());
    HubEffects fx = f.hub.expire_unauthenticated(at(NOW + 10));
    ASSERT_EQ(fx.closes.size(), 1u);
    EXPECT_EQ(fx.closes[0].first, 1u);
    EXPECT_EQ(fx.closes[0].second.code, wg::ErrorCode::not_authenticated);
    EXPECT_EQ(websocket_close(fx.closes[0].second).code, 1008);
    auto messages = f.read(fx);
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(std::get<wg::ErrorMessage>(messages[0].second).code, wg::ErrorCode::not_authenticated);
    EXPECT_EQ(f.counters.auth_timeouts.load(), 1u);
    // Once: the closing connection is not closed again, the authenticated one never.
    EXPECT_TRUE(f.hub.expire_unauthenticated(at(NOW + 100)).closes.empty());

    // A handshake still with the store when the deadline passes does not count as done.
    ASSERT_TRUE(f.hub.open(3, "10.0.0.2", at(NOW)));
    HubEffects slow = f.hub.on_frame(3, f.register_frame(3), at(NOW));
    ASSERT_EQ(slow.store.size(), 1u);
    EXPECT_EQ(f.hub.expire_unauthenticated(at(NOW + 11)).closes.size(), 1u);
    EXPECT_TRUE(f.settle(std::move(slow)).frames.empty()); // its late reply finds it closing
}

TEST(ClientHub, ConnectionsPerIpAreCapped) {
    GatewayFixture f;
    HubConfig config = small_hub();
    config.max_connections_per_ip = 2;
    ClientHub hub{f.identity, *f.store, f.nonces, f.rng, f.counters, f.first_hops, config};
    EXPECT_TRUE(hub.open(1, "10.0.0.1", at(NOW)));
    EXPECT_TRUE(hub.open(2, "10.0.0.1", at(NOW)));
    EXPECT_FALSE(hub.open(3, "10.0.0.1", at(NOW))); // refused at the upgrade
    EXPECT_EQ(f.counters.connections_refused.load(), 1u);
    EXPECT_EQ(hub.connections(), 2u);
    EXPECT_TRUE(hub.open(4, "10.0.0.2", at(NOW))); // another address has its own budget
    hub.closed(1);
    EXPECT_TRUE(hub.open(5, "10.0.0.1", at(NOW))); // a slot is free again
    hub.closed(3);                                 // refused ids are unknown to the hub: ignored
    EXPECT_FALSE(hub.open(6, "10.0.0.1", at(NOW)));
}

TEST(ClientHub, RegistrationsAreRateLimitedPerAddressBeforeAnyWorkIsDone) {
    GatewayFixture f;
    HubConfig config = small_hub();
    config.registrations_per_minute_per_ip = 2;
    ClientHub hub{f.identity, *f.store, f.nonces, f.rng, f.counters, f.first_hops, config};
    for (ConnectionId id = 1; id <= 2; ++id) {
        ASSERT_TRUE(hub.open(id, "10.0.0.1", at(NOW)));
        EXPECT_EQ(hub.on_frame(id, f.register_frame(id), at(NOW)).store.size(), 1u); // to the store
    }
    ASSERT_TRUE(hub.open(3, "10.0.0.1", at(NOW)));
    HubEffects refused = hub.on_frame(3, f.register_frame(3), at(NOW));
    EXPECT_TRUE(refused.store.empty()); // no signature check, no write
    ASSERT_EQ(refused.closes.size(), 1u);
    EXPECT_EQ(refused.closes[0].second.code, wg::ErrorCode::busy);
    EXPECT_EQ(f.counters.registrations_refused.load(), 1u);
    EXPECT_EQ(f.counters.client_errors.load(), 0u); // a limit, not a protocol error
    // Another address has its own budget; this one refills over the minute.
    ASSERT_TRUE(hub.open(4, "10.0.0.2", at(NOW)));
    EXPECT_EQ(hub.on_frame(4, f.register_frame(4), at(NOW)).store.size(), 1u);
    ASSERT_TRUE(hub.open(5, "10.0.0.1", at(NOW + 30)));
    EXPECT_EQ(hub.on_frame(5, f.register_frame(5), at(NOW + 30)).store.size(), 1u);
}

TEST(RateLimiter, BucketsPerKeyAndInTotalRefillOverAMinute) {
    RateLimiter limiter(3, 4, 2);
    EXPECT_TRUE(limiter.allow("a", at(NOW)));
    EXPECT_TRUE(limiter.allow("a", at(NOW)));
    EXPECT_TRUE(limiter.allow("a", at(NOW)));
    EXPECT_FALSE(limiter.allow("a", at(NOW)));     // a's burst is spent
    EXPECT_TRUE(limiter.allow("b", at(NOW)));      // b has its own...
    EXPECT_FALSE(limiter.allow("b", at(NOW)));     // ...but the total (4) is spent
    EXPECT_TRUE(limiter.allow("a", at(NOW + 20))); // 20 s: one token back each (3/min and 4/min)
    EXPECT_FALSE(limiter.allow("c", at(NOW + 20))); // the total is spent again
    EXPECT_TRUE(limiter.allow("c", at(NOW + 120))); // a and b full again: forgotten, c takes a slot
}

} // namespace
} // namespace nym::gateway
