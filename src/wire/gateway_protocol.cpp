#include <wire/gateway_protocol.hpp>

#include <sphinx/packet_size.hpp>
#include <util/hex.hpp>

#include <algorithm>
#include <cstring>

namespace nym::wire::gateway {
namespace {

class GatewayProtocolCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "nym.wire.gateway"; }
    std::string message(int code) const override {
        switch (static_cast<Errc>(code)) {
        case Errc::empty_message: return "empty gateway message";
        case Errc::unknown_type: return "unknown gateway message type";
        case Errc::truncated: return "gateway message truncated";
        case Errc::trailing_bytes: return "trailing bytes after gateway message";
        case Errc::unsupported_version: return "unsupported gateway protocol version";
        case Errc::invalid_packet_size: return "packet length is not a Nym packet size";
        case Errc::too_large: return "delivered message exceeds the maximum size";
        case Errc::invalid_count: return "ack carries no ids or too many";
        case Errc::invalid_text: return "error text too long or not printable ASCII";
        case Errc::invalid_status: return "unknown authentication status";
        case Errc::invalid_signature: return "handshake signature does not verify";
        case Errc::low_order_key: return "ephemeral key of small order";
        case Errc::invalid_mac: return "handshake MAC does not verify";
        }
        return "unknown gateway protocol error";
    }
};

/// Reads fields from a span, remembering whether it ran short.
class Reader {
public:
    explicit Reader(ByteSpan bytes) noexcept : m_bytes(bytes) {}
    bool ok() const noexcept { return m_ok; }
    std::size_t remaining() const noexcept { return m_bytes.size() - m_pos; }

    template <std::size_t N>
    std::array<std::uint8_t, N> array() noexcept {
        std::array<std::uint8_t, N> out{};
        if (!take(N)) return out;
        std::copy_n(m_bytes.begin() + static_cast<std::ptrdiff_t>(m_pos - N), N, out.begin());
        return out;
    }
    std::uint64_t u64() noexcept { return be(8); }
    std::uint32_t u32() noexcept { return static_cast<std::uint32_t>(be(4)); }
    std::uint16_t u16() noexcept { return static_cast<std::uint16_t>(be(2)); }
    std::uint8_t u8() noexcept { return static_cast<std::uint8_t>(be(1)); }
    ByteSpan bytes(std::size_t n) noexcept {
        if (!take(n)) return {};
        return m_bytes.subspan(m_pos - n, n);
    }

private:
    bool take(std::size_t n) noexcept {
        if (!m_ok || remaining() < n) {
            m_ok = false;
            return false;
        }
        m_pos += n;
        return true;
    }
    std::uint64_t be(std::size_t n) noexcept {
        if (!take(n)) return 0;
        std::uint64_t v = 0;
        for (std::size_t i = m_pos - n; i < m_pos; ++i) v = (v << 8) | m_bytes[i];
        return v;
    }

    ByteSpan m_bytes;
    std::size_t m_pos = 0;
    bool m_ok = true;
};

class Writer {
public:
    explicit Writer(MessageType type, std::size_t reserve = 0) {
        m_out.reserve(reserve);
        m_out.push_back(static_cast<std::uint8_t>(type));
    }
    void u8(std::uint8_t v) { m_out.push_back(v); }
    void u16(std::uint16_t v) { be(v, 2); }
    void u32(std::uint32_t v) { be(v, 4); }
    void u64(std::uint64_t v) { be(v, 8); }
    void bytes(ByteSpan b) { m_out.insert(m_out.end(), b.begin(), b.end()); }
    Bytes take() && { return std::move(m_out); }

private:
    void be(std::uint64_t v, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) m_out.push_back(static_cast<std::uint8_t>(v >> (8 * (n - 1 - i))));
    }
    Bytes m_out;
};

