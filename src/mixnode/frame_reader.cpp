#include <mixnode/frame_reader.hpp>

#include <utility>

namespace nym::mixnode {

std::optional<wire::FramingErrc> FrameReader::header_byte(std::uint8_t byte) noexcept {
    switch (m_header_len) {
    case 0:
        if (byte != wire::FRAME_VERSION_V7) return wire::FramingErrc::unknown_version;
        break;
    case 1: {
        bool known = false;
        for (const sphinx::PacketSize size : sphinx::ALL_PACKET_SIZES) {
            if (sphinx::to_tag(size) == byte) {
                m_size = size;
                known = true;
            }
        }
        if (!known) return wire::FramingErrc::unknown_packet_size;
        break;
    }
    default:
        if (byte != static_cast<std::uint8_t>(wire::PacketType::mix)) return wire::FramingErrc::unknown_packet_type;
        break;
    }
    ++m_header_len;
    return std::nullopt;
}

Unexpected<std::error_code> FrameReader::fail_with(wire::FramingErrc e) {
    m_error = e;
    m_header_len = 0;
    m_have = 0;
    m_frame = {};
    return fail(e);
}

void FrameReader::release(FramePool& pool) noexcept {
    pool.release(std::move(m_frame));
    m_frame = {};
    m_have = 0;
    m_header_len = 0;
}

} // namespace nym::mixnode
