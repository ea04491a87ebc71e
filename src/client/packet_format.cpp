#include <client/packet_format.hpp>

#include <crypto/cipher.hpp>
#include <crypto/hash.hpp>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace nym::client::format {
namespace {

constexpr std::string_view ACK_KEY_LABEL = "nym-cpp/client/v1/ack-keys";
constexpr std::string_view REPLY_MASTER_LABEL = "nym-cpp/client/v1/reply-master-key";
constexpr std::string_view SEAL_FORWARD_LABEL = "nym-cpp/client/v1/seal-forward";
constexpr std::string_view SEAL_REPLY_LABEL = "nym-cpp/client/v1/seal-reply";
constexpr std::string_view REPLY_KEY_LABEL = "nym-cpp/client/v1/reply-key";

std::span<const std::uint8_t> as_bytes(std::string_view s) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

/// Cipher key ‖ MAC key for one sealed block.
struct SealKeys {
    crypto::SecretBytes<64> bytes;
    std::span<const std::uint8_t, 32> cipher() const noexcept { return bytes.bytes().first<32>(); }
    std::span<const std::uint8_t, 32> mac() const noexcept { return bytes.bytes().last<32>(); }
};

SealKeys derive_seal_keys(std::span<const std::uint8_t> ikm, std::string_view label,
                          std::span<const std::uint8_t> context_a, std::span<const std::uint8_t> context_b) {
    std::array<std::uint8_t, 128> info{};
    std::size_t n = 0;
    auto append = [&](std::span<const std::uint8_t> part) {
        std::copy(part.begin(), part.end(), info.begin() + static_cast<std::ptrdiff_t>(n));
        n += part.size();
    };
    append(as_bytes(label));
    append(context_a);
    append(context_b);
    SealKeys keys;
    // Cannot fail: 64 bytes of output is far below HKDF's limit.
    (void)crypto::hkdf_sha256({}, ikm, std::span<const std::uint8_t>(info.data(), n), keys.bytes.mutable_bytes());
    return keys;
}

/// tag = HMAC(mac key, key field ‖ ciphertext), truncated.
std::array<std::uint8_t, SEAL_TAG_SIZE> seal_tag(const SealKeys& keys, std::span<const std::uint8_t> key_field,
                                                 std::span<const std::uint8_t> ciphertext) {
    crypto::HmacSha256 mac(keys.mac());
    mac.update(key_field);
    mac.update(ciphertext);
    const crypto::Sha256Digest full = mac.finish();
    std::array<std::uint8_t, SEAL_TAG_SIZE> tag{};
    std::copy_n(full.begin(), SEAL_TAG_SIZE, tag.begin());
    return tag;
}

constexpr std::array<std::uint8_t, 12> ZERO_NONCE{};

/// Encrypt-then-MAC into `out` = key field ‖ tag ‖ ChaCha20(plaintext). A zero nonce is safe: every
/// key is used for exactly one block (fresh ephemeral key, or a single-use reply SURB).
void seal_with(const SealKeys& keys, std::span<const std::uint8_t> key_field, std::span<const std::uint8_t> plaintext,
               std::span<std::uint8_t> out) {
    std::copy(key_field.begin(), key_field.end(), out.begin());
    auto ciphertext = out.subspan(SEAL_OVERHEAD, plaintext.size());
    crypto::chacha20_ietf_xor(keys.cipher(), ZERO_NONCE, 0, plaintext, ciphertext);
    const auto tag = seal_tag(keys, key_field, ciphertext);
    std::copy(tag.begin(), tag.end(), out.begin() + static_cast<std::ptrdiff_t>(SEAL_KEY_FIELD_SIZE));
}

bool open_with(const SealKeys& keys, std::span<const std::uint8_t> block, std::span<std::uint8_t> out) {
    const auto key_field = block.first(SEAL_KEY_FIELD_SIZE);
    const auto ciphertext = block.subspan(SEAL_OVERHEAD);
    const auto expected = seal_tag(keys, key_field, ciphertext);
    if (!crypto::ct_equal(expected, block.subspan(SEAL_KEY_FIELD_SIZE, SEAL_TAG_SIZE))) return false;
    crypto::chacha20_ietf_xor(keys.cipher(), ZERO_NONCE, 0, ciphertext, out.first(ciphertext.size()));
    return true;
}

} // namespace

