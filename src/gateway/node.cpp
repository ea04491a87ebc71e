#include <gateway/node.hpp>

#include <crypto/base58.hpp>
#include <wire/framing.hpp>

#include <algorithm>
#include <utility>

namespace nym::gateway {

namespace wg = wire::gateway;

// --- counters ----------------------------------------------------------------------------------------

std::string_view to_string(DropReason reason) noexcept {
    switch (reason) {
    case DropReason::bad_mac: return "bad_mac";
    case DropReason::replayed: return "replayed";
    case DropReason::invalid_packet: return "invalid_packet";
    case DropReason::forward_hop: return "forward_hop";
    case DropReason::unknown_client: return "unknown_client";
    case DropReason::over_quota: return "over_quota";
    case DropReason::storage_error: return "storage_error";
    case DropReason::ingress_overflow: return "ingress_overflow";
    case DropReason::egress_overflow: return "egress_overflow";
    case DropReason::client_protocol: return "client_protocol";
    case DropReason::unknown_first_hop: return "unknown_first_hop";
    case DropReason::count_: break;
    }
    return "unknown";
}

DropReason drop_reason_for(FinalHopOutcome outcome) noexcept {
    switch (outcome) {
    case FinalHopOutcome::bad_mac: return DropReason::bad_mac;
    case FinalHopOutcome::replayed: return DropReason::replayed;
    case FinalHopOutcome::forward_hop: return DropReason::forward_hop;
    case FinalHopOutcome::unknown_client: return DropReason::unknown_client;
    case FinalHopOutcome::over_quota: return DropReason::over_quota;
    case FinalHopOutcome::storage_error: return DropReason::storage_error;
    case FinalHopOutcome::invalid_packet:
    case FinalHopOutcome::stored: break;
    }
    return DropReason::invalid_packet;
}

std::uint64_t GatewayCounters::dropped_total() const noexcept {
    std::uint64_t total = 0;
    for (const auto& d : dropped) total += d.load(std::memory_order_relaxed);
    return total;
}

std::string stats_json(const GatewayCounters& c, const std::map<ClientAddress, ClientCounters, AddressOrder>& clients) {
    std::string out = "{";
    const auto field = [&out](std::string_view name, std::uint64_t value) {
        out += '"';
        out += name;
        out += "\":";
        out += std::to_string(value);
        out += ',';
    };
    const auto load = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
    field("packets_from_clients", load(c.packets_from_clients));
    field("packets_forwarded", load(c.packets_forwarded));
    field("acks_forwarded", load(c.acks_forwarded));
    field("packets_received", load(c.packets_received));
    field("stored", load(c.stored));
    field("delivered", load(c.delivered));
    field("acked", load(c.acked));
    field("expired", load(c.expired));
    field("framing_errors", load(c.framing_errors));
    field("client_errors", load(c.client_errors));
    field("clients_connected", load(c.clients_connected));
    field("dropped_total", c.dropped_total());
    out += "\"dropped\":{";
    for (std::size_t i = 0; i < DROP_REASON_COUNT; ++i) {
        if (i != 0) out += ',';
        out += '"';
        out += to_string(static_cast<DropReason>(i));
        out += "\":";
        out += std::to_string(load(c.dropped[i]));
    }
    out += "},\"clients\":{";
    bool first = true;
    for (const auto& [address, counters] : clients) {
        if (!first) out += ',';
        first = false;
        // base58 has no characters that need escaping in JSON.
        out += '"';
        out += crypto::base58_encode(address.bytes);
        out += "\":{\"packets_sent\":";
        out += std::to_string(counters.packets_sent);
        out += '}';
    }
    out += "}}";
    return out;
}

// --- EgressQueues ------------------------------------------------------------------------------------

bool EndpointOrder::operator()(const sphinx::IpEndpoint& a, const sphinx::IpEndpoint& b) const noexcept {
    if (a.family != b.family) return a.family < b.family;
    if (a.ip != b.ip) return a.ip < b.ip;
    return a.port < b.port;
}

EgressQueues::EgressQueues(std::size_t queue_length, std::size_t max_hops)
    : m_queue_length(std::max<std::size_t>(1, queue_length)), m_max_hops(std::max<std::size_t>(1, max_hops)) {}

EgressQueues::Result EgressQueues::enqueue(const sphinx::IpEndpoint& hop, std::vector<std::uint8_t> frame) {
    std::lock_guard lock(m_mutex);
    auto it = m_queues.find(hop);
    if (it == m_queues.end()) {
        if (m_queues.size() >= m_max_hops) {
            ++m_dropped;
            return Result::dropped;
        }
        it = m_queues.emplace(hop, std::deque<std::vector<std::uint8_t>>{}).first;
    }
    auto& queue = it->second;
    if (queue.size() >= m_queue_length) {
        ++m_dropped;
        return Result::dropped;
    }
    const bool was_empty = queue.empty();
    queue.push_back(std::move(frame));
    return was_empty ? Result::queued_wake : Result::queued;
}

std::optional<std::vector<std::uint8_t>> EgressQueues::next(const sphinx::IpEndpoint& hop) {
    std::lock_guard lock(m_mutex);
    auto it = m_queues.find(hop);
    if (it == m_queues.end()) return std::nullopt;
    if (it->second.empty()) {
        // An idle hop gives its slot back, so the bound on distinct hops counts only busy ones.
        m_queues.erase(it);
        return std::nullopt;
    }
    std::vector<std::uint8_t> frame = std::move(it->second.front());
    it->second.pop_front();
    return frame;
}

void EgressQueues::requeue(const sphinx::IpEndpoint& hop, std::vector<std::uint8_t> frame) {
    std::lock_guard lock(m_mutex);
    auto it = m_queues.find(hop);
    if (it == m_queues.end()) {
        if (m_queues.size() >= m_max_hops) {
            ++m_dropped;
            return;
        }
        it = m_queues.emplace(hop, std::deque<std::vector<std::uint8_t>>{}).first;
    }
    if (it->second.size() >= m_queue_length) {
        ++m_dropped;
        return;
    }
    it->second.push_front(std::move(frame));
}

std::uint64_t EgressQueues::dropped() const {
    std::lock_guard lock(m_mutex);
    return m_dropped;
}

std::size_t EgressQueues::queued() const {
    std::lock_guard lock(m_mutex);
    std::size_t n = 0;
    for (const auto& [hop, queue] : m_queues) n += queue.size();
    return n;
}

// --- FirstHops ---------------------------------------------------------------------------------------

bool FirstHops::update(const std::vector<sphinx::IpEndpoint>& layer1, UnixSeconds now) {
    std::lock_guard lock(m_mutex);
    const std::set<sphinx::IpEndpoint, EndpointOrder> listed(layer1.begin(), layer1.end());
    for (auto it = m_nodes.begin(); it != m_nodes.end();) {
        Entry& e = it->second;
        if (listed.count(it->first) == 0) {
            if (e.current) {
                e.current = false;
                e.left_at = now;
            } else if (now - e.left_at > m_grace) {
                it = m_nodes.erase(it);
                continue;
            }
        }
        ++it;
    }
    for (const auto& hop : listed) m_nodes[hop] = Entry{};
    const bool first = !m_known;
    m_known = true;
    return first;
}

bool FirstHops::allowed(const sphinx::IpEndpoint& hop, UnixSeconds now) const {
    std::lock_guard lock(m_mutex);
    auto it = m_nodes.find(hop);
    if (it == m_nodes.end()) return false;
    return it->second.current || now - it->second.left_at <= m_grace;
}

bool FirstHops::known() const {
    std::lock_guard lock(m_mutex);
    return m_known;
}

std::size_t FirstHops::size() const {
    std::lock_guard lock(m_mutex);
    return m_nodes.size();
}

// --- StoreQueue --------------------------------------------------------------------------------------

StoreQueue::StoreQueue(std::size_t packet_limit, std::size_t max_batch)
    : m_packet_limit(packet_limit), m_max_batch(std::max<std::size_t>(1, max_batch)) {}

bool StoreQueue::push_packet(std::vector<std::uint8_t> packet) {
    {
        std::lock_guard lock(m_mutex);
        if (m_closed || m_packets.size() >= m_packet_limit) return false;
        m_packets.push_back(std::move(packet));
    }
    m_wake.notify_one();
    return true;
}

void StoreQueue::push_delete(DeleteMessages deletes) {
    {
        std::lock_guard lock(m_mutex);
        if (m_closed) return;
        m_deletes.push_back(std::move(deletes));
    }
    m_wake.notify_one();
}

StoreQueue::Work StoreQueue::take(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(m_mutex);
    m_wake.wait_until(lock, deadline, [this] { return m_closed || !m_packets.empty() || !m_deletes.empty(); });
    Work work;
    const std::size_t n = std::min(m_max_batch, m_packets.size());
    work.packets.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        work.packets.push_back(std::move(m_packets.front()));
        m_packets.pop_front();
    }
    work.deletes.swap(m_deletes);
    return work;
}

