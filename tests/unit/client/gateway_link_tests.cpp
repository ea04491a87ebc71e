// The client's gateway link against the gateway's own session state machine (src/gateway), so both
// ends of docs/protocol/gateway.md are exercised with the real bytes: registration, reconnect
// authentication, refusals, delivery and acknowledgement, packets and keep-alives.

#include <client/gateway_link.hpp>

#include <gateway/client_session.hpp>
#include <sphinx/node_address.hpp>

#include <gtest/gtest.h>

#include <map>

namespace nym::client {
namespace {

namespace wg = wire::gateway;
using gateway::Action;
using gateway::ClientSession;
using gateway::SessionOutput;

constexpr std::int64_t NOW = 1'700'000'000;
gateway::UnixSeconds at(std::int64_t s) { return gateway::UnixSeconds(std::chrono::seconds(s)); }

/// The gateway's client table, in memory, updated from StoreSharedKey actions as the gateway's glue does.
class MapRegistry final : public gateway::ClientRegistry {
public:
    Expected<std::optional<gateway::RegisteredClient>> find_client(const gateway::ClientAddress& address) override {
        auto it = clients.find(address.bytes);
        if (it == clients.end()) return std::optional<gateway::RegisteredClient>{};
        return std::optional<gateway::RegisteredClient>{it->second};
    }
    void apply(const SessionOutput& out) {
        for (const Action& a : out.actions)
            if (const auto* s = std::get_if<gateway::StoreSharedKey>(&a))
                clients.insert_or_assign(s->client.address.bytes, s->client);
    }
    std::map<std::array<std::uint8_t, 32>, gateway::RegisteredClient> clients;
};

class ClientGatewayLink : public ::testing::Test {
protected:
    crypto::DeterministicRng rng{11};
    crypto::Ed25519SecretKey gateway_key = crypto::Ed25519SecretKey::generate(rng);
    crypto::Ed25519SecretKey client_key = crypto::Ed25519SecretKey::generate(rng);
    MapRegistry registry;
    gateway::NonceCache nonces;

    ClientSession session() { return ClientSession(gateway_key, registry, nonces, rng); }
    GatewayLink link() { return GatewayLink(client_key, gateway_key.public_key()); }

    /// Feeds every gateway reply to the link and returns what the link produced in total.
    static LinkOutput feed(GatewayLink& l, const SessionOutput& out) {
        LinkOutput total;
        for (const auto& frame : out.replies) {
            LinkOutput o = l.on_frame(frame);
            for (auto& f : o.frames) total.frames.push_back(std::move(f));
            for (auto& e : o.events) total.events.push_back(std::move(e));
            total.close = total.close || o.close;
        }
        return total;
    }

