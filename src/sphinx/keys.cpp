#include <sphinx/keys.hpp>

#include <crypto/cipher.hpp>
#include <crypto/hash.hpp>
#include <util/hex.hpp>

#include <algorithm>

namespace nym::sphinx {
namespace {

constexpr std::array<std::uint8_t, crypto::AES_BLOCK_SIZE> ZERO_IV{};

template <std::size_t N>
void copy_into(crypto::SecretBytes<N>& dst, std::span<const std::uint8_t> src) noexcept {
    std::copy_n(src.begin(), N, dst.mutable_bytes().begin());
}

} // namespace

RoutingKeys RoutingKeys::derive(const SharedSecret& shared_secret) noexcept {
    crypto::SecretBytes<ROUTING_KEYS_LENGTH> okm;
    // Cannot fail: 256 bytes is far below HKDF's 255 · 32 limit.
    static_cast<void>(crypto::hkdf_sha256({}, shared_secret.bytes(), util::as_bytes(HKDF_INPUT_SEED), okm.mutable_bytes()));
    const std::span<const std::uint8_t> all = okm.bytes();
    RoutingKeys keys;
    std::size_t at = 0;
    copy_into(keys.stream_cipher_key, all.subspan(at, STREAM_CIPHER_KEY_SIZE));
    at += STREAM_CIPHER_KEY_SIZE;
    copy_into(keys.header_integrity_hmac_key, all.subspan(at, HEADER_INTEGRITY_MAC_KEY_SIZE));
    at += HEADER_INTEGRITY_MAC_KEY_SIZE;
    copy_into(keys.payload_key, all.subspan(at, PAYLOAD_KEY_SIZE));
    at += PAYLOAD_KEY_SIZE;
    copy_into(keys.blinding_factor, all.subspan(at, BLINDING_FACTOR_SIZE));
    return keys;
}

crypto::Scalar25519 RoutingKeys::blinding_scalar() const noexcept {
    return crypto::Scalar25519::from_bytes_mod_order(blinding_factor.bytes());
}

void generate_pseudorandom_bytes(const StreamKey& key, std::span<std::uint8_t, STREAM_CIPHER_OUTPUT_LENGTH> out) noexcept {
    crypto::aes128_ctr_keystream(key.bytes(), ZERO_IV, out);
}

HeaderMac compute_header_mac(const MacKey& key, std::span<const std::uint8_t, ENCRYPTED_ROUTING_INFO_SIZE> beta) noexcept {
    crypto::HmacSha256 hmac(key.bytes());
    hmac.update(beta);
    const crypto::Sha256Digest full = hmac.finish();
    HeaderMac mac{};
    std::copy_n(full.begin(), mac.size(), mac.begin());
    return mac;
}

ReplayTag derive_replay_tag(const SharedSecret& shared_secret) noexcept {
    crypto::SecretBytes<REPLAY_TAG_DOMAIN.size() + GROUP_ELEMENT_SIZE> input;
    std::copy(REPLAY_TAG_DOMAIN.begin(), REPLAY_TAG_DOMAIN.end(), input.mutable_bytes().begin());
    std::copy(shared_secret.bytes().begin(), shared_secret.bytes().end(),
              input.mutable_bytes().begin() + static_cast<std::ptrdiff_t>(REPLAY_TAG_DOMAIN.size()));
    ReplayTag tag;
    tag.bytes = crypto::sha256(input.bytes());
    return tag;
}

} // namespace nym::sphinx