// Grow, then copy: GCC 12 at -O3 misreads vector::insert of a range after reserve() as an overflow
// (-Wstringop-overflow); resize + memcpy says the same thing without the false alarm.
void append_raw(Bytes& out, const void* data, std::size_t size) {
    if (size == 0) return;
    const std::size_t at = out.size();
    out.resize(at + size);
    std::memcpy(out.data() + at, data, size);
}
void append(Bytes& out, ByteSpan b) { append_raw(out, b.data(), b.size()); }
void append(Bytes& out, std::string_view s) { append_raw(out, s.data(), s.size()); }
void append_u64(Bytes& out, std::uint64_t v) {
    for (std::size_t i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * (7 - i))));
}

bool is_printable(char c) noexcept { return c >= 0x20 && c <= 0x7e; }

bool is_nym_packet_size(std::size_t length) noexcept {
    return std::any_of(sphinx::ALL_PACKET_SIZES.begin(), sphinx::ALL_PACKET_SIZES.end(),
                       [length](sphinx::PacketSize s) { return sphinx::packet_size(s) == length; });
}

/// A fixed-size message: the reader must have consumed exactly everything.
Expected<void> finish(const Reader& r) {
    if (!r.ok()) return fail(Errc::truncated);
    if (r.remaining() != 0) return fail(Errc::trailing_bytes);
    return {};
}

Expected<void> check_version(std::uint8_t version) {
    if (version != PROTOCOL_VERSION) return fail(Errc::unsupported_version);
    return {};
}

Expected<Message> parse_body(MessageType type, Reader& r) {
    switch (type) {
    case MessageType::register_request: {
        RegisterRequest m;
        m.version = r.u8();
        m.client_identity.bytes = r.array<32>();
        m.client_ephemeral.bytes = r.array<32>();
        m.timestamp = r.u64();
        m.signature.bytes = r.array<64>();
        if (auto f = finish(r); !f) return Unexpected(f.error());
        if (auto v = check_version(m.version); !v) return Unexpected(v.error());
        return Message{m};
    }
    case MessageType::register_response: {
        RegisterResponse m;
        m.gateway_ephemeral.bytes = r.array<32>();
        m.signature.bytes = r.array<64>();
        m.confirmation = r.array<MAC_SIZE>();
        if (auto f = finish(r); !f) return Unexpected(f.error());
        return Message{m};
    }
    case MessageType::authenticate_request: {
        AuthenticateRequest m;
        m.version = r.u8();
        m.client_identity.bytes = r.array<32>();
        m.timestamp = r.u64();
        m.nonce = r.array<AUTH_NONCE_SIZE>();
        m.mac = r.array<MAC_SIZE>();
        if (auto f = finish(r); !f) return Unexpected(f.error());
        if (auto v = check_version(m.version); !v) return Unexpected(v.error());
        return Message{m};
    }
    case MessageType::authenticate_response: {
        const std::uint8_t status = r.u8();
        if (auto f = finish(r); !f) return Unexpected(f.error());
        if (status > static_cast<std::uint8_t>(AuthStatus::refused)) return fail(Errc::invalid_status);
        return Message{AuthenticateResponse{static_cast<AuthStatus>(status)}};
    }
    case MessageType::send_packet: {
        SendPacket m;
        m.first_hop.bytes = r.array<32>();
        const std::uint32_t length = r.u32();
        if (!r.ok()) return fail(Errc::truncated);
        if (!is_nym_packet_size(length)) return fail(Errc::invalid_packet_size);
        if (r.remaining() < length) return fail(Errc::truncated);
        if (r.remaining() > length) return fail(Errc::trailing_bytes);
        const ByteSpan packet = r.bytes(length);
        m.packet.assign(packet.begin(), packet.end());
        return Message{std::move(m)};
    }
    case MessageType::deliver: {
        Deliver m;
        m.id = r.u64();
        const std::uint32_t length = r.u32();
        if (!r.ok()) return fail(Errc::truncated);
        if (length > MAX_DELIVER_SIZE) return fail(Errc::too_large);
        if (r.remaining() < length) return fail(Errc::truncated);
        if (r.remaining() > length) return fail(Errc::trailing_bytes);
        const ByteSpan message = r.bytes(length);
        m.message.assign(message.begin(), message.end());
        return Message{std::move(m)};
    }
    case MessageType::ack: {
        const std::uint16_t count = r.u16();
        if (!r.ok()) return fail(Errc::truncated);
        if (count == 0 || count > MAX_ACK_IDS) return fail(Errc::invalid_count);
        if (r.remaining() < std::size_t{count} * 8) return fail(Errc::truncated);
        if (r.remaining() > std::size_t{count} * 8) return fail(Errc::trailing_bytes);
        Ack m;
        m.ids.reserve(count);
        for (std::uint16_t i = 0; i < count; ++i) m.ids.push_back(r.u64());
        return Message{std::move(m)};
    }
    case MessageType::ping: {
        Ping m{r.u64()};
        if (auto f = finish(r); !f) return Unexpected(f.error());
        return Message{m};
    }
    case MessageType::pong: {
        Pong m{r.u64()};
        if (auto f = finish(r); !f) return Unexpected(f.error());
        return Message{m};
    }
    case MessageType::error: {
        const std::uint16_t code = r.u16();
        const std::uint16_t length = r.u16();
        if (!r.ok()) return fail(Errc::truncated);
        if (length > MAX_ERROR_TEXT) return fail(Errc::invalid_text);
        if (r.remaining() < length) return fail(Errc::truncated);
        if (r.remaining() > length) return fail(Errc::trailing_bytes);
        const ByteSpan text = r.bytes(length);
        ErrorMessage m;
        m.code = static_cast<ErrorCode>(code);
        m.text.assign(text.begin(), text.end());
        if (!std::all_of(m.text.begin(), m.text.end(), is_printable)) return fail(Errc::invalid_text);
        return Message{std::move(m)};
    }
    }
    return fail(Errc::unknown_type);
}

