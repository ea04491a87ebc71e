#include <wire/framing.hpp>

#include <algorithm>
#include <string>

namespace nym::wire {
namespace {

class FramingCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "nym.wire.framing"; }
    std::string message(int code) const override {
        switch (static_cast<FramingErrc>(code)) {
        case FramingErrc::unknown_version: return "unknown frame version";
        case FramingErrc::unknown_packet_size: return "unknown packet size tag";
        case FramingErrc::unknown_packet_type: return "unknown packet type";
        case FramingErrc::wrong_packet_length: return "packet length is not one of the packet sizes";
        }
        return "unknown framing error";
    }
};

std::optional<sphinx::PacketSize> size_from_tag(std::uint8_t tag) noexcept {
    for (sphinx::PacketSize size : sphinx::ALL_PACKET_SIZES)
        if (sphinx::to_tag(size) == tag) return size;
    return std::nullopt;
}

} // namespace

const std::error_category& framing_category() noexcept {
    static const FramingCategory category;
    return category;
}

std::optional<sphinx::PacketSize> packet_size_for_length(std::size_t length) noexcept {
    for (sphinx::PacketSize size : sphinx::ALL_PACKET_SIZES)
        if (sphinx::packet_size(size) == length) return size;
    return std::nullopt;
}

std::array<std::uint8_t, FRAME_HEADER_SIZE> encode_frame_header(sphinx::PacketSize size, PacketType type) noexcept {
    return {CURRENT_FRAME_VERSION, sphinx::to_tag(size), static_cast<std::uint8_t>(type)};
}

Expected<std::vector<std::uint8_t>> encode_frame(std::span<const std::uint8_t> packet, PacketType type) {
    const auto size = packet_size_for_length(packet.size());
    if (!size) return fail(FramingErrc::wrong_packet_length);
    const auto header = encode_frame_header(*size, type);
    std::vector<std::uint8_t> out;
    out.reserve(FRAME_HEADER_SIZE + packet.size());
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), packet.begin(), packet.end());
    return out;
}

Unexpected<std::error_code> FrameDecoder::fail_with(FramingErrc e) {
    m_error = e;
    // Nothing buffered is worth keeping: the stream cannot be resynchronised.
    m_header_len = 0;
    m_packet_len = 0;
    m_packet = {};
    return fail(e);
}

Expected<FrameDecoder::Step> FrameDecoder::decode(std::span<const std::uint8_t> input) {
    if (m_error) return fail(*m_error);
    Step step;

    // Header bytes are validated one at a time, so a bad byte is reported as soon as it arrives.
    while (m_header_len < FRAME_HEADER_SIZE && step.consumed < input.size()) {
        const std::uint8_t byte = input[step.consumed++];
        switch (m_header_len) {
        case 0:
            if (byte != FRAME_VERSION_V7) return fail_with(FramingErrc::unknown_version);
            break;
        case 1: {
            const auto size = size_from_tag(byte);
            if (!size) return fail_with(FramingErrc::unknown_packet_size);
            m_packet_len = sphinx::packet_size(*size);
            break;
        }
        default:
            if (byte != static_cast<std::uint8_t>(PacketType::mix)) return fail_with(FramingErrc::unknown_packet_type);
            m_packet.reserve(m_packet_len);
            break;
        }
        m_header[m_header_len++] = byte;
    }
    if (m_header_len < FRAME_HEADER_SIZE) return step;

    const std::size_t wanted = m_packet_len - m_packet.size();
    const std::size_t take = std::min(wanted, input.size() - step.consumed);
    const auto chunk = input.subspan(step.consumed, take);
    m_packet.insert(m_packet.end(), chunk.begin(), chunk.end());
    step.consumed += take;
    if (m_packet.size() < m_packet_len) return step;

    Frame frame;
    frame.version = m_header[0];
    frame.size = *size_from_tag(m_header[1]);
    frame.type = static_cast<PacketType>(m_header[2]);
    frame.packet = std::move(m_packet);
    m_packet = {};
    m_header_len = 0;
    m_packet_len = 0;
    step.frame = std::move(frame);
    return step;
}

} // namespace nym::wire
