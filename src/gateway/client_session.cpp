#include <gateway/client_session.hpp>

#include <crypto/x25519.hpp>
#include <sphinx/node_address.hpp>

#include <algorithm>
#include <limits>

namespace nym::gateway {

namespace wg = wire::gateway;

// --- NonceCache --------------------------------------------------------------------------------------

NonceCache::NonceCache(std::size_t max_entries, std::chrono::seconds window)
    : m_max_entries(max_entries), m_window(window) {}

NonceCache::Result NonceCache::check_and_insert(const ClientAddress& client,
                                                std::span<const std::uint8_t, wg::AUTH_NONCE_SIZE> nonce,
                                                UnixSeconds now) {
    Key key(client.bytes.begin(), client.bytes.end());
    key.append(nonce.begin(), nonce.end());
    std::lock_guard lock(m_mutex);
    while (!m_order.empty() && m_order.front().first + m_window < now) {
        m_seen.erase(m_order.front().second);
        m_order.pop_front();
    }
    if (m_seen.count(key) != 0) return Result::replayed;
    if (m_seen.size() >= m_max_entries) return Result::full;
    m_seen.insert(key);
    m_order.emplace_back(now, std::move(key));
    return Result::fresh;
}

std::size_t NonceCache::size() const {
    std::lock_guard lock(m_mutex);
    return m_seen.size();
}

WebsocketClose websocket_close(const CloseReason& reason) {
    WebsocketClose close;
    if (reason.by == CloseReason::By::client) {
        close.code = 1000;
        close.reason = "client error: " + reason.text;
    } else {
        close.code = 1008;
        close.reason = reason.text;
    }
    if (close.reason.size() > MAX_CLOSE_REASON) close.reason.resize(MAX_CLOSE_REASON);
    return close;
}

// --- ClientSession -----------------------------------------------------------------------------------

namespace {

template <class T>
Bytes frame(T message) {
    return wg::serialize(wg::Message{std::move(message)});
}

ErrorCode error_code_for_parse(const std::error_code& ec) {
    if (ec == make_error_code(wg::Errc::unsupported_version)) return ErrorCode::unsupported_version;
    if (ec == make_error_code(wg::Errc::unknown_type)) return ErrorCode::unexpected_message;
    return ErrorCode::malformed_message;
}

} // namespace

ClientSession::ClientSession(const crypto::Ed25519SecretKey& gateway_identity, ClientRegistry& registry,
                             NonceCache& nonces, crypto::Rng& rng, SessionConfig config)
    : m_identity(gateway_identity),
      m_identity_public(gateway_identity.public_key()),
      m_registry(registry),
      m_nonces(nonces),
      m_rng(rng),
      m_config(config) {}

SessionOutput ClientSession::refuse(ErrorCode code, std::string_view text, bool auth_refused) {
    SessionOutput out;
    if (auth_refused) out.replies.push_back(frame(wg::AuthenticateResponse{wg::AuthStatus::refused}));
    const wg::ErrorMessage error = wg::make_error(code, text);
    out.replies.push_back(frame_for(wg::Message{error}));
    out.close = CloseReason{CloseReason::By::gateway, code, error.text};
    m_state = State::closed;
    m_in_flight.clear();
    return out;
}

SessionOutput ClientSession::action_failed(std::string_view what) {
    if (m_state == State::closed) return {};
    return refuse(ErrorCode::internal_error, what);
}

SessionOutput ClientSession::handshake_failed(std::string_view what) {
    if (m_state == State::closed) return {};
    // The handshake's response never left: the client has no session keys, so the Error is plain.
    m_channel.reset();
    return refuse(ErrorCode::internal_error, what);
}

Bytes ClientSession::frame_for(const wg::Message& message) {
    Bytes bytes = wg::serialize(message);
    if (m_channel) return m_channel->seal(bytes);
    return bytes;
}

bool ClientSession::needs_registry(ByteSpan frame) const noexcept {
    if (m_state != State::fresh || frame.empty()) return false;
    return frame[0] == static_cast<std::uint8_t>(wg::MessageType::register_request) ||
           frame[0] == static_cast<std::uint8_t>(wg::MessageType::authenticate_request);
}

bool ClientSession::timestamp_fresh(std::uint64_t timestamp, UnixSeconds now) const noexcept {
    if (timestamp > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() / 2)) return false;
    const auto ts = static_cast<std::int64_t>(timestamp);
    const std::int64_t n = now.time_since_epoch().count();
    const std::int64_t skew = ts > n ? ts - n : n - ts;
    return skew <= m_config.max_timestamp_skew.count();
}

