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
    crypto::SecretBytes<EXPANDED_SHARED_SECRET_LENGTH> okm;
    // Cannot fail: 288 bytes is far below HKDF's 255 · 32 limit.
    static_cast<void>(crypto::hkdf_sha256({}, shared_secret.bytes(), util::as_bytes(HKDF_INPUT_SEED), okm.mutable_bytes()));
    const std::span<const std::uint8_t> all = okm.bytes();
    RoutingKeys keys;
    std::size_t at = 0;
    copy_into(keys.stream_cipher_key, all.subspan(at, STREAM_CIPHER_KEY_SIZE));
    at += STREAM_CIPHER_KEY_SIZE;
    copy_into(keys.header_integrity_hmac_key, all.subspan(at, HEADER_INTEGRITY_MAC_KEY_SIZE));
    at += HEADER_INTEGRITY_MAC_KEY_SIZE;
    copy_into(keys.payload_key, all.subspan(at, PAYLOAD_KEY_SIZE));
    copy_into(keys.payload_key_seed, all.subspan(at, PAYLOAD_KEY_SEED_SIZE));
    at += PAYLOAD_KEY_SIZE;
    copy_into(keys.blinding_factor, all.subspan(at, BLINDING_FACTOR_SIZE));
    at += BLINDING_FACTOR_SIZE;
    std::copy_n(all.begin() + static_cast<std::ptrdiff_t>(at), REPLAY_TAG_SIZE, keys.replay_tag.bytes.begin());
    return keys;
}

RoutingKeys RoutingKeys::derive(const SharedSecret& shared_secret, const Version& version) noexcept {
    RoutingKeys keys = derive(shared_secret);
    if (rules_for(version).payload_key_seeds) keys.payload_key = derive_payload_key(keys.payload_key_seed);
    return keys;
}

crypto::Scalar25519 RoutingKeys::blinding_scalar() const noexcept {
    return crypto::Scalar25519::from_bytes_mod_order(blinding_factor.bytes());
}

crypto::Scalar25519 RoutingKeys::blinding_scalar(const Version& version) const noexcept {
    if (!rules_for(version).x25519_blinding) return blinding_scalar();
    return crypto::X25519SecretKey::from_bytes(blinding_factor.bytes()).to_scalar();
}

crypto::LionessKey derive_payload_key(const PayloadKeySeed& seed) noexcept {
    crypto::LionessKey key;
    // Cannot fail: 192 bytes is far below HKDF's limit.
    static_cast<void>(crypto::hkdf_sha256(util::as_bytes(PAYLOAD_KEY_HKDF_SALT), seed.bytes(),
                                          util::as_bytes(PAYLOAD_KEY_HKDF_INFO), key.mutable_bytes()));
    return key;
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

} // namespace nym::sphinx
