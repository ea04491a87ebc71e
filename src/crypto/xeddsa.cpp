// XEdDSA (see xeddsa.hpp) on libsodium's Edwards25519 scalar and point operations; the one piece
// libsodium lacks, the Montgomery→Edwards map of the public key, is curve25519_ref's field code.
#include <crypto/xeddsa.hpp>

#include <crypto/curve25519_ref.hpp>
#include <crypto/errors.hpp>
#include <crypto/secret.hpp>
#include <crypto/sodium_init.hpp>

#include <sodium.h>

#include <algorithm>
#include <array>

namespace nym::crypto {
namespace {

using Bytes32 = std::array<std::uint8_t, 32>;

/// hash_i(X) = SHA-512(2^256 - 1 - i ‖ X) with the prefix as 32 little-endian bytes (XEdDSA §2.5).
void hash1(std::uint8_t out[64], const SecretBytes<32>& a, ByteSpan message, const std::array<std::uint8_t, 64>& z) {
    std::array<std::uint8_t, 32> prefix{};
    prefix.fill(0xff);
    prefix[0] = 0xfe; // 2^256 - 1 - 1
    crypto_hash_sha512_state state;
    crypto_hash_sha512_init(&state);
    crypto_hash_sha512_update(&state, prefix.data(), prefix.size());
    crypto_hash_sha512_update(&state, a.bytes().data(), 32);
    crypto_hash_sha512_update(&state, message.data(), message.size());
    crypto_hash_sha512_update(&state, z.data(), z.size());
    crypto_hash_sha512_final(&state, out);
}

} // namespace

Ed25519Signature xeddsa_sign(const X25519SecretKey& key, ByteSpan message, Rng& rng) {
    // calculate_key_pair(k): E = kB; A = E with the sign bit cleared; a = k or -k so that aB = A.
    SecretBytes<32> k;
    {
        const Scalar25519 reduced = key.to_scalar();
        std::copy(reduced.bytes().begin(), reduced.bytes().end(), k.mutable_bytes().begin());
    }
    Bytes32 edwards{};
    (void)crypto_scalarmult_ed25519_base_noclamp(edwards.data(), k.bytes().data());
    SecretBytes<32> a;
    if ((edwards[31] & 0x80) != 0) crypto_core_ed25519_scalar_negate(a.mutable_bytes().data(), k.bytes().data());
    else std::copy(k.bytes().begin(), k.bytes().end(), a.mutable_bytes().begin());
    edwards[31] &= 0x7f;

    std::array<std::uint8_t, 64> z{};
    rng.fill(z);
    std::uint8_t wide[64];
    hash1(wide, a, message, z);
    SecretBytes<32> r;
    crypto_core_ed25519_scalar_reduce(r.mutable_bytes().data(), wide);
    sodium_memzero(wide, sizeof wide);

    Ed25519Signature signature;
    (void)crypto_scalarmult_ed25519_base_noclamp(signature.bytes.data(), r.bytes().data()); // R = rB
    // h = SHA-512(R ‖ A ‖ M) mod l; s = r + h·a mod l: exactly what Ed25519 verification checks.
    std::uint8_t h_wide[64];
    crypto_hash_sha512_state state;
    crypto_hash_sha512_init(&state);
    crypto_hash_sha512_update(&state, signature.bytes.data(), 32);
    crypto_hash_sha512_update(&state, edwards.data(), edwards.size());
    crypto_hash_sha512_update(&state, message.data(), message.size());
    crypto_hash_sha512_final(&state, h_wide);
    Bytes32 h{};
    crypto_core_ed25519_scalar_reduce(h.data(), h_wide);
    SecretBytes<32> ha;
    crypto_core_ed25519_scalar_mul(ha.mutable_bytes().data(), h.data(), a.bytes().data());
    crypto_core_ed25519_scalar_add(signature.bytes.data() + 32, r.bytes().data(), ha.bytes().data());
    return signature;
}

Expected<void> xeddsa_verify(const X25519PublicKey& key, ByteSpan message, const Ed25519Signature& signature) noexcept {
    // u must be canonical (< p) and not -1 (whose Edwards form does not exist).
    Bytes32 u = key.bytes;
    u[31] &= 0x7f;
    Bytes32 minus_one{};
    minus_one.fill(0xff);
    minus_one[0] = 0xec;
    minus_one[31] = 0x7f;
    if (u != key.bytes || u == minus_one) return fail(Errc::invalid_signature);
    // p = 2^255 - 19 and above are non-canonical.
    bool below_p = false;
    for (int i = 31; i >= 0; --i) {
        const std::uint8_t p_byte = i == 31 ? 0x7f : (i == 0 ? 0xed : 0xff);
        if (u[static_cast<std::size_t>(i)] != p_byte) {
            below_p = u[static_cast<std::size_t>(i)] < p_byte;
            break;
        }
    }
    if (!below_p) return fail(Errc::invalid_signature);
    Ed25519PublicKey edwards;
    edwards.bytes = detail::montgomery_u_to_edwards(u);
    return ed25519_verify(edwards, message, signature);
}

} // namespace nym::crypto
