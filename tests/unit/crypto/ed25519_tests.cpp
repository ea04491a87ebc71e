#include <crypto/ed25519.hpp>
#include <crypto/errors.hpp>

#include "test_support.hpp"

namespace nym::crypto {
namespace {

using test::hex;
using test::hex_array;
using test::to_hex;

TEST(Ed25519, Rfc8032Section71) {
    const auto file = test::load_vectors("rfc8032_ed25519.json");
    ASSERT_EQ(file["vectors"].size(), 4u);
    for (const auto& v : file["vectors"]) {
        const auto key = Ed25519SecretKey::from_seed(hex_array<32>(v["secret_key"]));
        EXPECT_EQ(to_hex(key.seed()), v["secret_key"].get<std::string>());
        EXPECT_EQ(to_hex(key.public_key().bytes), v["public_key"].get<std::string>()) << v["name"];
        const auto msg = hex(v["message"]);
        const auto sig = key.sign(msg);
        EXPECT_EQ(to_hex(sig.bytes), v["signature"].get<std::string>()) << v["name"];
        const Ed25519PublicKey pk{hex_array<32>(v["public_key"])};
        const Ed25519Signature expected{hex_array<64>(v["signature"])};
        EXPECT_TRUE(ed25519_verify(pk, msg, expected)) << v["name"];
    }
}

TEST(Ed25519, ForgedOrAlteredSignaturesAreRejected) {
    DeterministicRng rng(8);
    const auto key = Ed25519SecretKey::generate(rng);
    const auto other = Ed25519SecretKey::generate(rng);
    std::array<std::uint8_t, 16> msg{};
    const std::string_view text = "signed heartbeat";
    std::copy(text.begin(), text.end(), msg.begin());
    const auto sig = key.sign(msg);
    ASSERT_TRUE(ed25519_verify(key.public_key(), msg, sig));

    for (std::size_t pos : {0u, 31u, 32u, 63u}) {
        auto bad = sig;
        bad.bytes[pos] ^= 0x01;
        const auto r = ed25519_verify(key.public_key(), msg, bad);
        ASSERT_FALSE(r) << pos;
        EXPECT_EQ(r.error(), Errc::invalid_signature);
    }
    auto altered = msg;
    altered[0] ^= 0x20;
    EXPECT_EQ(ed25519_verify(key.public_key(), altered, sig).error(), Errc::invalid_signature);
    EXPECT_EQ(ed25519_verify(other.public_key(), msg, sig).error(), Errc::invalid_signature);
    EXPECT_EQ(ed25519_verify(key.public_key(), msg, Ed25519Signature{}).error(), Errc::invalid_signature);
    // The identity / small-order public key must never verify anything.
    Ed25519PublicKey identity{};
    identity.bytes[0] = 1;
    EXPECT_FALSE(ed25519_verify(identity, msg, sig));
    // A non-canonical S (S + l) is rejected even though it is the same scalar.
    auto malleable = sig;
    const auto l = hex_array<32>("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
    unsigned carry = 0;
    for (std::size_t i = 0; i < 32; ++i) {
        const unsigned v = malleable.bytes[32 + i] + static_cast<unsigned>(l[i]) + carry;
        malleable.bytes[32 + i] = static_cast<std::uint8_t>(v);
        carry = v >> 8;
    }
    EXPECT_FALSE(ed25519_verify(key.public_key(), msg, malleable));
}

TEST(Ed25519, SeedRoundTripsAndGenerationIsDeterministicPerRng) {
    DeterministicRng a(9);
    DeterministicRng b(9);
    const auto k1 = Ed25519SecretKey::generate(a);
    const auto k2 = Ed25519SecretKey::generate(b);
    EXPECT_EQ(k1.public_key(), k2.public_key());
    const auto k3 = Ed25519SecretKey::from_seed(k1.seed());
    EXPECT_EQ(k3.public_key(), k1.public_key());
    EXPECT_EQ(k3.sign(test::ascii("x")), k1.sign(test::ascii("x")));
}

} // namespace
} // namespace nym::crypto
