#pragma once
// The mix node's state machine, sans-IO (docs/protocol/framing.md "Running a node"): the pipeline
// Processor → DelayQueue → per-neighbour egress queues (mixnet::EgressQueues, framed at enqueue
// time) plus the node's counters, driven by the caller's event loop with time passed in. No
// sockets, no threads, no clock here.
//
// Threading: unwrap() is const and may run on any number of worker threads at once (the Processor's
// replay filter locks internally). Every other member belongs to the one event-loop thread.
//
//   worker:  decision = node.unwrap(frame, now)
//   loop:    if (auto hop = node.accept(decision, now)) wake(*hop);   // zero delay goes straight out
//            timer at node.next_deadline(): for (hop : node.release_due(now)) wake(hop);
//            connection to hop writable: while (auto bytes = node.next_frame(hop)) write(bytes);
// A neighbour is woken only when its queue goes from empty to non-empty: while it holds frames its
// connection is writing them (or reconnecting) and asks next_frame() again by itself.
//
// Next hops: only nodes of the next layer of the current topology (NextHops). A packet due for any
// other hop is held (at most MAX_HELD_PACKETS) and a topology refresh requested — the sender may
// know a node that joined after our last fetch; the next topology releases it or refuses it as
// unknown_next_hop, and so does a failed fetch. evict() hands back the neighbours to disconnect.

#include <crypto/rng.hpp>
#include <mixnet/egress.hpp>
#include <mixnode/config.hpp>
#include <mixnode/delay_queue.hpp>
#include <mixnode/next_hops.hpp>
#include <mixnode/processor.hpp>
#include <mixnode/replay_filter.hpp>
#include <mixnode/replay_state.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>
#include <wire/directory.hpp>
#include <wire/framing.hpp>

namespace nym::mixnode {

inline constexpr std::string_view NODE_VERSION = "0.1.0";
/// Packets waiting for a topology refresh because their next hop is not (yet) a known next-layer node.
inline constexpr std::size_t MAX_HELD_PACKETS = 1024;

class MixNode {
public:
    /// A node whose Sphinx key epoch 0 begins now with keys.sphinx and empty filters (tests). `rng`
    /// salts the replay filters and makes the next keys; it must outlive the node.
    MixNode(const Config& config, const NodeKeys& keys, crypto::Rng& rng);
    /// A node resuming from its saved replay state (keys.sphinx is then only the key of `init`).
    MixNode(const Config& config, const NodeKeys& keys, ReplayState state, crypto::Rng& rng);

    /// Sphinx processing of one frame (thread-safe).
    [[nodiscard]] Decision unwrap(wire::Frame frame, TimePoint now) const;
    /// The same on a whole frame's buffer, in place (thread-safe): Processor::process_frame.
    [[nodiscard]] Decision unwrap_frame(std::vector<std::uint8_t>& frame, sphinx::PacketSize size,
                                        TimePoint now) const {
        return m_processor.process_frame(frame, size, now);
    }

    /// Records a decision; a forward goes into the delay queue or, when already due, straight into
    /// its neighbour's egress queue. Returns that neighbour when it now has something to send.
    [[nodiscard]] std::optional<sphinx::IpEndpoint> accept(Decision decision, TimePoint now);
    /// Moves every due packet to its egress queue; the neighbours that received packets.
    [[nodiscard]] std::vector<sphinx::IpEndpoint> release_due(TimePoint now);
    [[nodiscard]] std::optional<TimePoint> next_deadline() const noexcept { return m_delay.next_deadline(); }

