#pragma once
// The running mix node (docs/protocol/framing.md "Running a node"): MixNode on a runtime::Loop.
//
//   mix port (TcpService, I/O thread) → FrameReader per connection: each frame copied once into a
//     pooled buffer (FramePool), every frame of one read handed on together
//     → Sphinx unwrap, in place: with one Sphinx thread (workers = 1, the default) on the I/O
//       thread itself, every frame of the read in turn (nothing crosses threads; the kernel's
//       socket buffers hold what the node has not read yet); with more, on the worker pool
//       (bounded: MAX_WORKER_BACKLOG frames in flight; overflow dropped and counted)
//     → back on the I/O thread, a batch at a time: MixNode::accept → delay queue (one Timer at its
//       next deadline, rounded up to DELAY_TIMER_RESOLUTION) → per-neighbour egress queues → one
//       outbound connection per neighbour, which writes what is queued with one gathered write and
//       gives the buffers back to the pool.
//   Hand-off, with several workers (docs/performance.md "Mix node throughput"): frames go to the
//   workers through a lock-free queue of job slots and results come back through another; a worker
//   is started (one
//   post_work) only when none is already draining, and the I/O thread is woken (one post) for a
//   batch of results, not per packet — at the latest when a worker runs out of input or has held a
//   result for RESULT_FLUSH. The I/O thread also collects results whenever it reads.
//   loop.every: presence heartbeats and per-interval metric reports (node::DirectoryClient), the
//   interval's debug log line, the topology (which next hops are allowed;
//   also fetched early, at most every TOPOLOGY_MIN_GAP, when a packet waits for it), and the
//   eviction of idle, unreachable or departed neighbours (their connections closed).
//   Key epochs (replay_state.hpp): at the end of each epoch (wall clock) the Sphinx keys and the
//   replay filters rotate, the state is saved and a heartbeat announces the new keys.
//   Shutdown (finish stage): the replay state is saved; the final counters.
//
// Every member is used on the loop's I/O thread, except the work queues, the job slots a worker
// holds, and MixNode::unwrap_frame (thread-safe), which run on workers.

#include <crypto/rng.hpp>
#include <mixnode/bounded_queue.hpp>
#include <mixnode/config.hpp>
#include <mixnode/frame_pool.hpp>
#include <mixnode/frame_reader.hpp>
#include <mixnode/node.hpp>
#include <mixnode/replay_state.hpp>
#include <runtime/loop.hpp>
#include <runtime/tcp.hpp>
#include <util/expected.hpp>
#include <wire/framing.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <node/directory_client.hpp>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace nym::mixnode {

/// Frames handed to the worker pool and not yet back on the I/O thread; beyond this, frames are
/// dropped (and counted as ingress_overflow) rather than queued without limit (each is at most
/// 33 KiB).
inline constexpr std::size_t MAX_WORKER_BACKLOG = 4096;
/// With one Sphinx thread, forwarded frames wait for a gathered write only while the node is behind:
/// at least this many frames are still to be unwrapped after them (in the same read, or already
/// waiting on the connection). A frame with less behind it leaves at once, so a packet that merely
/// arrives close behind another does not hold the first for its unwrap (~80 µs).
inline constexpr std::size_t HOLD_BACKLOG_FRAMES = 2;
/// ... and no more than this many wait (~1.3 ms of Sphinx work at 80 µs a hop).
inline constexpr std::size_t MAX_DEFERRED_FRAMES = 16;
/// What counts as one frame of waiting input: a regular packet's frame (the smallest but one).
inline constexpr std::size_t REGULAR_FRAME_BYTES =
    wire::FRAME_HEADER_SIZE + sphinx::packet_size(sphinx::PacketSize::regular);
/// A worker that keeps unwrapping hands its results back at least this often (and whenever its
/// input runs dry), so a long backlog does not hold finished packets.
inline constexpr std::chrono::microseconds RESULT_FLUSH{250};
/// The delay timer fires on this grid (at most once per step), releasing everything due by then:
/// a packet leaves at most this much after its release time (Nym's timer wheel has 1 ms too).
inline constexpr std::chrono::milliseconds DELAY_TIMER_RESOLUTION{1};
/// The topology is fetched every heartbeat interval, but at least this often...
inline constexpr std::chrono::milliseconds MAX_TOPOLOGY_INTERVAL{5000};
/// ...and, when packets wait for it, early but never twice within this gap.
inline constexpr std::chrono::milliseconds TOPOLOGY_MIN_GAP{250};
/// Neighbours with nothing queued and unused this long are disconnected and forgotten.
inline constexpr std::chrono::seconds NEIGHBOUR_IDLE_TIMEOUT{300};
/// Neighbours with frames queued but none written this long are unreachable: dropped, forgotten.
inline constexpr std::chrono::seconds NEIGHBOUR_STALL_TIMEOUT{60};
inline constexpr std::chrono::seconds EVICTION_INTERVAL{10};

