#include <crypto/errors.hpp>
#include <crypto/lioness.hpp>
#include <crypto/sodium_init.hpp>

#include <climits>
#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdlib>

namespace nym::crypto {
namespace {

constexpr std::size_t HALF = 32;     // |L|: the ChaCha20 key size and the BLAKE2b output size
constexpr std::size_t HASH_KEY = 64; // BLAKE2b key size for k2 and k4
constexpr std::size_t K1 = 0;
constexpr std::size_t K2 = K1 + HALF;
constexpr std::size_t K3 = K2 + HASH_KEY;
constexpr std::size_t K4 = K3 + HALF;
static_assert(K4 + HASH_KEY == LIONESS_KEY_SIZE);

// The stream cipher S(k) is DJB ChaCha20 with an 8-byte zero nonce from block 0. Its state equals
// that of RFC 8439 ChaCha20 with a zero 12-byte nonce and 32-bit counter 0 for the first 2^32
// blocks, so OpenSSL's implementation (AVX-512/AVX2, about twice libsodium 1.0.18's speed on
// 2 KiB) computes it; one context per thread, fetched once, so no allocation per call.
class ThreadChaCha {
public:
    ThreadChaCha() noexcept : m_ctx(EVP_CIPHER_CTX_new()) {
        static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "ChaCha20", nullptr);
        if (m_ctx == nullptr || cipher == nullptr || EVP_EncryptInit_ex2(m_ctx, cipher, nullptr, nullptr, nullptr) != 1)
            std::abort(); // no ChaCha20 in the OpenSSL build: a deployment error, not an input error
    }
    ~ThreadChaCha() { EVP_CIPHER_CTX_free(m_ctx); }
    ThreadChaCha(const ThreadChaCha&) = delete;
    ThreadChaCha& operator=(const ThreadChaCha&) = delete;

    void xor_in_place(const std::uint8_t* key, MutableByteSpan data) noexcept {
        static constexpr std::array<std::uint8_t, 16> IV{}; // counter 0 (LE 32-bit) | zero nonce
        if (EVP_EncryptInit_ex2(m_ctx, nullptr, key, IV.data(), nullptr) != 1) std::abort();
        std::size_t done = 0;
        while (done < data.size()) {
            const std::size_t chunk = std::min<std::size_t>(data.size() - done, INT_MAX / 2);
            int written = 0;
            if (EVP_EncryptUpdate(m_ctx, data.data() + done, &written, data.data() + done, static_cast<int>(chunk)) !=
                1)
                std::abort();
            done += chunk;
        }
    }

private:
    EVP_CIPHER_CTX* m_ctx;
};

// R ^= ChaCha20(L ^ k, nonce 0, counter 0)
void stream_round(std::span<std::uint8_t, HALF> left, const std::uint8_t* k, MutableByteSpan right) noexcept {
    static constexpr std::array<std::uint8_t, 8> NONCE{};
    static constexpr std::size_t MAX_IETF_BYTES = (std::size_t{1} << 32) * 64; // where the two counters part
    std::array<std::uint8_t, HALF> key{};
    for (std::size_t i = 0; i < HALF; ++i) key[i] = static_cast<std::uint8_t>(left[i] ^ k[i]);
    if (right.size() < MAX_IETF_BYTES) {
        thread_local ThreadChaCha chacha;
        chacha.xor_in_place(key.data(), right);
    } else {
        crypto_stream_chacha20_xor_ic(right.data(), right.data(), right.size(), NONCE.data(), 0, key.data());
    }
    secure_wipe(key.data(), key.size());
}

// L ^= BLAKE2b-256(key = k, R)
void hash_round(std::span<std::uint8_t, HALF> left, const std::uint8_t* k, MutableByteSpan right) noexcept {
    std::array<std::uint8_t, HALF> digest{};
    crypto_generichash_blake2b(digest.data(), digest.size(), right.data(), right.size(), k, HASH_KEY);
    for (std::size_t i = 0; i < HALF; ++i) left[i] = static_cast<std::uint8_t>(left[i] ^ digest[i]);
    secure_wipe(digest.data(), digest.size());
}

} // namespace

Expected<void> lioness_encrypt(const LionessKey& key, MutableByteSpan block) noexcept {
    if (block.size() < LIONESS_MIN_BLOCK) return fail(Errc::invalid_length);
    const std::uint8_t* k = key.data();
    std::span<std::uint8_t, HALF> left = block.first<HALF>();
    MutableByteSpan right = block.subspan(HALF);
    stream_round(left, k + K1, right);
    hash_round(left, k + K2, right);
    stream_round(left, k + K3, right);
    hash_round(left, k + K4, right);
    return {};
}

Expected<void> lioness_decrypt(const LionessKey& key, MutableByteSpan block) noexcept {
    if (block.size() < LIONESS_MIN_BLOCK) return fail(Errc::invalid_length);
    const std::uint8_t* k = key.data();
    std::span<std::uint8_t, HALF> left = block.first<HALF>();
    MutableByteSpan right = block.subspan(HALF);
    hash_round(left, k + K4, right);
    stream_round(left, k + K3, right);
    hash_round(left, k + K2, right);
    stream_round(left, k + K1, right);
    return {};
}

} // namespace nym::crypto
