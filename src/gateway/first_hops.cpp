#include <gateway/first_hops.hpp>

#include <wire/framing.hpp>

#include <set>

namespace nym::gateway {

bool FirstHops::update(const std::vector<sphinx::IpEndpoint>& layer1, UnixSeconds now) {
    const std::set<sphinx::IpEndpoint, mixnet::EndpointLess> listed(layer1.begin(), layer1.end());
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
    auto it = m_nodes.find(hop);
    if (it == m_nodes.end()) return false;
    return it->second.current || now - it->second.left_at <= m_grace;
}

std::optional<ClearedFrame> FirstHops::clear(const sphinx::IpEndpoint& hop, mixnet::Frame frame, UnixSeconds now) const {
    if (!allowed(hop, now)) return std::nullopt;
    return ClearedFrame(hop, std::move(frame));
}

AdmittedAcks admit_acks(const ReleasedAcks& acks, const FirstHops& first_hops, UnixSeconds now) {
    AdmittedAcks out;
    out.frames.reserve(acks.size());
    for (const HeldAck& ack : acks.acks()) {
        auto framed = wire::encode_frame(ack.packet);
        auto cleared = framed ? first_hops.clear(ack.first_hop, std::move(*framed), now) : std::nullopt;
        if (!cleared) {
            ++out.refused;
            continue;
        }
        out.frames.push_back(std::move(*cleared));
    }
    return out;
}

} // namespace nym::gateway
