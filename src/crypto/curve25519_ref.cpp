#include <crypto/curve25519_ref.hpp>
#include <crypto/secret.hpp>

namespace nym::crypto::detail {
namespace {

// GF(2^255 - 19) in radix 2^51: five limbs, each kept below 2^52 between operations.
__extension__ typedef unsigned __int128 u128; // GCC/Clang extension, -Wpedantic-clean
struct Fe {
    std::uint64_t v[5];
};

constexpr std::uint64_t MASK51 = (std::uint64_t{1} << 51) - 1;

std::uint64_t load64(const std::uint8_t* p) noexcept {
    std::uint64_t r = 0;
    for (int i = 7; i >= 0; --i) r = (r << 8) | p[i];
    return r;
}

void carry(Fe& h) noexcept {
    for (int round = 0; round < 2; ++round) {
        for (int i = 0; i < 4; ++i) {
            h.v[i + 1] += h.v[i] >> 51;
            h.v[i] &= MASK51;
        }
        h.v[0] += 19 * (h.v[4] >> 51);
        h.v[4] &= MASK51;
    }
}

Fe fe_from_bytes(std::span<const std::uint8_t, 32> s) noexcept {
    Fe h{};
    h.v[0] = load64(s.data()) & MASK51;
    h.v[1] = (load64(s.data() + 6) >> 3) & MASK51;
    h.v[2] = (load64(s.data() + 12) >> 6) & MASK51;
    h.v[3] = (load64(s.data() + 19) >> 1) & MASK51;
    h.v[4] = (load64(s.data() + 24) >> 12) & MASK51; // drops bit 255
    return h;
}

std::array<std::uint8_t, 32> fe_to_bytes(Fe h) noexcept {
    carry(h); // now 0 <= h < 2^255 (limbs carried)
    // Adding 19 and wrapping the 2^255 carry gives (h mod p) + 19; adding 2^255 - 19 without the
    // wrap and dropping bit 255 then leaves h mod p, with no data-dependent branch.
    h.v[0] += 19;
    carry(h);
    h.v[0] += (std::uint64_t{1} << 51) - 19;
    for (int i = 1; i < 5; ++i) h.v[i] += (std::uint64_t{1} << 51) - 1;
    for (int i = 0; i < 4; ++i) {
        h.v[i + 1] += h.v[i] >> 51;
        h.v[i] &= MASK51;
    }
    h.v[4] &= MASK51;
    const std::uint64_t w[4] = {h.v[0] | (h.v[1] << 51), (h.v[1] >> 13) | (h.v[2] << 38),
                                (h.v[2] >> 26) | (h.v[3] << 25), (h.v[3] >> 39) | (h.v[4] << 12)};
    std::array<std::uint8_t, 32> out{};
    for (std::size_t i = 0; i < 32; ++i) out[i] = static_cast<std::uint8_t>(w[i / 8] >> (8 * (i % 8)));
    return out;
}

Fe fe_add(const Fe& a, const Fe& b) noexcept {
    Fe h{};
    for (int i = 0; i < 5; ++i) h.v[i] = a.v[i] + b.v[i];
    carry(h);
    return h;
}

Fe fe_sub(const Fe& a, const Fe& b) noexcept {
    // a + 4p - b keeps every limb non-negative for limbs below 2^53.
    constexpr std::uint64_t FOUR_P0 = 4 * ((std::uint64_t{1} << 51) - 19);
    constexpr std::uint64_t FOUR_PI = 4 * ((std::uint64_t{1} << 51) - 1);
    Fe h{};
    h.v[0] = a.v[0] + FOUR_P0 - b.v[0];
    for (int i = 1; i < 5; ++i) h.v[i] = a.v[i] + FOUR_PI - b.v[i];
    carry(h);
    return h;
}

Fe fe_mul(const Fe& a, const Fe& b) noexcept {
    const std::uint64_t b1 = 19 * b.v[1], b2 = 19 * b.v[2], b3 = 19 * b.v[3], b4 = 19 * b.v[4];
    u128 r0 = u128{a.v[0]} * b.v[0] + u128{a.v[1]} * b4 + u128{a.v[2]} * b3 + u128{a.v[3]} * b2 + u128{a.v[4]} * b1;
    u128 r1 = u128{a.v[0]} * b.v[1] + u128{a.v[1]} * b.v[0] + u128{a.v[2]} * b4 + u128{a.v[3]} * b3 + u128{a.v[4]} * b2;
    u128 r2 =
        u128{a.v[0]} * b.v[2] + u128{a.v[1]} * b.v[1] + u128{a.v[2]} * b.v[0] + u128{a.v[3]} * b4 + u128{a.v[4]} * b3;
    u128 r3 = u128{a.v[0]} * b.v[3] + u128{a.v[1]} * b.v[2] + u128{a.v[2]} * b.v[1] + u128{a.v[3]} * b.v[0] +
              u128{a.v[4]} * b4;
    u128 r4 = u128{a.v[0]} * b.v[4] + u128{a.v[1]} * b.v[3] + u128{a.v[2]} * b.v[2] + u128{a.v[3]} * b.v[1] +
              u128{a.v[4]} * b.v[0];
    r1 += static_cast<std::uint64_t>(r0 >> 51);
    r2 += static_cast<std::uint64_t>(r1 >> 51);
    r3 += static_cast<std::uint64_t>(r2 >> 51);
    r4 += static_cast<std::uint64_t>(r3 >> 51);
    Fe h{};
    h.v[0] = static_cast<std::uint64_t>(r0) & MASK51;
    h.v[1] = static_cast<std::uint64_t>(r1) & MASK51;
    h.v[2] = static_cast<std::uint64_t>(r2) & MASK51;
    h.v[3] = static_cast<std::uint64_t>(r3) & MASK51;
    h.v[4] = static_cast<std::uint64_t>(r4) & MASK51;
    h.v[0] += 19 * static_cast<std::uint64_t>(r4 >> 51);
    h.v[1] += h.v[0] >> 51; // now every limb is below 2^52
    h.v[0] &= MASK51;
    return h;
}

Fe fe_sq(const Fe& a) noexcept {
    const std::uint64_t a0 = a.v[0], a1 = a.v[1], a2 = a.v[2], a3 = a.v[3], a4 = a.v[4];
    const std::uint64_t d0 = 2 * a0, d1 = 2 * a1, d2 = 2 * a2, d3 = 2 * a3;
    const std::uint64_t a3_19 = 19 * a3, a4_19 = 19 * a4;
    u128 r0 = u128{a0} * a0 + u128{d1} * a4_19 + u128{d2} * a3_19;
    u128 r1 = u128{d0} * a1 + u128{d2} * a4_19 + u128{a3} * a3_19;
    u128 r2 = u128{d0} * a2 + u128{a1} * a1 + u128{d3} * a4_19;
    u128 r3 = u128{d0} * a3 + u128{d1} * a2 + u128{a4} * a4_19;
    u128 r4 = u128{d0} * a4 + u128{d1} * a3 + u128{a2} * a2;
    r1 += static_cast<std::uint64_t>(r0 >> 51);
    r2 += static_cast<std::uint64_t>(r1 >> 51);
    r3 += static_cast<std::uint64_t>(r2 >> 51);
    r4 += static_cast<std::uint64_t>(r3 >> 51);
    Fe h{};
    h.v[0] = static_cast<std::uint64_t>(r0) & MASK51;
    h.v[1] = static_cast<std::uint64_t>(r1) & MASK51;
    h.v[2] = static_cast<std::uint64_t>(r2) & MASK51;
    h.v[3] = static_cast<std::uint64_t>(r3) & MASK51;
    h.v[4] = static_cast<std::uint64_t>(r4) & MASK51;
    h.v[0] += 19 * static_cast<std::uint64_t>(r4 >> 51);
    h.v[1] += h.v[0] >> 51;
    h.v[0] &= MASK51;
    return h;
}

Fe fe_sq_n(Fe a, int n) noexcept {
    for (int i = 0; i < n; ++i) a = fe_sq(a);
    return a;
}

Fe fe_mul_small(const Fe& a, std::uint64_t k) noexcept {
    Fe h{};
    u128 c = 0;
    for (int i = 0; i < 5; ++i) {
        const u128 t = u128{a.v[i]} * k + c;
        h.v[i] = static_cast<std::uint64_t>(t) & MASK51;
        c = t >> 51;
    }
    h.v[0] += 19 * static_cast<std::uint64_t>(c);
    carry(h);
    return h;
}

// z^(p-2) = z^(2^255 - 21) with the usual addition chain: 254 squarings and 11 multiplications,
// the same sequence for every input.
Fe fe_invert(const Fe& z) noexcept {
    const Fe z2 = fe_sq(z);                              // 2
    const Fe z9 = fe_mul(fe_sq_n(z2, 2), z);             // 9
    const Fe z11 = fe_mul(z9, z2);                       // 11
    const Fe z_5 = fe_mul(fe_sq(z11), z9);               // 2^5 - 1
    const Fe z_10 = fe_mul(fe_sq_n(z_5, 5), z_5);        // 2^10 - 1
    const Fe z_20 = fe_mul(fe_sq_n(z_10, 10), z_10);     // 2^20 - 1
    const Fe z_40 = fe_mul(fe_sq_n(z_20, 20), z_20);     // 2^40 - 1
    const Fe z_50 = fe_mul(fe_sq_n(z_40, 10), z_10);     // 2^50 - 1
    const Fe z_100 = fe_mul(fe_sq_n(z_50, 50), z_50);    // 2^100 - 1
    const Fe z_200 = fe_mul(fe_sq_n(z_100, 100), z_100); // 2^200 - 1
    const Fe z_250 = fe_mul(fe_sq_n(z_200, 50), z_50);   // 2^250 - 1
    return fe_mul(fe_sq_n(z_250, 5), z11);               // 2^255 - 32 + 11 = p - 2
}

void fe_cswap(Fe& a, Fe& b, std::uint64_t swap) noexcept {
    const std::uint64_t mask = 0 - swap;
    for (int i = 0; i < 5; ++i) {
        const std::uint64_t t = mask & (a.v[i] ^ b.v[i]);
        a.v[i] ^= t;
        b.v[i] ^= t;
    }
}

} // namespace

std::array<std::uint8_t, 32> montgomery_ladder_unclamped(std::span<const std::uint8_t, 32> k,
                                                         std::span<const std::uint8_t, 32> u) noexcept {
    constexpr std::uint64_t A24 = 121665; // (486662 - 2) / 4
    const Fe x1 = fe_from_bytes(u);
    Fe x2{{1, 0, 0, 0, 0}};
    Fe z2{{0, 0, 0, 0, 0}};
    Fe x3 = x1;
    Fe z3{{1, 0, 0, 0, 0}};
    std::uint64_t swap = 0;
    for (int t = 254; t >= 0; --t) {
        const auto bit = static_cast<std::uint64_t>((k[static_cast<std::size_t>(t) / 8] >> (t % 8)) & 1);
        swap ^= bit;
        fe_cswap(x2, x3, swap);
        fe_cswap(z2, z3, swap);
        swap = bit;
        const Fe a = fe_add(x2, z2);
        const Fe aa = fe_sq(a);
        const Fe b = fe_sub(x2, z2);
        const Fe bb = fe_sq(b);
        const Fe e = fe_sub(aa, bb);
        const Fe c = fe_add(x3, z3);
        const Fe d = fe_sub(x3, z3);
        const Fe da = fe_mul(d, a);
        const Fe cb = fe_mul(c, b);
        x3 = fe_sq(fe_add(da, cb));
        z3 = fe_mul(x1, fe_sq(fe_sub(da, cb)));
        x2 = fe_mul(aa, bb);
        z2 = fe_mul(e, fe_add(aa, fe_mul_small(e, A24)));
    }
    fe_cswap(x2, x3, swap);
    fe_cswap(z2, z3, swap);
    std::array<std::uint8_t, 32> out = fe_to_bytes(fe_mul(x2, fe_invert(z2)));
    secure_wipe(&x2, sizeof x2);
    secure_wipe(&z2, sizeof z2);
    secure_wipe(&x3, sizeof x3);
    secure_wipe(&z3, sizeof z3);
    return out;
}

std::array<std::uint8_t, 32> montgomery_ladder_cofactor_cleared(std::span<const std::uint8_t, 32> k,
                                                                std::span<const std::uint8_t, 32> u) noexcept {
    std::array<std::uint8_t, 32> eight{};
    eight[0] = 8;
    const std::array<std::uint8_t, 32> u8 = montgomery_ladder_unclamped(eight, u);
    return montgomery_ladder_unclamped(k, u8);
}

std::array<std::uint8_t, 32> edwards_to_montgomery_u(std::span<const std::uint8_t, 32> edwards) noexcept {
    // u = (1 + y) / (1 - y); fe_from_bytes drops the sign bit of x, which u does not depend on.
    const Fe one{{1, 0, 0, 0, 0}};
    const Fe y = fe_from_bytes(edwards);
    return fe_to_bytes(fe_mul(fe_add(one, y), fe_invert(fe_sub(one, y))));
}

std::array<std::uint8_t, 32> montgomery_u_to_edwards(std::span<const std::uint8_t, 32> u) noexcept {
    const Fe one{{1, 0, 0, 0, 0}};
    const Fe x = fe_from_bytes(u);
    auto y = fe_to_bytes(fe_mul(fe_sub(x, one), fe_invert(fe_add(x, one))));
    y[31] &= 0x7f; // sign bit of x: 0
    return y;
}

} // namespace nym::crypto::detail
