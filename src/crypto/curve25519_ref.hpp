#pragma once
// Internal: GF(2^255 - 19) arithmetic and a small, straightforward x-only Montgomery ladder on
// Curve25519 (RFC 7748 §5) that does NOT clamp the scalar. It is the fallback for the 2^-126 case the fast path in
// x25519.cpp cannot serve, and the oracle the tests compare that fast path against. Constant-time in the scalar
// (conditional swaps by mask), but written for clarity rather than speed.

#include <array>
#include <cstdint>
#include <span>

namespace nym::crypto::detail {

/// k * u over bits 254..0 of the little-endian k (bit 255 ignored, no clamping). The top bit of
/// u is masked and u is reduced mod p, as RFC 7748 decodes it. Returns the canonical u of the
/// result (all zeros for the identity).
std::array<std::uint8_t, 32> montgomery_ladder_unclamped(std::span<const std::uint8_t, 32> k,
                                                         std::span<const std::uint8_t, 32> u) noexcept;

/// k * (8 * u): the ladder applied to 8u first, which clears any small-order component of u. With
/// k = s / 8 mod l this is s times the prime-order component of u, the value the clamped fast path
/// of scalarmult() gives; x25519.cpp uses it when that fast path is unavailable.
std::array<std::uint8_t, 32> montgomery_ladder_cofactor_cleared(std::span<const std::uint8_t, 32> k,
                                                                std::span<const std::uint8_t, 32> u) noexcept;

/// The Montgomery u-coordinate (1 + y) / (1 - y) of a compressed Edwards25519 point (the
/// birational map of RFC 7748 §4.1); the identity (y = 1) maps to u = 0. Constant-time.
std::array<std::uint8_t, 32> edwards_to_montgomery_u(std::span<const std::uint8_t, 32> edwards) noexcept;

/// The Edwards y-coordinate (u - 1) / (u + 1) of a Montgomery u (the inverse map), encoded with the
/// sign bit of x cleared, as XEdDSA encodes the Edwards form of an X25519 public key. u = -1 (no
/// Edwards point) maps to y = 0.
std::array<std::uint8_t, 32> montgomery_u_to_edwards(std::span<const std::uint8_t, 32> u) noexcept;

} // namespace nym::crypto::detail
