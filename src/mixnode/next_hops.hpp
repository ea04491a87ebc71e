#pragma once
// Which next hops a mix node forwards to: the nodes of the layer after its own in the current
// topology — layer-L mix nodes forward to layer L+1, layer 3 to the gateways. Anything else a
// packet names (a bogus address, a node of another layer, a node that left long ago) is refused and
// counted as mixnet::DropReason::unknown_next_hop, so packets cannot make the node open connections
// to, or keep queues for, arbitrary addresses.
//
// A node that leaves the topology stays allowed for a grace period (a late heartbeat at the
// directory must not drop the packets already on their way to it), as the gateway's first hops do.
// Until the first topology is applied nothing is allowed. Sans-IO: topologies and time come in as
// values; single owner (the daemon's I/O thread).

#include <mixnode/packet.hpp>

#include <chrono>
#include <cstddef>
#include <map>
#include <mixnet/egress.hpp>
#include <vector>
#include <wire/directory.hpp>

namespace nym::mixnode {

inline constexpr std::chrono::seconds DEFAULT_NEXT_HOP_GRACE{60};

class NextHops {
public:
    explicit NextHops(int layer, std::chrono::seconds grace = DEFAULT_NEXT_HOP_GRACE)
        : m_layer(layer), m_grace(grace) {}

    /// The next layer's nodes in `topology` (hosts that are not "ip:port" are skipped).
    [[nodiscard]] static std::vector<sphinx::IpEndpoint> next_layer(const wire::directory::Topology& topology,
                                                                    int layer);

    /// Applies a topology fetched at `now`: its next-layer nodes are current; nodes no longer listed
    /// stay allowed for the grace period from `now`, then are forgotten.
    void update(const wire::directory::Topology& topology, TimePoint now);
    /// True when `hop` is a current next-layer node or left at most `grace` before `now`.
    [[nodiscard]] bool allowed(const sphinx::IpEndpoint& hop, TimePoint now) const;
    /// Whether a topology was ever applied.
    [[nodiscard]] bool known() const noexcept { return m_known; }
    /// Current nodes plus those in their grace period.
    [[nodiscard]] std::size_t size() const noexcept { return m_nodes.size(); }

private:
    struct Entry {
        bool current = true;
        TimePoint left_at{}; ///< when it stopped being listed (meaningful when !current)
    };
    int m_layer;
    std::chrono::seconds m_grace;
    std::map<sphinx::IpEndpoint, Entry, mixnet::EndpointLess> m_nodes;
    bool m_known = false;
};

} // namespace nym::mixnode
