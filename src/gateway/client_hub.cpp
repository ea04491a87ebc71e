#include <gateway/client_hub.hpp>

#include <wire/framing.hpp>

#include <algorithm>

namespace nym::gateway {

namespace wg = wire::gateway;

// --- the store side ----------------------------------------------------------------------------------

StoreReply run_store_request(StoreRequest request, MessageStore& store, StoreHealth* health) {
    const auto report = [&](StoreOperation operation, bool ok) {
        if (health == nullptr) return;
        if (ok) health->succeeded(operation);
        else health->failed(operation, store.last_error());
    };
    if (auto* fetch = std::get_if<FetchRequest>(&request)) {
        FetchReply reply{fetch->id, store.fetch_batch(fetch->client, fetch->limit, fetch->after_id), fetch->limit};
        report(StoreOperation::fetch, reply.messages.has_value());
        return reply;
    }
    auto& handshake = std::get<HandshakeRequest>(request);
    HandshakeReply reply{handshake.id, std::move(handshake.session), {}};
    reply.output = reply.session->on_frame(handshake.frame, handshake.now);
    for (const Action& action : reply.output.actions) {
        if (const auto* key = std::get_if<StoreSharedKey>(&action); key != nullptr && !store.register_client(key->client)) {
            reply.output = reply.session->handshake_failed("the gateway could not store the registration");
            break;
        }
        if (const auto* auth = std::get_if<RecordAuthentication>(&action)) {
            auto recorded = store.record_authentication(auth->client, auth->at);
            if (!recorded) {
                reply.output = reply.session->handshake_failed("the gateway could not record the authentication");
                break;
            }
            if (!*recorded) { // a newer one was recorded meanwhile: this one is a replay
                reply.output = reply.session->handshake_failed("authentication not newer than the last one accepted");
                break;
            }
        }
    }
    // internal_error is the session's answer to a store that failed (a lookup or the write above).
    const bool failed = reply.output.close && reply.output.close->code == ErrorCode::internal_error;
    report(StoreOperation::handshake, !failed);
    return reply;
}

// --- ClientHub ---------------------------------------------------------------------------------------

ClientHub::ClientHub(const crypto::Ed25519SecretKey& identity, ClientRegistry& registry, NonceCache& nonces,
                     crypto::Rng& rng, GatewayCounters& counters, FirstHops& first_hops, HubConfig config)
    : m_identity(identity), m_registry(registry), m_nonces(nonces), m_rng(rng), m_counters(counters),
      m_first_hops(first_hops), m_config(config),
      m_registrations(config.registrations_per_minute_per_ip, config.registrations_per_minute) {
    m_config.delivery_window = std::max<std::size_t>(1, m_config.delivery_window);
    m_config.retrieval_limit = std::max<std::size_t>(1, m_config.retrieval_limit);
}

bool ClientHub::open(ConnectionId id, std::string_view remote_ip, UnixSeconds now) {
    closed(id);
    auto per_ip = m_per_ip.find(remote_ip);
    if (per_ip != m_per_ip.end() && per_ip->second >= m_config.max_connections_per_ip) {
        m_counters.connections_refused.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    if (per_ip == m_per_ip.end()) per_ip = m_per_ip.emplace(std::string(remote_ip), 0).first;
    ++per_ip->second;
    Connection c;
    c.session = std::make_unique<ClientSession>(m_identity, m_registry, m_nonces, m_rng, m_config.session);
    c.ip = std::string(remote_ip);
    c.opened_at = now;
    m_connections.emplace(id, std::move(c));
    return true;
}

HubEffects ClientHub::expire_unauthenticated(UnixSeconds now) {
    HubEffects fx;
    for (auto& [id, c] : m_connections) {
        if (c.closing || now - c.opened_at < m_config.authentication_timeout) continue;
        if (c.session && c.session->state() == ClientSession::State::authenticated) continue;
        // Not authenticated in time (a handshake still at the store counts as not done).
        const wg::ErrorMessage error = wg::make_error(ErrorCode::not_authenticated, "no authentication in time");
        fx.frames.emplace_back(id, wg::serialize(wg::Message{error}));
        fx.closes.emplace_back(id, CloseReason{CloseReason::By::gateway, error.code, error.text});
        m_counters.auth_timeouts.fetch_add(1, std::memory_order_relaxed);
        c.closing = true;
        c.queued.clear();
        detach(id, c);
    }
    return fx;
}

std::vector<ClientAddress> ClientHub::connected_clients() const {
    std::vector<ClientAddress> out;
    for (const auto& [client, id] : m_by_client)
        if (out.empty() || out.back() != client) out.push_back(client);
    return out;
}

std::size_t ClientHub::in_flight(ConnectionId id) const {
    auto it = m_connections.find(id);
    if (it == m_connections.end() || !it->second.session) return 0;
    return it->second.session->unacknowledged();
}

HubEffects ClientHub::on_frame(ConnectionId id, ByteSpan frame, UnixSeconds now) {
    HubEffects fx;
    auto it = m_connections.find(id);
    if (it == m_connections.end() || it->second.closing) return fx;
    Connection& c = it->second;
    if (!c.session) {
        // Its handshake is with the store: keep the order, within a bound.
        if (c.queued.size() >= m_config.max_queued_frames) {
            refuse(id, c, ErrorCode::busy, "too many frames before the handshake completed", fx);
            return fx;
        }
        c.queued.emplace_back(frame.begin(), frame.end());
        return fx;
    }
    handle(id, c, frame, now, fx);
    return fx;
}

void ClientHub::handle(ConnectionId id, Connection& c, ByteSpan frame, UnixSeconds now, HubEffects& fx) {
    if (c.session->needs_registry(frame)) {
        // A registration costs a signature check and a durable write, and needs no prior secret:
        // it is rate-limited per address and in total before any of that work is done.
        // (A malformed one is refused by the session as a protocol error, for free: only requests
        // that would cost something count.)
        const bool registration = frame[0] == static_cast<std::uint8_t>(wg::MessageType::register_request) &&
                                  wg::parse_message(frame).has_value();
        if (registration && !m_registrations.allow(c.ip, now)) {
            m_counters.registrations_refused.fetch_add(1, std::memory_order_relaxed);
            refuse(id, c, ErrorCode::busy, "too many registrations; try again later", fx, false);
            return;
        }
        fx.store.emplace_back(HandshakeRequest{id, std::move(c.session), Bytes(frame.begin(), frame.end()), now});
        return;
    }
    perform(id, c, c.session->on_frame(frame, now), now, fx);
}

HubEffects ClientHub::on_text(ConnectionId id) {
    HubEffects fx;
    auto it = m_connections.find(id);
    if (it == m_connections.end() || it->second.closing) return fx;
    refuse(id, it->second, ErrorCode::malformed_message, "the gateway protocol uses binary frames only", fx);
    return fx;
}

void ClientHub::refuse(ConnectionId id, Connection& c, ErrorCode code, std::string_view text, HubEffects& fx,
                       bool protocol_error) {
    const wg::ErrorMessage error = wg::make_error(code, text);
    // A session away at the store has no channel yet (a handshake is in flight): the Error is plain.
    fx.frames.emplace_back(id, c.session ? c.session->frame_for(wg::Message{error}) : wg::serialize(wg::Message{error}));
    fx.closes.emplace_back(id, CloseReason{CloseReason::By::gateway, error.code, error.text});
    if (protocol_error) {
        m_counters.client_errors.fetch_add(1, std::memory_order_relaxed);
        m_counters.drop(DropReason::client_protocol);
    }
    c.closing = true;
    c.queued.clear();
    detach(id, c);
}

void ClientHub::closed(ConnectionId id) {
    auto it = m_connections.find(id);
    if (it == m_connections.end()) return;
    detach(id, it->second);
    if (auto per_ip = m_per_ip.find(it->second.ip); per_ip != m_per_ip.end() && --per_ip->second == 0)
        m_per_ip.erase(per_ip);
    m_connections.erase(it);
}

HubEffects ClientHub::on_stored(const ClientAddress& client) {
    HubEffects fx;
    std::vector<ConnectionId> ids;
    for (auto [it, end] = m_by_client.equal_range(client); it != end; ++it) ids.push_back(it->second);
    for (ConnectionId id : ids) {
        auto c = m_connections.find(id);
        if (c != m_connections.end() && !c->second.closing) pump(id, c->second, fx);
    }
    return fx;
}

HubEffects ClientHub::on_store_reply(StoreReply reply, UnixSeconds now) {
    HubEffects fx;
    if (auto* fetched = std::get_if<FetchReply>(&reply)) {
        auto it = m_connections.find(fetched->id);
        if (it == m_connections.end()) return fx;
        delivered(fetched->id, it->second, std::move(*fetched), fx);
        return fx;
    }
    auto& handshake = std::get<HandshakeReply>(reply);
    auto it = m_connections.find(handshake.id);
    if (it == m_connections.end() || it->second.closing) return fx; // gone meanwhile: the session with it
    Connection& c = it->second;
    c.session = std::move(handshake.session);
    perform(handshake.id, c, std::move(handshake.output), now, fx);
    // What the client sent meanwhile, in order (unless the session went to the store again).
    while (!c.closing && c.session && !c.queued.empty()) {
        const Bytes frame = std::move(c.queued.front());
        c.queued.pop_front();
        handle(handshake.id, c, frame, now, fx);
    }
    return fx;
}

void ClientHub::perform(ConnectionId id, Connection& c, SessionOutput out, UnixSeconds now, HubEffects& fx) {
    bool ready = false;
    bool acked = false;
    for (Action& action : out.actions) {
        if (std::holds_alternative<ClientReady>(action)) {
            ready = true;
        } else if (auto* packet = std::get_if<ForwardPacket>(&action)) {
            forward(id, c, *packet, now, fx);
        } else if (auto* del = std::get_if<DeleteMessages>(&action)) {
            fx.deletes.push_back(std::move(*del));
            acked = true;
        }
        // StoreSharedKey, RecordAuthentication: run_store_request() stored them before this output came back.
    }
    for (auto& reply : out.replies) fx.frames.emplace_back(id, std::move(reply));
    if (out.close) {
        // Replies alongside a close are the gateway's Error: the client broke the protocol. A close
        // with no reply is the client's own Error message.
        if (!out.replies.empty()) {
            m_counters.client_errors.fetch_add(1, std::memory_order_relaxed);
            m_counters.drop(DropReason::client_protocol);
        }
        fx.closes.emplace_back(id, std::move(*out.close));
        c.closing = true;
        c.queued.clear();
        detach(id, c);
        return;
    }
    if (ready && c.session->client()) {
        c.last_sent = 0;
        if (!c.counted) {
            c.counted = true;
            m_counters.clients_connected.fetch_add(1, std::memory_order_relaxed);
            m_by_client.emplace(*c.session->client(), id);
        }
        pump(id, c, fx);
    } else if (acked) {
        pump(id, c, fx); // the Ack freed window slots
    }
}

void ClientHub::forward(ConnectionId id, Connection& c, ForwardPacket& packet, UnixSeconds now, HubEffects& fx) {
    // Only layer-1 mix nodes of the directory's topology: anything else would have the gateway
    // connect wherever a client points it. The session stays open (an honest client with a newer
    // topology than ours sends its next packet fine), and the refusal asks for an early refresh.
    if (!m_first_hops.allowed(packet.first_hop, now)) {
        m_counters.drop(DropReason::unknown_first_hop);
        m_first_hops.request_refresh();
        fx.frames.emplace_back(id, c.session->frame_for(wg::Message{wg::make_error(
                                       wg::ErrorCode::invalid_packet, "first hop is not a layer-1 mix node")}));
        return;
    }
    m_counters.packets_from_clients.fetch_add(1, std::memory_order_relaxed);
    if (const auto& client = c.session->client()) {
        auto counters = m_client_counters.find(*client);
        if (counters == m_client_counters.end() && m_client_counters.size() < m_config.max_tracked_clients)
            counters = m_client_counters.emplace(*client, ClientCounters{}).first;
        if (counters != m_client_counters.end()) ++counters->second.packets_sent;
    }
    auto framed = wire::encode_frame(packet.packet);
    auto cleared = framed ? m_first_hops.clear(packet.first_hop, std::move(*framed), now) : std::nullopt;
    if (!cleared) {
        m_counters.drop(DropReason::malformed);
        return;
    }
    fx.forwards.push_back(std::move(*cleared));
}

void ClientHub::close_with(ConnectionId id, Connection& c, SessionOutput out, HubEffects& fx) {
    for (auto& reply : out.replies) fx.frames.emplace_back(id, std::move(reply));
    fx.closes.emplace_back(id, out.close.value_or(CloseReason{CloseReason::By::gateway, wg::ErrorCode::internal_error,
                                                              "internal error"}));
    c.closing = true;
    c.queued.clear();
    detach(id, c);
}

void ClientHub::pump(ConnectionId id, Connection& c, HubEffects& fx) {
    if (c.closing || !c.session || c.session->state() != ClientSession::State::authenticated ||
        !c.session->client())
        return;
    if (c.fetching) {
        c.fetch_again = true;
        return;
    }
    const std::size_t unacknowledged = c.session->unacknowledged();
    if (unacknowledged >= m_config.delivery_window) return;
    const std::size_t limit = std::min(m_config.delivery_window - unacknowledged, m_config.retrieval_limit);
    fx.store.emplace_back(FetchRequest{id, *c.session->client(), c.last_sent, limit});
    c.fetching = true;
    c.fetch_again = false;
}

void ClientHub::delivered(ConnectionId id, Connection& c, FetchReply reply, HubEffects& fx) {
    c.fetching = false;
    if (c.closing || !c.session) return;
    if (!reply.messages) {
        close_with(id, c, c.session->action_failed("the message store is unavailable"), fx);
        return;
    }
    for (const StoredMessage& m : *reply.messages) {
        c.last_sent = std::max(c.last_sent, m.id);
        auto frame = c.session->deliver(m.id, m.content);
        if (!frame) continue;
        fx.frames.emplace_back(id, std::move(*frame));
        m_counters.delivered.fetch_add(1, std::memory_order_relaxed);
    }
    // A full batch may have more behind it; an Ack or a commit meanwhile may have made room or news.
    if (reply.messages->size() >= reply.limit || c.fetch_again) pump(id, c, fx);
}

void ClientHub::detach(ConnectionId id, Connection& c) {
    if (!c.counted) return;
    c.counted = false;
    m_counters.clients_connected.fetch_sub(1, std::memory_order_relaxed);
    if (!c.session || !c.session->client()) return;
    for (auto [it, end] = m_by_client.equal_range(*c.session->client()); it != end; ++it) {
        if (it->second == id) {
            m_by_client.erase(it);
            return;
        }
    }
}

} // namespace nym::gateway
