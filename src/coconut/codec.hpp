#pragma once
// Internal: byte writer/reader for the encodings in docs/protocol/coconut.md, and the Fiat-Shamir
// transcript. Not part of the public API.

#include <bls/bls.hpp>
#include <coconut/errors.hpp>
#include <util/expected.hpp>

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace nym::coconut::detail {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;

class Writer {
public:
    explicit Writer(std::size_t reserve = 0) { m_out.reserve(reserve); }
    void u8(std::uint8_t v) { m_out.push_back(v); }
    void u32(std::uint32_t v) {
        for (int i = 0; i < 4; ++i) m_out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
    void u64(std::uint64_t v) {
        for (int i = 0; i < 8; ++i) m_out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
    void raw(ByteSpan bytes) { m_out.insert(m_out.end(), bytes.begin(), bytes.end()); }
    /// u32 little-endian length, then the bytes.
    void var(ByteSpan bytes) {
        u32(static_cast<std::uint32_t>(bytes.size()));
        raw(bytes);
    }
    void g1(const bls::G1& p) { raw(p.to_compressed()); }
    void g1_uncompressed(const bls::G1& p) { raw(p.to_uncompressed()); }
    void g2(const bls::G2& p) { raw(p.to_compressed()); }
    void scalar(const bls::Scalar& s) { raw(s.to_bytes()); }
    /// For secret scalars (keys): serialises in place into the output buffer through a wiped
    /// temporary, so no std::array copy is left on the stack. Callers reserve the full size first
    /// so the buffer is never reallocated (which would leave an unwiped copy in freed memory).
    void secret_scalar(const bls::Scalar& s) {
        const std::size_t at = m_out.size();
        m_out.resize(at + bls::SCALAR_SIZE);
        s.write_bytes(std::span<std::uint8_t, bls::SCALAR_SIZE>(m_out.data() + at, bls::SCALAR_SIZE));
    }
    Bytes& bytes() noexcept { return m_out; }
    Bytes take() noexcept { return std::move(m_out); }

private:
    Bytes m_out;
};

class Reader {
public:
    explicit Reader(ByteSpan in) noexcept : m_in(in) {}
    Expected<std::uint8_t> u8() {
        if (m_in.size() - m_pos < 1) return fail(Errc::truncated);
        return m_in[m_pos++];
    }
    Expected<std::uint64_t> u64() {
        auto b = take(8);
        if (!b) return Unexpected(b.error());
        std::uint64_t v = 0;
        for (int i = 7; i >= 0; --i) v = (v << 8) | (*b)[static_cast<std::size_t>(i)];
        return v;
    }
    Expected<ByteSpan> take(std::size_t n) {
        if (m_in.size() - m_pos < n) return fail(Errc::truncated);
        ByteSpan out = m_in.subspan(m_pos, n);
        m_pos += n;
        return out;
    }
    Expected<bls::G1> g1(bls::IdentityPolicy identity) {
        auto b = take(bls::G1_SIZE);
        if (!b) return Unexpected(b.error());
        auto p = bls::G1::from_compressed(*b, identity);
        if (!p) return Unexpected(from_bls_error(p.error()));
        return *p;
    }
    Expected<bls::G1> g1_uncompressed(bls::IdentityPolicy identity) {
        auto b = take(bls::G1_UNCOMPRESSED_SIZE);
        if (!b) return Unexpected(b.error());
        auto p = bls::G1::from_uncompressed(*b, identity);
        if (!p) return Unexpected(from_bls_error(p.error()));
        return *p;
    }
    Expected<bls::G2> g2(bls::IdentityPolicy identity) {
        auto b = take(bls::G2_SIZE);
        if (!b) return Unexpected(b.error());
        auto p = bls::G2::from_compressed(*b, identity);
        if (!p) return Unexpected(from_bls_error(p.error()));
        return *p;
    }
    Expected<bls::Scalar> scalar() {
        auto b = take(bls::SCALAR_SIZE);
        if (!b) return Unexpected(b.error());
        auto s = bls::Scalar::from_bytes(*b);
        if (!s) return Unexpected(from_bls_error(s.error()));
        return std::move(*s);
    }
    std::size_t remaining() const noexcept { return m_in.size() - m_pos; }
    /// Fails with trailing_bytes unless every byte was consumed.
    Expected<void> finish() const {
        if (m_pos != m_in.size()) return fail(Errc::trailing_bytes);
        return {};
    }

private:
    ByteSpan m_in;
    std::size_t m_pos = 0;
};

/// h = H(cm) must not be the identity (check_request, signer side). Separate so that a test can
/// reach the branch, which a hash output cannot.
Expected<void> check_commitment_base(const bls::G1& h);

/// Fiat-Shamir: the challenge is bls::Scalar::hash(encoding, DST of the proof type). Every field
/// appended is fixed-size (points compressed, scalars 32 B, counts u8) or length-prefixed (var).
class Transcript {
public:
    explicit Transcript(std::string_view dst) : m_dst(dst), m_writer(1024) {}
    Writer& w() noexcept { return m_writer; }
    bls::Scalar challenge() { return bls::Scalar::hash(m_writer.bytes(), m_dst); }

private:
    std::string_view m_dst;
    Writer m_writer;
};

} // namespace nym::coconut::detail
