#pragma once
// The mix node's per-packet decision, sans-IO (docs/protocol/framing.md "Pipeline", after nym-node's
// handle_received_nym_packet): one frame's packet bytes in, Forward or Drop out.
//
//   1. Sphinx stage 1: X25519 with the node's current key, HKDF, header MAC; a MAC that fails under
//      the current key is tried under the previous one (its grace epoch, replay_state.hpp); bad
//      under both → drop, nothing recorded.
//   2. Replay tag → replay filter (seen → drop). Only MAC-valid packets reach the filter, so garbage
//      cannot fill it.
//   3. Sphinx stage 2: decrypt the routing info, blind α, Lioness-decrypt the payload.
//   4. A final hop is a gateway's job: a mix node drops it. A forward hop's 32-byte next address
//      must decode as Nym's IPv4/IPv6 node address; the release time is now + min(delay, max_delay).
//
// Threading: Processor::process is const and may run on any number of worker threads at once. Its
// only shared mutable state is the ReplayFilter, which locks internally. Metrics are plain values:
// each worker keeps its own and the owner merges them (Metrics::operator+=).

#include <crypto/x25519.hpp>
#include <mixnet/drop_reason.hpp>
#include <mixnet/egress.hpp>
#include <mixnode/packet.hpp>
#include <mixnode/replay_filter.hpp>
#include <mixnode/replay_state.hpp>
#include <wire/framing.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string_view>
#include <variant>
#include <vector>

namespace nym::mixnode {

using mixnet::DropReason;

/// The reasons the processor itself drops a packet for (Drop::reason is one of these):
///   malformed            not processable: length, non-canonical or small-order α, bad routing flag
///   bad_mac              header MAC does not verify under our key (tampered, or built for another node)
///   replayed             replay tag already in the filter (or a Bloom false positive)
///   final_hop            the header says this node is the last hop: that is a gateway's role
///   invalid_next_address the next hop's 32 bytes are not a Nym IPv4/IPv6 node address
inline constexpr std::array<DropReason, 5> PROCESSING_DROP_REASONS = {
    DropReason::malformed, DropReason::bad_mac, DropReason::replayed, DropReason::final_hop,
    DropReason::invalid_next_address};

struct Forward {
    ForwardPacket packet;
    bool delay_clamped = false; ///< the header asked for more than max_delay
};
struct Drop {
    DropReason reason;
};
using Decision = std::variant<Forward, Drop>;

struct ProcessorConfig {
    std::chrono::nanoseconds max_delay = DEFAULT_MAX_DELAY;
};

class Processor {
public:
    /// One fixed key (a copy, wiped on destruction) and a reference to the shared filter.
    Processor(const crypto::X25519SecretKey& sphinx_key, ReplayFilter& replay_filter, ProcessorConfig config = {});
    /// The node's rotating keys (current, and previous during its grace epoch), shared.
    Processor(const KeyRing& keys, ReplayFilter& replay_filter, ProcessorConfig config = {});

    /// The data path: `frame` is a whole frame (header ‖ packet of `size`, as FrameReader delivers
    /// it). Its packet is rewritten in place into the next hop's; a Forward takes the buffer along
    /// (`frame` is left empty), a Drop leaves it with the caller, to reuse. Allocates nothing.
    [[nodiscard]] Decision process_frame(std::vector<std::uint8_t>& frame, sphinx::PacketSize size,
                                         TimePoint now) const;
    /// The same for a bare packet (copied into a new frame first: tests and tools); `size` is the
    /// frame's size tag.
    [[nodiscard]] Decision process(std::vector<std::uint8_t> packet, sphinx::PacketSize size, TimePoint now) const;
    [[nodiscard]] Decision process(wire::Frame frame, TimePoint now) const;

    [[nodiscard]] const ProcessorConfig& config() const noexcept { return m_config; }

private:
    std::unique_ptr<KeyRing> m_own_keys; // the fixed-key constructor's
    const KeyRing* m_keys;
    ReplayFilter* m_replay_filter;
    ProcessorConfig m_config;
};

/// Counters of one worker (or, merged, of the node). Nym's equivalents: nym-node-metrics mixnet.rs.
struct Metrics {
    std::uint64_t received = 0;           ///< packets given to the processor
    std::uint64_t forwarded = 0;          ///< Forward decisions
    std::uint64_t delay_clamped = 0;      ///< forwards whose delay was cut to max_delay
    /// Drops by reason: the processor's verdicts (PROCESSING_DROP_REASONS) and the refusals of the
    /// bounded stages — ingress_overflow (the worker pool's backlog was full), delay_queue_full,
    /// egress_overflow (a full per-neighbour queue, or the neighbour limit).
    mixnet::DropCounts dropped;
    std::uint64_t framing_errors = 0;     ///< connections closed on a framing error
    std::map<sphinx::IpEndpoint, std::uint64_t, mixnet::EndpointLess> sent; ///< packets written, per neighbour

    void record(const Decision& decision) noexcept;
    void record_sent(const sphinx::IpEndpoint& neighbour, std::uint64_t count = 1);
    [[nodiscard]] std::uint64_t dropped_by(DropReason reason) const noexcept { return dropped.of(reason); }
    /// Packets the processor dropped (the sum over PROCESSING_DROP_REASONS): received − forwarded.
    [[nodiscard]] std::uint64_t processing_dropped() const noexcept;
    [[nodiscard]] std::uint64_t ingress_dropped() const noexcept { return dropped.of(DropReason::ingress_overflow); }
    [[nodiscard]] std::uint64_t delay_queue_dropped() const noexcept {
        return dropped.of(DropReason::delay_queue_full);
    }
    [[nodiscard]] std::uint64_t egress_dropped() const noexcept { return dropped.of(DropReason::egress_overflow); }
    [[nodiscard]] std::uint64_t sent_total() const noexcept;
    Metrics& operator+=(const Metrics& other);
};

} // namespace nym::mixnode
