// ClientCore: the topology, routes and node health (docs/protocol/client.md "Routes", "Avoiding failed nodes").
#include <client/core_impl.hpp>

namespace nym::client {

bool ClientCore::Impl::routable() const {
    return own_gateway.has_value() &&
           std::all_of(layers.begin(), layers.end(), [](const auto& layer) { return !layer.empty(); });
}

bool ClientCore::Impl::avoided(const sphinx::NodeAddress& node, TimePoint now) const {
    auto it = health.find(node);
    return it != health.end() && it->second.avoid_until > now;
}

std::optional<std::array<sphinx::RouteNode, MIX_LAYERS>> ClientCore::Impl::choose_mixes(TimePoint now) {
    std::array<sphinx::RouteNode, MIX_LAYERS> chosen;
    for (std::size_t l = 0; l < MIX_LAYERS; ++l) {
        const auto& layer = layers[l];
        if (layer.empty()) return std::nullopt;
        std::size_t healthy = 0;
        for (const auto& node : layer)
            if (!avoided(node.address, now)) ++healthy;
        const bool any = healthy == 0;
        const std::size_t count = any ? layer.size() : healthy;
        std::size_t pick = static_cast<std::size_t>(rng.next_u64() % count);
        for (const auto& node : layer) {
            if (!any && avoided(node.address, now)) continue;
            if (pick-- == 0) {
                chosen[l] = node;
                break;
            }
        }
    }
    return chosen;
}

void ClientCore::Impl::strike(const RouteMixes& route, TimePoint now) {
    for (const auto& node : route) {
        NodeHealth& h = health[node];
        ++h.strikes;
        const bool recently_fine = h.last_success && now - *h.last_success < SUCCESS_MEMORY;
        if (h.strikes >= STRIKES_TO_AVOID && !recently_fine && h.avoid_until <= now) {
            h.ban(now);
            // On probation once the avoidance ends: one more timeout avoids it again, for longer.
            h.strikes = STRIKES_TO_AVOID - 1;
        }
    }
}

void ClientCore::Impl::credit(const RouteMixes& route, TimePoint now) {
    for (const auto& node : route) {
        NodeHealth& h = health[node];
        h.strikes = 0;
        h.bans = 0;
        h.last_success = now;
        h.avoid_until = TimePoint{};
    }
}

void ClientCore::set_topology(const wire::directory::Topology& topology, TimePoint now) {
    Impl& s = *m_impl;
    s.observe(now);
    for (auto& layer : s.layers) layer.clear();
    s.gateways.clear();
    s.client_gateways.clear();
    s.own_gateway.reset();
    std::unordered_map<sphinx::NodeAddress, NodeHealth, NodeAddressHash> health;
    auto keep_health = [&](const sphinx::NodeAddress& address) {
        if (auto it = s.health.find(address); it != s.health.end()) health.emplace(address, it->second);
    };
    for (const auto& mix : topology.mix_nodes) {
        if (mix.layer < wire::directory::MIN_LAYER || mix.layer > wire::directory::MAX_LAYER) continue;
        auto endpoint = sphinx::IpEndpoint::parse(mix.host);
        if (!endpoint) continue; // a node we could not address is no use in a route
        const sphinx::RouteNode node{sphinx::encode_node_address(*endpoint), mix.pub_key};
        s.layers[mix.layer - 1].push_back(node);
        keep_health(node.address);
    }
    for (const auto& gateway : topology.gateways) {
        auto endpoint = sphinx::IpEndpoint::parse(gateway.host);
        if (!endpoint) continue;
        const sphinx::RouteNode node{sphinx::encode_node_address(*endpoint), gateway.pub_key};
        s.gateways[gateway.identity_key] = node;
        // The registered clients' keys are their identities (the gateway's ClientAddress).
        for (const auto& client : gateway.registered_clients) {
            crypto::Ed25519PublicKey identity;
            std::copy(client.bytes.begin(), client.bytes.end(), identity.bytes.begin());
            s.client_gateways[identity] = gateway.identity_key;
        }
        if (gateway.identity_key == s.self.gateway) s.own_gateway = node;
    }
    s.health = std::move(health);
}

bool ClientCore::routable() const { return m_impl->routable(); }

Expected<MessageId> ClientCore::send(std::span<const std::uint8_t> message, const ParsedAddress& recipient,
                                     TimePoint now, std::size_t reply_surbs) {
    return m_impl->send(message, recipient, now, reply_surbs);
}

void ClientCore::mark_failed(const sphinx::NodeAddress& node, TimePoint now) {
    m_impl->observe(now);
    NodeHealth& h = m_impl->health[node];
    if (h.avoid_until <= now) h.ban(now);
    h.strikes = STRIKES_TO_AVOID - 1;
}

} // namespace nym::client