class Daemon {
public:
    /// `config` is the merged, validated config (listen_port 0 = any free port); `state` the saved
    /// replay state (open_replay_state). `rng` salts the replay filters and makes the next keys; it
    /// must outlive the daemon. Destroy the daemon before `loop`.
    Daemon(runtime::Loop& loop, Config config, const NodeKeys& keys, ReplayState state, crypto::Rng& rng);
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    /// Binds the mix port and schedules the heartbeats, metric reports and replay-filter rotation.
    /// The bound port, or what went wrong in words for the operator (an unusable directory URL, a
    /// port that cannot be bound).
    [[nodiscard]] Expected<std::uint16_t, std::string> start();

    /// "host:port" announced to the directory (after start()).
    [[nodiscard]] const std::string& announced_address() const noexcept { return m_announce; }
    [[nodiscard]] const Config& config() const noexcept { return m_config; }
    [[nodiscard]] const MixNode& node() const noexcept { return m_node; }

private:
    /// One frame on its way through a worker (slots are reused; see m_jobs).
    struct Job {
        std::vector<std::uint8_t> frame; ///< a FramePool buffer; empty once a Forward took it
        sphinx::PacketSize size = sphinx::PacketSize::regular;
        Decision decision;
    };

    bool on_data(runtime::ConnectionId id, std::span<const std::uint8_t> bytes);
    /// With one Sphinx thread (workers = 1): unwraps every frame read (m_batch) from connection
    /// `id` on this thread.
    void unwrap_here(runtime::ConnectionId id);
    /// Whether at least HOLD_BACKLOG_FRAMES frames are still to be unwrapped after the current one:
    /// `frames_left_in_read` of this read, and what already waits on connection `id`.
    [[nodiscard]] bool behind(runtime::ConnectionId id, std::size_t frames_left_in_read) const;
    /// Wakes the neighbours unwrap_here() held back.
    void flush_wakes();
    /// Unwraps the one frame read (m_batch) on this thread when no worker is busy; false if not.
    bool unwrap_inline();
    /// Hands the frames read so far (m_batch) to the workers.
    void submit();
    /// I/O thread: carries a finished job's decision out and frees its slot; the neighbour to wake
    /// when its queue was empty until now (once per neighbour until its queue empties again).
    [[nodiscard]] std::optional<sphinx::IpEndpoint> finish(std::uint32_t slot, TimePoint now);
    /// A worker's task: unwraps jobs until the input queue is empty.
    void drain_work();
    /// Wakes the I/O thread for the results (one post until it has collected them).
    void notify_results();
    /// I/O thread: takes every finished job and carries its decision out.
    void collect();
    void wake(const sphinx::IpEndpoint& hop);
    void arm_delay_timer();
    [[nodiscard]] sphinx::IpEndpoint endpoint_of(const runtime::PeerAddress& peer) const;
    void heartbeat();
    void fetch_topology();
    void maybe_refresh_topology();
    void evict_neighbours();
    void report_interval();
    void log_totals() const;
    void schedule_rotation();
    bool save_state();

    runtime::Loop& m_loop;
    Config m_config;
    bool m_recovered; ///< the state was recovered after a crash (keys rotated twice)
    MixNode m_node;
    runtime::TcpService m_tcp;
    runtime::Timer m_delay_timer;
    std::optional<node::DirectoryClient> m_directory;
    std::string m_announce;
    std::map<runtime::ConnectionId, FrameReader> m_readers;
    struct EndpointLess {
        bool operator()(const sphinx::IpEndpoint& a, const sphinx::IpEndpoint& b) const noexcept {
            return std::tie(a.family, a.ip, a.port) < std::tie(b.family, b.ip, b.port);
        }
    };
    std::map<runtime::PeerAddress, sphinx::IpEndpoint> m_endpoints;
    std::map<sphinx::IpEndpoint, runtime::PeerAddress, EndpointLess> m_peers; ///< the same pairs, the other way
    FramePool m_pool;
    // The hand-off. A job slot belongs to the I/O thread while free or being filled, to the queue
    // while queued, to one worker while it unwraps it.
    std::unique_ptr<Job[]> m_jobs;          ///< MAX_WORKER_BACKLOG slots
    std::vector<std::uint32_t> m_free_jobs; ///< I/O thread
    std::vector<std::uint32_t> m_batch;     ///< filled, not yet submitted (I/O thread)
    BoundedQueue<std::uint32_t> m_input{MAX_WORKER_BACKLOG};
    BoundedQueue<std::uint32_t> m_output{MAX_WORKER_BACKLOG};
    std::atomic<std::int64_t> m_queued{0};     ///< jobs in m_input (may dip below 0 for a moment)
    std::atomic<std::uint32_t> m_draining{0};  ///< workers running drain_work()
    std::atomic<bool> m_collect_posted{false}; ///< a collect() is posted and has not begun
    std::uint32_t m_workers = 1;
    std::vector<sphinx::IpEndpoint> m_deferred_wakes; ///< neighbours to wake at the next flush_wakes()
    std::size_t m_deferred_frames = 0;                ///< frames unwrapped since the last flush_wakes()
    bool m_fetching = false;                          ///< a topology request is on its way
    Clock::time_point m_last_fetch{};
};

} // namespace nym::mixnode
