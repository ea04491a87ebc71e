#include <mixnode/next_hops.hpp>

#include <set>

namespace nym::mixnode {

std::vector<sphinx::IpEndpoint> NextHops::next_layer(const wire::directory::Topology& topology, int layer) {
    std::vector<sphinx::IpEndpoint> out;
    const auto add = [&out](const std::string& host) {
        if (auto endpoint = sphinx::IpEndpoint::parse(host)) out.push_back(*endpoint);
    };
    if (layer >= 3) {
        for (const auto& gateway : topology.gateways) add(gateway.host);
    } else {
        for (const auto& mix : topology.mix_nodes)
            if (mix.layer == layer + 1) add(mix.host);
    }
    return out;
}

void NextHops::update(const wire::directory::Topology& topology, TimePoint now) {
    const auto listed_hops = next_layer(topology, m_layer);
    const std::set<sphinx::IpEndpoint, mixnet::EndpointLess> listed(listed_hops.begin(), listed_hops.end());
    for (auto it = m_nodes.begin(); it != m_nodes.end();) {
        Entry& entry = it->second;
        if (listed.count(it->first) == 0) {
            if (entry.current) {
                entry.current = false;
                entry.left_at = now;
            } else if (now - entry.left_at > m_grace) {
                it = m_nodes.erase(it);
                continue;
            }
        }
        ++it;
    }
    for (const auto& hop : listed) m_nodes[hop] = Entry{};
    m_known = true;
}

bool NextHops::allowed(const sphinx::IpEndpoint& hop, TimePoint now) const {
    auto it = m_nodes.find(hop);
    if (it == m_nodes.end()) return false;
    return it->second.current || now - it->second.left_at <= m_grace;
}

} // namespace nym::mixnode
