#pragma once
// The gateway's counters and its /api/stats document (docs/protocol/gateway.md "Stats").
//
// Counters are atomics: the I/O thread (mix port, client sessions) and the store serial (final hop,
// commits, deletions) both bump them, and /api/stats reads them on the I/O thread.

#include <gateway/client_registry.hpp>
#include <gateway/final_hop.hpp>

#include <mixnet/drop_reason.hpp>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace nym::gateway {

using mixnet::DropReason;

/// The drop reasons a gateway reports, in the order and with the names of the "dropped" object of
/// /api/stats. A subset of mixnet::DropReason: a gateway never drops for the mix node's reasons
/// (final_hop, invalid_next_address, unknown_next_hop, delay_queue_full), and it calls a packet it
/// cannot use "invalid_packet" (mixnet::DropReason::malformed).
struct GatewayDropReason {
    DropReason reason;
    std::string_view name;
};
inline constexpr std::array<GatewayDropReason, 11> GATEWAY_DROP_REASONS{{
    {DropReason::bad_mac, "bad_mac"},                     // mix port: header MAC does not verify
    {DropReason::replayed, "replayed"},                   // mix port: replay tag seen before
    {DropReason::malformed, "invalid_packet"},            // mix port: size, α, payload or ack prefix unusable
    {DropReason::forward_hop, "forward_hop"},             // mix port: routed onwards (a gateway is the last hop)
    {DropReason::unknown_client, "unknown_client"},       // mix port: destination is not a registered client
    {DropReason::over_quota, "over_quota"},               // mix port: the client's quota is full
    {DropReason::storage_error, "storage_error"},         // mix port: the database failed
    {DropReason::ingress_overflow, "ingress_overflow"},   // mix port: the store's queue was full
    {DropReason::egress_overflow, "egress_overflow"},     // a first hop's outgoing queue was full
    {DropReason::client_protocol, "client_protocol"},     // client websocket: a frame the session refused
    {DropReason::unknown_first_hop, "unknown_first_hop"}, // a packet or SURB-ack for a node not in layer 1
}};

[[nodiscard]] DropReason drop_reason_for(FinalHopOutcome outcome) noexcept;

struct GatewayCounters {
    std::atomic<std::uint64_t> packets_from_clients{0}; ///< SendPacket frames accepted from clients
    std::atomic<std::uint64_t> packets_forwarded{0};    ///< frames written to first hops (client packets + acks)
    std::atomic<std::uint64_t> acks_forwarded{0};       ///< of which SURB-acks
    std::atomic<std::uint64_t> packets_received{0};     ///< frames received on the mix port
    std::atomic<std::uint64_t> stored{0};               ///< messages committed to the store
    std::atomic<std::uint64_t> delivered{0};            ///< Deliver frames sent to clients
    std::atomic<std::uint64_t> acked{0};                ///< messages deleted after a client's Ack
    std::atomic<std::uint64_t> expired{0};              ///< messages deleted for age
    std::atomic<std::uint64_t> framing_errors{0};       ///< mix connections closed on a framing error
    std::atomic<std::uint64_t> client_errors{0};        ///< client connections closed on a protocol error
    std::atomic<std::uint64_t> clients_connected{0};    ///< currently authenticated connections
    std::atomic<std::uint64_t> store_failures{0};       ///< failed message-store operations (StoreHealth)
    std::atomic<std::uint64_t> low_space_refusals{0};   ///< messages not stored: below the free-space reserve
    std::atomic<std::uint64_t> auth_timeouts{0};        ///< client connections closed for not authenticating in time
    std::atomic<std::uint64_t> connections_refused{0};  ///< client connections refused: too many from one IP
    std::atomic<std::uint64_t> registrations_refused{0}; ///< RegisterRequests over the rate limit
    std::atomic<std::uint64_t> registrations_expired{0}; ///< registrations deleted, never used (no authentication)
    std::array<std::atomic<std::uint64_t>, mixnet::DROP_REASON_COUNT> dropped{};

    void drop(DropReason reason, std::uint64_t n = 1) noexcept {
        dropped[static_cast<std::size_t>(reason)].fetch_add(n, std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t dropped_by(DropReason reason) const noexcept {
        return dropped[static_cast<std::size_t>(reason)].load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t dropped_total() const noexcept;
};

/// Orders client addresses (their key bytes) for maps.
struct AddressOrder {
    bool operator()(const ClientAddress& a, const ClientAddress& b) const noexcept { return a.bytes < b.bytes; }
};

/// Per-client counters kept by the hub (I/O thread).
struct ClientCounters {
    std::uint64_t packets_sent = 0; ///< SendPacket frames from this client (real and cover traffic alike)
};
using ClientCounterMap = std::map<ClientAddress, ClientCounters, AddressOrder>;

/// The /api/stats JSON document of the admin listener (docs/protocol/gateway.md "Stats"): every
/// counter, and per-client detail under "clients" (keyed by the clients' identities).
[[nodiscard]] std::string stats_json(const GatewayCounters& counters, const ClientCounterMap& clients);
/// The /api/stats document of the public client port: the same counters, aggregate only (no
/// "clients": nobody may learn from it who uses this gateway).
[[nodiscard]] std::string public_stats_json(const GatewayCounters& counters);

} // namespace nym::gateway
