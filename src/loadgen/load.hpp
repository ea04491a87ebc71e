#pragma once
// The load generator's engine: a pool of pre-built Sphinx packets, a sink that plays the next hop,
// an open-loop paced sender, and the statistics of one run ("step") at a fixed offered rate.
//
// Every packet has the 2-hop route [mix node, sink] with zero delays. The sink never decrypts: the
// node's output for packet i starts with the second hop's α, which the sender already knows from
// deriving the key material (HopKeyMaterial[1].alpha), so the first 32 bytes of each arriving frame
// identify the packet and its send time.
//
// Plain POSIX sockets and threads: the tool measures the node's networking, so it must not share it.

#include <crypto/x25519.hpp>
#include <sphinx/node_address.hpp>
#include <util/expected.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace nym::loadgen {

using Clock = std::chrono::steady_clock;
using Alpha = std::array<std::uint8_t, 32>;

/// Nanoseconds on the steady clock (0 means "not yet").
[[nodiscard]] std::int64_t now_ns() noexcept;

/// A TCP endpoint on which the mix node listens.
struct TargetAddress {
    std::string ip; ///< numeric IPv4, e.g. 127.0.0.1
    std::uint16_t port = 0;
};

/// Frames (3-byte header ‖ regular 2413-byte packet) stored back to back, so a burst of consecutive
/// packets leaves in one send(); and, per packet, the α the node will forward it with.
class PacketPool {
public:
    static constexpr std::size_t FRAME_SIZE = 3 + 2413;

    PacketPool(crypto::X25519PublicKey node_key, sphinx::IpEndpoint sink) : m_node_key(node_key), m_sink(sink) {}

    /// Builds packets until size() >= count, on `threads` threads. Not while a Sink is attached.
    [[nodiscard]] Expected<void> grow_to(std::size_t count, unsigned threads);

    [[nodiscard]] std::size_t size() const noexcept { return m_alphas.size(); }
    [[nodiscard]] const std::uint8_t* frame(std::size_t i) const noexcept { return m_frames.data() + i * FRAME_SIZE; }
    /// The index of the packet whose forwarded form starts with `alpha`, or -1.
    [[nodiscard]] std::int64_t lookup(const std::uint8_t* alpha) const;

private:
    crypto::X25519PublicKey m_node_key;
    sphinx::IpEndpoint m_sink;
    std::vector<std::uint8_t> m_frames;
    std::vector<Alpha> m_alphas;
    std::unordered_map<std::uint64_t, std::uint32_t> m_index; // first 8 bytes of α → packet
};

/// Per-packet timestamps of the current step (indices into the pool).
struct Timeline {
    std::vector<std::int64_t> sent;                        ///< written by the sender thread
    std::unique_ptr<std::atomic<std::int64_t>[]> received; ///< written by sink threads
    std::size_t capacity = 0;
    /// The step's packets: arrivals outside [first, end) are stale (an earlier, overloaded step's
    /// packets still leaving an attached node) and only counted as unmatched.
    std::size_t first = 0;
    std::size_t end = 0;

    void reset(std::size_t count);
};

/// Listens on loopback as the node's next hop; one reader thread per connection.
class Sink {
public:
    Sink() = default;
    ~Sink();
    Sink(const Sink&) = delete;
    Sink& operator=(const Sink&) = delete;

    /// Binds 127.0.0.1:port (0 = any) and starts accepting.
    [[nodiscard]] Expected<std::uint16_t> start(std::uint16_t port);
    void stop();

    /// Where to record arrivals; nullptr = nowhere. Blocks until no reader uses the previous ones,
    /// so the caller may destroy or grow them once this returns with nullptr.
    void attach(const PacketPool* pool, Timeline* timeline);
    [[nodiscard]] std::uint64_t matched() const noexcept { return m_matched.load(); }
    [[nodiscard]] std::uint64_t unmatched() const noexcept { return m_unmatched.load(); }
    [[nodiscard]] std::uint64_t duplicates() const noexcept { return m_duplicates.load(); }
    [[nodiscard]] std::uint64_t bad_frames() const noexcept { return m_bad_frames.load(); }
    [[nodiscard]] int open_connections() const noexcept { return m_open.load(); }
    void reset_counters() noexcept;

private:
    void accept_loop();
    void read_loop(int fd);

