#include <gateway/client_session.hpp>

#include <sphinx/node_address.hpp>
#include <sphinx/packet_size.hpp>

#include <gtest/gtest.h>

#include <map>

namespace nym::gateway {
namespace {

namespace wg = wire::gateway;

/// An in-memory registry that applies StoreSharedKey and RecordAuthentication actions like the glue would.
class MapRegistry final : public ClientRegistry {
public:
    Expected<std::optional<RegisteredClient>> find_client(const ClientAddress& address) override {
        if (failing) return Unexpected(std::make_error_code(std::errc::io_error));
        auto it = clients.find(address.bytes);
        if (it == clients.end()) return std::optional<RegisteredClient>{};
        return std::optional<RegisteredClient>{it->second};
    }
    void apply(const SessionOutput& out) {
        for (const Action& a : out.actions) {
            if (const auto* s = std::get_if<StoreSharedKey>(&a)) clients.insert_or_assign(s->client.address.bytes, s->client);
            if (const auto* r = std::get_if<RecordAuthentication>(&a)) clients.at(r->client.bytes).last_authenticated_at = r->at;
        }
    }
    std::map<std::array<std::uint8_t, 32>, RegisteredClient> clients;
    bool failing = false;
};

UnixSeconds at(std::int64_t s) { return UnixSeconds(std::chrono::seconds(s)); }
constexpr std::int64_t NOW = 1'700'000'000;

wg::Message only_reply(const SessionOutput& out, std::size_t index = 0) {
    EXPECT_GT(out.replies.size(), index);
    if (out.replies.size() <= index) return wg::ErrorMessage{};
    auto m = wg::parse_message(out.replies[index]);
    EXPECT_TRUE(m);
    return m ? *m : wg::Message{wg::ErrorMessage{}};
}

ErrorCode error_code_of(const SessionOutput& out) {
    const wg::Message m = only_reply(out, out.replies.empty() ? 0 : out.replies.size() - 1);
    EXPECT_TRUE(std::holds_alternative<wg::ErrorMessage>(m));
    return std::holds_alternative<wg::ErrorMessage>(m) ? std::get<wg::ErrorMessage>(m).code
                                                       : static_cast<ErrorCode>(0);
}

class SessionTest : public ::testing::Test {
protected:
    crypto::DeterministicRng rng{7};
    crypto::Ed25519SecretKey gateway = crypto::Ed25519SecretKey::generate(rng);
    crypto::Ed25519SecretKey client = crypto::Ed25519SecretKey::generate(rng);
    MapRegistry registry;
    NonceCache nonces;

    ClientSession session() { return ClientSession(gateway, registry, nonces, rng); }

    Bytes register_frame(std::int64_t timestamp, const crypto::X25519KeyPair& eph) {
        return wg::serialize(wg::Message{wg::make_register_request(client, gateway.public_key(), eph.public_key,
                                                                   static_cast<std::uint64_t>(timestamp))});
    }

    /// Registers `client` and returns the client's view of the shared key.
    wg::SharedKey register_client(std::int64_t timestamp = NOW) {
        auto s = session();
        const auto eph = crypto::X25519KeyPair::generate(rng);
        const auto request =
            wg::make_register_request(client, gateway.public_key(), eph.public_key, static_cast<std::uint64_t>(timestamp));
        const SessionOutput out = s.on_frame(wg::serialize(wg::Message{request}), at(NOW));
        EXPECT_FALSE(out.close.has_value());
        registry.apply(out);
        const auto reply = only_reply(out);
        EXPECT_TRUE(std::holds_alternative<wg::RegisterResponse>(reply));
        auto key = wg::finish_registration(gateway.public_key(), request, eph.secret,
                                           std::get<wg::RegisterResponse>(reply));
        EXPECT_TRUE(key);
        return key ? *key : wg::SharedKey{};
    }

