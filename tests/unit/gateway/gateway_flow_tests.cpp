// The gateway's pieces wired together as the networking glue will wire them, without sockets:
// final hop → store → session push → ack → delete, across a disconnect and a gateway restart.
#include <gateway/client_session.hpp>
#include <gateway/final_hop.hpp>
#include <gateway/message_store.hpp>

#include "test_util.hpp"

#include <sphinx/builder.hpp>
#include <sphinx/node_address.hpp>
#include <sphinx/packet_size.hpp>

#include <gtest/gtest.h>

namespace nym::gateway {
namespace {

namespace wg = wire::gateway;
using Bytes = std::vector<std::uint8_t>;

constexpr std::int64_t NOW = 1'700'000'000;
UnixSeconds at(std::int64_t s) { return UnixSeconds(std::chrono::seconds(s)); }

/// What the glue does with a session's output; returns the ids delivered on ClientReady.
std::vector<std::uint64_t> perform(MessageStore& store, ClientSession& session, const SessionOutput& out) {
    std::vector<std::uint64_t> delivered;
    for (const Action& action : out.actions) {
        if (const auto* s = std::get_if<StoreSharedKey>(&action)) {
            EXPECT_TRUE(store.register_client(s->client));
        } else if (const auto* a = std::get_if<RecordAuthentication>(&action)) {
            EXPECT_TRUE(store.record_authentication(a->client, a->at).value());
        } else if (const auto* d = std::get_if<DeleteMessages>(&action)) {
            EXPECT_TRUE(store.ack(d->client, d->ids));
        } else if (const auto* r = std::get_if<ClientReady>(&action)) {
            const std::vector<StoredMessage> batch = store.fetch_batch(r->client).value();
            for (const StoredMessage& m : batch) {
                auto frame = session.deliver(m.id, m.content);
                EXPECT_TRUE(frame.has_value());
                delivered.push_back(m.id);
            }
        }
    }
    return delivered;
}

TEST(GatewayFlow, MessagesSurviveDisconnectAndRestartUntilAcknowledged) {
    test::TempDir dir;
    const auto db = dir.path() / "messages.sqlite";
    crypto::DeterministicRng rng(21);
    const auto gateway_identity = crypto::Ed25519SecretKey::generate(rng);
    const auto gateway_sphinx = crypto::X25519KeyPair::generate(rng);
    const auto client = crypto::Ed25519SecretKey::generate(rng);
    NonceCache nonces;
    ReplayCache replays;
    wg::SharedKey client_key;

    {
        auto store = std::move(MessageStore::open(db).value());
        // 1. The client registers.
        ClientSession session(gateway_identity, *store, nonces, rng);
        const auto eph = crypto::X25519KeyPair::generate(rng);
        const auto request = wg::make_register_request(client, gateway_identity.public_key(), eph.public_key, NOW);
        const SessionOutput out = session.on_frame(wg::serialize(wg::Message{request}), at(NOW));
        ASSERT_FALSE(out.close.has_value());
        EXPECT_TRUE(perform(*store, session, out).empty());
        auto reply = wg::parse_message(out.replies.at(0));
        ASSERT_TRUE(reply);
        client_key = wg::finish_registration(gateway_identity.public_key(), request, eph.secret,
                                             std::get<wg::RegisterResponse>(*reply))
                         .value();

        // 2. Two packets for it arrive from layer 3 (single-hop routes: the gateway is the last hop).
        FinalHopProcessor final_hop(gateway_sphinx.secret, *store, replays, FinalHopConfig{false});
        for (std::uint8_t i = 0; i < 2; ++i) {
            const std::vector<sphinx::RouteNode> route{
                {sphinx::encode_node_address(sphinx::IpEndpoint::v4({10, 0, 0, 1}, 1789)), gateway_sphinx.public_key}};
            sphinx::DestinationAddress dest;
            dest.bytes = client.public_key().bytes;
            auto packet = sphinx::build_packet(route, std::vector<sphinx::Delay>{sphinx::Delay(0)}, dest,
                                               sphinx::SurbIdentifier{}, Bytes(50, i),
                                               sphinx::payload_size(sphinx::PacketSize::regular), rng)
                              .value();
            ASSERT_EQ(final_hop.process(packet, at(NOW)).outcome, FinalHopOutcome::stored);
        }
        // The client is pushed both but disconnects without acknowledging.
        // (The session above is simply dropped.)
    } // the gateway "restarts": the store is closed

    auto store = std::move(MessageStore::open(db).value());
    std::array<std::uint8_t, wg::AUTH_NONCE_SIZE> nonce{};
    nonce.fill(1);
    const auto auth = wg::make_authenticate_request(client_key, gateway_identity.public_key(), client.public_key(),
                                                    NOW + 60, nonce);
    ClientSession session(gateway_identity, *store, nonces, rng);
    SessionOutput out = session.on_frame(wg::serialize(wg::Message{auth}), at(NOW + 60));
    ASSERT_FALSE(out.close.has_value());
    const auto delivered = perform(*store, session, out);
    ASSERT_EQ(delivered.size(), 2u);
    EXPECT_EQ(session.unacknowledged(), 2u);

    // Acknowledge the first only (under the session MAC); the second is still there after another restart.
    wg::SessionChannel channel(wg::Side::client, client_key, wg::authentication_session_transcript(auth));
    out = session.on_frame(channel.seal(wg::serialize(wg::Message{wg::Ack{{delivered[0]}}})), at(NOW + 61));
    perform(*store, session, out);
    store.reset();
    store = std::move(MessageStore::open(db).value());
    const auto left = store->fetch_batch(client.public_key()).value();
    ASSERT_EQ(left.size(), 1u);
    EXPECT_EQ(left[0].id, delivered[1]);
    EXPECT_EQ(left[0].content, Bytes(50, 1));
    EXPECT_EQ(store->registered_clients().value().size(), 1u);
}

} // namespace
} // namespace nym::gateway
