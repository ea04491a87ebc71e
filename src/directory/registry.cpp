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

} // namespace

PresenceRegistry::PresenceRegistry(RegistryConfig config) : m_config(config) {
    if (m_config.claim_hold < m_config.max_clock_skew) m_config.claim_hold = m_config.max_clock_skew;
    if (m_config.claim_hold < m_config.presence_timeout) m_config.claim_hold = m_config.presence_timeout;
}

Expected<void> PresenceRegistry::accept(const wire::directory::MixnodeHeartbeat& heartbeat, std::int64_t now_ms) {
    if (auto ok = wire::directory::verify(heartbeat); !ok) return ok;
    return admit(heartbeat, now_ms);
}

Expected<void> PresenceRegistry::accept(const wire::directory::GatewayHeartbeat& heartbeat, std::int64_t now_ms) {
    if (auto ok = wire::directory::verify(heartbeat); !ok) return ok;
    return admit(heartbeat, now_ms);
}

template <class Heartbeat>
Expected<void> PresenceRegistry::admit(const Heartbeat& heartbeat, std::int64_t now_ms) {
    const auto skew = heartbeat.timestamp_ms > now_ms ? heartbeat.timestamp_ms - now_ms : now_ms - heartbeat.timestamp_ms;
    if (skew > m_config.max_clock_skew.count()) return fail(Errc::clock_skew);
    expire(now_ms);

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

    if (existing != m_nodes.end()) {
        unindex(identity, existing->second);
        existing->second = Node{heartbeat, now_ms};
    } else {
        m_nodes.emplace(identity, Node{heartbeat, now_ms});
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
        if (now_ms - it->second.last_seen_ms > m_config.claim_hold.count()) {
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
    for (const auto& [identity, node] : m_nodes) {
        if (now_ms - node.last_seen_ms > m_config.presence_timeout.count()) continue;
        if (const auto* mix = std::get_if<wire::directory::MixnodeHeartbeat>(&node.heartbeat)) {
            topology.mix_nodes.push_back(wire::directory::TopologyMixNode{mix->host, mix->sphinx_key, mix->layer,
                                                               node.last_seen_ms * NS_PER_MS, mix->identity_key,
                                                               mix->version});
        } else if (const auto* gw = std::get_if<wire::directory::GatewayHeartbeat>(&node.heartbeat)) {
            topology.gateways.push_back(wire::directory::TopologyGateway{gw->host, gw->sphinx_key, gw->registered_clients,
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

std::optional<crypto::Ed25519PublicKey> PresenceRegistry::mixnode_identity(const crypto::X25519PublicKey& sphinx_key) const {
    auto it = m_sphinx_keys.find(sphinx_key.bytes);
    if (it == m_sphinx_keys.end()) return std::nullopt;
    auto node = m_nodes.find(it->second);
    if (node == m_nodes.end() || !std::holds_alternative<wire::directory::MixnodeHeartbeat>(node->second.heartbeat))
        return std::nullopt;
    return crypto::Ed25519PublicKey{it->second};
}

} // namespace nym::directory
