#include <mixnode/processor.hpp>

#include <sphinx/errors.hpp>
#include <sphinx/node_address.hpp>
#include <sphinx/processing.hpp>

namespace nym::mixnode {
namespace {

DropReason classify_verify_error(const std::error_code& ec) noexcept {
    if (ec == sphinx::Errc::invalid_header_mac) return DropReason::bad_mac;
    return DropReason::malformed; // invalid_packet_length, invalid_group_element
}

DropReason classify_finish_error(const std::error_code& ec) noexcept {
    // invalid_payload is only reported at a final hop (its payload did not decrypt to 0^16 ‖ …).
    if (ec == sphinx::Errc::invalid_payload) return DropReason::final_hop;
    return DropReason::malformed; // invalid_routing_flag, invalid_group_element
}

} // namespace

Processor::Processor(const crypto::X25519SecretKey& sphinx_key, ReplayFilter& replay_filter, ProcessorConfig config)
    : m_own_keys(std::make_unique<KeyRing>(EpochKeys{0, 0, sphinx_key, std::nullopt, sphinx_key})),
      m_keys(m_own_keys.get()), m_replay_filter(&replay_filter), m_config(config) {}

Processor::Processor(const KeyRing& keys, ReplayFilter& replay_filter, ProcessorConfig config)
    : m_keys(&keys), m_replay_filter(&replay_filter), m_config(config) {}

Decision Processor::process(wire::Frame frame, TimePoint now) const {
    return process(std::move(frame.packet), frame.size, now);
}

Decision Processor::process(std::vector<std::uint8_t> packet, sphinx::PacketSize size, TimePoint now) const {
    const auto header = wire::encode_frame_header(size);
    std::vector<std::uint8_t> frame;
    frame.reserve(header.size() + packet.size());
    frame.insert(frame.end(), header.begin(), header.end());
    frame.insert(frame.end(), packet.begin(), packet.end());
    return process_frame(frame, size, now);
}

Decision Processor::process_frame(std::vector<std::uint8_t>& frame, sphinx::PacketSize size, TimePoint now) const {
    if (frame.size() < wire::FRAME_HEADER_SIZE) return Drop{DropReason::malformed};
    const auto packet = std::span<std::uint8_t>(frame).subspan(wire::FRAME_HEADER_SIZE);
    const auto keys = m_keys->snapshot();
    auto verified = sphinx::verify_header(packet, keys->current);
    if (!verified && verified.error() == sphinx::Errc::invalid_header_mac && keys->previous)
        verified = sphinx::verify_header(packet, *keys->previous);
    if (!verified) return Drop{classify_verify_error(verified.error())};

    if (m_replay_filter->check_and_insert(verified->replay_tag)) return Drop{DropReason::replayed};

    auto processed = sphinx::finish_processing(packet, *verified);
    if (!processed) return Drop{classify_finish_error(processed.error())};
    const sphinx::ForwardHop* hop = processed->forward();
    if (hop == nullptr) return Drop{DropReason::final_hop};

    auto next_hop = sphinx::decode_node_address(hop->next_hop);
    if (!next_hop) return Drop{DropReason::invalid_next_address};

    const std::chrono::nanoseconds asked = hop->delay.to_duration();
    Forward forward;
    forward.delay_clamped = asked > m_config.max_delay;
    forward.packet.next_hop = *next_hop;
    forward.packet.release = release_time(now, asked, m_config.max_delay);
    forward.packet.size = size;
    forward.packet.frame = std::move(frame);
    frame = {};
    return forward;
}

void Metrics::record(const Decision& decision) noexcept {
    ++received;
    if (const auto* f = std::get_if<Forward>(&decision)) {
        ++forwarded;
        if (f->delay_clamped) ++delay_clamped;
    } else {
        dropped.add(std::get<Drop>(decision).reason);
    }
}

void Metrics::record_sent(const sphinx::IpEndpoint& neighbour, std::uint64_t count) { sent[neighbour] += count; }

std::uint64_t Metrics::processing_dropped() const noexcept {
    std::uint64_t total = 0;
    for (const DropReason reason : PROCESSING_DROP_REASONS) total += dropped.of(reason);
    return total;
}

std::uint64_t Metrics::sent_total() const noexcept {
    std::uint64_t total = 0;
    for (const auto& [neighbour, count] : sent) total += count;
    return total;
}

Metrics& Metrics::operator+=(const Metrics& other) {
    received += other.received;
    forwarded += other.forwarded;
    delay_clamped += other.delay_clamped;
    dropped += other.dropped;
    framing_errors += other.framing_errors;
    for (const auto& [neighbour, count] : other.sent) sent[neighbour] += count;
    return *this;
}

} // namespace nym::mixnode
