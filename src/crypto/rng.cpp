#include <crypto/hash.hpp>
#include <crypto/rng.hpp>
#include <crypto/sodium_init.hpp>

#include <sodium.h>

#include <algorithm>

namespace nym::crypto {

void SystemRng::fill(std::span<std::uint8_t> out) {
    if (out.empty()) return;
    detail::sodium_ready();
    randombytes_buf(out.data(), out.size());
}

DeterministicRng::DeterministicRng(std::uint64_t seed) noexcept {
    std::array<std::uint8_t, 8> be{};
    for (std::size_t i = 0; i < 8; ++i) be[i] = static_cast<std::uint8_t>(seed >> (56 - 8 * i));
    Sha256Digest key = sha256(be);
    m_key = SecretBytes<32>(std::span<const std::uint8_t, 32>(key));
    secure_wipe(key.data(), key.size());
}

DeterministicRng::DeterministicRng(std::span<const std::uint8_t, 32> seed) noexcept : m_key(seed) {}

void DeterministicRng::fill(std::span<std::uint8_t> out) {
    // Each call starts at a fresh 64-byte block, so the stream depends on how it is chunked into
    // calls; that is fine for a reproducible test RNG and keeps no buffered keystream around.
    static constexpr std::array<std::uint8_t, 8> NONCE{};
    if (out.empty()) return;
    std::fill(out.begin(), out.end(), std::uint8_t{0});
    crypto_stream_chacha20_xor_ic(out.data(), out.data(), out.size(), NONCE.data(), m_block, m_key.data());
    m_block += (out.size() + 63) / 64;
}

Rng& system_rng() noexcept {
    static SystemRng rng;
    return rng;
}

} // namespace nym::crypto
