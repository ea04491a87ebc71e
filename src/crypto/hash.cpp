// The low-level SHA256_* calls are deprecated in OpenSSL 3 but are the fastest path to SHA-NI:
// no EVP_MD fetch, no provider dispatch, and the context can be copied to reuse a keyed state.
#define OPENSSL_SUPPRESS_DEPRECATED

#include <crypto/errors.hpp>
#include <crypto/hash.hpp>
#include <crypto/sodium_init.hpp>

#include <openssl/sha.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <new>

namespace nym::crypto {

struct HmacSha256::State {
    SHA256_CTX inner;   ///< after absorbing key ^ ipad
    SHA256_CTX outer;   ///< after absorbing key ^ opad
    SHA256_CTX running; ///< inner + the message so far
};

namespace {

constexpr std::size_t SHA256_BLOCK = 64;

static_assert(std::is_trivially_copyable_v<SHA256_CTX>);

void sha256_update(SHA256_CTX& ctx, ByteSpan data) noexcept {
    if (!data.empty()) SHA256_Update(&ctx, data.data(), data.size());
}

} // namespace

Sha256Digest sha256(ByteSpan data) noexcept {
    Sha256Digest out{};
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    sha256_update(ctx, data);
    SHA256_Final(out.data(), &ctx);
    return out;
}

HmacSha256::HmacSha256(ByteSpan key) noexcept {
    static_assert(sizeof(State) <= sizeof(m_state), "SHA256_CTX grew: enlarge HmacSha256::m_state");
    static_assert(alignof(State) <= 16);
    State* s = ::new (static_cast<void*>(m_state.data())) State{};

    std::array<std::uint8_t, SHA256_BLOCK> block{};
    if (key.size() > SHA256_BLOCK) {
        const Sha256Digest digest = sha256(key);
        std::copy(digest.begin(), digest.end(), block.begin());
    } else {
        std::copy(key.begin(), key.end(), block.begin());
    }
    std::array<std::uint8_t, SHA256_BLOCK> pad{};
    for (std::size_t i = 0; i < SHA256_BLOCK; ++i) pad[i] = static_cast<std::uint8_t>(block[i] ^ 0x36U);
    SHA256_Init(&s->inner);
    SHA256_Update(&s->inner, pad.data(), pad.size());
    for (std::size_t i = 0; i < SHA256_BLOCK; ++i) pad[i] = static_cast<std::uint8_t>(block[i] ^ 0x5cU);
    SHA256_Init(&s->outer);
    SHA256_Update(&s->outer, pad.data(), pad.size());
    s->running = s->inner;
    secure_wipe(block.data(), block.size());
    secure_wipe(pad.data(), pad.size());
}

HmacSha256::~HmacSha256() {
    secure_wipe(m_state.data(), m_state.size());
}

// memcpy (not array assignment) so the copied bytes implicitly hold a State object.
HmacSha256::HmacSha256(const HmacSha256& other) noexcept {
    std::memcpy(m_state.data(), other.m_state.data(), m_state.size());
}

HmacSha256& HmacSha256::operator=(const HmacSha256& other) noexcept {
    if (this != &other) std::memcpy(m_state.data(), other.m_state.data(), m_state.size());
    return *this;
}

void HmacSha256::update(ByteSpan data) noexcept {
    State* s = std::launder(reinterpret_cast<State*>(m_state.data()));
    sha256_update(s->running, data);
}

Sha256Digest HmacSha256::finish() noexcept {
    State* s = std::launder(reinterpret_cast<State*>(m_state.data()));
    Sha256Digest inner_digest{};
    SHA256_Final(inner_digest.data(), &s->running);
    SHA256_CTX outer = s->outer;
    SHA256_Update(&outer, inner_digest.data(), inner_digest.size());
    Sha256Digest tag{};
    SHA256_Final(tag.data(), &outer);
    s->running = s->inner;
    secure_wipe(&outer, sizeof outer);
    secure_wipe(inner_digest.data(), inner_digest.size());
    return tag;
}

Sha256Digest hmac_sha256(ByteSpan key, ByteSpan data) noexcept {
    HmacSha256 mac(key);
    mac.update(data);
    return mac.finish();
}

Expected<void> hkdf_sha256(ByteSpan salt, ByteSpan ikm, ByteSpan info, MutableByteSpan out) noexcept {
    if (out.size() > 255 * SHA256_SIZE) return fail(Errc::invalid_length);
    // Extract. An empty salt and HashLen zero bytes give the same HMAC key (both pad to zeros).
    Sha256Digest prk{};
    {
        HmacSha256 extract(salt);
        extract.update(ikm);
        prk = extract.finish();
    }
    // Expand: T(i) = HMAC(PRK, T(i-1) | info | i), one keyed state reused for every block.
    HmacSha256 expand(prk);
    secure_wipe(prk.data(), prk.size());
    Sha256Digest t{};
    std::size_t done = 0;
    for (std::uint8_t counter = 1; done < out.size(); ++counter) {
        if (counter > 1) expand.update(t);
        expand.update(info);
        expand.update(std::span<const std::uint8_t>(&counter, 1));
        t = expand.finish();
        const std::size_t n = std::min(SHA256_SIZE, out.size() - done);
        std::memcpy(out.data() + done, t.data(), n);
        done += n;
    }
    secure_wipe(t.data(), t.size());
    return {};
}

Expected<void> blake2b(ByteSpan key, ByteSpan data, MutableByteSpan out) noexcept {
    if (out.empty() || out.size() > crypto_generichash_blake2b_BYTES_MAX) return fail(Errc::invalid_length);
    if (key.size() > crypto_generichash_blake2b_KEYBYTES_MAX) return fail(Errc::invalid_length);
    const int rc = crypto_generichash_blake2b(out.data(), out.size(), data.data(), data.size(),
                                              key.empty() ? nullptr : key.data(), key.size());
    if (rc != 0) return fail(Errc::internal);
    return {};
}

} // namespace nym::crypto