    wg::AuthenticateRequest auth_request(const wg::SharedKey& key, std::int64_t timestamp, std::uint8_t nonce_fill) {
        std::array<std::uint8_t, wg::AUTH_NONCE_SIZE> nonce{};
        nonce.fill(nonce_fill);
        return wg::make_authenticate_request(key, gateway.public_key(), client.public_key(),
                                             static_cast<std::uint64_t>(timestamp), nonce);
    }
    Bytes auth_frame(const wg::SharedKey& key, std::int64_t timestamp, std::uint8_t nonce_fill) {
        return wg::serialize(wg::Message{auth_request(key, timestamp, nonce_fill)});
    }

    /// The client's end of a session after its handshake: seals what it sends, opens what it gets.
    struct ClientEnd {
        wg::SessionChannel channel;
        Bytes frame(const wg::Message& m) { return channel.seal(wg::serialize(m)); }
        wg::Message read(const Bytes& frame) {
            auto opened = channel.open(frame);
            EXPECT_TRUE(opened) << "a gateway frame fails its session MAC";
            if (!opened) return wg::ErrorMessage{};
            auto m = wg::parse_message(*opened);
            EXPECT_TRUE(m);
            return m ? *m : wg::Message{wg::ErrorMessage{}};
        }
        ErrorCode error_of(const SessionOutput& out) {
            EXPECT_FALSE(out.replies.empty());
            if (out.replies.empty()) return static_cast<ErrorCode>(0);
            wg::Message m = read(out.replies.back());
            EXPECT_TRUE(std::holds_alternative<wg::ErrorMessage>(m));
            return std::holds_alternative<wg::ErrorMessage>(m) ? std::get<wg::ErrorMessage>(m).code
                                                               : static_cast<ErrorCode>(0);
        }
    };
    /// Authenticates `s` (recording the time in the registry, as the glue does).
    ClientEnd authenticate(ClientSession& s, const wg::SharedKey& key, std::int64_t timestamp, std::uint8_t nonce) {
        const auto request = auth_request(key, timestamp, nonce);
        const SessionOutput out = s.on_frame(wg::serialize(wg::Message{request}), at(NOW));
        EXPECT_FALSE(out.close.has_value());
        registry.apply(out);
        return ClientEnd{wg::SessionChannel(wg::Side::client, key, wg::authentication_session_transcript(request))};
    }
};

TEST_F(SessionTest, RegistrationDerivesTheSameKeyAndStoresIt) {
    auto s = session();
    const auto eph = crypto::X25519KeyPair::generate(rng);
    const auto request = wg::make_register_request(client, gateway.public_key(), eph.public_key, NOW + 5);
    const SessionOutput out = s.on_frame(wg::serialize(wg::Message{request}), at(NOW));
    ASSERT_FALSE(out.close.has_value());
    EXPECT_EQ(s.state(), ClientSession::State::authenticated);
    ASSERT_EQ(out.actions.size(), 2u);
    const auto* store = std::get_if<StoreSharedKey>(&out.actions[0]);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->client.address, client.public_key());
    EXPECT_EQ(store->client.registered_at, at(NOW + 5));
    ASSERT_TRUE(std::holds_alternative<ClientReady>(out.actions[1]));

