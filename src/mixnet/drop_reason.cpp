#include <mixnet/drop_reason.hpp>

namespace nym::mixnet {

std::string_view to_string(DropReason reason) noexcept {
    switch (reason) {
    case DropReason::malformed: return "malformed";
    case DropReason::bad_mac: return "bad_mac";
    case DropReason::replayed: return "replayed";
    case DropReason::final_hop: return "final_hop";
    case DropReason::forward_hop: return "forward_hop";
    case DropReason::invalid_next_address: return "invalid_next_address";
    case DropReason::unknown_next_hop: return "unknown_next_hop";
    case DropReason::unknown_first_hop: return "unknown_first_hop";
    case DropReason::unknown_client: return "unknown_client";
    case DropReason::over_quota: return "over_quota";
    case DropReason::storage_error: return "storage_error";
    case DropReason::ingress_overflow: return "ingress_overflow";
    case DropReason::delay_queue_full: return "delay_queue_full";
    case DropReason::egress_overflow: return "egress_overflow";
    case DropReason::client_protocol: return "client_protocol";
    case DropReason::count_: break;
    }
    return "unknown";
}

std::uint64_t DropCounts::total() const noexcept {
    std::uint64_t sum = 0;
    for (auto c : counts) sum += c;
    return sum;
}

DropCounts& DropCounts::operator+=(const DropCounts& other) noexcept {
    for (std::size_t i = 0; i < DROP_REASON_COUNT; ++i) counts[i] += other.counts[i];
    return *this;
}

} // namespace nym::mixnet