void StoreQueue::close() {
    {
        std::lock_guard lock(m_mutex);
        m_closed = true;
    }
    m_wake.notify_all();
}

bool StoreQueue::closed() const {
    std::lock_guard lock(m_mutex);
    return m_closed;
}

std::size_t StoreQueue::pending_packets() const {
    std::lock_guard lock(m_mutex);
    return m_packets.size();
}

// --- MixStage ----------------------------------------------------------------------------------------

MixStage::MixStage(const crypto::X25519SecretKey& sphinx_key, MessageStore& store, ReplayCache& replays,
                   GatewayCounters& counters)
    : m_store(store), m_counters(counters), m_final_hop(sphinx_key, store, replays) {}

StageOutput MixStage::process(StoreQueue::Work work, UnixSeconds now) {
    StageOutput out;
    if (!work.packets.empty()) {
        std::vector<std::span<std::uint8_t>> spans;
        spans.reserve(work.packets.size());
        for (auto& packet : work.packets) spans.emplace_back(packet);
        const std::vector<FinalHopResult> results = m_final_hop.process_batch(spans, now);
        // process_batch returned: every `stored` result below is committed, so its ack may go out.
        for (const FinalHopResult& r : results) {
            if (r.outcome != FinalHopOutcome::stored) {
                m_counters.drop(drop_reason_for(r.outcome));
                continue;
            }
            m_counters.stored.fetch_add(1, std::memory_order_relaxed);
            if (r.client) out.clients_with_new_messages.insert(*r.client);
            if (!r.ack) continue;
            auto hop = sphinx::decode_node_address(r.ack->first_hop);
            auto frame = wire::encode_frame(r.ack->packet);
            if (hop && frame) out.acks.push_back(OutboundFrame{*hop, std::move(*frame)});
        }
    }
    // One delete per client, however many Acks it sent since the last round.
    std::map<ClientAddress, std::vector<std::uint64_t>, AddressOrder> by_client;
    for (DeleteMessages& d : work.deletes) {
        auto& ids = by_client[d.client];
        ids.insert(ids.end(), d.ids.begin(), d.ids.end());
    }
    for (const auto& [client, ids] : by_client) {
        auto deleted = m_store.ack(client, ids);
        if (deleted) m_counters.acked.fetch_add(*deleted, std::memory_order_relaxed);
    }
    return out;
}

