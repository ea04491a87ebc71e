#include <crypto/curve25519_ref.hpp>
#include <crypto/errors.hpp>
#include <crypto/sodium_init.hpp>
#include <crypto/x25519.hpp>

#include <sodium.h>

#include <algorithm>

namespace nym::crypto {
namespace {

using Bytes32 = std::array<std::uint8_t, 32>;

void clamp(std::span<std::uint8_t, 32> k) noexcept {
    k[0] = static_cast<std::uint8_t>(k[0] & 248U);
    k[31] = static_cast<std::uint8_t>(k[31] & 127U);
    k[31] = static_cast<std::uint8_t>(k[31] | 64U);
}

Bytes32 reduce32(std::span<const std::uint8_t, 32> bytes) noexcept {
    std::array<std::uint8_t, 64> wide{};
    std::copy(bytes.begin(), bytes.end(), wide.begin());
    Bytes32 out{};
    crypto_core_ed25519_scalar_reduce(out.data(), wide.data());
    secure_wipe(wide.data(), wide.size());
    return out;
}

// Public constants of the clamped-form rewrite (all mod l): 8^-1, -(2^254 / 8) and 2^255 / 8.
struct Constants {
    Bytes32 inv8{};
    Bytes32 neg_two254_over8{};
    Bytes32 two255_over8{};
    Constants() noexcept {
        Bytes32 eight{};
        eight[0] = 8;
        crypto_core_ed25519_scalar_invert(inv8.data(), eight.data());
        Bytes32 p{};
        p[31] = 0x40;
        const Bytes32 two254 = reduce32(p);
        Bytes32 t{};
        crypto_core_ed25519_scalar_mul(t.data(), two254.data(), inv8.data());
        crypto_core_ed25519_scalar_negate(neg_two254_over8.data(), t.data());
        crypto_core_ed25519_scalar_add(two255_over8.data(), t.data(), t.data());
    }
};

const Constants& constants() noexcept {
    static const Constants c;
    return c;
}

/// The RFC 7748 clamped scalar c = 2^254 + 8j with c == +-s (mod l), which makes X25519(c, P) equal
/// s * P for every P in the prime-order subgroup (u(-P) = u(P)). Returns false in the ~2^-126
/// case where neither sign gives j < 2^251. The sign choice is made without a branch.
///   j+ = (s - 2^254) / 8 = s/8 - 2^254/8
///   j- = (-s - 2^254) / 8 = -(j+ + 2^255/8)
bool clamped_equivalent(const Scalar25519& s, Bytes32& c) noexcept {
    const Constants& k = constants();
    Bytes32 t{};
    Bytes32 j_pos{};
    Bytes32 j_neg{};
    crypto_core_ed25519_scalar_mul(t.data(), s.bytes().data(), k.inv8.data());
    crypto_core_ed25519_scalar_add(j_pos.data(), t.data(), k.neg_two254_over8.data());
    crypto_core_ed25519_scalar_add(t.data(), j_pos.data(), k.two255_over8.data());
    crypto_core_ed25519_scalar_negate(j_neg.data(), t.data());
    // j < 2^251 <=> bits 251..255 clear <=> byte 31 < 8.
    const unsigned pos_ok = static_cast<unsigned>(j_pos[31] < 8U);
    const unsigned neg_ok = static_cast<unsigned>(j_neg[31] < 8U);
    const auto take_pos = static_cast<std::uint8_t>(0U - pos_ok);
    Bytes32 j{};
    for (std::size_t i = 0; i < 32; ++i)
        j[i] = static_cast<std::uint8_t>((j_pos[i] & take_pos) | (j_neg[i] & static_cast<std::uint8_t>(~take_pos)));
    // c = 8j | 2^254 (8j < 2^254, so the OR is an addition).
    unsigned carry = 0;
    for (std::size_t i = 0; i < 32; ++i) {
        const unsigned v = (static_cast<unsigned>(j[i]) << 3) | carry;
        c[i] = static_cast<std::uint8_t>(v);
        carry = v >> 8;
    }
    c[31] = static_cast<std::uint8_t>(c[31] | 0x40U);
    secure_wipe(t.data(), t.size());
    secure_wipe(j_pos.data(), j_pos.size());
    secure_wipe(j_neg.data(), j_neg.size());
    secure_wipe(j.data(), j.size());
    return (pos_ok | neg_ok) != 0;
}

/// The rare path: s * P = (s / 8) * (8 * P) with the reference ladder, which also clears P's
/// small-order component exactly as the clamped fast path does.
Bytes32 scalarmult_fallback(const Scalar25519& s, std::span<const std::uint8_t, 32> point) noexcept {
    Bytes32 t{};
    crypto_core_ed25519_scalar_mul(t.data(), s.bytes().data(), constants().inv8.data());
    Bytes32 out = detail::montgomery_ladder_cofactor_cleared(t, point);
    secure_wipe(t.data(), t.size());
    return out;
}

} // namespace

Scalar25519 Scalar25519::from_bytes_mod_order(std::span<const std::uint8_t, 32> bytes) noexcept {
    Scalar25519 s;
    Bytes32 r = reduce32(bytes);
    s.m_bytes = SecretBytes<32>(std::span<const std::uint8_t, 32>(r));
    secure_wipe(r.data(), r.size());
    return s;
}

Scalar25519 Scalar25519::from_bytes_mod_order_wide(std::span<const std::uint8_t, 64> bytes) noexcept {
    Scalar25519 s;
    std::array<std::uint8_t, 64> wide{};
    std::copy(bytes.begin(), bytes.end(), wide.begin());
    crypto_core_ed25519_scalar_reduce(s.m_bytes.data(), wide.data());
    secure_wipe(wide.data(), wide.size());
    return s;
}

Scalar25519 Scalar25519::random(Rng& rng) noexcept {
    std::array<std::uint8_t, 64> wide{};
    rng.fill(wide);
    Scalar25519 s = from_bytes_mod_order_wide(wide);
    secure_wipe(wide.data(), wide.size());
    return s;
}

Scalar25519 Scalar25519::operator*(const Scalar25519& rhs) const noexcept {
    Scalar25519 r;
    crypto_core_ed25519_scalar_mul(r.m_bytes.data(), m_bytes.data(), rhs.m_bytes.data());
    return r;
}

bool Scalar25519::is_zero() const noexcept {
    return sodium_is_zero(m_bytes.data(), 32) == 1;
}

X25519SecretKey X25519SecretKey::from_bytes(std::span<const std::uint8_t, 32> raw) noexcept {
    X25519SecretKey k;
    k.m_bytes = SecretBytes<32>(raw);
    clamp(k.m_bytes.mutable_bytes());
    return k;
}

X25519SecretKey X25519SecretKey::generate(Rng& rng) noexcept {
    X25519SecretKey k;
    rng.fill(k.m_bytes.mutable_bytes());
    clamp(k.m_bytes.mutable_bytes());
    return k;
}

X25519PublicKey X25519SecretKey::public_key() const noexcept {
    // The clamped key times the base point equals (key mod l) times it: B has order l.
    return scalarmult_base(to_scalar());
}

Scalar25519 X25519SecretKey::to_scalar() const noexcept {
    return Scalar25519::from_bytes_mod_order(m_bytes.bytes());
}

X25519KeyPair X25519KeyPair::generate(Rng& rng) noexcept {
    X25519KeyPair kp;
    kp.secret = X25519SecretKey::generate(rng);
    kp.public_key = kp.secret.public_key();
    return kp;
}

Expected<MontgomeryPoint> x25519(const X25519SecretKey& key, const MontgomeryPoint& point) noexcept {
    MontgomeryPoint out;
    if (crypto_scalarmult(out.bytes.data(), key.bytes().data(), point.bytes.data()) != 0)
        return fail(Errc::low_order_point);
    return out;
}

Expected<MontgomeryPoint> scalarmult(const Scalar25519& scalar, const MontgomeryPoint& point) noexcept {
    if (scalar.is_zero()) return fail(Errc::low_order_point);
    MontgomeryPoint out;
    Bytes32 c{};
    if (clamped_equivalent(scalar, c)) {
        const int rc = crypto_scalarmult(out.bytes.data(), c.data(), point.bytes.data());
        secure_wipe(c.data(), c.size());
        if (rc != 0) return fail(Errc::low_order_point);
        return out;
    }
    out.bytes = scalarmult_fallback(scalar, point.bytes);
    if (sodium_is_zero(out.bytes.data(), out.bytes.size()) == 1) return fail(Errc::low_order_point);
    return out;
}

MontgomeryPoint scalarmult_base(const Scalar25519& scalar) noexcept {
    // libsodium's fixed-base Edwards multiplication (precomputed table, no clamping, ~2x faster
    // than an X25519 ladder from u = 9), then the birational map to the Montgomery u-coordinate.
    MontgomeryPoint out;
    if (scalar.is_zero()) return out; // the identity, u = 0
    Bytes32 edwards{};
    if (crypto_scalarmult_ed25519_base_noclamp(edwards.data(), scalar.bytes().data()) != 0) return out;
    out.bytes = detail::edwards_to_montgomery_u(edwards);
    return out;
}

} // namespace nym::crypto
