#include <crypto/cipher.hpp>
#include <crypto/sodium_init.hpp>

#include <climits>
#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace nym::crypto {
namespace {

// The provider's AES-128-CTR implementation is fetched once per process; each thread keeps one
// context initialised with it, so a call only re-keys (AES-NI key schedule) and streams.
const EVP_CIPHER* aes128_ctr_cipher() noexcept {
    static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-128-CTR", nullptr);
    return cipher;
}

class ThreadCipherContext {
public:
    ThreadCipherContext() noexcept : m_ctx(EVP_CIPHER_CTX_new()) {
        if (m_ctx == nullptr || aes128_ctr_cipher() == nullptr ||
            EVP_EncryptInit_ex2(m_ctx, aes128_ctr_cipher(), nullptr, nullptr, nullptr) != 1) {
            // Without AES the process cannot run Sphinx at all; this is not an input error.
            std::abort();
        }
    }
    ~ThreadCipherContext() { EVP_CIPHER_CTX_free(m_ctx); }
    ThreadCipherContext(const ThreadCipherContext&) = delete;
    ThreadCipherContext& operator=(const ThreadCipherContext&) = delete;
    EVP_CIPHER_CTX* get() const noexcept { return m_ctx; }

private:
    EVP_CIPHER_CTX* m_ctx;
};

EVP_CIPHER_CTX* thread_ctx() noexcept {
    thread_local ThreadCipherContext ctx;
    return ctx.get();
}

} // namespace

void aes128_ctr_xor(std::span<const std::uint8_t, AES128_KEY_SIZE> key,
                    std::span<const std::uint8_t, AES_BLOCK_SIZE> iv, ByteSpan in, MutableByteSpan out) noexcept {
    if (in.size() != out.size()) {
        // A caller bug; fail closed rather than leave plaintext in `out`.
        std::fill(out.begin(), out.end(), std::uint8_t{0});
        return;
    }
    if (in.empty()) return;
    EVP_CIPHER_CTX* ctx = thread_ctx();
    if (EVP_EncryptInit_ex2(ctx, nullptr, key.data(), iv.data(), nullptr) != 1) std::abort();
    std::size_t done = 0;
    while (done < in.size()) {
        const std::size_t chunk = std::min<std::size_t>(in.size() - done, INT_MAX / 2);
        int written = 0;
        if (EVP_EncryptUpdate(ctx, out.data() + done, &written, in.data() + done, static_cast<int>(chunk)) != 1)
            std::abort();
        done += chunk;
    }
}

void aes128_ctr_keystream(std::span<const std::uint8_t, AES128_KEY_SIZE> key,
                          std::span<const std::uint8_t, AES_BLOCK_SIZE> iv, MutableByteSpan out) noexcept {
    std::fill(out.begin(), out.end(), std::uint8_t{0});
    aes128_ctr_xor(key, iv, out, out);
}

void chacha20_xor(std::span<const std::uint8_t, CHACHA20_KEY_SIZE> key, std::span<const std::uint8_t, 8> nonce,
                  std::uint64_t counter, ByteSpan in, MutableByteSpan out) noexcept {
    if (in.size() != out.size()) {
        std::fill(out.begin(), out.end(), std::uint8_t{0});
        return;
    }
    if (in.empty()) return;
    crypto_stream_chacha20_xor_ic(out.data(), in.data(), in.size(), nonce.data(), counter, key.data());
}

void chacha20_ietf_xor(std::span<const std::uint8_t, CHACHA20_KEY_SIZE> key, std::span<const std::uint8_t, 12> nonce,
                       std::uint32_t counter, ByteSpan in, MutableByteSpan out) noexcept {
    if (in.size() != out.size()) {
        std::fill(out.begin(), out.end(), std::uint8_t{0});
        return;
    }
    if (in.empty()) return;
    crypto_stream_chacha20_ietf_xor_ic(out.data(), in.data(), in.size(), nonce.data(), counter, key.data());
}

} // namespace nym::crypto