    const auto reply = only_reply(out);
    ASSERT_TRUE(std::holds_alternative<wg::RegisterResponse>(reply));
    auto key = wg::finish_registration(gateway.public_key(), request, eph.secret, std::get<wg::RegisterResponse>(reply));
    ASSERT_TRUE(key);
    EXPECT_TRUE(key->ct_equals(store->client.shared_key));
}

TEST_F(SessionTest, ForgedRegisterSignatureIsRefused) {
    auto s = session();
    const auto eph = crypto::X25519KeyPair::generate(rng);
    auto request = wg::make_register_request(client, gateway.public_key(), eph.public_key, NOW);
    request.signature.bytes[10] ^= 0x40;
    const SessionOutput out = s.on_frame(wg::serialize(wg::Message{request}), at(NOW));
    EXPECT_EQ(error_code_of(out), ErrorCode::invalid_signature);
    ASSERT_TRUE(out.close.has_value());
    EXPECT_TRUE(out.actions.empty());
    EXPECT_EQ(s.state(), ClientSession::State::closed);

    // Signed by another identity than the one claimed.
    auto s2 = session();
    const auto mallory = crypto::Ed25519SecretKey::generate(rng);
    auto forged = wg::make_register_request(mallory, gateway.public_key(), eph.public_key, NOW);
    forged.client_identity = client.public_key();
    EXPECT_EQ(error_code_of(s2.on_frame(wg::serialize(wg::Message{forged}), at(NOW))), ErrorCode::invalid_signature);

    // Signed for another gateway.
    auto s3 = session();
    const auto other_gateway = crypto::Ed25519SecretKey::generate(rng);
    auto elsewhere = wg::make_register_request(client, other_gateway.public_key(), eph.public_key, NOW);
    EXPECT_EQ(error_code_of(s3.on_frame(wg::serialize(wg::Message{elsewhere}), at(NOW))), ErrorCode::invalid_signature);
}

TEST_F(SessionTest, StaleRegisterTimestampIsRefused) {
    const auto eph = crypto::X25519KeyPair::generate(rng);
    auto s = session();
    EXPECT_EQ(error_code_of(s.on_frame(register_frame(NOW - 121, eph), at(NOW))), ErrorCode::stale_timestamp);
    auto s2 = session();
    EXPECT_EQ(error_code_of(s2.on_frame(register_frame(NOW + 121, eph), at(NOW))), ErrorCode::stale_timestamp);
    auto s3 = session();
    EXPECT_FALSE(s3.on_frame(register_frame(NOW - 120, eph), at(NOW)).close.has_value());
}

TEST_F(SessionTest, LowOrderEphemeralIsRefused) {
    auto s = session();
    crypto::X25519KeyPair eph;
    eph.public_key.bytes = {}; // u = 0 has small order
    EXPECT_EQ(error_code_of(s.on_frame(register_frame(NOW, eph), at(NOW))), ErrorCode::invalid_key);
    auto s2 = session();
    eph.public_key.bytes = {};
    eph.public_key.bytes[0] = 1; // u = 1, order 4
    EXPECT_EQ(error_code_of(s2.on_frame(register_frame(NOW, eph), at(NOW))), ErrorCode::invalid_key);
}

TEST_F(SessionTest, ReRegistrationNeedsANewerTimestamp) {
    const wg::SharedKey first = register_client(NOW);
    // A replay of an equally old or older request is refused and keeps the stored key.
    const auto eph = crypto::X25519KeyPair::generate(rng);
    auto s = session();
    EXPECT_EQ(error_code_of(s.on_frame(register_frame(NOW, eph), at(NOW))), ErrorCode::registration_refused);
    EXPECT_TRUE(registry.clients.at(client.public_key().bytes).shared_key.ct_equals(first));
    // A newer one replaces it.
    const wg::SharedKey second = register_client(NOW + 1);
    EXPECT_FALSE(second.ct_equals(first));
    EXPECT_TRUE(registry.clients.at(client.public_key().bytes).shared_key.ct_equals(second));
}

TEST_F(SessionTest, AuthenticationSucceedsWithTheStoredKey) {
    const wg::SharedKey key = register_client();
    auto s = session();
    const SessionOutput out = s.on_frame(auth_frame(key, NOW + 10, 1), at(NOW));
    ASSERT_FALSE(out.close.has_value());
    const auto reply = only_reply(out);
    ASSERT_TRUE(std::holds_alternative<wg::AuthenticateResponse>(reply));
    EXPECT_EQ(std::get<wg::AuthenticateResponse>(reply).status, wg::AuthStatus::ok);
    ASSERT_EQ(out.actions.size(), 2u);
    const auto& record = std::get<RecordAuthentication>(out.actions[0]); // stored before the reply leaves
    EXPECT_EQ(record.client, client.public_key());
    EXPECT_EQ(record.at, at(NOW + 10));
    EXPECT_EQ(std::get<ClientReady>(out.actions[1]).client, client.public_key());
    EXPECT_EQ(s.client(), client.public_key());
}

TEST_F(SessionTest, AnAuthenticationMustBeNewerThanTheLastAcceptedOneEvenAfterARestart) {
    const wg::SharedKey key = register_client();
    const Bytes recorded = auth_frame(key, NOW, 9);
    auto s1 = session();
    registry.apply(s1.on_frame(recorded, at(NOW)));
    // The gateway restarts: its nonce cache is empty, but the registry remembers the time.
    NonceCache after_restart;
    ClientSession s2(gateway, registry, after_restart, rng);
    const SessionOutput replay = s2.on_frame(recorded, at(NOW + 1));
    EXPECT_EQ(error_code_of(replay), ErrorCode::replayed_nonce);
    EXPECT_EQ(std::get<wg::AuthenticateResponse>(only_reply(replay, 0)).status, wg::AuthStatus::refused);
    EXPECT_TRUE(replay.actions.empty());
    // A fresh nonce with the same timestamp is not newer either; a newer timestamp is.
    ClientSession s3(gateway, registry, after_restart, rng);
    EXPECT_EQ(error_code_of(s3.on_frame(auth_frame(key, NOW, 10), at(NOW + 1))), ErrorCode::replayed_nonce);
    ClientSession s4(gateway, registry, after_restart, rng);
    EXPECT_FALSE(s4.on_frame(auth_frame(key, NOW + 1, 11), at(NOW + 1)).close.has_value());
    // A new registration (a new key) starts afresh.
    (void)register_client(NOW + 5);
    EXPECT_EQ(registry.clients.at(client.public_key().bytes).last_authenticated_at, UnixSeconds{});
}

TEST_F(SessionTest, ReplayedAuthNonceIsRefused) {
    const wg::SharedKey key = register_client();
    const Bytes frame = auth_frame(key, NOW, 9);
    auto s1 = session();
    ASSERT_FALSE(s1.on_frame(frame, at(NOW)).close.has_value());
    auto s2 = session();
    const SessionOutput replay = s2.on_frame(frame, at(NOW + 1));
    EXPECT_EQ(error_code_of(replay), ErrorCode::replayed_nonce);
    ASSERT_EQ(replay.replies.size(), 2u);
    EXPECT_EQ(std::get<wg::AuthenticateResponse>(only_reply(replay, 0)).status, wg::AuthStatus::refused);
    // A fresh nonce works.
    auto s3 = session();
    EXPECT_FALSE(s3.on_frame(auth_frame(key, NOW, 10), at(NOW + 1)).close.has_value());
}

TEST_F(SessionTest, StaleOrForgedAuthenticationIsRefused) {
    const wg::SharedKey key = register_client();
    auto s1 = session();
    EXPECT_EQ(error_code_of(s1.on_frame(auth_frame(key, NOW - 121, 1), at(NOW))), ErrorCode::stale_timestamp);
    auto s2 = session();
    wg::SharedKey wrong;
    wrong.mutable_bytes()[0] = 1;
    EXPECT_EQ(error_code_of(s2.on_frame(auth_frame(wrong, NOW, 2), at(NOW))), ErrorCode::invalid_mac);
    auto s3 = session();
    const auto stranger = crypto::Ed25519SecretKey::generate(rng);
    std::array<std::uint8_t, wg::AUTH_NONCE_SIZE> nonce{};
    const auto unknown = wg::make_authenticate_request(key, gateway.public_key(), stranger.public_key(), NOW, nonce);
    EXPECT_EQ(error_code_of(s3.on_frame(wg::serialize(wg::Message{unknown}), at(NOW))), ErrorCode::unknown_client);
    // A forged attempt does not burn the nonce for the real client.
    auto s4 = session();
    EXPECT_FALSE(s4.on_frame(auth_frame(key, NOW, 2), at(NOW)).close.has_value());
}

TEST_F(SessionTest, RequestsBeforeAuthenticationCloseTheSession) {
    wg::SendPacket send;
    send.packet.assign(sphinx::packet_size(sphinx::PacketSize::regular), 0);
    const std::vector<wg::Message> requests{send, wg::Ack{{1}}, wg::Ping{1}, wg::Pong{1},
                                            wg::ErrorMessage{ErrorCode::busy, "x"}};
    for (const wg::Message& m : requests) {
        auto s = session();
        const SessionOutput out = s.on_frame(wg::serialize(m), at(NOW));
        EXPECT_EQ(error_code_of(out), ErrorCode::not_authenticated) << wg::to_string(wg::type_of(m));
        EXPECT_TRUE(out.actions.empty());
        EXPECT_TRUE(out.close.has_value());
        EXPECT_EQ(s.state(), ClientSession::State::closed);
        // A closed session ignores everything.
        const SessionOutput after = s.on_frame(wg::serialize(m), at(NOW));
        EXPECT_TRUE(after.replies.empty());
        EXPECT_TRUE(after.actions.empty());
    }
    EXPECT_FALSE(session().deliver(1, Bytes(3, 0)).has_value());
}

TEST_F(SessionTest, MalformedFrameClosesWithTypedError) {
    auto s = session();
    EXPECT_EQ(error_code_of(s.on_frame(Bytes{0x01, 0x01, 0x02}, at(NOW))), ErrorCode::malformed_message);
    auto s2 = session();
    EXPECT_EQ(error_code_of(s2.on_frame(Bytes{0x55}, at(NOW))), ErrorCode::unexpected_message);
    auto s3 = session();
    Bytes reg = register_frame(NOW, crypto::X25519KeyPair::generate(rng));
    reg[1] = 9;
    EXPECT_EQ(error_code_of(s3.on_frame(reg, at(NOW))), ErrorCode::unsupported_version);
}

TEST_F(SessionTest, AuthenticatedTrafficBecomesActions) {
    const wg::SharedKey key = register_client();
    auto s = session();
    ClientEnd c = authenticate(s, key, NOW, 1);

    wg::SendPacket send;
    send.first_hop = sphinx::encode_node_address(sphinx::IpEndpoint::v4({127, 0, 0, 1}, 1789));
    send.packet.assign(sphinx::packet_size(sphinx::PacketSize::ack), 0x77);
    SessionOutput out = s.on_frame(c.frame(wg::Message{send}), at(NOW));
    ASSERT_EQ(out.actions.size(), 1u);
    const auto& fwd = std::get<ForwardPacket>(out.actions[0]);
    EXPECT_EQ(fwd.first_hop, sphinx::IpEndpoint::v4({127, 0, 0, 1}, 1789)); // parsed once, here
    EXPECT_EQ(fwd.packet, send.packet);
    EXPECT_TRUE(out.replies.empty());

    auto deliver = s.deliver(41, Bytes{1, 2, 3});
    ASSERT_TRUE(deliver.has_value());
    EXPECT_EQ(std::get<wg::Deliver>(c.read(*deliver)).id, 41u);
    auto second = s.deliver(42, Bytes{4});
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(std::get<wg::Deliver>(c.read(*second)).id, 42u); // frames are read in order
    EXPECT_EQ(s.unacknowledged(), 2u);

    out = s.on_frame(c.frame(wg::Message{wg::Ack{{41, 7}}}), at(NOW));
    ASSERT_EQ(out.actions.size(), 1u);
    const auto& del = std::get<DeleteMessages>(out.actions[0]);
    EXPECT_EQ(del.client, client.public_key());
    EXPECT_EQ(del.ids, (std::vector<std::uint64_t>{41, 7}));
    EXPECT_EQ(s.unacknowledged(), 1u);

    out = s.on_frame(c.frame(wg::Message{wg::Ping{99}}), at(NOW));
    ASSERT_EQ(out.replies.size(), 1u);
    EXPECT_EQ(std::get<wg::Pong>(c.read(out.replies[0])).nonce, 99u);

    // A first hop that is no node address (bad type byte) is refused.
    auto s3 = session();
    ClientEnd c3 = authenticate(s3, key, NOW + 1, 4);
    wg::SendPacket bad = send;
    bad.first_hop.bytes.fill(0x04); // type 4 but non-zero padding
    EXPECT_EQ(c3.error_of(s3.on_frame(c3.frame(wg::Message{bad}), at(NOW))), ErrorCode::invalid_packet);

    // A second authentication on the same connection, or a gateway-only message, closes it.
    auto s2 = session();
    ClientEnd c2 = authenticate(s2, key, NOW + 2, 2);
    EXPECT_EQ(c2.error_of(s2.on_frame(c2.frame(wg::Message{auth_request(key, NOW + 3, 3)}), at(NOW))),
              ErrorCode::already_authenticated);
    EXPECT_EQ(c.error_of(s.on_frame(c.frame(wg::Message{wg::Deliver{1, {}}}), at(NOW))), ErrorCode::unexpected_message);
}

TEST_F(SessionTest, FramesWithoutTheSessionMacCloseTheSessionAndDoNothing) {
    const wg::SharedKey key = register_client();
    auto s = session();
    ClientEnd c = authenticate(s, key, NOW, 1);
    auto delivered = s.deliver(41, Bytes{1});
    ASSERT_TRUE(delivered.has_value());
    (void)c.read(*delivered);
    // What an on-path relay would inject: a plain Ack, or one sealed under another session.
    SessionOutput out = s.on_frame(wg::serialize(wg::Message{wg::Ack{{41}}}), at(NOW));
    EXPECT_TRUE(out.actions.empty()); // nothing deleted
    ASSERT_TRUE(out.close.has_value());
    EXPECT_EQ(out.close->code, ErrorCode::invalid_mac);
    EXPECT_EQ(c.error_of(out), ErrorCode::invalid_mac); // the Error itself is sealed for the real client
    EXPECT_EQ(s.state(), ClientSession::State::closed);

    auto s2 = session();
    ClientEnd c2 = authenticate(s2, key, NOW + 1, 2);
    (void)c2;
    out = s2.on_frame(c.frame(wg::Message{wg::Ack{{41}}}), at(NOW));
    EXPECT_TRUE(out.actions.empty());
    EXPECT_EQ(out.close->code, ErrorCode::invalid_mac);
}

TEST_F(SessionTest, StorageFailureAnswersInternalError) {
    registry.failing = true;
    auto s = session();
    EXPECT_EQ(error_code_of(s.on_frame(register_frame(NOW, crypto::X25519KeyPair::generate(rng)), at(NOW))),
              ErrorCode::internal_error);
    registry.failing = false;
    auto s2 = session();
    SessionOutput out = s2.on_frame(register_frame(NOW, crypto::X25519KeyPair::generate(rng)), at(NOW));
    ASSERT_FALSE(out.close.has_value());
    // The glue could not store the key: the client hears a plain error, not the RegisterResponse
    // (it has no session keys).
    out = s2.handshake_failed("database is full");
    EXPECT_EQ(error_code_of(out), ErrorCode::internal_error);
    EXPECT_EQ(s2.state(), ClientSession::State::closed);

    // Once the session is established, a failure of the glue is reported under the session MAC.
    const wg::SharedKey key = register_client(NOW + 1);
    auto s3 = session();
    ClientEnd c = authenticate(s3, key, NOW + 1, 1);
    EXPECT_EQ(c.error_of(s3.action_failed("the message store is unavailable")), ErrorCode::internal_error);
}

TEST_F(SessionTest, CloseReasonsSayWhoClosedAndBecomeWebsocketCloses) {
    // The gateway refuses: 1008 with its Error's text.
    auto s = session();
    SessionOutput out = s.on_frame(Bytes{0x55}, at(NOW));
    ASSERT_TRUE(out.close.has_value());
    EXPECT_EQ(out.close->by, CloseReason::By::gateway);
    EXPECT_EQ(out.close->code, ErrorCode::unexpected_message);
    WebsocketClose close = websocket_close(*out.close);
    EXPECT_EQ(close.code, 1008);
    EXPECT_EQ(close.reason, out.close->text);

    // The client ends the session with its own Error: 1000, marked as the client's.
    const wg::SharedKey key = register_client();
    auto s2 = session();
    ClientEnd c = authenticate(s2, key, NOW, 5);
    out = s2.on_frame(c.frame(wg::Message{wg::make_error(ErrorCode::internal_error, "going away")}), at(NOW));
    ASSERT_TRUE(out.close.has_value());
    EXPECT_TRUE(out.replies.empty());
    EXPECT_EQ(out.close->by, CloseReason::By::client);
    EXPECT_EQ(out.close->text, "going away");
    close = websocket_close(*out.close);
    EXPECT_EQ(close.code, 1000);
    EXPECT_EQ(close.reason, "client error: going away");

    // A long text is cut to fit a close frame.
    close = websocket_close(CloseReason{CloseReason::By::gateway, ErrorCode::internal_error, std::string(300, 'x')});
    EXPECT_EQ(close.reason.size(), MAX_CLOSE_REASON);
}

TEST_F(SessionTest, OnlyHandshakesOfAFreshSessionNeedTheRegistry) {
    auto s = session();
    const auto eph = crypto::X25519KeyPair::generate(rng);
    EXPECT_TRUE(s.needs_registry(register_frame(NOW, eph)));
    EXPECT_TRUE(s.needs_registry(auth_frame(wg::SharedKey{}, NOW, 1)));
    EXPECT_FALSE(s.needs_registry(Bytes{}));
    EXPECT_FALSE(s.needs_registry(Bytes{0x55}));
    EXPECT_FALSE(s.needs_registry(wg::serialize(wg::Message{wg::Ping{1}})));
    // Whatever needs_registry() says no to is answered without reading the registry.
    registry.failing = true;
    EXPECT_EQ(error_code_of(s.on_frame(wg::serialize(wg::Message{wg::Ping{1}}), at(NOW))), ErrorCode::not_authenticated);
    registry.failing = false;

    const wg::SharedKey key = register_client();
    auto s2 = session();
    ASSERT_FALSE(s2.on_frame(auth_frame(key, NOW, 6), at(NOW)).close.has_value());
    EXPECT_FALSE(s2.needs_registry(auth_frame(key, NOW, 7))); // authenticated: refused from its own state
}

TEST(NonceCache, ForgetsAfterTheWindowAndRefusesWhenFull) {
    NonceCache cache(2, std::chrono::seconds(10));
    ClientAddress a;
    std::array<std::uint8_t, wg::AUTH_NONCE_SIZE> n1{}, n2{}, n3{};
    n1.fill(1);
    n2.fill(2);
    n3.fill(3);
    EXPECT_EQ(cache.check_and_insert(a, n1, at(100)), NonceCache::Result::fresh);
    EXPECT_EQ(cache.check_and_insert(a, n1, at(105)), NonceCache::Result::replayed);
    EXPECT_EQ(cache.check_and_insert(a, n2, at(105)), NonceCache::Result::fresh);
    EXPECT_EQ(cache.check_and_insert(a, n3, at(105)), NonceCache::Result::full);
    EXPECT_EQ(cache.check_and_insert(a, n3, at(111)), NonceCache::Result::fresh); // n1 expired
    EXPECT_EQ(cache.size(), 2u);
    ClientAddress b;
    b.bytes.fill(1);
    EXPECT_EQ(cache.check_and_insert(b, n2, at(200)), NonceCache::Result::fresh); // other client, same nonce
}

} // namespace
} // namespace nym::gateway