    int m_listen_fd = -1;
    std::atomic<bool> m_stopping{false};
    std::thread m_acceptor;
    std::vector<std::thread> m_readers;
    std::mutex m_readers_mutex;
    std::shared_mutex m_attach_mutex;
    const PacketPool* m_pool = nullptr;
    Timeline* m_timeline = nullptr;
    std::atomic<std::uint64_t> m_matched{0};
    std::atomic<std::uint64_t> m_unmatched{0};
    std::atomic<std::uint64_t> m_duplicates{0};
    std::atomic<std::uint64_t> m_bad_frames{0};
    std::atomic<int> m_open{0};
};

struct StepOptions {
    double rate = 1000;                       ///< packets per second offered
    std::chrono::milliseconds warmup{1000};   ///< sent but not measured
    std::chrono::milliseconds duration{3000}; ///< the measured window
    std::chrono::milliseconds drain{2000};    ///< how long to wait for stragglers after the last send
    std::chrono::milliseconds stall{500};     ///< ...but no longer than this once arrivals stop
    unsigned connections = 1;
    std::size_t first_packet = 0; ///< pool index of the step's first packet
    /// Called on the sender thread when the measured window opens and when it closes (e.g. to
    /// snapshot the node's CPU time).
    std::function<void()> on_window_start;
    std::function<void()> on_window_end;
};

struct Percentiles {
    double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0, mean = 0; ///< microseconds
};

struct StepResult {
    double offered_rate = 0;       ///< packets/s asked for
    double send_rate = 0;          ///< packets/s the sender achieved over the measured window
    double throughput = 0;         ///< packets/s arriving at the sink during the measured window
    std::uint64_t sent = 0;        ///< measured packets sent
    std::uint64_t received = 0;    ///< of those, received (any time before the drain ended)
    double loss = 0;               ///< 1 - received / sent
    Percentiles latency;           ///< receive − send of the measured packets that arrived
    double sender_late_p99_us = 0; ///< how late the sender was against its schedule (p99)
    std::uint64_t unmatched = 0;   ///< frames at the sink that were none of ours
    std::size_t packets_used = 0;  ///< pool packets consumed (warm-up included)
    std::string error;             ///< non-empty when the step could not run
};

/// Sends packets [first_packet, first_packet + rate × (warmup + duration)) to the target at the
/// offered rate and collects their arrivals at the sink. The pool must already hold them.
[[nodiscard]] StepResult run_step(const TargetAddress& target, PacketPool& pool, Sink& sink,
                                  const StepOptions& options);

/// Packets a step at `options` consumes.
[[nodiscard]] std::size_t packets_needed(const StepOptions& options) noexcept;

/// The in-process reference: Sphinx forward-hop processing (verify + finish, as bench_sphinx's
/// sphinx_process_hop, including its copy of the packet) on this thread for `seconds`, a regular
/// 2-hop packet under a key of our own. Packets per second.
struct PureRate {
    double rate = 0;           ///< hops per second
    double us_per_hop = 0;     ///< 1e6 / rate (wall clock)
    double cpu_us_per_hop = 0; ///< this thread's CPU time per hop: what the node's CPU per packet is compared with
    double work_cpu_us_per_hop = 0; ///< paced only: the CPU inside the hop itself, without the sleep and wake-up
    std::uint64_t iterations = 0;
};
[[nodiscard]] PureRate measure_pure_rate(std::chrono::milliseconds duration);

/// The same hop, but one every 1/rate seconds with the thread asleep in between (as a node's threads
/// are when packets arrive one at a time): the CPU per hop then also holds one wake-up and whatever
/// the caches lost while other processes ran. `rate` and `cpu_us_per_hop` as above.
[[nodiscard]] PureRate measure_paced_hop(double rate, std::chrono::milliseconds duration);

/// What this machine charges for moving one frame between two sleeping threads, the part of a
/// forwarded packet's cost that no data path avoids when packets arrive one at a time: a sender
/// thread writes one frame every 1/rate seconds over a loopback TCP connection to a receiver thread
/// that waits for it in epoll_wait, each pinned to its own CPU when there are two (as the node and
/// its neighbours are at half load). A node at that rate is woken once per packet (the receiver's
/// cost) and wakes its next hop once per packet (the sender's cost).
struct WakeFloor {
    double rate = 0;                  ///< frames per second
    double receiver_cpu_us = 0;       ///< receiver thread CPU per frame: epoll_wait's sleep and wake-up, and the read
    double sender_cpu_us = 0;         ///< sender thread CPU per frame in send(): loopback delivery and the wake-up
    Percentiles wake_latency;         ///< send → the receiver has read the frame, µs
    std::uint64_t frames = 0;
    std::string error;                ///< non-empty when the measurement could not run
};
[[nodiscard]] WakeFloor measure_wake_floor(double rate, std::chrono::milliseconds duration);

} // namespace nym::loadgen
