#pragma once
// Keccak-256 as Ethereum uses it: the original Keccak submission's padding (0x01 ... 0x80), not the
// FIPS 202 SHA3-256 padding (0x06 ... 0x80). Keccak-256("") = c5d2460186f7233c927e7db2dcc703c0
// e500b653ca82273b7bfad8045d85a470, while SHA3-256("") = a7ffc6f8.... Backed by Crypto++'s
// CryptoPP::Keccak_256; no Crypto++ header leaks out of keccak.cpp.

#include <crypto/secret.hpp>

#include <array>
#include <cstdint>
#include <memory>

namespace nym::crypto {

inline constexpr std::size_t KECCAK256_SIZE = 32;
using Keccak256Digest = std::array<std::uint8_t, KECCAK256_SIZE>;

/// One-shot Keccak-256 of `data`.
[[nodiscard]] Keccak256Digest keccak256(ByteSpan data) noexcept;

/// Incremental Keccak-256: update() any number of times, then finish(), which returns the digest and
/// resets the hasher for the next message. Movable, not copyable.
class Keccak256 {
public:
    Keccak256();
    ~Keccak256();
    Keccak256(Keccak256&&) noexcept;
    Keccak256& operator=(Keccak256&&) noexcept;
    Keccak256(const Keccak256&) = delete;
    Keccak256& operator=(const Keccak256&) = delete;

    Keccak256& update(ByteSpan data) noexcept;
    [[nodiscard]] Keccak256Digest finish() noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace nym::crypto
