// Ed25519 → X25519 conversion: the converted secret and public keys agree, and key agreement through
// converted identities gives both sides the same secret.
#include <crypto/ed25519.hpp>
#include <crypto/errors.hpp>
#include <crypto/rng.hpp>
#include <crypto/x25519.hpp>

#include <gtest/gtest.h>

namespace nym::crypto {
namespace {

TEST(Ed25519ToX25519, SecretAndPublicConversionsAgree) {
    DeterministicRng rng(7);
    for (int i = 0; i < 20; ++i) {
        const Ed25519SecretKey sk = Ed25519SecretKey::generate(rng);
        auto pk = ed25519_public_to_x25519(sk.public_key());
        ASSERT_TRUE(pk);
        EXPECT_EQ(ed25519_secret_to_x25519(sk).public_key(), *pk);
    }
}

TEST(Ed25519ToX25519, ConvertedKeysAgreeOnASharedSecret) {
    DeterministicRng rng(8);
    const Ed25519SecretKey a = Ed25519SecretKey::generate(rng);
    const Ed25519SecretKey b = Ed25519SecretKey::generate(rng);
    auto ab = x25519(ed25519_secret_to_x25519(a), *ed25519_public_to_x25519(b.public_key()));
    auto ba = x25519(ed25519_secret_to_x25519(b), *ed25519_public_to_x25519(a.public_key()));
    ASSERT_TRUE(ab);
    ASSERT_TRUE(ba);
    EXPECT_EQ(*ab, *ba);
}

TEST(Ed25519ToX25519, Rfc8032KeyPairConvertsConsistently) {
    // RFC 8032 test 1: the public key and the seed, converted separately, give the same point.
    Ed25519PublicKey pk;
    const char* hex = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    for (std::size_t i = 0; i < 32; ++i) pk.bytes[i] = static_cast<std::uint8_t>(std::stoi(std::string(hex + 2 * i, 2), nullptr, 16));
    auto x = ed25519_public_to_x25519(pk);
    ASSERT_TRUE(x);
    // The seed of the same test vector, converted, must give the same point.
    std::array<std::uint8_t, 32> seed{};
    const char* seed_hex = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    for (std::size_t i = 0; i < 32; ++i) seed[i] = static_cast<std::uint8_t>(std::stoi(std::string(seed_hex + 2 * i, 2), nullptr, 16));
    EXPECT_EQ(ed25519_secret_to_x25519(Ed25519SecretKey::from_seed(seed)).public_key(), *x);
}

TEST(Ed25519ToX25519, RejectsSmallOrderAndNonPoints) {
    Ed25519PublicKey identity_point; // y = 1: the neutral element, small order
    identity_point.bytes[0] = 1;
    auto r = ed25519_public_to_x25519(identity_point);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(Errc::invalid_point));

    Ed25519PublicKey not_a_point; // y = 2 has no x on the curve
    not_a_point.bytes[0] = 2;
    EXPECT_FALSE(ed25519_public_to_x25519(not_a_point));
}

} // namespace
} // namespace nym::crypto
