#include <client/gateway_link.hpp>

#include <algorithm>
#include <array>

namespace nym::client {

namespace gw = wire::gateway;

std::string_view to_string(LinkState state) noexcept {
    switch (state) {
    case LinkState::idle: return "idle";
    case LinkState::registering: return "registering";
    case LinkState::authenticating: return "authenticating";
    case LinkState::ready: return "ready";
    case LinkState::closed: return "closed";
    }
    return "unknown";
}

GatewayLink::GatewayLink(crypto::Ed25519SecretKey identity, crypto::Ed25519PublicKey gateway_identity)
    : m_identity(std::move(identity)), m_client(m_identity.public_key()), m_gateway(gateway_identity) {}

void GatewayLink::forget_handshake() noexcept {
    m_pending_register.reset();
    m_ephemeral.reset();
    m_pending_auth.reset();
    m_auth_key.reset();
}

Bytes GatewayLink::begin_register(crypto::Rng& rng, std::uint64_t unix_seconds) {
    forget_handshake();
    m_channel.reset();
    auto ephemeral = crypto::X25519SecretKey::generate(rng);
    auto request = gw::make_register_request(m_identity, m_gateway, ephemeral.public_key(), unix_seconds);
    Bytes frame = gw::serialize(request);
    m_pending_register = request;
    m_ephemeral = std::move(ephemeral);
    m_state = LinkState::registering;
    m_auth_refused = false;
    return frame;
}

Bytes GatewayLink::begin_authenticate(const gw::SharedKey& key, crypto::Rng& rng, std::uint64_t unix_seconds) {
    forget_handshake();
    m_channel.reset();
    std::array<std::uint8_t, gw::AUTH_NONCE_SIZE> nonce{};
    rng.fill(nonce);
    // The gateway accepts only timestamps newer than the last one it accepted.
    const std::uint64_t timestamp = std::max(unix_seconds, m_last_auth_timestamp + 1);
    m_last_auth_timestamp = timestamp;
    const auto request = gw::make_authenticate_request(key, m_gateway, m_client, timestamp, nonce);
    m_pending_auth = request;
    m_auth_key = key;
    m_state = LinkState::authenticating;
    m_auth_refused = false;
    return gw::serialize(request);
}

Bytes GatewayLink::sealed(const gw::Message& message) {
    Bytes bytes = gw::serialize(message);
    return m_channel ? m_channel->seal(bytes) : bytes;
}

LinkOutput GatewayLink::refuse(std::optional<gw::ErrorCode> code, std::string reason, bool send_error) {
    LinkOutput out;
    const bool during_auth = m_state == LinkState::authenticating;
    // Tell the gateway why we hang up (a courtesy: it closes too), unless it was the gateway's Error.
    if (send_error && m_state != LinkState::closed && code)
        out.frames.push_back(sealed(gw::Message{gw::make_error(*code, reason)}));
    out.events.emplace_back(LinkRefused{code, during_auth, std::move(reason)});
    out.close = true;
    m_state = LinkState::closed;
    forget_handshake();
    m_channel.reset();
    return out;
}

LinkOutput GatewayLink::on_frame(std::span<const std::uint8_t> bytes) {
    if (m_state == LinkState::closed || m_state == LinkState::idle) return {}; // nothing expected: ignore
    Bytes opened;
    std::span<const std::uint8_t> frame = bytes;
    if (m_state == LinkState::ready && m_channel) {
        auto message = m_channel->open(bytes);
        if (!message) return refuse(gw::ErrorCode::invalid_mac, "a frame from the gateway fails its session MAC", true);
        opened = std::move(*message);
        frame = opened;
    }
    auto parsed = gw::parse_message(frame);
    if (!parsed) {
        const auto code = parsed.error() == gw::Errc::unsupported_version ? gw::ErrorCode::unsupported_version
                                                                          : gw::ErrorCode::malformed_message;
        return refuse(code, "malformed frame from the gateway: " + parsed.error().message(), true);
    }
    gw::Message& message = *parsed;

    if (auto* error = std::get_if<gw::ErrorMessage>(&message)) {
        // Once authenticated, a refused SendPacket (its first hop is not a layer-1 node the gateway
        // knows: its topology and ours differ for a moment) costs only that packet: the gateway keeps
        // the session, the packet's ack never comes and the core resends it on a fresh route.
        if (m_state == LinkState::ready && error->code == gw::ErrorCode::invalid_packet) return {};
        std::string reason = "gateway error " + std::string(gw::to_string(error->code));
        if (!error->text.empty()) reason += ": " + error->text;
        if (m_auth_refused) m_state = LinkState::authenticating; // report it as the authentication's refusal
        return refuse(error->code, std::move(reason), false);
    }

    switch (m_state) {
    case LinkState::registering: {
        auto* response = std::get_if<gw::RegisterResponse>(&message);
        if (response == nullptr || !m_pending_register || !m_ephemeral)
            return refuse(gw::ErrorCode::unexpected_message,
                          "expected RegisterResponse, got " + std::string(gw::to_string(gw::type_of(message))), true);
        auto key = gw::finish_registration(m_gateway, *m_pending_register, *m_ephemeral, *response);
        if (!key)
            return refuse(std::nullopt, "the gateway's registration response does not verify: " + key.error().message(),
                          false);
        const gw::RegisterRequest& request = *m_pending_register;
        const Bytes full = gw::response_transcript(
            gw::register_transcript(m_gateway, request.client_identity, request.client_ephemeral, request.timestamp),
            response->gateway_ephemeral);
        m_channel.emplace(gw::Side::client, *key, gw::registration_session_transcript(full));
        forget_handshake();
        m_state = LinkState::ready;
        LinkOutput out;
        out.events.emplace_back(LinkRegistered{std::move(*key)});
        return out;
    }
    case LinkState::authenticating: {
        auto* response = std::get_if<gw::AuthenticateResponse>(&message);
        if (response == nullptr || m_auth_refused)
            return refuse(gw::ErrorCode::unexpected_message,
                          "expected AuthenticateResponse, got " + std::string(gw::to_string(gw::type_of(message))),
                          true);
        if (response->status != gw::AuthStatus::ok) {
            // The gateway follows a refusal with an Error naming the reason; wait for it.
            m_auth_refused = true;
            return {};
        }
        if (!m_pending_auth || !m_auth_key)
            return refuse(gw::ErrorCode::unexpected_message, "AuthenticateResponse without a request", true);
        m_channel.emplace(gw::Side::client, *m_auth_key, gw::authentication_session_transcript(*m_pending_auth));
        forget_handshake();
        m_state = LinkState::ready;
        LinkOutput out;
        out.events.emplace_back(LinkAuthenticated{});
        return out;
    }
    case LinkState::ready: {
        LinkOutput out;
        if (auto* deliver = std::get_if<gw::Deliver>(&message)) {
            out.events.emplace_back(LinkDelivered{deliver->id, std::move(deliver->message)});
        } else if (auto* ping = std::get_if<gw::Ping>(&message)) {
            out.frames.push_back(sealed(gw::Message{gw::Pong{ping->nonce}}));
        } else if (std::holds_alternative<gw::Pong>(message)) {
            // keep-alive answer: nothing to do
        } else {
            return refuse(gw::ErrorCode::unexpected_message,
                          "unexpected " + std::string(gw::to_string(gw::type_of(message))) + " from the gateway", true);
        }
        return out;
    }
    case LinkState::idle:
    case LinkState::closed: break;
    }
    return {};
}

std::optional<Bytes> GatewayLink::send_packet(const OutgoingPacket& packet) {
    if (m_state != LinkState::ready) return std::nullopt;
    return sealed(gw::Message{gw::SendPacket{packet.first_hop, packet.packet}});
}

std::vector<Bytes> GatewayLink::ack(std::span<const std::uint64_t> ids) {
    std::vector<Bytes> frames;
    if (m_state != LinkState::ready) return frames;
    for (std::size_t i = 0; i < ids.size(); i += gw::MAX_ACK_IDS) {
        const std::size_t n = std::min(gw::MAX_ACK_IDS, ids.size() - i);
        gw::Ack a;
        a.ids.assign(ids.begin() + static_cast<std::ptrdiff_t>(i), ids.begin() + static_cast<std::ptrdiff_t>(i + n));
        frames.push_back(sealed(gw::Message{std::move(a)}));
    }
    return frames;
}

std::optional<Bytes> GatewayLink::ping(std::uint64_t nonce) {
    if (m_state != LinkState::ready) return std::nullopt;
    return sealed(gw::Message{gw::Ping{nonce}});
}

void GatewayLink::reset() noexcept {
    m_state = LinkState::idle;
    m_auth_refused = false;
    forget_handshake();
    m_channel.reset();
}

} // namespace nym::client
