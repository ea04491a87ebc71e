#pragma once
// Internal: the big-endian byte writer and reader of the ledger's encodings (docs/protocol/ledger.md).
// Not part of the public API.

#include <ledger/errors.hpp>
#include <util/expected.hpp>

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace nym::ledger::detail {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;

class Writer {
public:
    explicit Writer(std::size_t reserve = 0) { m_out.reserve(reserve); }
    void u8(std::uint8_t v) { m_out.push_back(v); }
    void u16(std::uint16_t v) { be(v, 2); }
    void u32(std::uint32_t v) { be(v, 4); }
    void u64(std::uint64_t v) { be(v, 8); }
    void raw(ByteSpan bytes) { m_out.insert(m_out.end(), bytes.begin(), bytes.end()); }
    /// u32 big-endian length, then the bytes.
    void var(ByteSpan bytes) {
        u32(static_cast<std::uint32_t>(bytes.size()));
        raw(bytes);
    }
    Bytes& bytes() noexcept { return m_out; }
    Bytes take() noexcept { return std::move(m_out); }

private:
    void be(std::uint64_t v, int n) {
        for (int i = n - 1; i >= 0; --i) m_out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
    Bytes m_out;
};

/// Every failure is `truncated_error` (malformed_tx unless the caller says otherwise).
class Reader {
public:
    explicit Reader(ByteSpan in, Errc error = Errc::malformed_tx) noexcept : m_in(in), m_error(error) {}
    Expected<std::uint8_t> u8() {
        auto b = take(1);
        if (!b) return Unexpected(b.error());
        return (*b)[0];
    }
    Expected<std::uint16_t> u16() { return be<std::uint16_t>(2); }
    Expected<std::uint32_t> u32() { return be<std::uint32_t>(4); }
    Expected<std::uint64_t> u64() { return be<std::uint64_t>(8); }
    Expected<ByteSpan> take(std::size_t n) {
        if (m_in.size() - m_pos < n) return fail(m_error);
        ByteSpan out = m_in.subspan(m_pos, n);
        m_pos += n;
        return out;
    }
    template <std::size_t N>
    Expected<std::array<std::uint8_t, N>> array() {
        auto b = take(N);
        if (!b) return Unexpected(b.error());
        std::array<std::uint8_t, N> out{};
        std::copy(b->begin(), b->end(), out.begin());
        return out;
    }
    /// u32 length, then that many bytes (at most `max`).
    Expected<ByteSpan> var(std::size_t max) {
        auto n = u32();
        if (!n) return Unexpected(n.error());
        if (*n > max) return fail(m_error);
        return take(*n);
    }
    std::size_t remaining() const noexcept { return m_in.size() - m_pos; }
    std::size_t position() const noexcept { return m_pos; }
    Expected<void> finish() const {
        if (m_pos != m_in.size()) return fail(m_error);
        return {};
    }

private:
    template <class T>
    Expected<T> be(int n) {
        auto b = take(static_cast<std::size_t>(n));
        if (!b) return Unexpected(b.error());
        T v = 0;
        for (std::uint8_t x : *b) v = static_cast<T>((v << 8) | x);
        return v;
    }
    ByteSpan m_in;
    std::size_t m_pos = 0;
    Errc m_error;
};

} // namespace nym::ledger::detail