    /// The next framed packet for a neighbour, or std::nullopt when its queue is empty.
    [[nodiscard]] std::optional<std::vector<std::uint8_t>> next_frame(const sphinx::IpEndpoint& neighbour);
    /// The frame handed out last for this neighbour was written at `now`.
    void on_written(const sphinx::IpEndpoint& neighbour, TimePoint now);
    /// A frame could not be written: it goes back to the front of its queue (or is counted dropped).
    void on_write_failed(const sphinx::IpEndpoint& neighbour, std::vector<std::uint8_t> frame);
    /// A connection was closed on a framing error.
    void on_framing_error() noexcept { ++m_metrics.framing_errors; }
    /// A frame was refused because MAX_WORKER_BACKLOG frames were already waiting for the workers.
    void on_ingress_overflow() noexcept { m_metrics.dropped.add(DropReason::ingress_overflow); }
    /// The next key epoch begins at `now_unix`: the keys and the replay filters rotate together.
    void rotate_epoch(std::int64_t now_unix);
    /// Rotates as often as the epochs that ended by `now_unix` require (after a long stop; at most
    /// three times: then every key is new). How many rotations were made.
    int catch_up(std::int64_t now_unix);
    /// When the current key epoch ends (wall-clock seconds).
    [[nodiscard]] std::int64_t epoch_ends_unix() const;
    [[nodiscard]] std::shared_ptr<const EpochKeys> keys() const { return m_keys.snapshot(); }
    /// The replay state file's bytes (replay_state.hpp): the keys and both filters, now.
    [[nodiscard]] std::string save_state() const;

    /// A topology fetched at `now`: the next-layer nodes are updated and the held packets released
    /// (their neighbours returned, to be woken) or refused.
    [[nodiscard]] std::vector<sphinx::IpEndpoint> update_topology(const wire::directory::Topology& topology,
                                                                  TimePoint now);
    /// The topology could not be fetched: the held packets are refused.
    void topology_unavailable();
    /// True (once) when a packet was held since the last call: fetch the topology early.
    [[nodiscard]] bool take_refresh_request() noexcept { return std::exchange(m_refresh_wanted, false); }
    [[nodiscard]] std::size_t held() const noexcept { return m_held.size(); }
    [[nodiscard]] const NextHops& next_hops() const noexcept { return m_next_hops; }

    /// Forgets and returns the neighbours whose connections should close: idle ones (nothing queued,
    /// unused since `idle_before`), stalled ones (frames queued, none written since
    /// `stalled_before`: unreachable) and those no longer allowed at `now`. Queued frames of the
    /// last two are dropped (counted as egress drops).
    [[nodiscard]] std::vector<sphinx::IpEndpoint> evict(TimePoint now, TimePoint idle_before, TimePoint stalled_before);
    [[nodiscard]] std::size_t neighbours() const noexcept { return m_egress.hop_count(); }

    /// Counters since start, including the queues' drop counts.
    [[nodiscard]] Metrics totals() const;
    /// Counters since the previous call (for the per-interval metric report and log line).
    [[nodiscard]] Metrics take_interval();
    [[nodiscard]] std::size_t delayed() const noexcept { return m_delay.size(); }

    /// A signed presence heartbeat announcing `host` ("ip:port").
    [[nodiscard]] wire::directory::MixnodeHeartbeat heartbeat(std::string host, std::int64_t now_unix_ms) const;
    /// A signed metric report of one interval's counters.
    [[nodiscard]] wire::directory::MixMetric metric(const Metrics& interval, std::int64_t now_unix_ms) const;

private:
    /// Frames the packet into its neighbour's queue (or holds it, see above); the neighbour when it
    /// must be woken.
    [[nodiscard]] std::optional<sphinx::IpEndpoint> to_egress(ForwardPacket packet, TimePoint now);
    [[nodiscard]] std::optional<sphinx::IpEndpoint> enqueue(ForwardPacket packet, TimePoint now);

    Config m_config;
    crypto::Rng* m_rng;
    crypto::Ed25519SecretKey m_identity;
    crypto::Ed25519PublicKey m_identity_public;
    KeyRing m_keys;
    std::unique_ptr<ReplayFilter> m_replay;
    Processor m_processor;
    DelayQueue m_delay;
    mixnet::EgressQueues m_egress;
    NextHops m_next_hops;
    std::vector<ForwardPacket> m_held;
    bool m_refresh_wanted = false;
    /// Per neighbour: when its queue last went non-empty or a frame was written (stall detection).
    std::map<sphinx::IpEndpoint, TimePoint, mixnet::EndpointLess> m_progress;
    Metrics m_metrics;
    Metrics m_reported; // totals() at the previous take_interval()
};

/// `b - a` field by field (per-neighbour counts included); for interval deltas of monotone totals.
[[nodiscard]] Metrics difference(const Metrics& later, const Metrics& earlier);

} // namespace nym::mixnode
