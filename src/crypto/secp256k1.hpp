#pragma once
// secp256k1 ECDSA with public-key recovery, as Ethereum uses it (libsecp256k1 0.2 with its recovery
// module), and Ethereum addresses.
//
//  - Signatures are 65 bytes r || s || v: r and s 32-byte big-endian, v the recovery id in {0, 1}
//    (not Ethereum's 27/28 nor an EIP-155 chain-id-folded v: a caller that speaks those converts).
//  - Signing is deterministic (RFC 6979 nonces, libsecp256k1's default) and always yields low s
//    (s <= n/2). Parsing refuses high s (Errc::high_s), v outside {0, 1} (invalid_recovery_id) and
//    r or s of zero or not below n (invalid_signature), so every accepted signature is canonical:
//    one (digest, key) has exactly one encoding, and a signature cannot be mutated into a second
//    valid one (EIP-2 / Bitcoin's low-s rule).
//  - An Ethereum address is the last 20 bytes of Keccak-256 of the 64-byte uncompressed public key
//    (x || y, without the 0x04 prefix).
//
// Everything here is thread-safe: the library context is created and randomised once, then only read.

#include <crypto/keccak.hpp>
#include <crypto/rng.hpp>
#include <crypto/secret.hpp>
#include <util/expected.hpp>

#include <array>
#include <compare>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace nym::crypto {

inline constexpr std::size_t SECP256K1_SECRET_KEY_SIZE = 32;
inline constexpr std::size_t SECP256K1_PUBLIC_KEY_SIZE = 64;              ///< x || y, no prefix byte
inline constexpr std::size_t SECP256K1_UNCOMPRESSED_PUBLIC_KEY_SIZE = 65; ///< 0x04 || x || y (SEC 1)
inline constexpr std::size_t SECP256K1_COMPRESSED_PUBLIC_KEY_SIZE = 33;   ///< 0x02/0x03 || x (SEC 1)
inline constexpr std::size_t SECP256K1_DIGEST_SIZE = 32;
inline constexpr std::size_t RECOVERABLE_SIGNATURE_SIZE = 65; ///< r || s || v
inline constexpr std::size_t ETHEREUM_ADDRESS_SIZE = 20;

using Secp256k1Digest = std::span<const std::uint8_t, SECP256K1_DIGEST_SIZE>;

/// A 20-byte Ethereum-style account address. Ordered bytewise (the order of the raw bytes).
struct EthereumAddress {
    std::array<std::uint8_t, ETHEREUM_ADDRESS_SIZE> bytes{};

    /// "0x" followed by 40 lowercase hex digits.
    [[nodiscard]] std::string to_hex() const;
    /// "0x" followed by the EIP-55 mixed-case checksum form.
    [[nodiscard]] std::string to_checksum_hex() const;
    /// Accepts 40 hex digits with or without "0x". All-lowercase and all-uppercase digits are taken
    /// as they are; mixed case must be a valid EIP-55 checksum (Errc::invalid_hex otherwise).
    static Expected<EthereumAddress> from_hex(std::string_view text);
    /// Exactly 20 raw bytes (Errc::invalid_length otherwise).
    static Expected<EthereumAddress> from_bytes(ByteSpan bytes);

    friend bool operator==(const EthereumAddress&, const EthereumAddress&) = default;
    friend auto operator<=>(const EthereumAddress&, const EthereumAddress&) = default;
};

/// A canonical recoverable signature r || s || v (see the top of this file). Construct it with
/// parse(); Secp256k1SecretKey::sign_recoverable returns one directly.
struct RecoverableSignature {
    std::array<std::uint8_t, RECOVERABLE_SIGNATURE_SIZE> bytes{};

    /// Exactly 65 bytes, v in {0, 1}, 0 < r < n, 0 < s <= n/2. Errors, in this order of checking:
    /// invalid_length, invalid_recovery_id, invalid_signature (r or s zero or >= n), high_s.
    static Expected<RecoverableSignature> parse(ByteSpan bytes);

