#include <wire/gateway_protocol.hpp>

#include <crypto/rng.hpp>
#include <sphinx/packet_size.hpp>

#include <gtest/gtest.h>

namespace nym::wire::gateway {
namespace {

std::error_code code(Errc e) { return make_error_code(e); }

template <class T>
T round_trip(const T& m) {
    const Bytes bytes = serialize(Message{m});
    auto parsed = parse_message(bytes);
    EXPECT_TRUE(parsed) << parsed.error().message();
    if (!parsed) return T{};
    EXPECT_TRUE(std::holds_alternative<T>(*parsed));
    EXPECT_EQ(serialize(*parsed), bytes);
    return std::get<T>(*parsed);
}

std::error_code parse_error(const Bytes& bytes) {
    auto parsed = parse_message(bytes);
    EXPECT_FALSE(parsed);
    return parsed ? std::error_code{} : parsed.error();
}

TEST(GatewayProtocol, RegisterRequestRoundTrip) {
    RegisterRequest m;
    m.client_identity.bytes.fill(1);
    m.client_ephemeral.bytes.fill(2);
    m.timestamp = 0x0102030405060708;
    m.signature.bytes.fill(3);
    const Bytes bytes = serialize(Message{m});
    ASSERT_EQ(bytes.size(), RegisterRequest::SIZE);
    EXPECT_EQ(bytes[0], 0x01);
    EXPECT_EQ(bytes[1], PROTOCOL_VERSION);
    EXPECT_EQ(bytes[66], 0x01); // timestamp big-endian
    EXPECT_EQ(bytes[73], 0x08);
    const auto back = round_trip(m);
    EXPECT_EQ(back.client_identity, m.client_identity);
    EXPECT_EQ(back.client_ephemeral, m.client_ephemeral);
    EXPECT_EQ(back.timestamp, m.timestamp);
    EXPECT_EQ(back.signature, m.signature);
}

TEST(GatewayProtocol, FixedSizeMessagesRoundTrip) {
    RegisterResponse rr;
    rr.gateway_ephemeral.bytes.fill(4);
    rr.signature.bytes.fill(5);
    rr.confirmation.fill(6);
    EXPECT_EQ(serialize(Message{rr}).size(), RegisterResponse::SIZE);
    EXPECT_EQ(round_trip(rr).confirmation, rr.confirmation);

    AuthenticateRequest ar;
    ar.client_identity.bytes.fill(7);
    ar.timestamp = 42;
    ar.nonce.fill(8);
    ar.mac.fill(9);
    EXPECT_EQ(serialize(Message{ar}).size(), AuthenticateRequest::SIZE);
    const auto ar2 = round_trip(ar);
    EXPECT_EQ(ar2.nonce, ar.nonce);
    EXPECT_EQ(ar2.mac, ar.mac);

    EXPECT_EQ(round_trip(AuthenticateResponse{AuthStatus::refused}).status, AuthStatus::refused);
    EXPECT_EQ(round_trip(Ping{77}).nonce, 77u);
    EXPECT_EQ(round_trip(Pong{78}).nonce, 78u);
}

TEST(GatewayProtocol, VariableMessagesRoundTrip) {
    for (sphinx::PacketSize size : sphinx::ALL_PACKET_SIZES) {
        SendPacket sp;
        sp.first_hop.bytes.fill(0x44);
        sp.packet.assign(sphinx::packet_size(size), 0x5a);
        const auto back = round_trip(sp);
        EXPECT_EQ(back.first_hop, sp.first_hop);
        EXPECT_EQ(back.packet, sp.packet);
    }
    Deliver d{123456789, Bytes(1000, 0x33)};
    const auto d2 = round_trip(d);
    EXPECT_EQ(d2.id, d.id);
    EXPECT_EQ(d2.message, d.message);
    EXPECT_TRUE(round_trip(Deliver{1, {}}).message.empty());
    EXPECT_EQ(round_trip(Deliver{1, Bytes(MAX_DELIVER_SIZE, 1)}).message.size(), MAX_DELIVER_SIZE);

    Ack a{{1, 2, UINT64_MAX}};
    EXPECT_EQ(round_trip(a).ids, a.ids);
    Ack full;
    for (std::uint64_t i = 0; i < MAX_ACK_IDS; ++i) full.ids.push_back(i);
    EXPECT_EQ(round_trip(full).ids.size(), MAX_ACK_IDS);

    const ErrorMessage e = make_error(ErrorCode::stale_timestamp, "clock\x01 skew");
    EXPECT_EQ(e.text, "clock skew");
    const auto e2 = round_trip(e);
    EXPECT_EQ(e2.code, ErrorCode::stale_timestamp);
    EXPECT_EQ(e2.text, "clock skew");
    EXPECT_EQ(make_error(ErrorCode::busy, std::string(1000, 'a')).text.size(), MAX_ERROR_TEXT);
    // An unknown code from a newer peer is kept as its number.
    EXPECT_EQ(static_cast<std::uint16_t>(round_trip(ErrorMessage{static_cast<ErrorCode>(999), ""}).code), 999);
}

TEST(GatewayProtocol, MalformedMessagesGiveTypedErrors) {
    EXPECT_EQ(parse_error({}), code(Errc::empty_message));
    EXPECT_EQ(parse_error({0x00}), code(Errc::unknown_type));
    EXPECT_EQ(parse_error({0x05}), code(Errc::unknown_type));
    EXPECT_EQ(parse_error({0xff, 1, 2}), code(Errc::unknown_type));

    // Every fixed-size message: one byte short and one byte long.
    const std::vector<Message> fixed{RegisterRequest{}, RegisterResponse{}, AuthenticateRequest{},
                                     AuthenticateResponse{}, Ping{}, Pong{}};
    for (const Message& m : fixed) {
        Bytes bytes = serialize(m);
        Bytes shorter(bytes.begin(), bytes.end() - 1);
        EXPECT_EQ(parse_error(shorter), code(Errc::truncated)) << to_string(type_of(m));
        Bytes longer = bytes;
        longer.push_back(0);
        EXPECT_EQ(parse_error(longer), code(Errc::trailing_bytes)) << to_string(type_of(m));
        EXPECT_EQ(parse_error(Bytes{bytes[0]}), code(Errc::truncated));
    }

    Bytes reg = serialize(Message{RegisterRequest{}});
    reg[1] = 1; // version 1 had no session MAC: refused
    EXPECT_EQ(parse_error(reg), code(Errc::unsupported_version));
    reg[1] = 3;
    EXPECT_EQ(parse_error(reg), code(Errc::unsupported_version));
    Bytes auth = serialize(Message{AuthenticateRequest{}});
    auth[1] = 0;
    EXPECT_EQ(parse_error(auth), code(Errc::unsupported_version));
    EXPECT_EQ(parse_error({0x04, 2}), code(Errc::invalid_status));

    // SendPacket: a length that is no Nym packet size, and lengths that disagree with the frame.
    SendPacket sp;
    sp.packet.assign(sphinx::packet_size(sphinx::PacketSize::regular), 0);
    Bytes good = serialize(Message{sp});
    Bytes odd = good;
    odd[36] = static_cast<std::uint8_t>(odd[36] + 1);
    EXPECT_EQ(parse_error(odd), code(Errc::invalid_packet_size));
    Bytes cut(good.begin(), good.end() - 1);
    EXPECT_EQ(parse_error(cut), code(Errc::truncated));
    Bytes extra = good;
    extra.push_back(0);
    EXPECT_EQ(parse_error(extra), code(Errc::trailing_bytes));
    EXPECT_EQ(parse_error(Bytes(good.begin(), good.begin() + 20)), code(Errc::truncated));
    SendPacket small;
    small.packet.assign(100, 0);
    EXPECT_EQ(parse_error(serialize(Message{small})), code(Errc::invalid_packet_size));

    // Deliver over the limit, truncated, trailing.
    Bytes big = serialize(Message{Deliver{1, Bytes(MAX_DELIVER_SIZE + 1, 0)}});
    EXPECT_EQ(parse_error(big), code(Errc::too_large));
    Bytes d = serialize(Message{Deliver{1, Bytes(10, 0)}});
    EXPECT_EQ(parse_error(Bytes(d.begin(), d.end() - 1)), code(Errc::truncated));
    d.push_back(1);
    EXPECT_EQ(parse_error(d), code(Errc::trailing_bytes));
    EXPECT_EQ(parse_error({0x11, 0, 0, 0}), code(Errc::truncated));

    // Ack: zero ids, too many, short, long.
    EXPECT_EQ(parse_error({0x12, 0, 0}), code(Errc::invalid_count));
    EXPECT_EQ(parse_error({0x12, 0x01, 0x01}), code(Errc::invalid_count)); // 257
    EXPECT_EQ(parse_error({0x12, 0, 1, 1, 2, 3}), code(Errc::truncated));
    Bytes ack = serialize(Message{Ack{{5}}});
    ack.push_back(0);
    EXPECT_EQ(parse_error(ack), code(Errc::trailing_bytes));
    EXPECT_EQ(parse_error({0x12, 0}), code(Errc::truncated));

    // Error: text too long, not printable, length mismatch.
    Bytes err{0x7f, 0, 1, 0x01, 0x01};
    err.resize(err.size() + 257, 'a');
    EXPECT_EQ(parse_error(err), code(Errc::invalid_text));
    EXPECT_EQ(parse_error({0x7f, 0, 1, 0, 2, 'a', 0x0a}), code(Errc::invalid_text));
    EXPECT_EQ(parse_error({0x7f, 0, 1, 0, 3, 'a', 'b'}), code(Errc::truncated));
    EXPECT_EQ(parse_error({0x7f, 0, 1, 0, 1, 'a', 'b'}), code(Errc::trailing_bytes));
    EXPECT_EQ(parse_error({0x7f, 0, 1}), code(Errc::truncated));
}

TEST(GatewayProtocol, ClientAndGatewayDeriveTheSameKey) {
    crypto::DeterministicRng rng(1);
    const auto client = crypto::Ed25519SecretKey::generate(rng);
    const auto gateway = crypto::Ed25519SecretKey::generate(rng);
    const auto client_eph = crypto::X25519KeyPair::generate(rng);
    const auto gateway_eph = crypto::X25519KeyPair::generate(rng);
    const auto request = make_register_request(client, gateway.public_key(), client_eph.public_key, 1000);

    // The gateway's side, written out from the documented derivation.
    const Bytes transcript =
        register_transcript(gateway.public_key(), request.client_identity, request.client_ephemeral, 1000);
    ASSERT_TRUE(crypto::ed25519_verify(request.client_identity, transcript, request.signature));
    const Bytes full = response_transcript(transcript, gateway_eph.public_key);
    const auto dh = crypto::x25519(gateway_eph.secret, request.client_ephemeral).value();
    const SharedKey gateway_key = derive_shared_key(dh, full);
    RegisterResponse response;
    response.gateway_ephemeral = gateway_eph.public_key;
    response.signature = gateway.sign(register_response_signing_input(full));
    response.confirmation = key_confirmation(gateway_key, full);

    auto client_key = finish_registration(gateway.public_key(), request, client_eph.secret, response);
    ASSERT_TRUE(client_key) << client_key.error().message();
    EXPECT_TRUE(client_key->ct_equals(gateway_key));

    // A tampered response is refused by the client.
    RegisterResponse bad_sig = response;
    bad_sig.signature.bytes[0] ^= 1;
    EXPECT_EQ(finish_registration(gateway.public_key(), request, client_eph.secret, bad_sig).error(),
              code(Errc::invalid_signature));
    RegisterResponse bad_mac = response;
    bad_mac.confirmation[0] ^= 1;
    EXPECT_EQ(finish_registration(gateway.public_key(), request, client_eph.secret, bad_mac).error(),
              code(Errc::invalid_mac));

    // The auth MAC binds every field.
    std::array<std::uint8_t, AUTH_NONCE_SIZE> nonce{};
    nonce.fill(3);
    const auto auth = make_authenticate_request(gateway_key, gateway.public_key(), client.public_key(), 55, nonce);
    const AuthToken token = derive_auth_token(gateway_key);
    EXPECT_EQ(auth.mac, authenticate_mac(token, gateway.public_key(), client.public_key(), 55, nonce));
    EXPECT_NE(auth.mac, authenticate_mac(token, gateway.public_key(), client.public_key(), 56, nonce));
    EXPECT_NE(auth.mac, authenticate_mac(token, client.public_key(), client.public_key(), 55, nonce));
}

TEST(GatewayProtocol, SessionChannelsAuthenticateEveryFrameInOrderEachWay) {
    SharedKey key;
    key.mutable_bytes()[0] = 7;
    const Bytes transcript = registration_session_transcript(Bytes{1, 2, 3});
    SessionChannel client(Side::client, key, transcript);
    SessionChannel gateway(Side::gateway, key, transcript);

    const Bytes ack = serialize(Message{Ack{{41, 42}}});
    const Bytes sealed = client.seal(ack);
    ASSERT_EQ(sealed.size(), ack.size() + SESSION_MAC_SIZE);
    EXPECT_EQ(gateway.open(sealed).value(), ack);
    // The same frame again (a replay by a relay) fails: the counter moved on.
    EXPECT_EQ(gateway.open(sealed).error(), code(Errc::invalid_mac));
    // An unsealed frame (what an on-path relay could inject) fails too.
    EXPECT_EQ(gateway.open(ack).error(), code(Errc::invalid_mac));
    EXPECT_EQ(gateway.open(Bytes(3, 0)).error(), code(Errc::truncated));

    // Dropped or reordered frames fail; a failed frame does not move the counter.
    const Bytes first = client.seal(serialize(Message{Ping{1}}));
    const Bytes second = client.seal(serialize(Message{Ping{2}}));
    EXPECT_FALSE(gateway.open(second));
    EXPECT_TRUE(gateway.open(first));
    EXPECT_TRUE(gateway.open(second));

    // Each direction has its own key: a frame reflected back to its sender fails.
    const Bytes deliver = gateway.seal(serialize(Message{Deliver{1, Bytes{9}}}));
    SessionChannel client_copy(Side::client, key, transcript);
    EXPECT_FALSE(SessionChannel(Side::gateway, key, transcript).open(deliver));
    EXPECT_TRUE(client_copy.open(deliver));

    // Another session (another transcript) or another key: nothing opens.
    SessionChannel other_session(Side::gateway, key, registration_session_transcript(Bytes{1, 2, 4}));
    EXPECT_FALSE(other_session.open(SessionChannel(Side::client, key, transcript).seal(ack)));
    SharedKey other_key;
    EXPECT_FALSE(SessionChannel(Side::gateway, other_key, transcript).open(SessionChannel(Side::client, key, transcript).seal(ack)));

    // Tampering with any byte fails.
    Bytes tampered = SessionChannel(Side::client, key, transcript).seal(ack);
    tampered[2] ^= 1;
    EXPECT_FALSE(SessionChannel(Side::gateway, key, transcript).open(tampered));
}

TEST(GatewayProtocol, AuthenticationSessionsDifferByRequest) {
    SharedKey key;
    std::array<std::uint8_t, AUTH_NONCE_SIZE> nonce{};
    crypto::DeterministicRng rng(3);
    const auto gateway = crypto::Ed25519SecretKey::generate(rng);
    const auto client = crypto::Ed25519SecretKey::generate(rng);
    const auto a = make_authenticate_request(key, gateway.public_key(), client.public_key(), 100, nonce);
    const auto b = make_authenticate_request(key, gateway.public_key(), client.public_key(), 101, nonce);
    EXPECT_NE(authentication_session_transcript(a), authentication_session_transcript(b));
    // A frame of one session does not open in the next one with the same key.
    SessionChannel first(Side::client, key, authentication_session_transcript(a));
    SessionChannel second(Side::gateway, key, authentication_session_transcript(b));
    EXPECT_FALSE(second.open(first.seal(serialize(Message{Ack{{1}}}))));
}

} // namespace
} // namespace nym::wire::gateway
