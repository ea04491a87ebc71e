#pragma once
// Ed25519 signatures (RFC 8032) over libsodium: node identities, signed heartbeats, client ids.

#include <crypto/rng.hpp>
#include <crypto/secret.hpp>
#include <crypto/x25519.hpp>
#include <util/expected.hpp>

#include <array>
#include <cstdint>

namespace nym::crypto {

inline constexpr std::size_t ED25519_PUBLIC_KEY_SIZE = 32;
inline constexpr std::size_t ED25519_SEED_SIZE = 32;
inline constexpr std::size_t ED25519_SIGNATURE_SIZE = 64;

struct Ed25519PublicKey {
    std::array<std::uint8_t, ED25519_PUBLIC_KEY_SIZE> bytes{};
    friend bool operator==(const Ed25519PublicKey&, const Ed25519PublicKey&) = default;
};

struct Ed25519Signature {
    std::array<std::uint8_t, ED25519_SIGNATURE_SIZE> bytes{};
    friend bool operator==(const Ed25519Signature&, const Ed25519Signature&) = default;
};

/// The 32-byte seed of RFC 8032 (the expanded key is recomputed on construction and wiped too).
class Ed25519SecretKey {
public:
    Ed25519SecretKey() noexcept = default;
    static Ed25519SecretKey from_seed(std::span<const std::uint8_t, ED25519_SEED_SIZE> seed) noexcept;
    static Ed25519SecretKey generate(Rng& rng) noexcept;

    [[nodiscard]] Ed25519PublicKey public_key() const noexcept;
    [[nodiscard]] Ed25519Signature sign(ByteSpan message) const noexcept;
    std::span<const std::uint8_t, ED25519_SEED_SIZE> seed() const noexcept { return m_expanded.bytes().first<32>(); }

private:
    friend X25519SecretKey ed25519_secret_to_x25519(const Ed25519SecretKey& key) noexcept;
    SecretBytes<64> m_expanded; // libsodium's seed || public key form
};

/// Strict verification (libsodium rejects non-canonical and small-order encodings).
[[nodiscard]] Expected<void> ed25519_verify(const Ed25519PublicKey& key, ByteSpan message,
                                            const Ed25519Signature& signature) noexcept;

/// The X25519 (Montgomery) form of an Ed25519 public key (the birational map; libsodium
/// crypto_sign_ed25519_pk_to_curve25519), so one identity key also serves for key agreement.
/// Errc::invalid_point for an encoding that is not a point, or a point of small order.
[[nodiscard]] Expected<X25519PublicKey> ed25519_public_to_x25519(const Ed25519PublicKey& key) noexcept;

/// The X25519 secret key matching ed25519_public_to_x25519(key.public_key()): the clamped first half
/// of SHA-512(seed) (crypto_sign_ed25519_sk_to_curve25519).
[[nodiscard]] X25519SecretKey ed25519_secret_to_x25519(const Ed25519SecretKey& key) noexcept;

} // namespace nym::crypto