bool is_known_type(std::uint8_t t) noexcept {
    switch (static_cast<MessageType>(t)) {
    case MessageType::register_request:
    case MessageType::register_response:
    case MessageType::authenticate_request:
    case MessageType::authenticate_response:
    case MessageType::send_packet:
    case MessageType::deliver:
    case MessageType::ack:
    case MessageType::ping:
    case MessageType::pong:
    case MessageType::error: return true;
    }
    return false;
}

template <class... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

} // namespace

const std::error_category& gateway_protocol_category() noexcept {
    static const GatewayProtocolCategory category;
    return category;
}

Expected<Message> parse_message(ByteSpan bytes) {
    if (bytes.empty()) return fail(Errc::empty_message);
    if (!is_known_type(bytes[0])) return fail(Errc::unknown_type);
    Reader r(bytes.subspan(1));
    return parse_body(static_cast<MessageType>(bytes[0]), r);
}

MessageType type_of(const Message& message) noexcept {
    return std::visit(Overloaded{
                          [](const RegisterRequest&) { return MessageType::register_request; },
                          [](const RegisterResponse&) { return MessageType::register_response; },
                          [](const AuthenticateRequest&) { return MessageType::authenticate_request; },
                          [](const AuthenticateResponse&) { return MessageType::authenticate_response; },
                          [](const SendPacket&) { return MessageType::send_packet; },
                          [](const Deliver&) { return MessageType::deliver; },
                          [](const Ack&) { return MessageType::ack; },
                          [](const Ping&) { return MessageType::ping; },
                          [](const Pong&) { return MessageType::pong; },
                          [](const ErrorMessage&) { return MessageType::error; },
                      },
                      message);
}

