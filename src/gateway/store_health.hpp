#pragma once
// "A store failure is never silent" (docs/protocol/gateway.md "Durability and shutdown"): every
// failed operation of the message store is counted (store_failures in /api/stats) and logged with
// SQLite's words for it — the first of a streak as a warning, the rest at debug, the recovery once
// (node::FailureLog). Used on the gateway's store serial only.

#include <gateway/counters.hpp>

#include <node/logging.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace nym::gateway {

enum class StoreOperation : std::uint8_t {
    commit,       ///< a batch of final-hop messages (a database failure or the free-space reserve)
    delete_acked, ///< acknowledged messages (retried)
    expire,       ///< the expiry sweep
    fetch,        ///< messages for a connected client
    handshake,    ///< a registration or authentication's lookup or write
    list_clients, ///< the registered clients for the heartbeat
    count_,
};

class StoreHealth {
public:
    explicit StoreHealth(GatewayCounters& counters);

    void failed(StoreOperation operation, std::string_view why);
    void succeeded(StoreOperation operation);

private:
    static constexpr std::size_t COUNT = static_cast<std::size_t>(StoreOperation::count_);
    GatewayCounters& m_counters;
    std::array<node::FailureLog, COUNT> m_logs;
};

} // namespace nym::gateway