DerivedKeys DerivedKeys::derive(const crypto::Ed25519SecretKey& identity) {
    DerivedKeys keys;
    keys.e2e_secret = crypto::ed25519_secret_to_x25519(identity);
    keys.e2e_public = keys.e2e_secret.public_key();
    crypto::SecretBytes<64> ack;
    (void)crypto::hkdf_sha256({}, identity.seed(), as_bytes(ACK_KEY_LABEL), ack.mutable_bytes());
    keys.ack_cipher_key = crypto::SecretBytes<32>(ack.bytes().first<32>());
    keys.ack_mac_key = crypto::SecretBytes<32>(ack.bytes().last<32>());
    (void)crypto::hkdf_sha256({}, identity.seed(), as_bytes(REPLY_MASTER_LABEL), keys.reply_master_key.mutable_bytes());
    return keys;
}

Expected<void> seal_forward(const crypto::X25519PublicKey& recipient, std::span<const std::uint8_t> plaintext,
                            std::span<std::uint8_t> out, crypto::Rng& rng) {
    const crypto::X25519SecretKey ephemeral = crypto::X25519SecretKey::generate(rng);
    const crypto::X25519PublicKey ephemeral_public = ephemeral.public_key();
    auto dh = crypto::x25519(ephemeral, recipient);
    if (!dh) return Unexpected(dh.error());
    const SealKeys keys = derive_seal_keys(dh->bytes, SEAL_FORWARD_LABEL, ephemeral_public.bytes, recipient.bytes);
    crypto::secure_wipe(dh->bytes.data(), dh->bytes.size());
    seal_with(keys, ephemeral_public.bytes, plaintext, out);
    return {};
}

crypto::SecretBytes<REPLY_KEY_SIZE> reply_key_for(const DerivedKeys& keys,
                                                  std::span<const std::uint8_t, REPLY_KEY_ID_SIZE> key_id) {
    crypto::HmacSha256 mac(keys.reply_master_key.bytes());
    mac.update(as_bytes(REPLY_KEY_LABEL));
    mac.update(key_id);
    crypto::Sha256Digest digest = mac.finish();
    crypto::SecretBytes<REPLY_KEY_SIZE> key{std::span<const std::uint8_t, 32>(digest)};
    crypto::secure_wipe(digest.data(), digest.size());
    return key;
}

void seal_reply(std::span<const std::uint8_t, REPLY_KEY_ID_SIZE> key_id,
                std::span<const std::uint8_t, REPLY_KEY_SIZE> reply_key, std::span<const std::uint8_t> plaintext,
                std::span<std::uint8_t> out) {
    const SealKeys keys = derive_seal_keys(reply_key, SEAL_REPLY_LABEL, key_id, {});
    seal_with(keys, key_id, plaintext, out);
}

std::optional<SealMode> open_sealed(const DerivedKeys& keys, std::span<const std::uint8_t> block,
                                    std::span<std::uint8_t> out) {
    if (block.size() < SEAL_OVERHEAD || out.size() < block.size() - SEAL_OVERHEAD) return std::nullopt;
    const auto key_field = block.first<SEAL_KEY_FIELD_SIZE>();

    crypto::MontgomeryPoint ephemeral;
    std::copy(key_field.begin(), key_field.end(), ephemeral.bytes.begin());
    if (auto dh = crypto::x25519(keys.e2e_secret, ephemeral)) {
        const SealKeys forward = derive_seal_keys(dh->bytes, SEAL_FORWARD_LABEL, ephemeral.bytes, keys.e2e_public.bytes);
        crypto::secure_wipe(dh->bytes.data(), dh->bytes.size());
        if (open_with(forward, block, out)) return SealMode::forward;
    }
    const auto reply_key = reply_key_for(keys, key_field);
    const SealKeys reply = derive_seal_keys(reply_key.bytes(), SEAL_REPLY_LABEL, key_field, {});
    if (open_with(reply, block, out)) return SealMode::reply;
    return std::nullopt;
}

