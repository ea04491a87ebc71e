#include <mixnode/node.hpp>

#include <algorithm>
#include <utility>

namespace nym::mixnode {

MixNode::MixNode(const Config& config, const NodeKeys& keys, crypto::Rng& rng)
    : MixNode(config, keys,
              ReplayState{EpochKeys::first(keys.sphinx, 0, rng),
                          std::make_unique<ReplayFilter>(config.replay_filter_config(), rng)},
              rng) {}

MixNode::MixNode(const Config& config, const NodeKeys& keys, ReplayState state, crypto::Rng& rng)
    : m_config(config), m_rng(&rng), m_identity(crypto::Ed25519SecretKey::from_seed(keys.identity.seed())),
      m_identity_public(keys.identity_public), m_keys(std::move(state.keys)), m_replay(std::move(state.filter)),
      m_processor(m_keys, *m_replay, ProcessorConfig{config.max_delay}),
      m_delay(DelayQueueConfig{config.max_delay, DelayQueueConfig{}.capacity}),
      m_egress(static_cast<std::size_t>(config.egress_queue_length)), m_next_hops(config.layer) {}

Decision MixNode::unwrap(wire::Frame frame, TimePoint now) const {
    return m_processor.process(std::move(frame), now);
}

std::optional<sphinx::IpEndpoint> MixNode::accept(Decision decision, TimePoint now) {
    m_metrics.record(decision);
    auto* forward = std::get_if<Forward>(&decision);
    if (forward == nullptr) return std::nullopt;
    auto pushed = m_delay.push(std::move(forward->packet), now);
    if (pushed.admission != DelayQueue::Admission::due_now || !pushed.packet) return std::nullopt;
    return to_egress(std::move(*pushed.packet), now);
}

std::vector<sphinx::IpEndpoint> MixNode::release_due(TimePoint now) {
    std::vector<sphinx::IpEndpoint> woken;
    for (auto& packet : m_delay.pop_due(now)) {
        const auto hop = to_egress(std::move(packet), now);
        if (hop && std::find(woken.begin(), woken.end(), *hop) == woken.end()) woken.push_back(*hop);
    }
    return woken;
}

std::optional<sphinx::IpEndpoint> MixNode::to_egress(ForwardPacket packet, TimePoint now) {
    if (m_next_hops.allowed(packet.next_hop, now)) return enqueue(std::move(packet), now);
    if (m_held.size() >= MAX_HELD_PACKETS) {
        m_metrics.dropped.add(DropReason::unknown_next_hop);
        return std::nullopt;
    }
    m_held.push_back(std::move(packet));
    m_refresh_wanted = true;
    return std::nullopt;
}

std::optional<sphinx::IpEndpoint> MixNode::enqueue(ForwardPacket packet, TimePoint now) {
    // The frame is already framed (the buffer it arrived in): it moves into the queue as it is.
    if (m_egress.enqueue(packet.next_hop, std::move(packet.frame), now) !=
        mixnet::EgressQueues::Result::queued_first)
        return std::nullopt;
    m_progress[packet.next_hop] = now;
    return packet.next_hop;
}

std::vector<sphinx::IpEndpoint> MixNode::update_topology(const wire::directory::Topology& topology, TimePoint now) {
    m_next_hops.update(topology, now);
    m_refresh_wanted = false; // every held packet is settled here
    std::vector<sphinx::IpEndpoint> woken;
    auto held = std::exchange(m_held, {});
    for (auto& packet : held) {
        if (!m_next_hops.allowed(packet.next_hop, now)) {
            m_metrics.dropped.add(DropReason::unknown_next_hop);
            continue;
        }
        const auto hop = enqueue(std::move(packet), now);
        if (hop && std::find(woken.begin(), woken.end(), *hop) == woken.end()) woken.push_back(*hop);
    }
    return woken;
}

void MixNode::topology_unavailable() {
    m_metrics.dropped.add(DropReason::unknown_next_hop, m_held.size());
    m_held.clear();
}

std::vector<sphinx::IpEndpoint> MixNode::evict(TimePoint now, TimePoint idle_before, TimePoint stalled_before) {
    std::vector<sphinx::IpEndpoint> evicted = m_egress.evict_idle(idle_before);
    for (const auto& hop : m_egress.hops()) {
        const auto progress = m_progress.find(hop);
        const bool stalled = m_egress.queued(hop) != 0 && progress != m_progress.end() && progress->second < stalled_before;
        if (!stalled && m_next_hops.allowed(hop, now)) continue;
        (void)m_egress.remove(hop);
        evicted.push_back(hop);
    }
    for (const auto& hop : evicted) m_progress.erase(hop);
    return evicted;
}

std::optional<std::vector<std::uint8_t>> MixNode::next_frame(const sphinx::IpEndpoint& neighbour) {
    return m_egress.next(neighbour);
}

void MixNode::on_written(const sphinx::IpEndpoint& neighbour, TimePoint now) {
    m_egress.written(neighbour, now);
    if (auto it = m_progress.find(neighbour); it != m_progress.end()) it->second = now;
    m_metrics.record_sent(neighbour);
}

void MixNode::on_write_failed(const sphinx::IpEndpoint& neighbour, std::vector<std::uint8_t> frame) {
    m_egress.requeue(neighbour, std::move(frame));
}

Metrics MixNode::totals() const {
    Metrics m = m_metrics;
    m.dropped.add(DropReason::delay_queue_full, m_delay.stats().dropped_full);
    m.dropped.add(DropReason::egress_overflow, m_egress.dropped());
    return m;
}

Metrics MixNode::take_interval() {
    const Metrics now = totals();
    Metrics delta = difference(now, m_reported);
    m_reported = now;
    return delta;
}

void MixNode::rotate_epoch(std::int64_t now_unix) {
    EpochKeys keys = *m_keys.snapshot();
    keys.rotate(now_unix, *m_rng);
    m_keys.replace(std::move(keys));
    m_replay->rotate();
}

int MixNode::catch_up(std::int64_t now_unix) {
    int rotations = 0;
    while (now_unix >= epoch_ends_unix() && rotations < 3) {
        rotate_epoch(rotations == 2 ? now_unix : epoch_ends_unix());
        ++rotations;
    }
    return rotations;
}

std::int64_t MixNode::epoch_ends_unix() const {
    return m_keys.snapshot()->started_unix + static_cast<std::int64_t>(m_config.replay_epoch.count());
}

std::string MixNode::save_state() const {
    return encode_replay_state(*m_keys.snapshot(), m_config.replay_epoch, m_replay.get(), m_replay->parameters());
}

wire::directory::MixnodeHeartbeat MixNode::heartbeat(std::string host, std::int64_t now_unix_ms) const {
    const auto keys = m_keys.snapshot();
    wire::directory::MixnodeHeartbeat h;
    h.host = std::move(host);
    h.identity_key = m_identity_public;
    h.sphinx_key = keys->current.public_key();
    h.next_sphinx_key = keys->next.public_key();
    h.next_sphinx_key_from_ms =
        (keys->started_unix + static_cast<std::int64_t>(m_config.replay_epoch.count())) * 1000;
    h.layer = static_cast<std::uint8_t>(m_config.layer);
    h.version = std::string(NODE_VERSION);
    h.timestamp_ms = now_unix_ms;
    wire::directory::sign(h, m_identity, keys->current);
    return h;
}

wire::directory::MixMetric MixNode::metric(const Metrics& interval, std::int64_t now_unix_ms) const {
    wire::directory::MixMetric m;
    m.pub_key = m_keys.snapshot()->current.public_key();
    for (const auto& [endpoint, count] : interval.sent) {
        if (count != 0 && m.sent.size() < wire::directory::MAX_METRIC_PEERS) m.sent[endpoint.to_string()] = count;
    }
    m.received = interval.received;
    m.timestamp_ms = now_unix_ms;
    wire::directory::sign(m, m_identity);
    return m;
}

Metrics difference(const Metrics& later, const Metrics& earlier) {
    Metrics d;
    d.received = later.received - earlier.received;
    d.forwarded = later.forwarded - earlier.forwarded;
    d.delay_clamped = later.delay_clamped - earlier.delay_clamped;
    d.dropped = later.dropped - earlier.dropped;
    d.framing_errors = later.framing_errors - earlier.framing_errors;
    for (const auto& [endpoint, count] : later.sent) {
        auto it = earlier.sent.find(endpoint);
        const std::uint64_t before = it == earlier.sent.end() ? 0 : it->second;
        if (count > before) d.sent[endpoint] = count - before;
    }
    return d;
}

} // namespace nym::mixnode
