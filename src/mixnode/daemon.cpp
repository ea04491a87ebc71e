#include <mixnode/daemon.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <node/net.hpp>
#include <utility>
#include <wire/framing.hpp>

namespace nym::mixnode {
namespace {

runtime::TcpOptions mix_port_options(const Config& config) {
    runtime::TcpOptions options;
    options.inbound_idle_timeout = config.inbound_idle_timeout;
    options.max_inbound_connections = static_cast<std::size_t>(config.max_inbound_connections);
    options.max_inbound_per_ip = static_cast<std::size_t>(config.max_inbound_per_ip);
    options.write_on_wake = true; // a lone forwarded packet leaves at once, without waking the writer
    return options;
}

} // namespace

Daemon::Daemon(runtime::Loop& loop, Config config, const NodeKeys& keys, ReplayState state, crypto::Rng& rng)
    : m_loop(loop), m_config(std::move(config)), m_recovered(state.recovered),
      m_node(m_config, keys, std::move(state), rng), m_tcp(loop, mix_port_options(m_config)), m_delay_timer(loop),
      m_jobs(std::make_unique<Job[]>(MAX_WORKER_BACKLOG)),
      m_workers(std::max<std::uint32_t>(loop.worker_threads(), 1)) {
    m_free_jobs.reserve(MAX_WORKER_BACKLOG);
    for (std::uint32_t i = MAX_WORKER_BACKLOG; i > 0; --i) m_free_jobs.push_back(i - 1);
    m_batch.reserve(MAX_WORKER_BACKLOG);
    loop.on_shutdown(runtime::ShutdownStage::finish, [this] {
        if (save_state()) { // a clean stop: the next start may trust the saved filters
            std::error_code ignored;
            std::filesystem::remove(running_marker(m_config.replay_state_file), ignored);
        }
        log_totals();
    });
}

Expected<std::uint16_t, std::string> Daemon::start() {
    auto url = node::parse_directory_url(m_config.directory_url);
    if (!url) return Unexpected(url.error().message);

    runtime::InboundHandlers inbound;
    inbound.on_data = [this](runtime::ConnectionId id, std::span<const std::uint8_t> bytes) {
        return on_data(id, bytes);
    };
    inbound.on_closed = [this](runtime::ConnectionId id) {
        if (auto it = m_readers.find(id); it != m_readers.end()) {
            it->second.release(m_pool);
            m_readers.erase(it);
        }
        flush_wakes(); // the input that held them back is gone
    };
    const auto port = static_cast<std::uint16_t>(m_config.listen_port);
    auto bound = m_tcp.listen(m_config.listen_host, port, std::move(inbound));
    if (!bound)
        return Unexpected("cannot listen on " + m_config.listen_host + ":" + std::to_string(port) + ": " +
                          bound.error().message());

    runtime::OutboundHandlers outbound;
    outbound.next = [this](const runtime::PeerAddress& peer) { return m_node.next_frame(endpoint_of(peer)); };
    outbound.on_written = [this](const runtime::PeerAddress& peer) {
        m_node.on_written(endpoint_of(peer), Clock::now());
    };
    outbound.on_write_failed = [this](const runtime::PeerAddress& peer, std::vector<std::uint8_t> frame) {
        m_node.on_write_failed(endpoint_of(peer), std::move(frame));
    };
    outbound.recycle = [this](std::vector<std::uint8_t> frame) { m_pool.release(std::move(frame)); };
    m_tcp.set_outbound(std::move(outbound));

    m_announce = node::host_port(m_config.announce_host, *bound);
    m_directory.emplace(m_loop, *url, m_config.directory_url);
    spdlog::info("mix node '{}' (layer {}) listening on {}:{}, {} worker thread(s), max delay {} ms, directory {}",
                 m_config.id, m_config.layer, m_config.listen_host, *bound, m_loop.worker_threads(),
                 m_config.max_delay.count(), m_config.directory_url);

    if (m_recovered)
        spdlog::warn("the node did not stop cleanly last time: its replay filter may miss packets it forwarded "
                     "since it was last saved, so its Sphinx keys were rotated twice (packets for them are refused)");
    if (const int rotations = m_node.catch_up(node::unix_seconds()); rotations != 0) {
        spdlog::info("key epoch {} (rotated {} time(s) for the time the node was stopped)", m_node.keys()->epoch,
                     rotations);
        save_state();
    }
    heartbeat(); // announce at once (the keys may have rotated above), then every interval
    m_loop.every(m_config.heartbeat_interval, [this] { heartbeat(); });
    m_loop.every(m_config.metrics_interval, [this] { report_interval(); });
    schedule_rotation();
    fetch_topology();
    m_loop.every(std::min(m_config.heartbeat_interval, MAX_TOPOLOGY_INTERVAL), [this] { fetch_topology(); });
    m_loop.every(EVICTION_INTERVAL, [this] { evict_neighbours(); });
    return *bound;
}

bool Daemon::on_data(runtime::ConnectionId id, std::span<const std::uint8_t> bytes) {
    auto& reader = m_readers[id];
    auto fed = reader.feed(bytes, m_pool, [this](std::vector<std::uint8_t>&& frame, sphinx::PacketSize size) {
        // Bounded ingress: a flood faster than the workers can unwrap is dropped and counted here,
        // never queued without limit.
        if (m_free_jobs.empty()) {
            m_node.on_ingress_overflow();
            m_pool.release(std::move(frame));
            return;
        }
        const std::uint32_t slot = m_free_jobs.back();
        m_free_jobs.pop_back();
        Job& job = m_jobs[slot];
        job.frame = std::move(frame);
        job.size = size;
        m_batch.push_back(slot);
    });
    // What was read before an error goes on too.
    if (m_workers == 1) {
        unwrap_here(id);
    } else if (!unwrap_inline()) {
        submit();
    }
    collect(); // awake anyway: take what the workers have finished
    if (!fed) {
        m_node.on_framing_error();
        spdlog::debug("connection {}: framing error ({}), closing", id, fed.error().message());
        return false;
    }
    return true;
}

void Daemon::unwrap_here(runtime::ConnectionId id) {
    // One Sphinx thread: this thread unwraps every frame it reads, so no packet crosses threads,
    // nothing waits for a wake-up, and a saturated node goes from one read to the next without
    // sleeping (docs/performance.md, "One Sphinx thread").
    // Writes are gathered only while the node is behind: a forwarded frame waits if at least
    // HOLD_BACKLOG_FRAMES more are to be unwrapped after it (in this read, or already waiting on the
    // connection, whose next on_data() follows at once; on_closed flushes too), up to
    // MAX_DEFERRED_FRAMES; otherwise it leaves at once with whatever waited. What goes to one
    // neighbour then leaves in one gathered write, waking the next hop once per burst.
    for (std::size_t i = 0; i < m_batch.size(); ++i) {
        const std::uint32_t slot = m_batch[i];
        const auto now = Clock::now();
        Job& job = m_jobs[slot];
        job.decision = m_node.unwrap_frame(job.frame, job.size, now);
        if (auto hop = finish(slot, now)) m_deferred_wakes.push_back(*hop);
        if (m_deferred_wakes.empty()) {
            m_deferred_frames = 0;
            continue;
        }
        ++m_deferred_frames;
        if (m_deferred_frames >= MAX_DEFERRED_FRAMES || !behind(id, m_batch.size() - i - 1)) flush_wakes();
    }
    m_batch.clear();
    arm_delay_timer();
    maybe_refresh_topology();
}

bool Daemon::behind(runtime::ConnectionId id, std::size_t frames_left_in_read) const {
    if (frames_left_in_read >= HOLD_BACKLOG_FRAMES) return true;
    const std::size_t waiting = (HOLD_BACKLOG_FRAMES - frames_left_in_read) * REGULAR_FRAME_BYTES;
    return m_tcp.readable_bytes(id) >= waiting;
}

void Daemon::flush_wakes() {
    m_deferred_frames = 0;
    for (const auto& hop : m_deferred_wakes) wake(hop);
    m_deferred_wakes.clear();
}

bool Daemon::unwrap_inline() {
    // One frame and every worker idle: waking a worker and being woken for its result would cost
    // more than the unwrap itself saves this thread (docs/performance.md), so it is done here. The
    // I/O thread then counts as one of the m_workers Sphinx threads.
    if (m_batch.size() != 1 || m_queued.load(std::memory_order_seq_cst) > 0) return false;
    std::uint32_t idle = 0;
    if (!m_draining.compare_exchange_strong(idle, 1, std::memory_order_seq_cst)) return false;
    const std::uint32_t slot = m_batch.front();
    m_batch.clear();
    Job& job = m_jobs[slot];
    const auto now = Clock::now();
    job.decision = m_node.unwrap_frame(job.frame, job.size, now);
    m_draining.fetch_sub(1, std::memory_order_seq_cst);
    if (auto hop = finish(slot, now)) wake(*hop);
    arm_delay_timer();
    maybe_refresh_topology();
    return true;
}

void Daemon::submit() {
    if (m_batch.empty()) return;
    for (const std::uint32_t slot : m_batch) {
        const bool pushed = m_input.try_push(slot);
        (void)pushed; // cannot fail: each of the MAX_WORKER_BACKLOG slots is in at most one queue
    }
    const auto count = static_cast<std::uint32_t>(m_batch.size());
    m_batch.clear();
    m_queued.fetch_add(count, std::memory_order_seq_cst);
    // Start workers for the new jobs, unless enough are draining already (they will see them).
    std::uint32_t draining = m_draining.load(std::memory_order_seq_cst);
    std::uint32_t started = 0;
    while (draining < m_workers && started < count) {
        if (!m_draining.compare_exchange_weak(draining, draining + 1, std::memory_order_seq_cst)) continue;
        ++started;
        ++draining;
        m_loop.post_work([this] { drain_work(); });
    }
}

void Daemon::drain_work() {
    for (;;) {
        std::uint32_t slot = 0;
        std::uint32_t held = 0; // results pushed since this worker last woke the I/O thread
        Clock::time_point first_held{};
        while (m_input.try_pop(slot)) {
            m_queued.fetch_sub(1, std::memory_order_relaxed);
            Job& job = m_jobs[slot];
            const auto now = Clock::now();
            job.decision = m_node.unwrap_frame(job.frame, job.size, now);
            const bool pushed = m_output.try_push(slot);
            (void)pushed; // cannot fail (see submit)
            if (held++ == 0) first_held = now;
            // Hand the results over when this worker is about to run dry, or has held them long
            // enough; otherwise the I/O thread picks them up when it next reads.
            if (m_queued.load(std::memory_order_relaxed) <= 0 || Clock::now() - first_held >= RESULT_FLUSH) {
                notify_results();
                held = 0;
            }
        }
        if (held != 0) notify_results();
        // Leave, unless work arrived after the queue looked empty and no other worker took it
        // (submit() saw this worker still draining and started none).
        m_draining.fetch_sub(1, std::memory_order_seq_cst);
        if (m_queued.load(std::memory_order_seq_cst) <= 0) return;
        std::uint32_t draining = m_draining.load(std::memory_order_seq_cst);
        do {
            if (draining >= m_workers) return;
        } while (!m_draining.compare_exchange_weak(draining, draining + 1, std::memory_order_seq_cst));
    }
}

void Daemon::notify_results() {
    if (m_collect_posted.exchange(true, std::memory_order_acq_rel)) return; // one is on its way
    m_loop.post([this] { collect(); });
}

void Daemon::collect() {
    // Cleared before taking: a result pushed from now on posts another collect().
    m_collect_posted.store(false, std::memory_order_release);
    const auto now = Clock::now();
    bool any = false;
    std::uint32_t slot = 0;
    while (m_output.try_pop(slot)) {
        any = true;
        if (auto hop = finish(slot, now)) wake(*hop);
    }
    if (!any) return;
    arm_delay_timer();
    maybe_refresh_topology();
}

std::optional<sphinx::IpEndpoint> Daemon::finish(std::uint32_t slot, TimePoint now) {
    Job& job = m_jobs[slot];
    auto hop = m_node.accept(std::move(job.decision), now);
    job.decision = Drop{DropReason::malformed}; // (moved from; a Forward's frame went with it)
    m_pool.release(std::move(job.frame));       // a dropped packet's buffer
    job.frame = {};
    m_free_jobs.push_back(slot);
    return hop;
}

void Daemon::wake(const sphinx::IpEndpoint& hop) {
    // The peer's address text is made once per neighbour, not per packet (no allocation here).
    auto it = m_peers.find(hop);
    if (it == m_peers.end()) {
        it = m_peers.emplace(hop, node::to_peer(hop)).first;
        m_endpoints.emplace(it->second, hop);
    }
    m_tcp.wake_peer(it->second);
}

void Daemon::arm_delay_timer() {
    const auto next = m_node.next_deadline();
    if (!next) return;
    // Rounded up to the grid: packets due within one step leave together, one wake-up for all.
    const auto step = std::chrono::duration_cast<Clock::duration>(DELAY_TIMER_RESOLUTION);
    const auto due = TimePoint((next->time_since_epoch() + step - Clock::duration(1)) / step * step);
    if (m_delay_timer.armed() && m_delay_timer.expiry() <= due) return;
    m_delay_timer.arm(due, [this] {
        for (const auto& hop : m_node.release_due(Clock::now())) wake(hop);
        arm_delay_timer();
        maybe_refresh_topology();
    });
}

void Daemon::fetch_topology() {
    if (m_fetching) return;
    m_fetching = true;
    m_last_fetch = Clock::now();
    m_directory->topology([this](Expected<wire::directory::Topology, node::DirectoryError> topology) {
        m_fetching = false;
        if (!topology) {
            m_node.topology_unavailable(); // the directory client has logged why
            return;
        }
        const bool first = !m_node.next_hops().known();
        for (const auto& hop : m_node.update_topology(*topology, Clock::now())) wake(hop);
        if (first) spdlog::info("topology received: {} next-layer node(s)", m_node.next_hops().size());
        maybe_refresh_topology();
    });
}

void Daemon::maybe_refresh_topology() {
    if (m_fetching || !m_node.take_refresh_request()) return;
    const auto due = m_last_fetch + TOPOLOGY_MIN_GAP;
    if (Clock::now() >= due) {
        fetch_topology();
        return;
    }
    m_loop.after(std::chrono::duration_cast<std::chrono::milliseconds>(due - Clock::now()) +
                     std::chrono::milliseconds(1),
                 [this] { fetch_topology(); });
}

void Daemon::evict_neighbours() {
    const auto now = Clock::now();
    for (const auto& hop : m_node.evict(now, now - NEIGHBOUR_IDLE_TIMEOUT, now - NEIGHBOUR_STALL_TIMEOUT)) {
        const auto peer = node::to_peer(hop);
        m_tcp.forget_peer(peer);
        m_endpoints.erase(peer);
        m_peers.erase(hop);
        spdlog::debug("neighbour {} evicted", hop.to_string());
    }
}

sphinx::IpEndpoint Daemon::endpoint_of(const runtime::PeerAddress& peer) const {
    auto it = m_endpoints.find(peer);
    return it == m_endpoints.end() ? sphinx::IpEndpoint{} : it->second;
}

void Daemon::heartbeat() {
    m_directory->announce(m_node.heartbeat(m_announce, node::unix_ms()));
}

void Daemon::report_interval() {
    const auto interval = m_node.take_interval();
    spdlog::debug(
        "interval: received {} forwarded {} dropped {} (bad mac {}, replayed {}, malformed {}) "
        "framing errors {} ingress drops {} sent {} delayed {} egress drops {} unknown next hops {} "
        "connections in {} out {}",
        interval.received, interval.forwarded, interval.processing_dropped(), interval.dropped_by(DropReason::bad_mac),
        interval.dropped_by(DropReason::replayed), interval.dropped_by(DropReason::malformed), interval.framing_errors,
        interval.ingress_dropped(), interval.sent_total(), m_node.delayed(), interval.egress_dropped(),
        interval.dropped_by(DropReason::unknown_next_hop), m_tcp.inbound_connections(), m_tcp.connected_peers());
    m_directory->report(m_node.metric(interval, node::unix_ms()));
}

void Daemon::schedule_rotation() {
    const auto wait = std::max<std::int64_t>(m_node.epoch_ends_unix() - node::unix_seconds(), 0);
    m_loop.after(std::chrono::seconds(wait) + std::chrono::milliseconds(10), [this] {
        if (node::unix_seconds() < m_node.epoch_ends_unix()) { // woke early (clock change): wait on
            schedule_rotation();
            return;
        }
        m_node.rotate_epoch(m_node.epoch_ends_unix());
        spdlog::info("key epoch {}: Sphinx key and replay filter rotated", m_node.keys()->epoch);
        save_state();
        heartbeat(); // the directory lists the new current key from now on
        schedule_rotation();
    });
}

bool Daemon::save_state() {
    auto saved = save_replay_state(m_config.replay_state_file, m_node.save_state());
    if (!saved) spdlog::error("cannot save the replay state: {}", saved.error().message());
    return saved.has_value();
}

void Daemon::log_totals() const {
    const auto totals = m_node.totals();
    spdlog::info("mix node '{}' stopped: received {} forwarded {} sent {} dropped {} framing errors {}", m_config.id,
                 totals.received, totals.forwarded, totals.sent_total(), totals.processing_dropped(),
                 totals.framing_errors);
}

} // namespace nym::mixnode