std::size_t MixStage::expire(UnixSeconds older_than) {
    auto n = m_store.expire(older_than);
    if (!n) return 0;
    m_counters.expired.fetch_add(*n, std::memory_order_relaxed);
    return *n;
}

// --- ClientHub ---------------------------------------------------------------------------------------

ClientHub::ClientHub(const crypto::Ed25519SecretKey& identity, MessageStore& store, NonceCache& nonces,
                     crypto::Rng& rng, GatewayCounters& counters, FirstHops& first_hops, HubConfig config)
    : m_identity(identity), m_store(store), m_nonces(nonces), m_rng(rng), m_counters(counters),
      m_first_hops(first_hops), m_config(config) {
    m_config.delivery_window = std::max<std::size_t>(1, m_config.delivery_window);
    m_config.retrieval_limit = std::max<std::size_t>(1, m_config.retrieval_limit);
}

void ClientHub::open(ConnectionId id) {
    m_connections.erase(id);
    m_connections.emplace(id, Connection(ClientSession(m_identity, m_store, m_nonces, m_rng, m_config.session)));
}

std::size_t ClientHub::in_flight(ConnectionId id) const {
    auto it = m_connections.find(id);
    return it == m_connections.end() ? 0 : it->second.session.unacknowledged();
}

HubEffects ClientHub::on_frame(ConnectionId id, ByteSpan frame, UnixSeconds now) {
    HubEffects fx;
    auto it = m_connections.find(id);
    if (it == m_connections.end() || it->second.closing) return fx;
    perform(id, it->second, it->second.session.on_frame(frame, now), now, fx);
    return fx;
}

HubEffects ClientHub::on_text(ConnectionId id) {
    HubEffects fx;
    auto it = m_connections.find(id);
    if (it == m_connections.end() || it->second.closing) return fx;
    const wg::ErrorMessage error =
        wg::make_error(wg::ErrorCode::malformed_message, "the gateway protocol uses binary frames only");
    fx.frames.emplace_back(id, wg::serialize(wg::Message{error}));
    fx.closes.emplace_back(id, CloseReason{error.code, error.text});
    m_counters.client_errors.fetch_add(1, std::memory_order_relaxed);
    m_counters.drop(DropReason::client_protocol);
    it->second.closing = true;
    detach(id, it->second);
    return fx;
}

