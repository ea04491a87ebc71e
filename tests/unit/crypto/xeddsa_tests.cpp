// XEdDSA: signatures by X25519 keys, verified by plain Ed25519 verification on the Edwards form.
#include <crypto/ed25519.hpp>
#include <crypto/rng.hpp>
#include <crypto/x25519.hpp>
#include <crypto/xeddsa.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace nym::crypto {
namespace {

ByteSpan text(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

TEST(XEdDSA, SignsAndVerifiesWithThePublicKeyOnly) {
    DeterministicRng rng(std::array<std::uint8_t, 32>{7});
    for (int i = 0; i < 64; ++i) {
        const auto key = X25519SecretKey::generate(rng);
        const std::string message = "proof of possession " + std::to_string(i);
        const auto signature = xeddsa_sign(key, text(message), rng);
        EXPECT_TRUE(xeddsa_verify(key.public_key(), text(message), signature)) << i;
        // Another message, another key, or any flipped bit fails.
        EXPECT_FALSE(xeddsa_verify(key.public_key(), text(message + "!"), signature));
        EXPECT_FALSE(xeddsa_verify(X25519SecretKey::generate(rng).public_key(), text(message), signature));
        auto tampered = signature;
        tampered.bytes[static_cast<std::size_t>(i % 64)] ^= static_cast<std::uint8_t>(1u << (i % 8));
        EXPECT_FALSE(xeddsa_verify(key.public_key(), text(message), tampered));
    }
}

TEST(XEdDSA, RandomisedButAlwaysValid) {
    DeterministicRng rng(std::array<std::uint8_t, 32>{9});
    const auto key = X25519SecretKey::generate(rng);
    const auto a = xeddsa_sign(key, text("m"), rng);
    const auto b = xeddsa_sign(key, text("m"), rng);
    EXPECT_NE(a, b); // Z differs
    EXPECT_TRUE(xeddsa_verify(key.public_key(), text("m"), a));
    EXPECT_TRUE(xeddsa_verify(key.public_key(), text("m"), b));
}

// Independent check of the Montgomery→Edwards map: an Ed25519 key whose public point has a cleared
// sign bit, converted to X25519 (libsodium) and signed with XEdDSA, verifies under the ORIGINAL
// Ed25519 public key with libsodium's own verification.
TEST(XEdDSA, AgreesWithLibsodiumsEd25519ToX25519Conversion) {
    DeterministicRng rng(std::array<std::uint8_t, 32>{11});
    int checked = 0;
    for (int i = 0; i < 200 && checked < 20; ++i) {
        const auto ed = Ed25519SecretKey::generate(rng);
        const auto pk = ed.public_key();
        if ((pk.bytes[31] & 0x80) != 0) continue;
        const auto x = ed25519_secret_to_x25519(ed);
        const auto signature = xeddsa_sign(x, text("cross-check"), rng);
        EXPECT_TRUE(ed25519_verify(pk, text("cross-check"), signature)) << i;
        ++checked;
    }
    EXPECT_EQ(checked, 20);
}

TEST(XEdDSA, RefusesNonCanonicalAndExceptionalKeys) {
    DeterministicRng rng(std::array<std::uint8_t, 32>{13});
    const auto key = X25519SecretKey::generate(rng);
    const auto signature = xeddsa_sign(key, text("m"), rng);
    X25519PublicKey bad = key.public_key();
    bad.bytes[31] |= 0x80; // top bit set: not canonical
    EXPECT_FALSE(xeddsa_verify(bad, text("m"), signature));
    X25519PublicKey minus_one;
    minus_one.bytes.fill(0xff);
    minus_one.bytes[0] = 0xec;
    minus_one.bytes[31] = 0x7f;
    EXPECT_FALSE(xeddsa_verify(minus_one, text("m"), signature));
    X25519PublicKey p_itself;
    p_itself.bytes.fill(0xff);
    p_itself.bytes[0] = 0xed;
    p_itself.bytes[31] = 0x7f;
    EXPECT_FALSE(xeddsa_verify(p_itself, text("m"), signature));
}

} // namespace
} // namespace nym::crypto
