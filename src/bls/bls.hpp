#pragma once
// BLS12-381 for the Coconut scheme: strong types for Fr, G1, G2 and GT over blst 0.3.10.
//
// blst's headers stay out of this header: every type holds blst's own struct as opaque, aligned
// storage and bls.cpp reinterprets it. Points are kept in affine form (what compression, MSM and
// the Miller loop all consume); results of arithmetic are normalised once per operation.
//
// Encodings (the ZCash/IETF BLS12-381 format that blst and zkcrypto use):
//   Scalar  32 bytes little-endian, canonical (< r); decoding rejects non-canonical values.
//   G1      48 bytes compressed; G2 96 bytes compressed. Decoding checks the encoding flags, that
//           the point is on the curve and in the prime-order subgroup, and (unless allowed) that it
//           is not the identity.
// Hashing: RFC 9380 hash_to_curve, suite BLS12381G1_XMD:SHA-256_SSWU_RO_, and hash_to_field into
// Fr (expand_message_xmd with SHA-256, L = 48 bytes, big-endian, reduced mod r).

#include <crypto/rng.hpp>
#include <util/expected.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace nym::bls {

using ByteSpan = std::span<const std::uint8_t>;

inline constexpr std::size_t SCALAR_SIZE = 32;
inline constexpr std::size_t G1_SIZE = 48;
inline constexpr std::size_t G2_SIZE = 96;
inline constexpr std::size_t G1_UNCOMPRESSED_SIZE = 96;

/// This project's hash-to-G1 tag (RFC 9380 §3.1 naming; not the RFC's test-vector tag).
inline constexpr std::string_view HASH_TO_G1_DST = "NYM-CPP-COCONUT-V01-CS01-with-BLS12381G1_XMD:SHA-256_SSWU_RO_";
/// This project's hash-to-scalar tag (hash_to_field into Fr, RFC 9380 §5).
inline constexpr std::string_view HASH_TO_SCALAR_DST = "NYM-CPP-COCONUT-V01-CS01-with-BLS12381FR_XMD:SHA-256_";

enum class Errc {
    invalid_encoding = 1, ///< wrong length or flag bits, or an x coordinate that is not a field element
    not_on_curve,         ///< coordinates that do not satisfy the curve equation
    not_in_subgroup,      ///< a point outside the prime-order subgroup
    identity_point,       ///< the point at infinity where it is not allowed
    scalar_out_of_range,  ///< a scalar encoding >= r
};
const std::error_category& bls_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), bls_category()};
}

enum class IdentityPolicy { reject, allow };

struct Raw; // bls.cpp: reinterprets the storage as blst types

/// An element of Fr, the scalar field of order r. Wipes itself: scalars are keys, openings, nonces.
class Scalar {
public:
    Scalar() noexcept : m_limbs{} {}
    Scalar(const Scalar& other) noexcept = default;
    Scalar& operator=(const Scalar& other) noexcept = default;
    Scalar(Scalar&& other) noexcept : m_limbs(other.m_limbs) { other.wipe(); }
    Scalar& operator=(Scalar&& other) noexcept {
        if (this != &other) {
            m_limbs = other.m_limbs;
            other.wipe();
        }
        return *this;
    }
    ~Scalar() { wipe(); }

    static Scalar zero() noexcept { return {}; }
    static Scalar one() noexcept { return from_u64(1); }
    static Scalar from_u64(std::uint64_t v) noexcept;
    /// Uniform in [1, r): 64 bytes from the RNG reduced mod r (bias 2^-256).
    static Scalar random(crypto::Rng& rng);
    /// Canonical 32-byte little-endian encoding; rejects values >= r and any other length.
    static Expected<Scalar> from_bytes(ByteSpan bytes);
    /// Any-length little-endian integer reduced mod r.
    static Scalar from_le_bytes_wide(ByteSpan bytes) noexcept;
    /// RFC 9380 hash_to_field(msg, 1) into Fr: expand_message_xmd(SHA-256, L = 48), big-endian, mod r.
    static Scalar hash(ByteSpan msg, std::string_view dst = HASH_TO_SCALAR_DST) noexcept;

