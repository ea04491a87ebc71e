#include <directory/registry.hpp>

#include <algorithm>
#include <tuple>

namespace nym::directory {
namespace {

const std::string& host_of(const std::variant<wire::directory::MixnodeHeartbeat, wire::directory::GatewayHeartbeat>& hb) {
    return std::visit([](const auto& h) -> const std::string& { return h.host; }, hb);
}

const crypto::X25519PublicKey& sphinx_of(const std::variant<wire::directory::MixnodeHeartbeat, wire::directory::GatewayHeartbeat>& hb) {
    return std::visit([](const auto& h) -> const crypto::X25519PublicKey& { return h.sphinx_key; }, hb);
}

std::int64_t timestamp_of(const std::variant<wire::directory::MixnodeHeartbeat, wire::directory::GatewayHeartbeat>& hb) {
    return std::visit([](const auto& h) { return h.timestamp_ms; }, hb);
}

/// The IP literal of "ip:port" / "[v6]:port", or empty for a host name.
std::string ip_literal_of(const std::string& host) {
    const auto colon = host.rfind(':');
    std::string name = colon == std::string::npos ? host : host.substr(0, colon);
    if (name.size() >= 2 && name.front() == '[') return name.substr(1, name.size() - 2);
    const bool dotted = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= '0' && c <= '9') || c == '.';
    });
    return dotted ? name : std::string();
}

/// The sender address without an IPv4-mapped IPv6 prefix.
std::string_view plain_peer(std::string_view peer) {
    constexpr std::string_view MAPPED = "::ffff:";
    if (peer.starts_with(MAPPED) && peer.find('.') != std::string_view::npos) peer.remove_prefix(MAPPED.size());
    return peer;
}

} // namespace

PresenceRegistry::PresenceRegistry(RegistryConfig config) : m_config(config) {
    if (m_config.claim_hold < m_config.max_clock_skew) m_config.claim_hold = m_config.max_clock_skew;
    if (m_config.claim_hold < m_config.presence_timeout) m_config.claim_hold = m_config.presence_timeout;
}

Expected<void> PresenceRegistry::accept(const wire::directory::MixnodeHeartbeat& heartbeat, std::int64_t now_ms,
                                        std::string_view peer) {
    if (auto ok = wire::directory::verify(heartbeat); !ok) return ok;
    if (m_config.require_key_proof)
        if (auto ok = wire::directory::verify_key_proof(heartbeat); !ok) return ok;
    return admit(heartbeat, now_ms, peer);
}

Expected<void> PresenceRegistry::accept(const wire::directory::GatewayHeartbeat& heartbeat, std::int64_t now_ms,
                                        std::string_view peer) {
    if (auto ok = wire::directory::verify(heartbeat); !ok) return ok;
    if (m_config.require_key_proof)
        if (auto ok = wire::directory::verify_key_proof(heartbeat); !ok) return ok;
    return admit(heartbeat, now_ms, peer);
}

void PresenceRegistry::note_traffic(const crypto::Ed25519PublicKey& identity) {
    if (auto it = m_nodes.find(identity.bytes); it != m_nodes.end()) it->second.carried_traffic = true;
}

bool PresenceRegistry::established(const Node& node) const noexcept {
    return node.carried_traffic || node.last_seen_ms - node.first_seen_ms >= m_config.establish_time.count();
}

bool PresenceRegistry::allow_new_identity(std::string_view peer, std::int64_t now_ms) {
    if (peer.empty()) return true;
    // Forget peers whose window has passed, so the map stays bounded by the active senders.
    const auto window = m_config.identity_window.count();
    for (auto it = m_new_identities.begin(); it != m_new_identities.end();) {
        std::erase_if(it->second, [&](std::int64_t t) { return now_ms - t >= window; });
        it = it->second.empty() ? m_new_identities.erase(it) : std::next(it);
    }
    auto it = m_new_identities.find(peer);
    if (it != m_new_identities.end() && it->second.size() >= m_config.new_identities_per_window) return false;
    m_new_identities[std::string(peer)].push_back(now_ms);
    return true;
}

