#pragma once
// Curve25519 in Montgomery form: RFC 7748 X25519 key agreement, plus the scalar arithmetic mod the
// group order l that Sphinx needs (its blinding multiplies by an *unclamped* scalar).

#include <crypto/rng.hpp>
#include <crypto/secret.hpp>
#include <util/expected.hpp>

#include <array>
#include <compare>
#include <cstdint>

namespace nym::crypto {

inline constexpr std::size_t X25519_KEY_SIZE = 32;

/// A Montgomery u-coordinate (the X25519 public value / Sphinx alpha). Public data.
struct MontgomeryPoint {
    std::array<std::uint8_t, 32> bytes{};
    friend bool operator==(const MontgomeryPoint&, const MontgomeryPoint&) = default;
};
using X25519PublicKey = MontgomeryPoint;

/// An element of Z/lZ, l = 2^252 + 27742317777372353535851937790883648493, kept reduced (canonical
/// little-endian). Secret in Sphinx (blinding factors and the sender's accumulator), so it wipes itself.
class Scalar25519 {
public:
    Scalar25519() noexcept = default;
    /// Interprets 32 little-endian bytes as an integer and reduces it mod l (all 256 bits count).
    static Scalar25519 from_bytes_mod_order(std::span<const std::uint8_t, 32> bytes) noexcept;
    /// Reduces 64 little-endian bytes mod l (for uniform scalars from a hash).
    static Scalar25519 from_bytes_mod_order_wide(std::span<const std::uint8_t, 64> bytes) noexcept;
    static Scalar25519 random(Rng& rng) noexcept;

    [[nodiscard]] Scalar25519 operator*(const Scalar25519& rhs) const noexcept;
    [[nodiscard]] bool is_zero() const noexcept;
    std::span<const std::uint8_t, 32> bytes() const noexcept { return m_bytes.bytes(); }
    [[nodiscard]] bool ct_equals(const Scalar25519& other) const noexcept { return m_bytes.ct_equals(other.m_bytes); }

private:
    SecretBytes<32> m_bytes;
};

/// An X25519 secret key, stored clamped (bits 0-2 and 255 cleared, bit 254 set) as RFC 7748 and
/// Nym's Sphinx keys do.
class X25519SecretKey {
public:
    X25519SecretKey() noexcept = default;
    /// Clamps the 32 raw bytes.
    static X25519SecretKey from_bytes(std::span<const std::uint8_t, 32> raw) noexcept;
    static X25519SecretKey generate(Rng& rng) noexcept;

    [[nodiscard]] X25519PublicKey public_key() const noexcept;
    /// The clamped integer reduced mod l (the same multiplier on the prime-order subgroup).
    [[nodiscard]] Scalar25519 to_scalar() const noexcept;
    std::span<const std::uint8_t, 32> bytes() const noexcept { return m_bytes.bytes(); }

private:
    SecretBytes<32> m_bytes;
};

struct X25519KeyPair {
    X25519SecretKey secret;
    X25519PublicKey public_key;
    static X25519KeyPair generate(Rng& rng) noexcept;
};

/// RFC 7748 X25519(k, u) with the clamped key. Returns Errc::low_order_point where the result is all
/// zeros (u of small order), as a contributory key exchange must.
[[nodiscard]] Expected<MontgomeryPoint> x25519(const X25519SecretKey& key, const MontgomeryPoint& point) noexcept;

/// s * P for a point P in the prime-order subgroup and an arbitrary (unclamped) scalar s mod l: the
/// value Nym's Sphinx obtains from curve25519-dalek's unclamped Montgomery ladder. A point with a
/// small-order component is mapped to s times its prime-order component (clamped arithmetic
/// clears the torsion); a small-order point, or s = 0, returns Errc::low_order_point.
[[nodiscard]] Expected<MontgomeryPoint> scalarmult(const Scalar25519& scalar, const MontgomeryPoint& point) noexcept;

/// s * B for the Curve25519 base point (u = 9).
[[nodiscard]] MontgomeryPoint scalarmult_base(const Scalar25519& scalar) noexcept;

} // namespace nym::crypto
