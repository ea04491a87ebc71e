#include <gateway/counters.hpp>

#include <crypto/base58.hpp>

namespace nym::gateway {

DropReason drop_reason_for(FinalHopOutcome outcome) noexcept {
    switch (outcome) {
    case FinalHopOutcome::bad_mac: return DropReason::bad_mac;
    case FinalHopOutcome::replayed: return DropReason::replayed;
    case FinalHopOutcome::forward_hop: return DropReason::forward_hop;
    case FinalHopOutcome::unknown_client: return DropReason::unknown_client;
    case FinalHopOutcome::over_quota: return DropReason::over_quota;
    case FinalHopOutcome::storage_error:
    case FinalHopOutcome::no_space: return DropReason::storage_error;
    case FinalHopOutcome::invalid_packet:
    case FinalHopOutcome::stored: break;
    }
    return DropReason::malformed;
}

std::uint64_t GatewayCounters::dropped_total() const noexcept {
    std::uint64_t total = 0;
    for (const auto& d : dropped) total += d.load(std::memory_order_relaxed);
    return total;
}

namespace {

/// `{"counter":n,...,"dropped":{...}` — the aggregate part of both documents, without the closing brace.
std::string counters_json(const GatewayCounters& c) {
    std::string out = "{";
    const auto field = [&out](std::string_view name, std::uint64_t value) {
        out += '"';
        out += name;
        out += "\":";
        out += std::to_string(value);
        out += ',';
    };
    const auto load = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
    field("packets_from_clients", load(c.packets_from_clients));
    field("packets_forwarded", load(c.packets_forwarded));
    field("acks_forwarded", load(c.acks_forwarded));
    field("packets_received", load(c.packets_received));
    field("stored", load(c.stored));
    field("delivered", load(c.delivered));
    field("acked", load(c.acked));
    field("expired", load(c.expired));
    field("framing_errors", load(c.framing_errors));
    field("client_errors", load(c.client_errors));
    field("clients_connected", load(c.clients_connected));
    field("store_failures", load(c.store_failures));
    field("low_space_refusals", load(c.low_space_refusals));
    field("auth_timeouts", load(c.auth_timeouts));
    field("connections_refused", load(c.connections_refused));
    field("registrations_refused", load(c.registrations_refused));
    field("registrations_expired", load(c.registrations_expired));
    field("dropped_total", c.dropped_total());
    out += "\"dropped\":{";
    bool first = true;
    for (const GatewayDropReason& r : GATEWAY_DROP_REASONS) {
        if (!first) out += ',';
        first = false;
        out += '"';
        out += r.name;
        out += "\":";
        out += std::to_string(c.dropped_by(r.reason));
    }
    out += '}';
    return out;
}

} // namespace

std::string public_stats_json(const GatewayCounters& c) { return counters_json(c) + '}'; }

std::string stats_json(const GatewayCounters& c, const ClientCounterMap& clients) {
    std::string out = counters_json(c);
    out += ",\"clients\":{";
    bool first = true;
    for (const auto& [address, counters] : clients) {
        if (!first) out += ',';
        first = false;
        // base58 has no characters that need escaping in JSON.
        out += '"';
        out += crypto::base58_encode(address.bytes);
        out += "\":{\"packets_sent\":";
        out += std::to_string(counters.packets_sent);
        out += '}';
    }
    out += "}}";
    return out;
}

} // namespace nym::gateway
