#include <mixnode/frame_pool.hpp>

#include <utility>

namespace nym::mixnode {
namespace {

/// The index of a packet size in ALL_PACKET_SIZES.
std::size_t index_of(sphinx::PacketSize size) noexcept {
    for (std::size_t i = 0; i < sphinx::ALL_PACKET_SIZES.size(); ++i)
        if (sphinx::ALL_PACKET_SIZES[i] == size) return i;
    return 0;
}

} // namespace

std::vector<std::uint8_t> FramePool::acquire(sphinx::PacketSize size) {
    auto& list = m_free[index_of(size)];
    if (!list.empty()) {
        std::vector<std::uint8_t> buffer = std::move(list.back());
        list.pop_back();
        return buffer;
    }
    ++m_allocations;
    std::vector<std::uint8_t> buffer;
    buffer.reserve(frame_size(size));
    buffer.resize(frame_size(size));
    return buffer;
}

void FramePool::release(std::vector<std::uint8_t>&& buffer) noexcept {
    const std::size_t capacity = buffer.capacity();
    if (capacity == 0) return;
    for (std::size_t i = 0; i < sphinx::ALL_PACKET_SIZES.size(); ++i) {
        if (capacity != frame_size(sphinx::ALL_PACKET_SIZES[i])) continue;
        auto& list = m_free[i];
        if ((list.size() + 1) * capacity > m_max_free_bytes) break;
        buffer.resize(capacity); // no allocation: capacity is the frame size
        try {
            list.push_back(std::move(buffer));
        } catch (...) { // the list could not grow: let the buffer go
        }
        return;
    }
    std::vector<std::uint8_t>().swap(buffer);
}

std::size_t FramePool::idle() const noexcept {
    std::size_t n = 0;
    for (const auto& list : m_free) n += list.size();
    return n;
}

} // namespace nym::mixnode