void ClientHub::closed(ConnectionId id) {
    auto it = m_connections.find(id);
    if (it == m_connections.end()) return;
    detach(id, it->second);
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

void ClientHub::perform(ConnectionId id, Connection& c, SessionOutput out, UnixSeconds now, HubEffects& fx) {
    bool ready = false;
    bool acked = false;
    for (Action& action : out.actions) {
        if (auto* key = std::get_if<StoreSharedKey>(&action)) {
            if (!m_store.register_client(key->client)) {
                close_with(id, c, c.session.action_failed("the gateway could not store the registration"), fx);
                return;
            }
        } else if (std::holds_alternative<ClientReady>(action)) {
            ready = true;
        } else if (auto* forward = std::get_if<ForwardPacket>(&action)) {
            // Only layer-1 mix nodes from the directory's topology: anything else would have the
            // gateway connect wherever a client points it. The session stays open (an honest client
            // with a newer topology than ours sends its next packet fine), and the refusal asks for
            // an early topology refresh.
            auto named = sphinx::decode_node_address(forward->first_hop);
            if (named && !m_first_hops.allowed(*named, now)) {
                m_counters.drop(DropReason::unknown_first_hop);
                m_first_hops.request_refresh();
                fx.frames.emplace_back(
                    id, wg::serialize(wg::Message{wg::make_error(wg::ErrorCode::invalid_packet,
                                                                 "first hop is not a layer-1 mix node")}));
                continue;
            }
            m_counters.packets_from_clients.fetch_add(1, std::memory_order_relaxed);
            if (const auto& client = c.session.client()) {
                auto counters = m_client_counters.find(*client);
                if (counters == m_client_counters.end() && m_client_counters.size() < m_config.max_tracked_clients)
                    counters = m_client_counters.emplace(*client, ClientCounters{}).first;
                if (counters != m_client_counters.end()) ++counters->second.packets_sent;
            }
            auto hop = sphinx::decode_node_address(forward->first_hop);
            auto framed = wire::encode_frame(forward->packet);
            if (!hop || !framed) {
                m_counters.drop(DropReason::invalid_packet);
                continue;
            }
            fx.forwards.push_back(OutboundFrame{*hop, std::move(*framed)});
        } else if (auto* del = std::get_if<DeleteMessages>(&action)) {
            fx.deletes.push_back(std::move(*del));
            acked = true;
        }
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
        detach(id, c);
        return;
    }
    if (ready && c.session.client()) {
        c.last_sent = 0;
        if (!c.counted) {
            c.counted = true;
            m_counters.clients_connected.fetch_add(1, std::memory_order_relaxed);
            m_by_client.emplace(*c.session.client(), id);
        }
        pump(id, c, fx);
    } else if (acked) {
        pump(id, c, fx); // the Ack freed window slots
    }
}

void ClientHub::close_with(ConnectionId id, Connection& c, SessionOutput out, HubEffects& fx) {
    for (auto& reply : out.replies) fx.frames.emplace_back(id, std::move(reply));
    fx.closes.emplace_back(id, out.close.value_or(CloseReason{wg::ErrorCode::internal_error, "internal error"}));
    c.closing = true;
    detach(id, c);
}

void ClientHub::pump(ConnectionId id, Connection& c, HubEffects& fx) {
    if (c.closing || c.session.state() != ClientSession::State::authenticated || !c.session.client()) return;
    const ClientAddress client = *c.session.client();
    while (c.session.unacknowledged() < m_config.delivery_window) {
        const std::size_t limit =
            std::min(m_config.delivery_window - c.session.unacknowledged(), m_config.retrieval_limit);
        auto batch = m_store.fetch_batch(client, limit, c.last_sent);
        if (!batch) {
            close_with(id, c, c.session.action_failed("the message store is unavailable"), fx);
            return;
        }
        for (const StoredMessage& m : *batch) {
            c.last_sent = std::max(c.last_sent, m.id);
            auto frame = c.session.deliver(m.id, m.content);
            if (!frame) continue;
            fx.frames.emplace_back(id, std::move(*frame));
            m_counters.delivered.fetch_add(1, std::memory_order_relaxed);
        }
        if (batch->size() < limit) break;
    }
}

void ClientHub::detach(ConnectionId id, Connection& c) {
    if (!c.counted) return;
    c.counted = false;
    m_counters.clients_connected.fetch_sub(1, std::memory_order_relaxed);
    if (!c.session.client()) return;
    for (auto [it, end] = m_by_client.equal_range(*c.session.client()); it != end; ++it) {
        if (it->second == id) {
            m_by_client.erase(it);
            return;
        }
    }
}

} // namespace nym::gateway
