#include <gateway/store_health.hpp>

namespace nym::gateway {

StoreHealth::StoreHealth(GatewayCounters& counters)
    : m_counters(counters),
      m_logs{node::FailureLog("message store commit"), node::FailureLog("message store delete (retried)"),
             node::FailureLog("message store expiry"), node::FailureLog("message store fetch"),
             node::FailureLog("message store handshake"), node::FailureLog("message store client list")} {}

void StoreHealth::failed(StoreOperation operation, std::string_view why) {
    m_counters.store_failures.fetch_add(1, std::memory_order_relaxed);
    m_logs[static_cast<std::size_t>(operation)].failed(why);
}

void StoreHealth::succeeded(StoreOperation operation) { m_logs[static_cast<std::size_t>(operation)].succeeded(); }

} // namespace nym::gateway
