#pragma once
// Lioness wide-block cipher (Anderson-Biham) instantiated as Nym's Sphinx payload cipher:
// stream cipher = ChaCha20 (DJB, 8-byte zero nonce, counter 0), hash = keyed BLAKE2b with a
// 64-byte key and 32-byte output. Key = k1(32) | k2(64) | k3(32) | k4(64) = 192 bytes.
// Block = L (first 32 bytes) | R (the rest); blocks must be longer than 32 bytes.
//   encrypt: R ^= S(L ^ k1); L ^= H(k2, R); R ^= S(L ^ k3); L ^= H(k4, R)
//   decrypt: L ^= H(k4, R); R ^= S(L ^ k3); L ^= H(k2, R); R ^= S(L ^ k1)

#include <crypto/secret.hpp>
#include <util/expected.hpp>

namespace nym::crypto {

inline constexpr std::size_t LIONESS_KEY_SIZE = 192;
inline constexpr std::size_t LIONESS_MIN_BLOCK = 33;
using LionessKey = SecretBytes<LIONESS_KEY_SIZE>;

/// In place. A block shorter than LIONESS_MIN_BLOCK returns Errc::invalid_length.
[[nodiscard]] Expected<void> lioness_encrypt(const LionessKey& key, MutableByteSpan block) noexcept;
[[nodiscard]] Expected<void> lioness_decrypt(const LionessKey& key, MutableByteSpan block) noexcept;

} // namespace nym::crypto
