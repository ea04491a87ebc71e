#pragma once
// The running mix node (docs/protocol/framing.md "Running a node"): MixNode on a runtime::Loop.
//
//   mix port (TcpService, I/O thread) → frame decoder per connection
//     → Sphinx unwrap on the worker pool (bounded backlog; overflow dropped and counted)
//     → back on the I/O thread: MixNode::accept → delay queue (one Timer at its next deadline)
//     → per-neighbour egress queues → one outbound connection per neighbour.
//   loop.every: presence heartbeats and per-interval metric reports (node::DirectoryClient), the
//   interval's debug log line, the topology (which next hops are allowed;
//   also fetched early, at most every TOPOLOGY_MIN_GAP, when a packet waits for it), and the
//   eviction of idle, unreachable or departed neighbours (their connections closed).
//   Key epochs (replay_state.hpp): at the end of each epoch (wall clock) the Sphinx keys and the
//   replay filters rotate, the state is saved and a heartbeat announces the new keys.
//   Shutdown (finish stage): the replay state is saved; the final counters.
//
// Every member is used on the loop's I/O thread, except MixNode::unwrap (thread-safe) on workers.

#include <crypto/rng.hpp>
#include <mixnode/config.hpp>
#include <mixnode/node.hpp>
#include <mixnode/replay_state.hpp>
#include <runtime/loop.hpp>
#include <runtime/tcp.hpp>
#include <util/expected.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <node/directory_client.hpp>
#include <optional>
#include <string>
#include <wire/framing.hpp>

namespace nym::mixnode {

/// Frames handed to the worker pool and not yet unwrapped; beyond this, frames are dropped (and
/// counted as ingress_overflow) rather than queued without limit (each is at most 33 KiB).
inline constexpr std::size_t MAX_WORKER_BACKLOG = 4096;
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
    bool on_data(runtime::ConnectionId id, std::span<const std::uint8_t> bytes);
    void on_decision(Decision decision);
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
    std::map<runtime::ConnectionId, wire::FrameDecoder> m_decoders;
    std::map<runtime::PeerAddress, sphinx::IpEndpoint> m_endpoints;
    std::atomic<std::size_t> m_backlog{0}; ///< frames on the worker pool (workers decrement)
    bool m_fetching = false;               ///< a topology request is on its way
    Clock::time_point m_last_fetch{};
};

} // namespace nym::mixnode