    [[nodiscard]] std::span<const std::uint8_t, 32> r() const noexcept { return std::span(bytes).first<32>(); }
    [[nodiscard]] std::span<const std::uint8_t, 32> s() const noexcept { return std::span(bytes).subspan<32, 32>(); }
    [[nodiscard]] std::uint8_t v() const noexcept { return bytes[64]; }

    friend bool operator==(const RecoverableSignature&, const RecoverableSignature&) = default;
};

/// A point on secp256k1 other than infinity (valid by construction).
class Secp256k1PublicKey {
public:
    /// SEC 1 encodings: 33-byte compressed, 65-byte uncompressed (0x04 prefix), or the raw 64-byte
    /// x || y form. Errc::invalid_length for any other size, Errc::invalid_point if not on the curve
    /// (or a hybrid 0x06/0x07 encoding).
    static Expected<Secp256k1PublicKey> parse(ByteSpan bytes);

    /// x || y, 64 bytes.
    [[nodiscard]] const std::array<std::uint8_t, SECP256K1_PUBLIC_KEY_SIZE>& raw() const noexcept { return m_xy; }
    [[nodiscard]] std::array<std::uint8_t, SECP256K1_UNCOMPRESSED_PUBLIC_KEY_SIZE>
    serialize_uncompressed() const noexcept;
    [[nodiscard]] std::array<std::uint8_t, SECP256K1_COMPRESSED_PUBLIC_KEY_SIZE> serialize_compressed() const noexcept;
    /// Keccak-256(x || y)[12..32].
    [[nodiscard]] EthereumAddress address() const noexcept;

    friend bool operator==(const Secp256k1PublicKey&, const Secp256k1PublicKey&) = default;

private:
    Secp256k1PublicKey() = default;
    friend class Secp256k1SecretKey;
    friend Expected<Secp256k1PublicKey> secp256k1_recover(Secp256k1Digest, const RecoverableSignature&) noexcept;
    std::array<std::uint8_t, SECP256K1_PUBLIC_KEY_SIZE> m_xy{};
};

/// A secret scalar in [1, n-1] that wipes itself.
class Secp256k1SecretKey {
public:
    /// 32 big-endian bytes; Errc::invalid_secret_key for zero or a value >= n.
    static Expected<Secp256k1SecretKey> from_bytes(std::span<const std::uint8_t, SECP256K1_SECRET_KEY_SIZE> bytes);
    /// 64 hex digits, optionally prefixed by "0x" (the form of go-ethereum key files).
    static Expected<Secp256k1SecretKey> from_hex(std::string_view text);
    /// A uniformly random key (rejection sampling over 32-byte strings).
    static Secp256k1SecretKey generate(Rng& rng);

    [[nodiscard]] Secp256k1PublicKey public_key() const noexcept;
    [[nodiscard]] EthereumAddress address() const noexcept { return public_key().address(); }
    /// ECDSA over a 32-byte digest (the caller hashes; Ethereum uses Keccak-256), RFC 6979 nonce,
    /// low s, v = the recovery id.
    [[nodiscard]] RecoverableSignature sign_recoverable(Secp256k1Digest digest) const noexcept;
    [[nodiscard]] std::span<const std::uint8_t, SECP256K1_SECRET_KEY_SIZE> bytes() const noexcept {
        return m_key.bytes();
    }

private:
    Secp256k1SecretKey() = default;
    SecretBytes<SECP256K1_SECRET_KEY_SIZE> m_key;
};

/// The public key whose signature over `digest` this is. invalid_signature when no key recovers (the
/// signature is not valid for any key). A signature that recovers is valid for the returned key by
/// construction; the caller compares the key (or its address) with the one it expects.
[[nodiscard]] Expected<Secp256k1PublicKey> secp256k1_recover(Secp256k1Digest digest,
                                                             const RecoverableSignature& signature) noexcept;

/// secp256k1_recover, then the address: the usual way to authenticate an Ethereum-style message.
[[nodiscard]] Expected<EthereumAddress> recover_address(Secp256k1Digest digest,
                                                        const RecoverableSignature& signature) noexcept;

} // namespace nym::crypto
