#include <crypto/errors.hpp>
#include <crypto/secp256k1.hpp>
#include <util/hex.hpp>

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <algorithm>
#include <cstdlib>

namespace nym::crypto {
namespace {

/// One context for the process: created once, randomised (blinding against side channels on the
/// signing path; results do not depend on it), then only read, which libsecp256k1 allows from any
/// number of threads.
const secp256k1_context* context() noexcept {
    static const secp256k1_context* const ctx = [] {
        secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
        if (c == nullptr) std::abort();
        std::array<std::uint8_t, 32> seed{};
        system_rng().fill(seed);
        if (secp256k1_context_randomize(c, seed.data()) != 1) std::abort();
        secure_wipe(seed.data(), seed.size());
        return c;
    }();
    return ctx;
}

bool all_zero(std::span<const std::uint8_t> bytes) noexcept {
    return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

bool parse_xy(const std::array<std::uint8_t, SECP256K1_PUBLIC_KEY_SIZE>& xy, secp256k1_pubkey& out) noexcept {
    std::array<std::uint8_t, SECP256K1_UNCOMPRESSED_PUBLIC_KEY_SIZE> sec{};
    sec[0] = 0x04;
    std::copy(xy.begin(), xy.end(), sec.begin() + 1);
    return secp256k1_ec_pubkey_parse(context(), &out, sec.data(), sec.size()) == 1;
}

std::array<std::uint8_t, SECP256K1_PUBLIC_KEY_SIZE> serialize_xy(const secp256k1_pubkey& key) noexcept {
    std::array<std::uint8_t, SECP256K1_UNCOMPRESSED_PUBLIC_KEY_SIZE> sec{};
    std::size_t len = sec.size();
    if (secp256k1_ec_pubkey_serialize(context(), sec.data(), &len, &key, SECP256K1_EC_UNCOMPRESSED) != 1 ||
        len != sec.size())
        std::abort(); // cannot fail for a parsed key
    std::array<std::uint8_t, SECP256K1_PUBLIC_KEY_SIZE> xy{};
    std::copy(sec.begin() + 1, sec.end(), xy.begin());
    return xy;
}

int hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

} // namespace

// ---------------------------------------------------------------------------------------------------
// EthereumAddress

std::string EthereumAddress::to_hex() const {
    return "0x" + util::to_hex(bytes);
}

std::string EthereumAddress::to_checksum_hex() const {
    const std::string lower = util::to_hex(bytes);
    const Keccak256Digest h = keccak256(util::as_bytes(lower));
    std::string out = "0x";
    out.reserve(2 + lower.size());
    for (std::size_t i = 0; i < lower.size(); ++i) {
        const std::uint8_t nibble =
            (i % 2 == 0) ? static_cast<std::uint8_t>(h[i / 2] >> 4) : static_cast<std::uint8_t>(h[i / 2] & 0x0f);
        const char c = lower[i];
        out.push_back((c >= 'a' && c <= 'f' && nibble >= 8) ? static_cast<char>(c - 'a' + 'A') : c);
    }
    return out;
}

Expected<EthereumAddress> EthereumAddress::from_hex(std::string_view text) {
    if (text.size() >= 2 && text[0] == '0' && text[1] == 'x') text.remove_prefix(2);
    if (text.size() != 2 * ETHEREUM_ADDRESS_SIZE) return fail(Errc::invalid_hex);
    bool has_lower = false;
    bool has_upper = false;
    EthereumAddress out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const int d = hex_digit(text[i]);
        if (d < 0) return fail(Errc::invalid_hex);
        has_lower |= (text[i] >= 'a' && text[i] <= 'f');
        has_upper |= (text[i] >= 'A' && text[i] <= 'F');
        out.bytes[i / 2] = static_cast<std::uint8_t>((out.bytes[i / 2] << 4) | d);
    }
    if (has_lower && has_upper && out.to_checksum_hex().substr(2) != text) return fail(Errc::invalid_hex);
    return out;
}

Expected<EthereumAddress> EthereumAddress::from_bytes(ByteSpan bytes) {
    if (bytes.size() != ETHEREUM_ADDRESS_SIZE) return fail(Errc::invalid_length);
    EthereumAddress out;
    std::copy(bytes.begin(), bytes.end(), out.bytes.begin());
    return out;
}

// ---------------------------------------------------------------------------------------------------
// RecoverableSignature

Expected<RecoverableSignature> RecoverableSignature::parse(ByteSpan bytes) {
    if (bytes.size() != RECOVERABLE_SIGNATURE_SIZE) return fail(Errc::invalid_length);
    const std::uint8_t v = bytes[64];
    if (v > 1) return fail(Errc::invalid_recovery_id);
    if (all_zero(bytes.first(32)) || all_zero(bytes.subspan(32, 32))) return fail(Errc::invalid_signature);
    secp256k1_ecdsa_recoverable_signature rsig;
    if (secp256k1_ecdsa_recoverable_signature_parse_compact(context(), &rsig, bytes.data(), v) != 1)
        return fail(Errc::invalid_signature); // r or s >= n
    secp256k1_ecdsa_signature sig;
    secp256k1_ecdsa_recoverable_signature_convert(context(), &sig, &rsig);
    if (secp256k1_ecdsa_signature_normalize(context(), nullptr, &sig) == 1) return fail(Errc::high_s);
    RecoverableSignature out;
    std::copy(bytes.begin(), bytes.end(), out.bytes.begin());
    return out;
}

// ---------------------------------------------------------------------------------------------------
// Secp256k1PublicKey

Expected<Secp256k1PublicKey> Secp256k1PublicKey::parse(ByteSpan bytes) {
    secp256k1_pubkey key;
    if (bytes.size() == SECP256K1_PUBLIC_KEY_SIZE) {
        std::array<std::uint8_t, SECP256K1_PUBLIC_KEY_SIZE> xy{};
        std::copy(bytes.begin(), bytes.end(), xy.begin());
        if (!parse_xy(xy, key)) return fail(Errc::invalid_point);
    } else if (bytes.size() == SECP256K1_UNCOMPRESSED_PUBLIC_KEY_SIZE) {
        if (bytes[0] != 0x04) return fail(Errc::invalid_point); // no hybrid (0x06/0x07) encodings
        if (secp256k1_ec_pubkey_parse(context(), &key, bytes.data(), bytes.size()) != 1)
            return fail(Errc::invalid_point);
    } else if (bytes.size() == SECP256K1_COMPRESSED_PUBLIC_KEY_SIZE) {
        if (bytes[0] != 0x02 && bytes[0] != 0x03) return fail(Errc::invalid_point);
        if (secp256k1_ec_pubkey_parse(context(), &key, bytes.data(), bytes.size()) != 1)
            return fail(Errc::invalid_point);
    } else {
        return fail(Errc::invalid_length);
    }
    Secp256k1PublicKey out;
    out.m_xy = serialize_xy(key);
    return out;
}

std::array<std::uint8_t, SECP256K1_UNCOMPRESSED_PUBLIC_KEY_SIZE>
Secp256k1PublicKey::serialize_uncompressed() const noexcept {
    std::array<std::uint8_t, SECP256K1_UNCOMPRESSED_PUBLIC_KEY_SIZE> out{};
    out[0] = 0x04;
    std::copy(m_xy.begin(), m_xy.end(), out.begin() + 1);
    return out;
}

std::array<std::uint8_t, SECP256K1_COMPRESSED_PUBLIC_KEY_SIZE>
Secp256k1PublicKey::serialize_compressed() const noexcept {
    std::array<std::uint8_t, SECP256K1_COMPRESSED_PUBLIC_KEY_SIZE> out{};
    out[0] = static_cast<std::uint8_t>(0x02 | (m_xy[63] & 1)); // the parity of y
    std::copy(m_xy.begin(), m_xy.begin() + 32, out.begin() + 1);
    return out;
}

EthereumAddress Secp256k1PublicKey::address() const noexcept {
    const Keccak256Digest h = keccak256(m_xy);
    EthereumAddress out;
    std::copy(h.begin() + 12, h.end(), out.bytes.begin());
    return out;
}

// ---------------------------------------------------------------------------------------------------
// Secp256k1SecretKey

Expected<Secp256k1SecretKey>
Secp256k1SecretKey::from_bytes(std::span<const std::uint8_t, SECP256K1_SECRET_KEY_SIZE> bytes) {
    if (secp256k1_ec_seckey_verify(context(), bytes.data()) != 1) return fail(Errc::invalid_secret_key);
    Secp256k1SecretKey out;
    out.m_key = SecretBytes<SECP256K1_SECRET_KEY_SIZE>(bytes);
    return out;
}

Expected<Secp256k1SecretKey> Secp256k1SecretKey::from_hex(std::string_view text) {
    if (text.size() >= 2 && text[0] == '0' && text[1] == 'x') text.remove_prefix(2);
    SecretBytes<SECP256K1_SECRET_KEY_SIZE> raw;
    if (text.size() != 2 * SECP256K1_SECRET_KEY_SIZE) return fail(Errc::invalid_length);
    for (std::size_t i = 0; i < text.size(); ++i) {
        const int d = hex_digit(text[i]);
        if (d < 0) return fail(Errc::invalid_hex);
        raw.data()[i / 2] = static_cast<std::uint8_t>((raw.data()[i / 2] << 4) | d);
    }
    return from_bytes(raw.bytes());
}

Secp256k1SecretKey Secp256k1SecretKey::generate(Rng& rng) {
    SecretBytes<SECP256K1_SECRET_KEY_SIZE> raw;
    for (;;) { // a uniform 256-bit string is >= n with probability about 2^-128
        rng.fill(raw.mutable_bytes());
        if (auto key = from_bytes(raw.bytes())) return std::move(*key);
    }
}

Secp256k1PublicKey Secp256k1SecretKey::public_key() const noexcept {
    secp256k1_pubkey key;
    if (secp256k1_ec_pubkey_create(context(), &key, m_key.data()) != 1) std::abort(); // key checked on construction
    Secp256k1PublicKey out;
    out.m_xy = serialize_xy(key);
    return out;
}

RecoverableSignature Secp256k1SecretKey::sign_recoverable(Secp256k1Digest digest) const noexcept {
    secp256k1_ecdsa_recoverable_signature rsig;
    // nonce function nullptr = RFC 6979 (HMAC-SHA256); libsecp256k1 always produces low s.
    if (secp256k1_ecdsa_sign_recoverable(context(), &rsig, digest.data(), m_key.data(), nullptr, nullptr) != 1)
        std::abort(); // fails only for an invalid key, which from_bytes excludes
    RecoverableSignature out;
    int recid = 0;
    secp256k1_ecdsa_recoverable_signature_serialize_compact(context(), out.bytes.data(), &recid, &rsig);
    // r is the x of a point with x < p; recid 2/3 (x >= n) happens with probability ~2^-127, and
    // such a signature would be refused by parse(). Treat it as the impossibility it is.
    if (recid < 0 || recid > 1) std::abort();
    out.bytes[64] = static_cast<std::uint8_t>(recid);
    return out;
}

// ---------------------------------------------------------------------------------------------------
// Recovery

Expected<Secp256k1PublicKey> secp256k1_recover(Secp256k1Digest digest, const RecoverableSignature& signature) noexcept {
    // The fields are public, so re-check what parse() guarantees: only canonical signatures recover.
    if (signature.v() > 1) return fail(Errc::invalid_recovery_id);
    if (all_zero(signature.r()) || all_zero(signature.s())) return fail(Errc::invalid_signature);
    secp256k1_ecdsa_recoverable_signature rsig;
    if (secp256k1_ecdsa_recoverable_signature_parse_compact(context(), &rsig, signature.bytes.data(), signature.v()) !=
        1)
        return fail(Errc::invalid_signature);
    secp256k1_ecdsa_signature sig;
    secp256k1_ecdsa_recoverable_signature_convert(context(), &sig, &rsig);
    if (secp256k1_ecdsa_signature_normalize(context(), nullptr, &sig) == 1) return fail(Errc::high_s);
    secp256k1_pubkey key;
    if (secp256k1_ecdsa_recover(context(), &key, &rsig, digest.data()) != 1) return fail(Errc::invalid_signature);
    Secp256k1PublicKey out;
    out.m_xy = serialize_xy(key);
    return out;
}

Expected<EthereumAddress> recover_address(Secp256k1Digest digest, const RecoverableSignature& signature) noexcept {
    auto key = secp256k1_recover(digest, signature);
    if (!key) return Unexpected(key.error());
    return key->address();
}

} // namespace nym::crypto
