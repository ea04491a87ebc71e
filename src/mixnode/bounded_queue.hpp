#pragma once
// A bounded multi-producer multi-consumer FIFO without locks (Dmitry Vyukov's array queue): each
// cell carries a sequence number that says whose turn it is, so a push or pop is one compare-and-swap
// on a position counter plus one release store. The mix node hands packets between its I/O thread
// and its Sphinx workers through two of these (daemon.hpp), a whole batch per wake-up.
//
// Capacity is fixed at construction (rounded up to a power of two). T must be cheap to move
// (an index, a pointer).

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>

namespace nym::mixnode {

template <class T>
class BoundedQueue {
public:
    explicit BoundedQueue(std::size_t capacity)
        : m_mask(std::bit_ceil(std::max<std::size_t>(capacity, 2)) - 1), m_cells(new Cell[m_mask + 1]) {
        for (std::size_t i = 0; i <= m_mask; ++i) m_cells[i].sequence.store(i, std::memory_order_relaxed);
    }
    BoundedQueue(const BoundedQueue&) = delete;
    BoundedQueue& operator=(const BoundedQueue&) = delete;

    /// False when the queue is full (nothing is added).
    [[nodiscard]] bool try_push(T value) noexcept {
        std::size_t position = m_tail.load(std::memory_order_relaxed);
        for (;;) {
            Cell& cell = m_cells[position & m_mask];
            const std::size_t sequence = cell.sequence.load(std::memory_order_acquire);
            const auto diff = static_cast<std::ptrdiff_t>(sequence) - static_cast<std::ptrdiff_t>(position);
            if (diff == 0) {
                if (m_tail.compare_exchange_weak(position, position + 1, std::memory_order_relaxed)) {
                    cell.value = std::move(value);
                    cell.sequence.store(position + 1, std::memory_order_release);
                    return true;
                }
            } else if (diff < 0) {
                return false;
            } else {
                position = m_tail.load(std::memory_order_relaxed);
            }
        }
    }

    /// False when the queue is empty.
    [[nodiscard]] bool try_pop(T& out) noexcept {
        std::size_t position = m_head.load(std::memory_order_relaxed);
        for (;;) {
            Cell& cell = m_cells[position & m_mask];
            const std::size_t sequence = cell.sequence.load(std::memory_order_acquire);
            const auto diff = static_cast<std::ptrdiff_t>(sequence) - static_cast<std::ptrdiff_t>(position + 1);
            if (diff == 0) {
                if (m_head.compare_exchange_weak(position, position + 1, std::memory_order_relaxed)) {
                    out = std::move(cell.value);
                    cell.sequence.store(position + m_mask + 1, std::memory_order_release);
                    return true;
                }
            } else if (diff < 0) {
                return false;
            } else {
                position = m_head.load(std::memory_order_relaxed);
            }
        }
    }

    [[nodiscard]] std::size_t capacity() const noexcept { return m_mask + 1; }

private:
    struct Cell {
        std::atomic<std::size_t> sequence{0};
        T value{};
    };
    // Producers and consumers each get their own cache line.
    static constexpr std::size_t LINE = 64;
    const std::size_t m_mask;
    std::unique_ptr<Cell[]> m_cells;
    alignas(LINE) std::atomic<std::size_t> m_tail{0};
    alignas(LINE) std::atomic<std::size_t> m_head{0};
};

} // namespace nym::mixnode
