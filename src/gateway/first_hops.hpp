#pragma once
// The rule "client packets and SURB-acks go only to layer-1 mix nodes of the topology"
// (docs/protocol/gateway.md "Running the gateway"). A client names the first hop of every packet it
// sends, and the sender of every stored message named the first hop of its SURB-ack; without this
// rule either could make the gateway open (and keep re-opening) a TCP connection to any address.
//
// FirstHops holds the layer-1 nodes of the directory's topology; a frame reaches the egress queues
// only as a ClearedFrame, which nothing but FirstHops::clear() makes. Single owner: the daemon's
// I/O thread (topology refreshes, client sessions and released acks all arrive there).

#include <gateway/ack_release.hpp>
#include <gateway/client_registry.hpp>

#include <mixnet/egress.hpp>
#include <sphinx/node_address.hpp>

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace nym::gateway {

/// How long a node that left the topology stays allowed: a directory blip (a late heartbeat, a
/// restart) must not drop traffic. Well above the directory's default presence timeout (10 s).
inline constexpr std::chrono::seconds DEFAULT_FIRST_HOP_GRACE{60};

/// A framed packet cleared for a layer-1 first hop: the only thing the gateway's egress takes.
class ClearedFrame {
public:
    [[nodiscard]] const sphinx::IpEndpoint& hop() const noexcept { return m_hop; }
    [[nodiscard]] const mixnet::Frame& frame() const noexcept { return m_frame; }
    [[nodiscard]] mixnet::Frame take_frame() && { return std::move(m_frame); }

private:
    friend class FirstHops;
    ClearedFrame(const sphinx::IpEndpoint& hop, mixnet::Frame frame) : m_hop(hop), m_frame(std::move(frame)) {}
    sphinx::IpEndpoint m_hop;
    mixnet::Frame m_frame;
};

/// The layer-1 mix nodes the gateway forwards to. Before the first update nothing is allowed.
class FirstHops {
public:
    explicit FirstHops(std::chrono::seconds grace = DEFAULT_FIRST_HOP_GRACE) : m_grace(grace) {}

    /// The current layer-1 nodes, as of `now`. Nodes no longer listed stay allowed for the grace
    /// period from `now`; nodes listed again are current again. Returns true on the first update.
    bool update(const std::vector<sphinx::IpEndpoint>& layer1, UnixSeconds now);
    /// True when `hop` is a current layer-1 node, or left the topology at most `grace` before `now`.
    [[nodiscard]] bool allowed(const sphinx::IpEndpoint& hop, UnixSeconds now) const;
    /// `frame` cleared for `hop` when allowed(hop, now); std::nullopt (refused) otherwise.
    [[nodiscard]] std::optional<ClearedFrame> clear(const sphinx::IpEndpoint& hop, mixnet::Frame frame,
                                                    UnixSeconds now) const;
    /// Whether any topology was ever applied.
    [[nodiscard]] bool known() const noexcept { return m_known; }
    /// Current nodes plus those in their grace period (tests, logs).
    [[nodiscard]] std::size_t size() const noexcept { return m_nodes.size(); }

    /// A hop was refused: ask for an early topology refresh (the client may have seen a newer
    /// topology than ours). take_refresh_request() returns and clears the request.
    void request_refresh() noexcept { m_refresh = true; }
    [[nodiscard]] bool take_refresh_request() noexcept { return std::exchange(m_refresh, false); }

private:
    struct Entry {
        bool current = true;
        UnixSeconds left_at{}; ///< when it stopped being listed (meaningful when !current)
    };
    std::chrono::seconds m_grace;
    std::map<sphinx::IpEndpoint, Entry, mixnet::EndpointLess> m_nodes;
    bool m_known = false;
    bool m_refresh = false;
};

/// The released SURB-acks that may leave, framed, and how many were refused (their first hop is not
/// a layer-1 node: counted as unknown_first_hop).
struct AdmittedAcks {
    std::vector<ClearedFrame> frames;
    std::size_t refused = 0;
};
[[nodiscard]] AdmittedAcks admit_acks(const ReleasedAcks& acks, const FirstHops& first_hops, UnixSeconds now);

} // namespace nym::gateway
