#pragma once
// SHA-256, HMAC-SHA256 and HKDF-SHA256 (OpenSSL's SHA-256, which uses SHA-NI where present) and
// keyed BLAKE2b (libsodium). The HMAC state is precomputed once per key so Sphinx can reuse it.

#include <crypto/secret.hpp>
#include <util/expected.hpp>

#include <array>
#include <cstdint>
#include <span>

namespace nym::crypto {

inline constexpr std::size_t SHA256_SIZE = 32;
using Sha256Digest = std::array<std::uint8_t, SHA256_SIZE>;

[[nodiscard]] Sha256Digest sha256(ByteSpan data) noexcept;

/// HMAC-SHA256 with the key's inner and outer states precomputed (RFC 2104).
class HmacSha256 {
public:
    explicit HmacSha256(ByteSpan key) noexcept;
    ~HmacSha256();
    HmacSha256(const HmacSha256&) noexcept;
    HmacSha256& operator=(const HmacSha256&) noexcept;

    void update(ByteSpan data) noexcept;
    /// Writes the 32-byte tag and resets the state to the keyed start, ready for the next message.
    [[nodiscard]] Sha256Digest finish() noexcept;

private:
    struct State;
    alignas(16) std::array<std::uint8_t, 3 * 112> m_state; // inner, outer, running SHA256_CTX
};

[[nodiscard]] Sha256Digest hmac_sha256(ByteSpan key, ByteSpan data) noexcept;

/// RFC 5869. An empty salt means HashLen zero bytes. out.size() must be at most 255 * 32;
/// a longer request returns Errc::invalid_length.
[[nodiscard]] Expected<void> hkdf_sha256(ByteSpan salt, ByteSpan ikm, ByteSpan info, MutableByteSpan out) noexcept;

/// BLAKE2b (RFC 7693) with an optional key of up to 64 bytes and an output of 1..64 bytes.
[[nodiscard]] Expected<void> blake2b(ByteSpan key, ByteSpan data, MutableByteSpan out) noexcept;

} // namespace nym::crypto
