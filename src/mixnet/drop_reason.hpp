#pragma once
// Why a mixnet node (mix node or gateway) dropped a packet or frame: one vocabulary for both, so
// their logs, metrics and stats endpoints speak the same words. Each role reports the subset that
// can happen to it (e.g. a mix node never drops for "unknown_client").

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace nym::mixnet {

enum class DropReason : std::uint8_t {
    malformed = 0,        ///< not a usable Sphinx packet (size, α, routing flag, payload)
    bad_mac,              ///< header MAC does not verify under our key
    replayed,             ///< replay tag seen before (or a Bloom false positive)
    final_hop,            ///< a mix node got a packet whose header ends here (a gateway's role)
    forward_hop,          ///< a gateway got a packet routed onwards (it is always the last hop)
    invalid_next_address, ///< the next hop's 32 bytes are not a node address
    unknown_next_hop,     ///< the next hop is not a node of the next layer of the current topology
    unknown_first_hop,    ///< a gateway was asked to send to a node that is not in layer 1
    unknown_client,       ///< a gateway's destination is not a registered client
    over_quota,           ///< the client's store quota is full
    storage_error,        ///< the message store failed
    ingress_overflow,     ///< the bounded queue in front of the Sphinx/store work was full
    delay_queue_full,     ///< the delay queue was full
    egress_overflow,      ///< a next hop's bounded queue was full, or too many next hops
    client_protocol,      ///< a client frame the session refused
    count_,
};
inline constexpr std::size_t DROP_REASON_COUNT = static_cast<std::size_t>(DropReason::count_);

/// The snake_case name used in logs, metrics and JSON ("bad_mac").
[[nodiscard]] std::string_view to_string(DropReason reason) noexcept;

/// Plain (single-owner) counters per reason.
struct DropCounts {
    std::array<std::uint64_t, DROP_REASON_COUNT> counts{};

    void add(DropReason reason, std::uint64_t n = 1) noexcept { counts[static_cast<std::size_t>(reason)] += n; }
    [[nodiscard]] std::uint64_t of(DropReason reason) const noexcept {
        return counts[static_cast<std::size_t>(reason)];
    }
    [[nodiscard]] std::uint64_t total() const noexcept;
    DropCounts& operator+=(const DropCounts& other) noexcept;
    /// `later - earlier` per reason (interval deltas of monotone totals).
    [[nodiscard]] friend DropCounts operator-(const DropCounts& later, const DropCounts& earlier) noexcept {
        DropCounts out;
        for (std::size_t i = 0; i < DROP_REASON_COUNT; ++i) out.counts[i] = later.counts[i] - earlier.counts[i];
        return out;
    }
};

} // namespace nym::mixnet