template <class Heartbeat>
Expected<void> PresenceRegistry::admit(const Heartbeat& heartbeat, std::int64_t now_ms, std::string_view peer) {
    const auto skew = heartbeat.timestamp_ms > now_ms ? heartbeat.timestamp_ms - now_ms : now_ms - heartbeat.timestamp_ms;
    if (skew > m_config.max_clock_skew.count()) return fail(Errc::clock_skew);
    expire(now_ms);

    if (m_config.host_must_match_sender && !peer.empty()) {
        const std::string ip = ip_literal_of(heartbeat.host);
        if (!ip.empty() && ip != plain_peer(peer)) return fail(Errc::foreign_host);
    }

    const IdentityBytes& identity = heartbeat.identity_key.bytes;
    auto existing = m_nodes.find(identity);
    if (existing != m_nodes.end()) {
        if (!std::holds_alternative<Heartbeat>(existing->second.heartbeat)) return fail(Errc::role_conflict);
        if (heartbeat.timestamp_ms <= timestamp_of(existing->second.heartbeat)) return fail(Errc::replayed);
    }
    if (auto holder = m_hosts.find(heartbeat.host); holder != m_hosts.end() && holder->second != identity)
        return fail(Errc::identity_conflict);
    if (auto holder = m_sphinx_keys.find(heartbeat.sphinx_key.bytes);
        holder != m_sphinx_keys.end() && holder->second != identity)
        return fail(Errc::identity_conflict);
    if (existing == m_nodes.end() && m_nodes.size() >= m_config.max_nodes) return fail(Errc::registry_full);
    if (existing == m_nodes.end() && !allow_new_identity(peer, now_ms)) return fail(Errc::rate_limited);

    if (existing != m_nodes.end()) {
        unindex(identity, existing->second);
        const std::int64_t first_seen = existing->second.first_seen_ms;
        const bool traffic = existing->second.carried_traffic;
        existing->second = Node{heartbeat, now_ms, first_seen, traffic};
    } else {
        m_nodes.emplace(identity, Node{heartbeat, now_ms, now_ms, false});
    }
    m_hosts[heartbeat.host] = identity;
    m_sphinx_keys[heartbeat.sphinx_key.bytes] = identity;
    return {};
}

void PresenceRegistry::unindex(const IdentityBytes& identity, const Node& node) {
    if (auto it = m_hosts.find(host_of(node.heartbeat)); it != m_hosts.end() && it->second == identity) m_hosts.erase(it);
    if (auto it = m_sphinx_keys.find(sphinx_of(node.heartbeat).bytes); it != m_sphinx_keys.end() && it->second == identity)
        m_sphinx_keys.erase(it);
}

void PresenceRegistry::expire(std::int64_t now_ms) {
    for (auto it = m_nodes.begin(); it != m_nodes.end();) {
        const auto hold = established(it->second) ? m_config.claim_hold : m_config.presence_timeout;
        if (now_ms - it->second.last_seen_ms > hold.count()) {
            unindex(it->first, it->second);
            it = m_nodes.erase(it);
        } else {
            ++it;
        }
    }
}

wire::directory::Topology PresenceRegistry::topology(std::int64_t now_ms) const {
    constexpr std::int64_t NS_PER_MS = 1'000'000;
    wire::directory::Topology topology;
    std::size_t clients_listed = 0;
    for (const auto& [identity, node] : m_nodes) {
        if (now_ms - node.last_seen_ms > m_config.presence_timeout.count()) continue;
        if (const auto* mix = std::get_if<wire::directory::MixnodeHeartbeat>(&node.heartbeat)) {
            topology.mix_nodes.push_back(wire::directory::TopologyMixNode{mix->host, mix->sphinx_key, mix->layer,
                                                               node.last_seen_ms * NS_PER_MS, mix->identity_key,
                                                               mix->version});
        } else if (const auto* gw = std::get_if<wire::directory::GatewayHeartbeat>(&node.heartbeat)) {
            const std::size_t n = std::min({gw->registered_clients.size(), m_config.topology_clients_per_gateway,
                                            m_config.topology_clients_total - clients_listed});
            clients_listed += n;
            std::vector<crypto::X25519PublicKey> clients(gw->registered_clients.begin(),
                                                         gw->registered_clients.begin() + static_cast<std::ptrdiff_t>(n));
            topology.gateways.push_back(wire::directory::TopologyGateway{gw->host, gw->sphinx_key, std::move(clients),
                                                              node.last_seen_ms * NS_PER_MS, gw->client_listener,
                                                              gw->identity_key, gw->version});
        }
    }
    std::sort(topology.mix_nodes.begin(), topology.mix_nodes.end(), [](const auto& a, const auto& b) {
        return std::tie(a.layer, a.host) < std::tie(b.layer, b.host);
    });
    std::sort(topology.gateways.begin(), topology.gateways.end(),
              [](const auto& a, const auto& b) { return a.host < b.host; });
    return topology;
}

std::optional<std::vector<crypto::X25519PublicKey>> PresenceRegistry::registered_clients(
    const crypto::Ed25519PublicKey& gateway, std::int64_t now_ms) const {
    auto it = m_nodes.find(gateway.bytes);
    if (it == m_nodes.end() || now_ms - it->second.last_seen_ms > m_config.presence_timeout.count()) return std::nullopt;
    const auto* gw = std::get_if<wire::directory::GatewayHeartbeat>(&it->second.heartbeat);
    if (gw == nullptr) return std::nullopt;
    return gw->registered_clients;
}

std::optional<crypto::Ed25519PublicKey> PresenceRegistry::mixnode_identity(const crypto::X25519PublicKey& sphinx_key) const {
    auto it = m_sphinx_keys.find(sphinx_key.bytes);
    if (it == m_sphinx_keys.end()) return std::nullopt;
    auto node = m_nodes.find(it->second);
    if (node == m_nodes.end() || !std::holds_alternative<wire::directory::MixnodeHeartbeat>(node->second.heartbeat))
        return std::nullopt;
    return crypto::Ed25519PublicKey{it->second};
}

} // namespace nym::directory