Bytes serialize(const Message& message) {
    return std::visit(
        Overloaded{
            [](const RegisterRequest& m) {
                Writer w(MessageType::register_request, RegisterRequest::SIZE);
                w.u8(m.version);
                w.bytes(m.client_identity.bytes);
                w.bytes(m.client_ephemeral.bytes);
                w.u64(m.timestamp);
                w.bytes(m.signature.bytes);
                return std::move(w).take();
            },
            [](const RegisterResponse& m) {
                Writer w(MessageType::register_response, RegisterResponse::SIZE);
                w.bytes(m.gateway_ephemeral.bytes);
                w.bytes(m.signature.bytes);
                w.bytes(m.confirmation);
                return std::move(w).take();
            },
            [](const AuthenticateRequest& m) {
                Writer w(MessageType::authenticate_request, AuthenticateRequest::SIZE);
                w.u8(m.version);
                w.bytes(m.client_identity.bytes);
                w.u64(m.timestamp);
                w.bytes(m.nonce);
                w.bytes(m.mac);
                return std::move(w).take();
            },
            [](const AuthenticateResponse& m) {
                Writer w(MessageType::authenticate_response, AuthenticateResponse::SIZE);
                w.u8(static_cast<std::uint8_t>(m.status));
                return std::move(w).take();
            },
            [](const SendPacket& m) {
                Writer w(MessageType::send_packet, SendPacket::HEADER_SIZE + m.packet.size());
                w.bytes(m.first_hop.bytes);
                w.u32(static_cast<std::uint32_t>(m.packet.size()));
                w.bytes(m.packet);
                return std::move(w).take();
            },
            [](const Deliver& m) {
                Writer w(MessageType::deliver, Deliver::HEADER_SIZE + m.message.size());
                w.u64(m.id);
                w.u32(static_cast<std::uint32_t>(m.message.size()));
                w.bytes(m.message);
                return std::move(w).take();
            },
            [](const Ack& m) {
                Writer w(MessageType::ack, 3 + 8 * m.ids.size());
                w.u16(static_cast<std::uint16_t>(m.ids.size()));
                for (std::uint64_t id : m.ids) w.u64(id);
                return std::move(w).take();
            },
            [](const Ping& m) {
                Writer w(MessageType::ping, Ping::SIZE);
                w.u64(m.nonce);
                return std::move(w).take();
            },
            [](const Pong& m) {
                Writer w(MessageType::pong, Pong::SIZE);
                w.u64(m.nonce);
                return std::move(w).take();
            },
            [](const ErrorMessage& m) {
                Writer w(MessageType::error, 5 + m.text.size());
                w.u16(static_cast<std::uint16_t>(m.code));
                w.u16(static_cast<std::uint16_t>(m.text.size()));
                w.bytes(util::as_bytes(m.text));
                return std::move(w).take();
            },
        },
        message);
}

std::string_view to_string(MessageType type) noexcept {
    switch (type) {
    case MessageType::register_request: return "RegisterRequest";
    case MessageType::register_response: return "RegisterResponse";
    case MessageType::authenticate_request: return "AuthenticateRequest";
    case MessageType::authenticate_response: return "AuthenticateResponse";
    case MessageType::send_packet: return "SendPacket";
    case MessageType::deliver: return "Deliver";
    case MessageType::ack: return "Ack";
    case MessageType::ping: return "Ping";
    case MessageType::pong: return "Pong";
    case MessageType::error: return "Error";
    }
    return "Unknown";
}

std::string_view to_string(ErrorCode code) noexcept {
    switch (code) {
    case ErrorCode::malformed_message: return "malformed_message";
    case ErrorCode::unsupported_version: return "unsupported_version";
    case ErrorCode::unexpected_message: return "unexpected_message";
    case ErrorCode::not_authenticated: return "not_authenticated";
    case ErrorCode::invalid_signature: return "invalid_signature";
    case ErrorCode::stale_timestamp: return "stale_timestamp";
    case ErrorCode::invalid_key: return "invalid_key";
    case ErrorCode::unknown_client: return "unknown_client";
    case ErrorCode::invalid_mac: return "invalid_mac";
    case ErrorCode::replayed_nonce: return "replayed_nonce";
    case ErrorCode::invalid_packet: return "invalid_packet";
    case ErrorCode::registration_refused: return "registration_refused";
    case ErrorCode::internal_error: return "internal_error";
    case ErrorCode::busy: return "busy";
    case ErrorCode::already_authenticated: return "already_authenticated";
    }
    return "unknown";
}

ErrorMessage make_error(ErrorCode code, std::string_view text) {
    ErrorMessage m;
    m.code = code;
    for (char c : text) {
        if (m.text.size() == MAX_ERROR_TEXT) break;
        if (is_printable(c)) m.text.push_back(c);
    }
    return m;
}