SessionOutput ClientSession::on_frame(ByteSpan bytes, UnixSeconds now) {
    if (m_state == State::closed) return {};
    Bytes opened;
    if (m_channel) {
        // After the handshake every frame carries the session MAC: anything else was not sent by the
        // client that authenticated (an injected Ack would delete its messages).
        auto message = m_channel->open(bytes);
        if (!message) return refuse(ErrorCode::invalid_mac, "frame fails its session MAC");
        opened = std::move(*message);
        bytes = opened;
    }
    auto parsed = wg::parse_message(bytes);
    if (!parsed) return refuse(error_code_for_parse(parsed.error()), parsed.error().message());
    wg::Message& message = *parsed;

    if (m_state == State::fresh) {
        if (const auto* r = std::get_if<wg::RegisterRequest>(&message)) return on_register(*r, now);
        if (const auto* a = std::get_if<wg::AuthenticateRequest>(&message)) return on_authenticate(*a, now);
        return refuse(ErrorCode::not_authenticated,
                      std::string(wg::to_string(wg::type_of(message))) + " before registration or authentication");
    }
    return on_authenticated_message(std::move(message));
}

SessionOutput ClientSession::on_register(const wg::RegisterRequest& request, UnixSeconds now) {
    if (!timestamp_fresh(request.timestamp, now)) return refuse(ErrorCode::stale_timestamp, "register timestamp out of range");
    const Bytes transcript =
        wg::register_transcript(m_identity_public, request.client_identity, request.client_ephemeral, request.timestamp);
    if (!crypto::ed25519_verify(request.client_identity, transcript, request.signature))
        return refuse(ErrorCode::invalid_signature, "register signature does not verify");

    crypto::X25519KeyPair ephemeral = crypto::X25519KeyPair::generate(m_rng);
    auto dh = crypto::x25519(ephemeral.secret, request.client_ephemeral);
    if (!dh) return refuse(ErrorCode::invalid_key, "client ephemeral key has small order");

    // Policy: a valid signature proves possession of the identity key, so re-registration replaces the
    // stored key, but only with a newer signed timestamp; a replayed (or older) request cannot
    // overwrite the key the client is using.
    auto existing = m_registry.find_client(request.client_identity);
    if (!existing) return refuse(ErrorCode::internal_error, "client lookup failed");
    const UnixSeconds registered_at{std::chrono::seconds(static_cast<std::int64_t>(request.timestamp))};
    if (existing->has_value() && (*existing)->registered_at >= registered_at)
        return refuse(ErrorCode::registration_refused, "a registration at least as recent is already stored");

    const Bytes full = wg::response_transcript(transcript, ephemeral.public_key);
    SharedKey key = wg::derive_shared_key(*dh, full);
    crypto::secure_wipe(dh->bytes.data(), dh->bytes.size());

    wg::RegisterResponse response;
    response.gateway_ephemeral = ephemeral.public_key;
    response.signature = m_identity.sign(wg::register_response_signing_input(full));
    response.confirmation = wg::key_confirmation(key, full);
    m_channel.emplace(wg::Side::gateway, key, wg::registration_session_transcript(full));

    SessionOutput out;
    out.actions.emplace_back(StoreSharedKey{RegisteredClient{request.client_identity, std::move(key), registered_at}});
    out.actions.emplace_back(ClientReady{request.client_identity});
    out.replies.push_back(frame(response));
    m_state = State::authenticated;
    m_client = request.client_identity;
    return out;
}

