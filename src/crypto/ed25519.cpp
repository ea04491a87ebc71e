#include <crypto/ed25519.hpp>
#include <crypto/errors.hpp>
#include <crypto/sodium_init.hpp>

#include <sodium.h>

#include <algorithm>

namespace nym::crypto {

static_assert(crypto_sign_SECRETKEYBYTES == 64 && crypto_sign_SEEDBYTES == ED25519_SEED_SIZE);
static_assert(crypto_sign_PUBLICKEYBYTES == ED25519_PUBLIC_KEY_SIZE && crypto_sign_BYTES == ED25519_SIGNATURE_SIZE);

Ed25519SecretKey Ed25519SecretKey::from_seed(std::span<const std::uint8_t, ED25519_SEED_SIZE> seed) noexcept {
    Ed25519SecretKey key;
    std::array<std::uint8_t, ED25519_PUBLIC_KEY_SIZE> pk{};
    // Cannot fail: every 32-byte string is a valid seed.
    (void)crypto_sign_seed_keypair(pk.data(), key.m_expanded.data(), seed.data());
    return key;
}

Ed25519SecretKey Ed25519SecretKey::generate(Rng& rng) noexcept {
    SecretBytes<ED25519_SEED_SIZE> seed;
    rng.fill(seed.mutable_bytes());
    return from_seed(seed.bytes());
}

Ed25519PublicKey Ed25519SecretKey::public_key() const noexcept {
    Ed25519PublicKey pk;
    const auto tail = m_expanded.bytes().last<ED25519_PUBLIC_KEY_SIZE>();
    std::copy(tail.begin(), tail.end(), pk.bytes.begin());
    return pk;
}

Ed25519Signature Ed25519SecretKey::sign(ByteSpan message) const noexcept {
    Ed25519Signature sig;
    (void)crypto_sign_detached(sig.bytes.data(), nullptr, message.data(), message.size(), m_expanded.data());
    return sig;
}

Expected<void> ed25519_verify(const Ed25519PublicKey& key, ByteSpan message,
                              const Ed25519Signature& signature) noexcept {
    if (crypto_sign_verify_detached(signature.bytes.data(), message.data(), message.size(), key.bytes.data()) != 0)
        return fail(Errc::invalid_signature);
    return {};
}

Expected<X25519PublicKey> ed25519_public_to_x25519(const Ed25519PublicKey& key) noexcept {
    X25519PublicKey out;
    // libsodium refuses non-canonical encodings, non-points and points of small order.
    if (crypto_sign_ed25519_pk_to_curve25519(out.bytes.data(), key.bytes.data()) != 0) return fail(Errc::invalid_point);
    return out;
}

X25519SecretKey ed25519_secret_to_x25519(const Ed25519SecretKey& key) noexcept {
    SecretBytes<X25519_KEY_SIZE> raw;
    // Cannot fail: it hashes the seed stored in the expanded key.
    (void)crypto_sign_ed25519_sk_to_curve25519(raw.data(), key.m_expanded.data());
    return X25519SecretKey::from_bytes(raw.bytes());
}

} // namespace nym::crypto