std::array<std::uint8_t, ACK_PAYLOAD_SIZE> seal_ack(const DerivedKeys& keys, std::uint64_t ack_id, crypto::Rng& rng) {
    std::array<std::uint8_t, ACK_PAYLOAD_SIZE> out{};
    const auto nonce = std::span(out).first<ACK_NONCE_SIZE>();
    rng.fill(nonce);
    std::array<std::uint8_t, ACK_ID_SIZE> id{};
    put_be(id, ack_id & MAX_ACK_ID, ACK_ID_SIZE);
    auto ciphertext = std::span(out).subspan<ACK_NONCE_SIZE, ACK_ID_SIZE>();
    crypto::chacha20_xor(keys.ack_cipher_key.bytes(), nonce, 0, id, ciphertext);
    const crypto::Sha256Digest tag =
        crypto::hmac_sha256(keys.ack_mac_key.bytes(), std::span<const std::uint8_t>(out).first(ACK_NONCE_SIZE + ACK_ID_SIZE));
    std::copy_n(tag.begin(), ACK_TAG_SIZE, out.begin() + static_cast<std::ptrdiff_t>(ACK_NONCE_SIZE + ACK_ID_SIZE));
    return out;
}

std::optional<std::uint64_t> open_ack(const DerivedKeys& keys, std::span<const std::uint8_t> payload) {
    if (payload.size() != ACK_PAYLOAD_SIZE) return std::nullopt;
    const crypto::Sha256Digest tag = crypto::hmac_sha256(keys.ack_mac_key.bytes(), payload.first(ACK_NONCE_SIZE + ACK_ID_SIZE));
    if (!crypto::ct_equal(std::span(tag).first(ACK_TAG_SIZE), payload.last(ACK_TAG_SIZE))) return std::nullopt;
    std::array<std::uint8_t, ACK_ID_SIZE> id{};
    crypto::chacha20_xor(keys.ack_cipher_key.bytes(), payload.first<ACK_NONCE_SIZE>(), 0,
                         payload.subspan(ACK_NONCE_SIZE, ACK_ID_SIZE), id);
    return get_be(id, ACK_ID_SIZE);
}

void write_fragment(const FragmentHeader& header, std::span<const std::uint8_t> data, std::span<std::uint8_t> out) {
    std::fill(out.begin(), out.end(), std::uint8_t{0});
    out[0] = header.kind;
    put_be(out.subspan(1), header.message_id, 8);
    put_be(out.subspan(9), header.index, 4);
    put_be(out.subspan(13), header.total, 4);
    put_be(out.subspan(17), data.size(), 2);
    std::copy(data.begin(), data.end(), out.begin() + static_cast<std::ptrdiff_t>(FRAGMENT_HEADER_SIZE));
}

std::optional<ParsedFragment> parse_fragment(std::span<const std::uint8_t> plaintext) {
    if (plaintext.size() < FRAGMENT_HEADER_SIZE) return std::nullopt;
    ParsedFragment f;
    f.header.kind = plaintext[0];
    if (f.header.kind == FRAGMENT_KIND_COVER) return f;
    if (f.header.kind != FRAGMENT_KIND_MESSAGE) return std::nullopt;
    f.header.message_id = get_be(plaintext.subspan(1), 8);
    f.header.index = static_cast<std::uint32_t>(get_be(plaintext.subspan(9), 4));
    f.header.total = static_cast<std::uint32_t>(get_be(plaintext.subspan(13), 4));
    f.header.length = static_cast<std::uint16_t>(get_be(plaintext.subspan(17), 2));
    if (f.header.total == 0 || f.header.index >= f.header.total) return std::nullopt;
    if (f.header.length > FRAGMENT_PAYLOAD_SIZE || f.header.length > plaintext.size() - FRAGMENT_HEADER_SIZE)
        return std::nullopt;
    // Every fragment but the last is full, so a fragment's offset is index × FRAGMENT_PAYLOAD_SIZE.
    if (f.header.index + 1 < f.header.total && f.header.length != FRAGMENT_PAYLOAD_SIZE) return std::nullopt;
    f.data = plaintext.subspan(FRAGMENT_HEADER_SIZE, f.header.length);
    return f;
}

} // namespace nym::client::format