SessionOutput ClientSession::on_authenticate(const wg::AuthenticateRequest& request, UnixSeconds now) {
    if (!timestamp_fresh(request.timestamp, now))
        return refuse(ErrorCode::stale_timestamp, "authenticate timestamp out of range", true);
    auto found = m_registry.find_client(request.client_identity);
    if (!found) return refuse(ErrorCode::internal_error, "client lookup failed", true);
    if (!found->has_value()) return refuse(ErrorCode::unknown_client, "identity is not registered", true);
    const wg::AuthToken token = wg::derive_auth_token((*found)->shared_key);
    const auto expected =
        wg::authenticate_mac(token, m_identity_public, request.client_identity, request.timestamp, request.nonce);
    if (!crypto::ct_equal(expected, request.mac)) return refuse(ErrorCode::invalid_mac, "authentication MAC does not verify", true);
    // The store remembers the last accepted timestamp across restarts: a recorded AuthenticateRequest
    // replayed later (within the skew window, after the nonce cache was lost) is refused.
    const UnixSeconds at{std::chrono::seconds(static_cast<std::int64_t>(request.timestamp))};
    if (at <= (*found)->last_authenticated_at)
        return refuse(ErrorCode::replayed_nonce, "authentication not newer than the last one accepted", true);
    switch (m_nonces.check_and_insert(request.client_identity, request.nonce, now)) {
    case NonceCache::Result::fresh: break;
    case NonceCache::Result::replayed: return refuse(ErrorCode::replayed_nonce, "authentication nonce already used", true);
    case NonceCache::Result::full: return refuse(ErrorCode::busy, "too many recent authentications", true);
    }
    SessionOutput out;
    out.actions.emplace_back(RecordAuthentication{request.client_identity, at});
    out.actions.emplace_back(ClientReady{request.client_identity});
    out.replies.push_back(frame(wg::AuthenticateResponse{wg::AuthStatus::ok}));
    m_channel.emplace(wg::Side::gateway, (*found)->shared_key, wg::authentication_session_transcript(request));
    m_state = State::authenticated;
    m_client = request.client_identity;
    return out;
}

SessionOutput ClientSession::on_authenticated_message(wg::Message&& message) {
    SessionOutput out;
    if (auto* send = std::get_if<wg::SendPacket>(&message)) {
        auto hop = sphinx::decode_node_address(send->first_hop);
        if (!hop) return refuse(ErrorCode::invalid_packet, "first hop is not a valid node address");
        out.actions.emplace_back(ForwardPacket{*hop, std::move(send->packet)});
        return out;
    }
    if (auto* ack = std::get_if<wg::Ack>(&message)) {
        for (std::uint64_t id : ack->ids) m_in_flight.erase(id);
        out.actions.emplace_back(DeleteMessages{*m_client, std::move(ack->ids)});
        return out;
    }
    if (const auto* ping = std::get_if<wg::Ping>(&message)) {
        out.replies.push_back(frame_for(wg::Message{wg::Pong{ping->nonce}}));
        return out;
    }
    if (std::holds_alternative<wg::Pong>(message)) return out;
    if (const auto* error = std::get_if<wg::ErrorMessage>(&message)) {
        // The client gives up on the connection; nothing to answer.
        out.close = CloseReason{CloseReason::By::client, error->code, error->text};
        m_state = State::closed;
        m_in_flight.clear();
        return out;
    }
    if (std::holds_alternative<wg::RegisterRequest>(message) || std::holds_alternative<wg::AuthenticateRequest>(message))
        return refuse(ErrorCode::already_authenticated, "connection already authenticated");
    return refuse(ErrorCode::unexpected_message,
                  std::string(wg::to_string(wg::type_of(message))) + " is not sent by clients");
}

std::optional<Bytes> ClientSession::deliver(std::uint64_t id, ByteSpan message) {
    if (m_state != State::authenticated || message.size() > wg::MAX_DELIVER_SIZE) return std::nullopt;
    m_in_flight.insert(id);
    return frame_for(wg::Message{wg::Deliver{id, Bytes(message.begin(), message.end())}});
}

} // namespace nym::gateway