    [[nodiscard]] std::array<std::uint8_t, SCALAR_SIZE> to_bytes() const noexcept;
    /// The same encoding written straight into `out`, for secret scalars: the only intermediate
    /// (the canonical form) is wiped, so no copy of the value is left behind on the stack.
    void write_bytes(std::span<std::uint8_t, SCALAR_SIZE> out) const noexcept;
    [[nodiscard]] bool is_zero() const noexcept;
    /// Multiplicative inverse; the inverse of zero is zero.
    [[nodiscard]] Scalar inverse() const noexcept;

    friend Scalar operator+(const Scalar& a, const Scalar& b) noexcept;
    friend Scalar operator-(const Scalar& a, const Scalar& b) noexcept;
    friend Scalar operator*(const Scalar& a, const Scalar& b) noexcept;
    friend Scalar operator-(const Scalar& a) noexcept;
    /// Constant time in the value.
    friend bool operator==(const Scalar& a, const Scalar& b) noexcept;

    void wipe() noexcept;

private:
    friend struct Raw;
    alignas(8) std::array<std::uint64_t, 4> m_limbs; // blst_fr (Montgomery form)
};

/// A point of the prime-order subgroup G1 (or the identity), affine.
class G1 {
public:
    G1() noexcept : m_raw{} {} // the identity
    static G1 identity() noexcept { return {}; }
    static G1 generator() noexcept;
    static Expected<G1> from_compressed(ByteSpan bytes, IdentityPolicy identity = IdentityPolicy::reject);
    /// x || y big-endian (ZCash serialisation, compression flag clear; the identity is 0x40 then
    /// zeros). Same checks as from_compressed (on the curve, in G1) without the square root that
    /// decompression costs: about 40 % of a compressed point's decode.
    static Expected<G1> from_uncompressed(ByteSpan bytes, IdentityPolicy identity = IdentityPolicy::reject);
    /// RFC 9380 hash_to_curve with the given tag (default: this project's tag).
    static G1 hash(ByteSpan msg, std::string_view dst = HASH_TO_G1_DST) noexcept;

    [[nodiscard]] std::array<std::uint8_t, G1_SIZE> to_compressed() const noexcept;
    /// x || y big-endian (ZCash serialisation), for known-answer tests.
    [[nodiscard]] std::array<std::uint8_t, G1_UNCOMPRESSED_SIZE> to_uncompressed() const noexcept;
    [[nodiscard]] bool is_identity() const noexcept;

    friend G1 operator+(const G1& a, const G1& b) noexcept;
    friend G1 operator-(const G1& a, const G1& b) noexcept;
    friend G1 operator-(const G1& a) noexcept;
    /// Constant-time scalar multiplication.
    friend G1 operator*(const G1& p, const Scalar& s) noexcept;
    friend bool operator==(const G1& a, const G1& b) noexcept;

private:
    friend struct Raw;
    alignas(8) std::array<std::uint64_t, 12> m_raw; // blst_p1_affine
};

/// A point of the prime-order subgroup G2 (or the identity), affine.
class G2 {
public:
    G2() noexcept : m_raw{} {}
    static G2 identity() noexcept { return {}; }
    static G2 generator() noexcept;
    static Expected<G2> from_compressed(ByteSpan bytes, IdentityPolicy identity = IdentityPolicy::reject);

    [[nodiscard]] std::array<std::uint8_t, G2_SIZE> to_compressed() const noexcept;
    [[nodiscard]] bool is_identity() const noexcept;

    friend G2 operator+(const G2& a, const G2& b) noexcept;
    friend G2 operator-(const G2& a, const G2& b) noexcept;
    friend G2 operator-(const G2& a) noexcept;
    friend G2 operator*(const G2& p, const Scalar& s) noexcept;
    friend bool operator==(const G2& a, const G2& b) noexcept;

private:
    friend struct Raw;
    alignas(8) std::array<std::uint64_t, 24> m_raw; // blst_p2_affine
};