    /// Runs a full registration; returns the client's key.
    wg::SharedKey register_link(GatewayLink& l, ClientSession& s) {
        const Bytes request = l.begin_register(rng, NOW);
        EXPECT_EQ(l.state(), LinkState::registering);
        const SessionOutput out = s.on_frame(request, at(NOW));
        EXPECT_FALSE(out.close.has_value());
        registry.apply(out);
        LinkOutput o = feed(l, out);
        EXPECT_EQ(o.events.size(), 1u);
        EXPECT_FALSE(o.close);
        EXPECT_TRUE(o.events.size() == 1 && std::holds_alternative<LinkRegistered>(o.events[0]));
        if (o.events.empty() || !std::holds_alternative<LinkRegistered>(o.events[0])) return {};
        return std::get<LinkRegistered>(o.events[0]).shared_key;
    }
};

TEST_F(ClientGatewayLink, RegistrationAgreesOnTheGatewaysKey) {
    auto l = link();
    auto s = session();
    const wg::SharedKey key = register_link(l, s);
    EXPECT_EQ(l.state(), LinkState::ready);
    EXPECT_EQ(s.state(), ClientSession::State::authenticated);
    ASSERT_EQ(registry.clients.size(), 1u);
    EXPECT_TRUE(registry.clients.begin()->second.shared_key.ct_equals(key));
    EXPECT_EQ(registry.clients.begin()->second.address, client_key.public_key());
}

TEST_F(ClientGatewayLink, AuthenticatesWithTheStoredKeyOnReconnect) {
    wg::SharedKey key;
    {
        auto l = link();
        auto s = session();
        key = register_link(l, s);
    }
    auto l = link();
    auto s = session();
    const Bytes request = l.begin_authenticate(key, rng, NOW + 5);
    EXPECT_EQ(l.state(), LinkState::authenticating);
    const SessionOutput out = s.on_frame(request, at(NOW + 5));
    ASSERT_FALSE(out.close.has_value());
    const LinkOutput o = feed(l, out);
    ASSERT_EQ(o.events.size(), 1u);
    EXPECT_TRUE(std::holds_alternative<LinkAuthenticated>(o.events[0]));
    EXPECT_FALSE(o.close);
    EXPECT_EQ(l.state(), LinkState::ready);
}

TEST_F(ClientGatewayLink, AuthenticationOfAnUnknownClientIsRefusedWithTheGatewaysCode) {
    auto l = link();
    auto s = session();
    wg::SharedKey never_registered;
    never_registered.mutable_bytes()[0] = 1;
    const SessionOutput out = s.on_frame(l.begin_authenticate(never_registered, rng, NOW), at(NOW));
    ASSERT_TRUE(out.close.has_value());
    const LinkOutput o = feed(l, out);
    ASSERT_EQ(o.events.size(), 1u);
    const auto* refused = std::get_if<LinkRefused>(&o.events[0]);
    ASSERT_NE(refused, nullptr);
    ASSERT_TRUE(refused->code.has_value());
    EXPECT_EQ(*refused->code, wg::ErrorCode::unknown_client);
    EXPECT_TRUE(refused->during_authentication);
    EXPECT_TRUE(o.close);
    EXPECT_TRUE(o.frames.empty()); // no Error echoed back at the gateway's own Error
    EXPECT_EQ(l.state(), LinkState::closed);
}

TEST_F(ClientGatewayLink, AuthenticationWithAWrongKeyIsRefusedAsInvalidMac) {
    {
        auto l = link();
        auto s = session();
        (void)register_link(l, s);
    }
    auto l = link();
    auto s = session();
    wg::SharedKey wrong;
    wrong.mutable_bytes()[5] = 9;
    const LinkOutput o = feed(l, s.on_frame(l.begin_authenticate(wrong, rng, NOW), at(NOW)));
    ASSERT_EQ(o.events.size(), 1u);
    const auto* refused = std::get_if<LinkRefused>(&o.events[0]);
    ASSERT_NE(refused, nullptr);
    EXPECT_EQ(refused->code, wg::ErrorCode::invalid_mac);
    EXPECT_TRUE(refused->during_authentication);
}

TEST_F(ClientGatewayLink, ARegisterResponseFromAnotherGatewayIsRejected) {
    // The link expects gateway_key; an impostor with a different identity answers.
    crypto::Ed25519SecretKey impostor = crypto::Ed25519SecretKey::generate(rng);
    ClientSession s(impostor, registry, nonces, rng);
    auto l = link();
    (void)l.begin_register(rng, NOW);
    // The impostor answers a request made out to itself; the link, expecting gateway_key, must not
    // accept that answer (the signature is by the wrong key over the wrong transcript).
    GatewayLink for_impostor(client_key, impostor.public_key());
    const SessionOutput out = s.on_frame(for_impostor.begin_register(rng, NOW), at(NOW));
    ASSERT_FALSE(out.close.has_value());
    ASSERT_EQ(out.replies.size(), 1u);
    const LinkOutput o = l.on_frame(out.replies[0]);
    ASSERT_EQ(o.events.size(), 1u);
    const auto* refused = std::get_if<LinkRefused>(&o.events[0]);
    ASSERT_NE(refused, nullptr);
    EXPECT_FALSE(refused->code.has_value());
    EXPECT_NE(refused->reason.find("does not verify"), std::string::npos);
    EXPECT_TRUE(o.close);
    EXPECT_EQ(l.state(), LinkState::closed);
}

TEST_F(ClientGatewayLink, ATamperedRegisterResponseIsRejected) {
    for (std::size_t offset : {1u, 40u, 100u, 128u}) { // gateway ephemeral, signature, key confirmation
        auto l = link();
        const SessionOutput out = session().on_frame(l.begin_register(rng, NOW), at(NOW));
        ASSERT_EQ(out.replies.size(), 1u);
        Bytes reply = out.replies[0];
        reply[offset] ^= 0x20;
        const LinkOutput o = l.on_frame(reply);
        ASSERT_EQ(o.events.size(), 1u) << offset;
        EXPECT_TRUE(std::holds_alternative<LinkRefused>(o.events[0])) << offset;
        EXPECT_TRUE(o.close);
        EXPECT_EQ(l.state(), LinkState::closed);
    }
}

TEST_F(ClientGatewayLink, DeliveredMessagesAreAcknowledgedOnlyWhenTheGlueSaysSo) {
    auto l = link();
    auto s = session();
    (void)register_link(l, s);
    const Bytes message{1, 2, 3, 4};
    auto frame = s.deliver(41, message);
    ASSERT_TRUE(frame);
    const LinkOutput o = l.on_frame(*frame);
    ASSERT_EQ(o.events.size(), 1u);
    const auto* delivered = std::get_if<LinkDelivered>(&o.events[0]);
    ASSERT_NE(delivered, nullptr);
    EXPECT_EQ(delivered->id, 41u);
    EXPECT_EQ(delivered->message, message);
    EXPECT_TRUE(o.frames.empty()); // the link never acks on its own
    EXPECT_EQ(s.unacknowledged(), 1u);

    const std::uint64_t ids[] = {41};
    const auto acks = l.ack(ids);
    ASSERT_EQ(acks.size(), 1u);
    const SessionOutput out = s.on_frame(acks[0], at(NOW));
    ASSERT_EQ(out.actions.size(), 1u);
    const auto* del = std::get_if<gateway::DeleteMessages>(&out.actions[0]);
    ASSERT_NE(del, nullptr);
    EXPECT_EQ(del->ids, std::vector<std::uint64_t>{41});
    EXPECT_EQ(del->client, client_key.public_key());
    EXPECT_EQ(s.unacknowledged(), 0u);
}

TEST_F(ClientGatewayLink, LargeAckBatchesAreSplitIntoProtocolSizedFrames) {
    auto l = link();
    auto s = session();
    (void)register_link(l, s);
    std::vector<std::uint64_t> ids(600);
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = i + 1;
    const auto frames = l.ack(ids);
    ASSERT_EQ(frames.size(), 3u);
    std::vector<std::uint64_t> seen;
    for (const auto& f : frames) {
        const SessionOutput out = s.on_frame(f, at(NOW)); // sealed: the gateway opens them in order
        ASSERT_FALSE(out.close.has_value());
        ASSERT_EQ(out.actions.size(), 1u);
        const auto& del = std::get<gateway::DeleteMessages>(out.actions[0]);
        EXPECT_LE(del.ids.size(), wg::MAX_ACK_IDS);
        seen.insert(seen.end(), del.ids.begin(), del.ids.end());
    }
    EXPECT_EQ(seen, ids);
    EXPECT_TRUE(l.ack(std::span<const std::uint64_t>{}).empty());
}

TEST_F(ClientGatewayLink, PacketsReachTheGatewayAsForwardActions) {
    auto l = link();
    auto s = session();
    (void)register_link(l, s);
    OutgoingPacket packet;
    packet.first_hop = sphinx::encode_node_address(sphinx::IpEndpoint::v4({127, 0, 0, 1}, 1789));
    packet.packet.assign(2413, 0xab); // a regular Nym packet's size
    auto frame = l.send_packet(packet);
    ASSERT_TRUE(frame);
    const SessionOutput out = s.on_frame(*frame, at(NOW));
    ASSERT_FALSE(out.close.has_value());
    ASSERT_EQ(out.actions.size(), 1u);
    const auto* forward = std::get_if<gateway::ForwardPacket>(&out.actions[0]);
    ASSERT_NE(forward, nullptr);
    EXPECT_EQ(forward->first_hop, sphinx::decode_node_address(packet.first_hop).value());
    EXPECT_EQ(forward->packet, packet.packet);
}

TEST_F(ClientGatewayLink, NothingIsSentBeforeTheHandshakeCompletes) {
    auto l = link();
    OutgoingPacket packet;
    packet.packet.assign(2413, 0);
    EXPECT_FALSE(l.send_packet(packet));
    const std::uint64_t ids[] = {1};
    EXPECT_TRUE(l.ack(ids).empty());
    EXPECT_FALSE(l.ping(1));
    (void)l.begin_register(rng, NOW);
    EXPECT_FALSE(l.send_packet(packet));
    // A frame while idle is ignored.
    auto idle = link();
    EXPECT_TRUE(idle.on_frame(wg::serialize(wg::Message{wg::Ping{1}})).events.empty());
}

TEST_F(ClientGatewayLink, PingsAreAnsweredAndPongsIgnored) {
    auto l = link();
    auto s = session();
    (void)register_link(l, s);
    LinkOutput o = l.on_frame(s.frame_for(wg::Message{wg::Ping{77}}));
    ASSERT_EQ(o.frames.size(), 1u);
    // The answer is sealed; the gateway takes it (a Pong asks for nothing).
    const SessionOutput answer = s.on_frame(o.frames[0], at(NOW));
    EXPECT_FALSE(answer.close.has_value());
    EXPECT_TRUE(answer.replies.empty());
    EXPECT_TRUE(answer.actions.empty());
    EXPECT_TRUE(l.on_frame(s.frame_for(wg::Message{wg::Pong{3}})).frames.empty());
    // The gateway answers our ping.
    auto ping = l.ping(5);
    ASSERT_TRUE(ping);
    const SessionOutput out = s.on_frame(*ping, at(NOW));
    ASSERT_EQ(out.replies.size(), 1u);
    EXPECT_TRUE(l.on_frame(out.replies[0]).events.empty());
    EXPECT_EQ(l.state(), LinkState::ready);
}

TEST_F(ClientGatewayLink, GarbageAndOutOfPlaceFramesCloseTheLinkWithAnError) {
    {
        auto l = link();
        (void)l.begin_register(rng, NOW);
        const Bytes garbage{0x55, 1, 2};
        const LinkOutput o = l.on_frame(garbage);
        ASSERT_EQ(o.events.size(), 1u);
        EXPECT_TRUE(std::holds_alternative<LinkRefused>(o.events[0]));
        EXPECT_TRUE(o.close);
        ASSERT_EQ(o.frames.size(), 1u); // Error{malformed_message} to the gateway
        auto m = wg::parse_message(o.frames[0]);
        ASSERT_TRUE(m);
        EXPECT_EQ(std::get<wg::ErrorMessage>(*m).code, wg::ErrorCode::malformed_message);
    }
    {
        auto l = link();
        auto s = session();
        (void)register_link(l, s);
        // A gateway must never send a RegisterRequest.
        const LinkOutput o = l.on_frame(l.begin_register(rng, NOW));
        EXPECT_EQ(l.state(), LinkState::closed);
        (void)o;
    }
    {
        auto l = link();
        (void)l.begin_register(rng, NOW);
        wg::Deliver d;
        d.id = 1;
        d.message = {1};
        const LinkOutput o = l.on_frame(wg::serialize(wg::Message{d})); // Deliver before registration
        ASSERT_EQ(o.events.size(), 1u);
        EXPECT_TRUE(std::holds_alternative<LinkRefused>(o.events[0]));
        EXPECT_EQ(l.state(), LinkState::closed);
        // Closed: later frames are ignored.
        EXPECT_TRUE(l.on_frame(wg::serialize(wg::Message{d})).events.empty());
    }
}

TEST_F(ClientGatewayLink, AGatewayErrorInAnyStateIsReportedWithItsCode) {
    auto l = link();
    auto s = session();
    (void)register_link(l, s);
    const LinkOutput o = l.on_frame(s.frame_for(wg::Message{wg::make_error(wg::ErrorCode::busy, "try later")}));
    ASSERT_EQ(o.events.size(), 1u);
    const auto& refused = std::get<LinkRefused>(o.events[0]);
    EXPECT_EQ(refused.code, wg::ErrorCode::busy);
    EXPECT_FALSE(refused.during_authentication);
    EXPECT_NE(refused.reason.find("try later"), std::string::npos);
    EXPECT_TRUE(o.close);
}

TEST_F(ClientGatewayLink, ARefusedPacketKeepsTheAuthenticatedLinkOpen) {
    auto l = link();
    auto s = session();
    (void)register_link(l, s);
    const LinkOutput o = l.on_frame(s.frame_for(
        wg::Message{wg::make_error(wg::ErrorCode::invalid_packet, "first hop is not a layer-1 mix node")}));
    EXPECT_TRUE(o.events.empty());
    EXPECT_FALSE(o.close);
    EXPECT_EQ(l.state(), LinkState::ready);
    // Before authentication the same code still ends the handshake.
    auto fresh = link();
    (void)fresh.begin_register(rng, NOW);
    EXPECT_TRUE(fresh.on_frame(wg::serialize(wg::Message{wg::make_error(wg::ErrorCode::invalid_packet, "x")})).close);
}

TEST_F(ClientGatewayLink, AGatewayFrameWithoutTheSessionMacEndsTheLink) {
    auto l = link();
    auto s = session();
    (void)register_link(l, s);
    // What an on-path relay could inject: a plain Deliver (or Error). Nothing is delivered.
    wg::Deliver d;
    d.id = 9;
    d.message = {1};
    const LinkOutput o = l.on_frame(wg::serialize(wg::Message{d}));
    ASSERT_EQ(o.events.size(), 1u);
    const auto& refused = std::get<LinkRefused>(o.events[0]);
    EXPECT_EQ(refused.code, wg::ErrorCode::invalid_mac);
    EXPECT_TRUE(o.close);
    EXPECT_EQ(l.state(), LinkState::closed);
    // Its Error to the gateway is sealed: the gateway reads it as the client's own close.
    ASSERT_EQ(o.frames.size(), 1u);
    const SessionOutput out = s.on_frame(o.frames[0], at(NOW));
    ASSERT_TRUE(out.close.has_value());
    EXPECT_EQ(out.close->by, gateway::CloseReason::By::client);
}

TEST_F(ClientGatewayLink, AuthenticationTimestampsGrowAcrossReconnects) {
    auto l = link();
    auto s = session();
    const wg::SharedKey key = register_link(l, s);
    l.reset();
    const auto first = wg::parse_message(l.begin_authenticate(key, rng, NOW + 1)).value();
    l.reset();
    const auto second = wg::parse_message(l.begin_authenticate(key, rng, NOW + 1)).value(); // same second
    EXPECT_EQ(std::get<wg::AuthenticateRequest>(first).timestamp, static_cast<std::uint64_t>(NOW + 1));
    EXPECT_EQ(std::get<wg::AuthenticateRequest>(second).timestamp, static_cast<std::uint64_t>(NOW + 2));
}

TEST_F(ClientGatewayLink, ResetAllowsANewHandshakeOnTheNextConnection) {
    auto l = link();
    auto s = session();
    const wg::SharedKey key = register_link(l, s);
    l.reset();
    EXPECT_EQ(l.state(), LinkState::idle);
    auto s2 = session();
    const LinkOutput o = feed(l, s2.on_frame(l.begin_authenticate(key, rng, NOW + 1), at(NOW + 1)));
    ASSERT_EQ(o.events.size(), 1u);
    EXPECT_TRUE(std::holds_alternative<LinkAuthenticated>(o.events[0]));
}

} // namespace
} // namespace nym::client