Bytes register_transcript(const crypto::Ed25519PublicKey& gateway_identity, const ClientAddress& client_identity,
                          const crypto::X25519PublicKey& client_ephemeral, std::uint64_t timestamp) {
    Bytes t;
    t.reserve(REGISTER_TAG.size() + 32 * 3 + TIMESTAMP_SIZE);
    append(t, REGISTER_TAG);
    append(t, gateway_identity.bytes);
    append(t, client_identity.bytes);
    append(t, client_ephemeral.bytes);
    append_u64(t, timestamp);
    return t;
}

Bytes response_transcript(ByteSpan transcript, const crypto::X25519PublicKey& gateway_ephemeral) {
    Bytes t;
    t.reserve(transcript.size() + gateway_ephemeral.bytes.size());
    append(t, transcript);
    append(t, gateway_ephemeral.bytes);
    return t;
}

Bytes register_response_signing_input(ByteSpan response_transcript_bytes) {
    Bytes t;
    t.reserve(REGISTER_RESPONSE_TAG.size() + response_transcript_bytes.size());
    append(t, REGISTER_RESPONSE_TAG);
    append(t, response_transcript_bytes);
    return t;
}

SharedKey derive_shared_key(const crypto::MontgomeryPoint& dh_output, ByteSpan response_transcript_bytes) {
    const crypto::Sha256Digest salt = crypto::sha256(response_transcript_bytes);
    SharedKey key;
    // 32 bytes of output are always within HKDF's 255 × 32 limit.
    (void)crypto::hkdf_sha256(salt, dh_output.bytes, util::as_bytes(SHARED_KEY_INFO), key.mutable_bytes());
    return key;
}

AuthToken derive_auth_token(const SharedKey& key) {
    crypto::Sha256Digest tag = crypto::hmac_sha256(key.bytes(), util::as_bytes(AUTH_TOKEN_TAG));
    AuthToken token{std::span<const std::uint8_t, 32>(tag)};
    crypto::secure_wipe(tag.data(), tag.size());
    return token;
}

std::array<std::uint8_t, MAC_SIZE> key_confirmation(const SharedKey& key, ByteSpan response_transcript_bytes) {
    crypto::HmacSha256 mac(key.bytes());
    mac.update(util::as_bytes(KEY_CONFIRMATION_TAG));
    mac.update(response_transcript_bytes);
    return mac.finish();
}

std::array<std::uint8_t, MAC_SIZE> authenticate_mac(const AuthToken& token,
                                                   const crypto::Ed25519PublicKey& gateway_identity,
                                                   const ClientAddress& client_identity, std::uint64_t timestamp,
                                                   std::span<const std::uint8_t, AUTH_NONCE_SIZE> nonce) {
    Bytes input;
    append(input, AUTHENTICATE_TAG);
    append(input, gateway_identity.bytes);
    append(input, client_identity.bytes);
    append_u64(input, timestamp);
    append(input, nonce);
    return crypto::hmac_sha256(token.bytes(), input);
}

RegisterRequest make_register_request(const crypto::Ed25519SecretKey& client_identity,
                                      const crypto::Ed25519PublicKey& gateway_identity,
                                      const crypto::X25519PublicKey& client_ephemeral, std::uint64_t timestamp) {
    RegisterRequest r;
    r.client_identity = client_identity.public_key();
    r.client_ephemeral = client_ephemeral;
    r.timestamp = timestamp;
    r.signature = client_identity.sign(register_transcript(gateway_identity, r.client_identity, client_ephemeral, timestamp));
    return r;
}

