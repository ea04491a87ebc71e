#include <abci/framing.hpp>

#include <string>

namespace nym::abci {
namespace {

class AbciCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "nym.abci"; }
    std::string message(int code) const override {
        switch (static_cast<Errc>(code)) {
        case Errc::varint_overflow:
            return "frame length prefix overflows 64 bits";
        case Errc::frame_too_large:
            return "frame larger than the maximum message size";
        case Errc::malformed_message:
            return "frame is not a protobuf ABCI request";
        case Errc::unknown_request:
            return "unknown ABCI request";
        }
        return "unknown abci error";
    }
};

} // namespace

const std::error_category& abci_category() noexcept {
    static const AbciCategory category;
    return category;
}

void append_frame(Bytes& out, ByteSpan message) {
    std::uint64_t n = message.size();
    while (n >= 0x80) {
        out.push_back(static_cast<std::uint8_t>(n | 0x80));
        n >>= 7;
    }
    out.push_back(static_cast<std::uint8_t>(n));
    out.insert(out.end(), message.begin(), message.end());
}

void FrameDecoder::feed(ByteSpan bytes) {
    if (m_error) return;
    // Drop consumed bytes before growing, so the buffer holds at most one partial frame plus input.
    if (m_pos > 0 && (m_pos == m_buf.size() || m_pos >= 64 * 1024)) {
        m_buf.erase(m_buf.begin(), m_buf.begin() + static_cast<std::ptrdiff_t>(m_pos));
        m_pos = 0;
    }
    m_buf.insert(m_buf.end(), bytes.begin(), bytes.end());
}

Expected<std::optional<ByteSpan>> FrameDecoder::next() {
    if (m_error) return Unexpected(m_error);
    // uvarint, exactly as Go's binary.ReadUvarint: 7 bits per byte, least significant group first;
    // the 10th byte may only be 0 or 1.
    std::uint64_t length = 0;
    std::size_t i = 0;
    for (;; ++i) {
        if (m_pos + i >= m_buf.size()) return std::optional<ByteSpan>{}; // need more bytes
        const std::uint8_t b = m_buf[m_pos + i];
        if (i == MAX_VARINT_SIZE - 1 && b > 1) {
            m_error = make_error_code(Errc::varint_overflow);
            return Unexpected(m_error);
        }
        length |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
        if ((b & 0x80) == 0) break;
    }
    if (length > m_max) {
        m_error = make_error_code(Errc::frame_too_large);
        return Unexpected(m_error);
    }
    const std::size_t header = i + 1;
    if (m_buf.size() - m_pos - header < length) return std::optional<ByteSpan>{};
    const ByteSpan frame(m_buf.data() + m_pos + header, static_cast<std::size_t>(length));
    m_pos += header + static_cast<std::size_t>(length);
    return std::optional<ByteSpan>{frame};
}

} // namespace nym::abci
