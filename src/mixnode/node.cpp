#include <mixnode/node.hpp>

#include <utility>

namespace nym::mixnode {

MixNode::MixNode(const Config& config, const NodeKeys& keys, crypto::Rng& rng)
    : m_config(config), m_identity(crypto::Ed25519SecretKey::from_seed(keys.identity.seed())),
      m_identity_public(keys.identity_public), m_sphinx_public(keys.sphinx_public),
      m_replay(std::make_unique<ReplayFilter>(config.replay_filter_config(), rng)),
      m_processor(keys.sphinx, *m_replay, ProcessorConfig{config.max_delay}),
      m_delay(DelayQueueConfig{config.max_delay, DelayQueueConfig{}.capacity}),
      m_egress(static_cast<std::size_t>(config.egress_queue_length)) {}

Decision MixNode::unwrap(wire::Frame frame, TimePoint now) const {
    return m_processor.process(std::move(frame), now);
}

std::optional<sphinx::IpEndpoint> MixNode::accept(Decision decision, TimePoint now) {
    m_metrics.record(decision);
    auto* forward = std::get_if<Forward>(&decision);
    if (forward == nullptr) return std::nullopt;
    auto pushed = m_delay.push(std::move(forward->packet), now);
    if (pushed.admission != DelayQueue::Admission::due_now || !pushed.packet) return std::nullopt;
    const auto hop = pushed.packet->next_hop;
    if (m_egress.enqueue(std::move(*pushed.packet)) != EgressQueues::Result::queued) return std::nullopt;
    return hop;
}

std::vector<sphinx::IpEndpoint> MixNode::release_due(TimePoint now) {
    std::vector<sphinx::IpEndpoint> woken;
    for (auto& packet : m_delay.pop_due(now)) {
        const auto hop = packet.next_hop;
        if (m_egress.enqueue(std::move(packet)) != EgressQueues::Result::queued) continue;
        bool seen = false;
        for (const auto& w : woken) seen = seen || w == hop;
        if (!seen) woken.push_back(hop);
    }
    return woken;
}

std::optional<std::vector<std::uint8_t>> MixNode::next_frame(const sphinx::IpEndpoint& neighbour) {
    auto* queue = m_egress.find(neighbour);
    if (queue == nullptr) return std::nullopt;
    auto packet = queue->pop();
    if (!packet) return std::nullopt;
    {
        const auto header = wire::encode_frame_header(packet->size);
        std::vector<std::uint8_t> frame;
        frame.reserve(header.size() + packet->packet.size());
        frame.insert(frame.end(), header.begin(), header.end());
        frame.insert(frame.end(), packet->packet.begin(), packet->packet.end());
        return frame;
    }
    return std::nullopt;
}

void MixNode::on_written(const sphinx::IpEndpoint& neighbour) {
    m_metrics.record_sent(neighbour);
}

void MixNode::on_write_failed(const sphinx::IpEndpoint& neighbour, std::vector<std::uint8_t> frame) {
    auto* queue = m_egress.find(neighbour);
    if (queue == nullptr || frame.size() <= wire::FRAME_HEADER_SIZE) return;
    const auto size = wire::packet_size_for_length(frame.size() - wire::FRAME_HEADER_SIZE);
    if (!size) return;
    ForwardPacket packet;
    packet.next_hop = neighbour;
    packet.size = *size;
    packet.packet.assign(frame.begin() + static_cast<std::ptrdiff_t>(wire::FRAME_HEADER_SIZE), frame.end());
    queue->push_front(std::move(packet));
}

Metrics MixNode::totals() const {
    Metrics m = m_metrics;
    m.delay_queue_dropped = m_delay.stats().dropped_full;
    m.egress_dropped = m_egress.total_dropped();
    return m;
}

Metrics MixNode::take_interval() {
    const Metrics now = totals();
    Metrics delta = difference(now, m_reported);
    m_reported = now;
    return delta;
}

wire::directory::MixnodeHeartbeat MixNode::heartbeat(std::string host, std::int64_t now_unix_ms) const {
    wire::directory::MixnodeHeartbeat h;
    h.host = std::move(host);
    h.identity_key = m_identity_public;
    h.sphinx_key = m_sphinx_public;
    h.layer = static_cast<std::uint8_t>(m_config.layer);
    h.version = std::string(NODE_VERSION);
    h.timestamp_ms = now_unix_ms;
    wire::directory::sign(h, m_identity);
    return h;
}

wire::directory::MixMetric MixNode::metric(const Metrics& interval, std::int64_t now_unix_ms) const {
    wire::directory::MixMetric m;
    m.pub_key = m_sphinx_public;
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
    for (std::size_t i = 0; i < DROP_REASON_COUNT; ++i) d.dropped[i] = later.dropped[i] - earlier.dropped[i];
    d.framing_errors = later.framing_errors - earlier.framing_errors;
    d.ingress_dropped = later.ingress_dropped - earlier.ingress_dropped;
    d.delay_queue_dropped = later.delay_queue_dropped - earlier.delay_queue_dropped;
    d.egress_dropped = later.egress_dropped - earlier.egress_dropped;
    for (const auto& [endpoint, count] : later.sent) {
        auto it = earlier.sent.find(endpoint);
        const std::uint64_t before = it == earlier.sent.end() ? 0 : it->second;
        if (count > before) d.sent[endpoint] = count - before;
    }
    return d;
}

} // namespace nym::mixnode