/// An element of the target group (after the final exponentiation).
class GT {
public:
    GT() noexcept; // one
    static GT pairing(const G1& p, const G2& q) noexcept;
    [[nodiscard]] bool is_one() const noexcept;
    friend GT operator*(const GT& a, const GT& b) noexcept;
    friend bool operator==(const GT& a, const GT& b) noexcept;

private:
    friend struct Raw;
    alignas(8) std::array<std::uint64_t, 72> m_raw; // blst_fp12
};

/// Miller-loop lines of a fixed G2 point (blst_precompute_lines), for points used in many pairings.
class G2Prepared {
public:
    explicit G2Prepared(const G2& q);
    [[nodiscard]] const G2& point() const noexcept { return m_point; }

private:
    friend struct Raw;
    G2 m_point;
    std::unique_ptr<std::uint64_t[]> m_lines; // blst_fp6[68]
};

/// The lines of the G2 generator, computed once.
const G2Prepared& g2_generator_prepared();

/// prod e(p_i, q_i) as a product of Miller loops and ONE final exponentiation. Terms with an
/// identity on either side contribute 1 and are skipped.
class PairingProduct {
public:
    PairingProduct() noexcept;
    void add(const G1& p, const G2& q) noexcept;
    void add(const G1& p, const G2Prepared& q) noexcept;
    [[nodiscard]] GT finish() const noexcept;
    [[nodiscard]] bool is_one() const noexcept { return finish().is_one(); }

private:
    friend struct Raw;
    alignas(8) std::array<std::uint64_t, 72> m_acc; // blst_fp12, product of Miller loops
    bool m_empty = true;
};

/// For PUBLIC scalars (verification, Lagrange coefficients): sum scalars[i] * points[i] + sum
/// addends, normalised to affine once. From 5 G1 / 8 G2 terms on
/// it runs Pippenger (blst_p1s_mult_pippenger / blst_p2s_mult_pippenger), which is variable time in
/// the scalars (bucket access pattern); below that, separate constant-time GLV multiplications,
/// which blst 0.3.10 runs faster than its Pippenger at these sizes. Extra points or scalars beyond
/// the shorter of the two spans are ignored.
[[nodiscard]] G1 g1_msm(std::span<const G1> points, std::span<const Scalar> scalars,
                        std::span<const G1> addends = {}) noexcept;
[[nodiscard]] G2 g2_msm(std::span<const G2> points, std::span<const Scalar> scalars,
                        std::span<const G2> addends = {}) noexcept;
/// The same sums for secret scalars (keys, attributes, blinding factors, witnesses): always
/// separate constant-time multiplications, never Pippenger.
[[nodiscard]] G1 g1_msm_secret(std::span<const G1> points, std::span<const Scalar> scalars,
                               std::span<const G1> addends = {}) noexcept;
[[nodiscard]] G2 g2_msm_secret(std::span<const G2> points, std::span<const Scalar> scalars,
                               std::span<const G2> addends = {}) noexcept;

/// RFC 9380 hash_to_curve into G1 (suite BLS12381G1_XMD:SHA-256_SSWU_RO_) under `dst`.
[[nodiscard]] inline G1 hash_to_g1(ByteSpan msg, std::string_view dst = HASH_TO_G1_DST) noexcept {
    return G1::hash(msg, dst);
}
/// RFC 9380 hash_to_field into Fr under `dst`.
[[nodiscard]] inline Scalar hash_to_scalar(ByteSpan msg, std::string_view dst = HASH_TO_SCALAR_DST) noexcept {
    return Scalar::hash(msg, dst);
}

} // namespace nym::bls

template <>
struct std::is_error_code_enum<nym::bls::Errc> : std::true_type {};
