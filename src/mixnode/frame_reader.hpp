#pragma once
// The mix port's frame decoder (docs/protocol/framing.md §2, the format of wire::FrameDecoder), for
// the data path: each frame lands whole (header ‖ packet) in a buffer from a FramePool, copied once
// from the connection's read buffer, so that buffer can go through the Sphinx unwrap and out again
// without another copy or allocation. It accepts and refuses exactly what wire::FrameDecoder does,
// with the same errors (the fuzz target mixnode_frames checks that the two agree).
//
// Sans-IO: feed bytes in chunks of any size. After an error every later call returns the same
// error: close the connection (a stream of frames cannot be resynchronised).

#include <mixnode/frame_pool.hpp>
#include <util/expected.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>
#include <wire/framing.hpp>

namespace nym::mixnode {

class FrameReader {
public:
    /// Decodes all of `input`, calling on_frame(std::vector<std::uint8_t>&& frame, sphinx::PacketSize)
    /// for each complete frame (a buffer from `pool`). Stops at the first error; frames completed
    /// before it have been delivered.
    template <class OnFrame>
    [[nodiscard]] Expected<void> feed(std::span<const std::uint8_t> input, FramePool& pool, OnFrame&& on_frame) {
        if (m_error) return fail(*m_error);
        while (!input.empty()) {
            // A whole frame in the input and nothing pending: check its header, copy it in one go.
            if (m_header_len == 0 && input.size() >= wire::FRAME_HEADER_SIZE) {
                for (std::size_t i = 0; i < wire::FRAME_HEADER_SIZE; ++i)
                    if (auto e = header_byte(input[i])) return fail_with(*e);
                const std::size_t length = frame_size(m_size);
                if (input.size() >= length) {
                    std::vector<std::uint8_t> frame = pool.acquire(m_size);
                    std::copy(input.begin(), input.begin() + static_cast<std::ptrdiff_t>(length), frame.begin());
                    m_header_len = 0;
                    input = input.subspan(length);
                    on_frame(std::move(frame), m_size);
                    continue;
                }
                m_header_len = 0; // fall back to the byte-wise path for this partial frame
            }
            input = input.subspan(step(input, pool, on_frame));
            if (m_error) return fail(*m_error);
        }
        return {};
    }

    /// Bytes of a partial frame held (header or packet), at most wire::MAX_FRAME_SIZE.
    [[nodiscard]] std::size_t buffered() const noexcept { return m_frame.empty() ? m_header_len : m_have; }
    /// True when no partial frame is held: a clean place for the peer to have closed the stream.
    [[nodiscard]] bool idle() const noexcept { return buffered() == 0 && !m_error; }
    [[nodiscard]] bool failed() const noexcept { return m_error.has_value(); }
    /// Hands a partial frame's buffer back to the pool (the connection closed).
    void release(FramePool& pool) noexcept;

private:
    /// Validates the header byte at position m_header_len and advances; the error if it is wrong.
    [[nodiscard]] std::optional<wire::FramingErrc> header_byte(std::uint8_t byte) noexcept;
    Unexpected<std::error_code> fail_with(wire::FramingErrc e);

    /// Consumes input up to the end of at most one frame (the byte-wise path); bytes consumed.
    template <class OnFrame>
    std::size_t step(std::span<const std::uint8_t> input, FramePool& pool, OnFrame& on_frame) {
        std::size_t used = 0;
        while (m_header_len < wire::FRAME_HEADER_SIZE && used < input.size()) {
            const std::uint8_t byte = input[used++];
            if (auto e = header_byte(byte)) {
                (void)fail_with(*e);
                return used;
            }
            m_header[m_header_len - 1] = byte;
        }
        if (m_header_len < wire::FRAME_HEADER_SIZE) return used;
        if (m_frame.empty()) {
            m_frame = pool.acquire(m_size);
            std::copy(m_header.begin(), m_header.end(), m_frame.begin());
            m_have = wire::FRAME_HEADER_SIZE;
        }
        const std::size_t take = std::min(m_frame.size() - m_have, input.size() - used);
        std::copy(input.begin() + static_cast<std::ptrdiff_t>(used),
                  input.begin() + static_cast<std::ptrdiff_t>(used + take),
                  m_frame.begin() + static_cast<std::ptrdiff_t>(m_have));
        m_have += take;
        used += take;
        if (m_have == m_frame.size()) {
            std::vector<std::uint8_t> frame = std::move(m_frame);
            m_frame = {};
            m_have = 0;
            m_header_len = 0;
            on_frame(std::move(frame), m_size);
        }
        return used;
    }

    std::array<std::uint8_t, wire::FRAME_HEADER_SIZE> m_header{};
    std::size_t m_header_len = 0; // header bytes validated so far
    sphinx::PacketSize m_size = sphinx::PacketSize::regular;
    std::vector<std::uint8_t> m_frame; // the partial frame (pooled), once the header is whole
    std::size_t m_have = 0;            // bytes of m_frame filled
    std::optional<wire::FramingErrc> m_error;
};

} // namespace nym::mixnode
