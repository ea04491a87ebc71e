#pragma once
// Frame buffers for the mix node's data path, reused instead of allocated per packet. A buffer
// holds one whole frame (3-byte header ‖ packet) from the moment it is read off a connection,
// through the Sphinx unwrap (in place: the next hop's packet has the same size, so the header still
// fits) and the delay and egress queues, until it has been written to the next hop — then it comes
// back here. Buffers are plain std::vector<std::uint8_t> (what mixnet::EgressQueues and
// runtime::TcpService move around), kept by capacity: one free list per frame size.
//
// Bounded: at most max_free_bytes of idle buffers per frame size are kept, the rest are freed, so a
// burst does not pin its peak memory for ever. Single owner (the I/O thread), not synchronised.

#include <sphinx/packet_size.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>
#include <wire/framing.hpp>

namespace nym::mixnode {

/// The frame size (header ‖ packet) of a packet size.
[[nodiscard]] constexpr std::size_t frame_size(sphinx::PacketSize size) noexcept {
    return wire::FRAME_HEADER_SIZE + sphinx::packet_size(size);
}

class FramePool {
public:
    /// Idle buffers kept per frame size, in bytes (16 MiB: ≈ 6,900 regular frames).
    static constexpr std::size_t DEFAULT_MAX_FREE_BYTES = 16U << 20;

    explicit FramePool(std::size_t max_free_bytes = DEFAULT_MAX_FREE_BYTES) : m_max_free_bytes(max_free_bytes) {}

    /// A buffer of frame_size(size) bytes (contents unspecified): a reused one when there is one.
    [[nodiscard]] std::vector<std::uint8_t> acquire(sphinx::PacketSize size);
    /// Takes a buffer back for reuse, if it is one of ours (its capacity is a frame size) and that
    /// size's list is not full; otherwise frees it. Empty (moved-from) vectors are ignored.
    void release(std::vector<std::uint8_t>&& buffer) noexcept;

    /// Buffers allocated so far (not reused): stays flat once the pool is warm.
    [[nodiscard]] std::uint64_t allocations() const noexcept { return m_allocations; }
    [[nodiscard]] std::size_t idle() const noexcept;

private:
    std::size_t m_max_free_bytes;
    std::array<std::vector<std::vector<std::uint8_t>>, sphinx::ALL_PACKET_SIZES.size()> m_free;
    std::uint64_t m_allocations = 0;
};

} // namespace nym::mixnode