Expected<SharedKey> finish_registration(const crypto::Ed25519PublicKey& gateway_identity,
                                        const RegisterRequest& request,
                                        const crypto::X25519SecretKey& client_ephemeral_secret,
                                        const RegisterResponse& response) {
    const Bytes transcript =
        register_transcript(gateway_identity, request.client_identity, request.client_ephemeral, request.timestamp);
    const Bytes full = response_transcript(transcript, response.gateway_ephemeral);
    if (!crypto::ed25519_verify(gateway_identity, register_response_signing_input(full), response.signature))
        return fail(Errc::invalid_signature);
    auto dh = crypto::x25519(client_ephemeral_secret, response.gateway_ephemeral);
    if (!dh) return fail(Errc::low_order_key);
    SharedKey key = derive_shared_key(*dh, full);
    crypto::secure_wipe(dh->bytes.data(), dh->bytes.size());
    if (!crypto::ct_equal(key_confirmation(key, full), response.confirmation)) return fail(Errc::invalid_mac);
    return key;
}

AuthenticateRequest make_authenticate_request(const SharedKey& key, const crypto::Ed25519PublicKey& gateway_identity,
                                              const ClientAddress& client_identity, std::uint64_t timestamp,
                                              std::span<const std::uint8_t, AUTH_NONCE_SIZE> nonce) {
    AuthenticateRequest r;
    r.client_identity = client_identity;
    r.timestamp = timestamp;
    std::copy(nonce.begin(), nonce.end(), r.nonce.begin());
    r.mac = authenticate_mac(derive_auth_token(key), gateway_identity, client_identity, timestamp, nonce);
    return r;
}

Bytes registration_session_transcript(ByteSpan response_transcript_bytes) {
    Bytes t;
    append(t, SESSION_TAG);
    append(t, response_transcript_bytes);
    return t;
}

Bytes authentication_session_transcript(const AuthenticateRequest& request) {
    Bytes t;
    append(t, SESSION_TAG);
    append(t, serialize(Message{request}));
    return t;
}

namespace {

crypto::SecretBytes<32> session_key(const SharedKey& key, const crypto::Sha256Digest& salt, std::string_view info) {
    crypto::SecretBytes<32> out;
    (void)crypto::hkdf_sha256(salt, key.bytes(), util::as_bytes(info), out.mutable_bytes());
    return out;
}

std::array<std::uint8_t, SESSION_MAC_SIZE> session_mac(const crypto::SecretBytes<32>& key, std::uint64_t counter,
                                                       ByteSpan message) {
    crypto::HmacSha256 mac(key.bytes());
    std::array<std::uint8_t, 8> be{};
    for (std::size_t i = 0; i < 8; ++i) be[i] = static_cast<std::uint8_t>(counter >> (56 - 8 * i));
    mac.update(be);
    mac.update(message);
    const crypto::Sha256Digest full = mac.finish();
    std::array<std::uint8_t, SESSION_MAC_SIZE> out{};
    std::copy_n(full.begin(), SESSION_MAC_SIZE, out.begin());
    return out;
}

} // namespace

SessionChannel::SessionChannel(Side side, const SharedKey& key, ByteSpan session_transcript) {
    const crypto::Sha256Digest salt = crypto::sha256(session_transcript);
    auto to_gateway = session_key(key, salt, SESSION_CLIENT_KEY_INFO);
    auto to_client = session_key(key, salt, SESSION_GATEWAY_KEY_INFO);
    if (side == Side::client) {
        m_send_key = std::move(to_gateway);
        m_receive_key = std::move(to_client);
    } else {
        m_send_key = std::move(to_client);
        m_receive_key = std::move(to_gateway);
    }
}

Bytes SessionChannel::seal(ByteSpan message) {
    Bytes frame(message.begin(), message.end());
    const auto mac = session_mac(m_send_key, m_sent++, message);
    frame.insert(frame.end(), mac.begin(), mac.end());
    return frame;
}

Expected<Bytes> SessionChannel::open(ByteSpan frame) {
    if (frame.size() < SESSION_MAC_SIZE) return fail(Errc::truncated);
    const ByteSpan message = frame.first(frame.size() - SESSION_MAC_SIZE);
    const auto expected = session_mac(m_receive_key, m_received, message);
    if (!crypto::ct_equal(expected, frame.last(SESSION_MAC_SIZE))) return fail(Errc::invalid_mac);
    ++m_received;
    return Bytes(message.begin(), message.end());
}

} // namespace nym::wire::gateway
