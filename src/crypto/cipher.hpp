#pragma once
// Stream ciphers: AES-128-CTR (OpenSSL, AES-NI) and ChaCha20 (libsodium), in both nonce sizes.

#include <crypto/secret.hpp>

#include <array>
#include <cstdint>
#include <span>

namespace nym::crypto {

inline constexpr std::size_t AES128_KEY_SIZE = 16;
inline constexpr std::size_t AES_BLOCK_SIZE = 16;
inline constexpr std::size_t CHACHA20_KEY_SIZE = 32;

/// out = in XOR AES-128-CTR(key, iv) with a 128-bit big-endian counter starting at iv (SP 800-38A).
/// in and out may be the same buffer; sizes must match.
void aes128_ctr_xor(std::span<const std::uint8_t, AES128_KEY_SIZE> key, std::span<const std::uint8_t, AES_BLOCK_SIZE> iv,
                    ByteSpan in, MutableByteSpan out) noexcept;

/// The keystream itself (in = zeros).
void aes128_ctr_keystream(std::span<const std::uint8_t, AES128_KEY_SIZE> key,
                          std::span<const std::uint8_t, AES_BLOCK_SIZE> iv, MutableByteSpan out) noexcept;

/// Original (DJB) ChaCha20: 64-bit nonce, 64-bit block counter starting at `counter`. In place allowed.
void chacha20_xor(std::span<const std::uint8_t, CHACHA20_KEY_SIZE> key, std::span<const std::uint8_t, 8> nonce,
                  std::uint64_t counter, ByteSpan in, MutableByteSpan out) noexcept;

/// RFC 8439 ChaCha20: 96-bit nonce, 32-bit block counter starting at `counter`. In place allowed.
void chacha20_ietf_xor(std::span<const std::uint8_t, CHACHA20_KEY_SIZE> key, std::span<const std::uint8_t, 12> nonce,
                       std::uint32_t counter, ByteSpan in, MutableByteSpan out) noexcept;

} // namespace nym::crypto
