#include <crypto/curve25519_ref.hpp>
#include <crypto/errors.hpp>
#include <crypto/x25519.hpp>

#include <sodium.h>

#include "test_support.hpp"

namespace nym::crypto {
namespace {

using test::hex_array;
using test::to_hex;

MontgomeryPoint point(const std::string& h) {
    return MontgomeryPoint{hex_array<32>(h)};
}
MontgomeryPoint base_point() {
    return point("0900000000000000000000000000000000000000000000000000000000000000");
}

// RFC 7748 §5.2 calls the function on the raw scalar bytes; X25519SecretKey clamps them the same way.
std::string x25519_hex(const std::string& k, const std::string& u) {
    auto r = x25519(X25519SecretKey::from_bytes(hex_array<32>(k)), point(u));
    EXPECT_TRUE(r);
    return r ? to_hex(r->bytes) : std::string();
}

TEST(X25519, Rfc7748ScalarMultiplication) {
    const auto file = test::load_vectors("rfc7748_x25519.json");
    ASSERT_EQ(file["scalar_mult"].size(), 2u);
    for (const auto& v : file["scalar_mult"])
        EXPECT_EQ(x25519_hex(v["scalar"], v["u"]), v["output"].get<std::string>());
}

TEST(X25519, Rfc7748IteratedOnceAndThousandTimes) {
    const auto file = test::load_vectors("rfc7748_x25519.json");
    std::string k = file["iterated"]["start_k_and_u"];
    std::string u = k;
    for (int i = 1; i <= 1000; ++i) {
        std::string next = x25519_hex(k, u);
        u = k;
        k = next;
        if (i == 1) {
            EXPECT_EQ(k, file["iterated"]["after"]["1"].get<std::string>());
        }
    }
    EXPECT_EQ(k, file["iterated"]["after"]["1000"].get<std::string>());
}

TEST(X25519, Rfc7748DiffieHellman) {
    const auto file = test::load_vectors("rfc7748_x25519.json");
    const auto& v = file["diffie_hellman"];
    const auto alice = X25519SecretKey::from_bytes(hex_array<32>(v["alice_private"]));
    const auto bob = X25519SecretKey::from_bytes(hex_array<32>(v["bob_private"]));
    EXPECT_EQ(to_hex(alice.public_key().bytes), v["alice_public"].get<std::string>());
    EXPECT_EQ(to_hex(bob.public_key().bytes), v["bob_public"].get<std::string>());
    const auto k1 = x25519(alice, bob.public_key());
    const auto k2 = x25519(bob, alice.public_key());
    ASSERT_TRUE(k1);
    ASSERT_TRUE(k2);
    EXPECT_EQ(to_hex(k1->bytes), v["shared_secret"].get<std::string>());
    EXPECT_EQ(k1->bytes, k2->bytes);
}

TEST(X25519, SecretKeyIsClamped) {
    std::array<std::uint8_t, 32> raw{};
    raw.fill(0xff);
    const auto k = X25519SecretKey::from_bytes(raw);
    EXPECT_EQ(k.bytes()[0], 0xf8);
    EXPECT_EQ(k.bytes()[31], 0x7f);
    raw.fill(0);
    const auto z = X25519SecretKey::from_bytes(raw);
    EXPECT_EQ(z.bytes()[0], 0x00);
    EXPECT_EQ(z.bytes()[31], 0x40);
    DeterministicRng rng(7);
    for (int i = 0; i < 20; ++i) {
        const auto g = X25519SecretKey::generate(rng);
        EXPECT_EQ(g.bytes()[0] & 7, 0);
        EXPECT_EQ(g.bytes()[31] & 0xc0, 0x40);
    }
}

TEST(X25519, LowOrderPointsAreRejected) {
    // u = 0 (order 2 after the identity), u = 1 (order 4), the two order-8 u-coordinates, and
    // p - 1 and p, p + 1 (non-canonical encodings of the same small-order points).
    const char* low_order[] = {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    };
    DeterministicRng rng(11);
    const auto key = X25519SecretKey::generate(rng);
    const auto s = Scalar25519::random(rng);
    for (const char* u : low_order) {
        const auto r = x25519(key, point(u));
        ASSERT_FALSE(r) << u;
        EXPECT_EQ(r.error(), Errc::low_order_point) << u;
        const auto m = scalarmult(s, point(u));
        ASSERT_FALSE(m) << u;
        EXPECT_EQ(m.error(), Errc::low_order_point) << u;
    }
}

TEST(X25519, ZeroScalarIsRejected) {
    const Scalar25519 zero;
    EXPECT_TRUE(zero.is_zero());
    const auto r = scalarmult(zero, base_point());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), Errc::low_order_point);
    EXPECT_EQ(scalarmult_base(zero), MontgomeryPoint{});
}

TEST(Scalar25519, ReducesModL) {
    // l itself reduces to 0, l + 1 to 1.
    const auto l = hex_array<32>("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
    EXPECT_TRUE(Scalar25519::from_bytes_mod_order(l).is_zero());
    auto l_plus_1 = l;
    l_plus_1[0] = static_cast<std::uint8_t>(l_plus_1[0] + 1);
    EXPECT_EQ(to_hex(Scalar25519::from_bytes_mod_order(l_plus_1).bytes()),
              "0100000000000000000000000000000000000000000000000000000000000000");
    // (2^256 - 1) mod l: every bit of the input counts.
    std::array<std::uint8_t, 32> ones{};
    ones.fill(0xff);
    EXPECT_EQ(to_hex(Scalar25519::from_bytes_mod_order(ones).bytes()),
              "1c95988d7431ecd670cf7d73f45befc6feffffffffffffffffffffffffffff0f");
    // The wide form with the high half zero is the narrow form.
    std::array<std::uint8_t, 64> wide{};
    std::copy(ones.begin(), ones.end(), wide.begin());
    EXPECT_TRUE(Scalar25519::from_bytes_mod_order_wide(wide).ct_equals(Scalar25519::from_bytes_mod_order(ones)));
}

TEST(Scalar25519, MultiplicationMatchesLibsodium) {
    DeterministicRng rng(3);
    for (int i = 0; i < 20; ++i) {
        const auto a = Scalar25519::random(rng);
        const auto b = Scalar25519::random(rng);
        std::array<std::uint8_t, 32> expected{};
        crypto_core_ed25519_scalar_mul(expected.data(), a.bytes().data(), b.bytes().data());
        const auto c = a * b;
        EXPECT_EQ(to_hex(c.bytes()), to_hex(expected));
        EXPECT_TRUE(c.ct_equals(b * a));
        EXPECT_LT(c.bytes()[31], 0x10); // canonical: below 2^253
    }
}

// The central property: the libsodium-based fast path equals a plain unclamped Montgomery ladder
// for every point of the prime-order subgroup.
TEST(Scalarmult, FastPathEqualsReferenceLadderOnRandomInputs) {
    DeterministicRng rng(2024);
    for (int i = 0; i < 256; ++i) {
        const auto k = X25519SecretKey::generate(rng);
        const auto p = k.public_key();
        const auto s = Scalar25519::random(rng);
        const auto fast = scalarmult(s, p);
        ASSERT_TRUE(fast);
        const auto ref = detail::montgomery_ladder_unclamped(s.bytes(), p.bytes);
        ASSERT_EQ(to_hex(fast->bytes), to_hex(ref)) << "case " << i;
    }
}

TEST(Scalarmult, SmallAndExtremeScalarsEqualReferenceLadder) {
    DeterministicRng rng(99);
    const auto p = X25519SecretKey::generate(rng).public_key();
    std::vector<std::array<std::uint8_t, 32>> scalars;
    for (unsigned v : {1U, 2U, 3U, 7U, 8U, 9U, 255U}) {
        std::array<std::uint8_t, 32> s{};
        s[0] = static_cast<std::uint8_t>(v);
        scalars.push_back(s);
    }
    // l - 1, l - 8, 2^252, 2^251, 2^251 - 1 ... the edges of the sign selection.
    scalars.push_back(hex_array<32>("ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"));
    scalars.push_back(hex_array<32>("e5d3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"));
    scalars.push_back(hex_array<32>("0000000000000000000000000000000000000000000000000000000000000010"));
    scalars.push_back(hex_array<32>("0000000000000000000000000000000000000000000000000000000000000008"));
    scalars.push_back(hex_array<32>("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff07"));
    for (const auto& raw : scalars) {
        const auto s = Scalar25519::from_bytes_mod_order(raw);
        const auto fast = scalarmult(s, p);
        ASSERT_TRUE(fast) << to_hex(raw);
        EXPECT_EQ(to_hex(fast->bytes), to_hex(detail::montgomery_ladder_unclamped(s.bytes(), p.bytes))) << to_hex(raw);
        EXPECT_EQ(to_hex(scalarmult_base(s).bytes),
                  to_hex(detail::montgomery_ladder_unclamped(s.bytes(), base_point().bytes)))
            << to_hex(raw);
    }
}

TEST(Scalarmult, CofactorClearingFallbackFormulaAgrees) {
    // The rare-case fallback computes (s/8) * (8P); it must equal the fast path.
    DeterministicRng rng(5);
    std::array<std::uint8_t, 32> eight{};
    eight[0] = 8;
    std::array<std::uint8_t, 32> inv8{};
    ASSERT_EQ(crypto_core_ed25519_scalar_invert(inv8.data(), eight.data()), 0);
    for (int i = 0; i < 16; ++i) {
        const auto p = X25519SecretKey::generate(rng).public_key();
        const auto s = Scalar25519::random(rng);
        std::array<std::uint8_t, 32> t{};
        crypto_core_ed25519_scalar_mul(t.data(), s.bytes().data(), inv8.data());
        const auto fast = scalarmult(s, p);
        ASSERT_TRUE(fast);
        EXPECT_EQ(to_hex(fast->bytes), to_hex(detail::montgomery_ladder_cofactor_cleared(t, p.bytes)));
    }
}

TEST(Scalarmult, ReferenceLadderMatchesRfc7748WithClampedScalars) {
    // The oracle itself, checked against the RFC: with a pre-clamped scalar it is X25519.
    const auto file = test::load_vectors("rfc7748_x25519.json");
    for (const auto& v : file["scalar_mult"]) {
        const auto k = X25519SecretKey::from_bytes(hex_array<32>(v["scalar"]));
        EXPECT_EQ(to_hex(detail::montgomery_ladder_unclamped(k.bytes(), hex_array<32>(v["u"]))),
                  v["output"].get<std::string>());
    }
}

TEST(Scalarmult, BaseMatchesVariableBaseAndPublicKey) {
    DeterministicRng rng(17);
    for (int i = 0; i < 32; ++i) {
        const auto s = Scalar25519::random(rng);
        const auto via_base = scalarmult_base(s);
        const auto via_ladder = scalarmult(s, base_point());
        ASSERT_TRUE(via_ladder);
        EXPECT_EQ(via_base, *via_ladder);
        const auto k = X25519SecretKey::generate(rng);
        EXPECT_EQ(scalarmult_base(k.to_scalar()), k.public_key());
    }
}

TEST(Scalarmult, ClampedKeyAndItsScalarAgreeOnTheSubgroup) {
    DeterministicRng rng(23);
    for (int i = 0; i < 16; ++i) {
        const auto k = X25519SecretKey::generate(rng);
        const auto p = X25519SecretKey::generate(rng).public_key();
        const auto a = x25519(k, p);
        const auto b = scalarmult(k.to_scalar(), p);
        ASSERT_TRUE(a);
        ASSERT_TRUE(b);
        EXPECT_EQ(*a, *b);
    }
}

TEST(Scalarmult, BlindingComposesAsSphinxNeeds) {
    // alpha_{i+1} = b_i * alpha_i and s_i = acc_i * pk_i = sk_i * alpha_i.
    DeterministicRng rng(31);
    const auto node = X25519KeyPair::generate(rng);
    auto acc = X25519SecretKey::generate(rng).to_scalar();
    auto alpha = scalarmult_base(acc);
    for (int hop = 0; hop < 5; ++hop) {
        const auto sender_side = scalarmult(acc, node.public_key);
        const auto node_side = x25519(node.secret, alpha);
        ASSERT_TRUE(sender_side);
        ASSERT_TRUE(node_side);
        EXPECT_EQ(*sender_side, *node_side) << "hop " << hop;
        const auto b = Scalar25519::random(rng);
        const auto blinded = scalarmult(b, alpha);
        ASSERT_TRUE(blinded);
        acc = acc * b;
        alpha = *blinded;
        EXPECT_EQ(alpha, scalarmult_base(acc)) << "hop " << hop;
    }
}

TEST(Curve25519Ref, EdwardsToMontgomeryMatchesLibsodium) {
    DeterministicRng rng(53);
    for (int i = 0; i < 32; ++i) {
        const auto s = Scalar25519::random(rng);
        std::array<std::uint8_t, 32> ed{};
        ASSERT_EQ(crypto_scalarmult_ed25519_base_noclamp(ed.data(), s.bytes().data()), 0);
        std::array<std::uint8_t, 32> expected{};
        ASSERT_EQ(crypto_sign_ed25519_pk_to_curve25519(expected.data(), ed.data()), 0);
        EXPECT_EQ(to_hex(detail::edwards_to_montgomery_u(ed)), to_hex(expected));
        ed[31] ^= 0x80; // -P has the same u
        EXPECT_EQ(to_hex(detail::edwards_to_montgomery_u(ed)), to_hex(expected));
    }
    // The identity (y = 1) maps to u = 0.
    std::array<std::uint8_t, 32> identity{};
    identity[0] = 1;
    EXPECT_EQ(to_hex(detail::edwards_to_montgomery_u(identity)), std::string(64, '0'));
}

TEST(Curve25519Ref, NonCanonicalUEqualsItsReduction) {
    // u and u + p encode the same field element (RFC 7748 §5: implementations accept both).
    DeterministicRng rng(59);
    const auto s = Scalar25519::random(rng);
    for (std::uint8_t small : {std::uint8_t{2}, std::uint8_t{9}, std::uint8_t{18}}) {
        std::array<std::uint8_t, 32> u{};
        u[0] = small;
        std::array<std::uint8_t, 32> u_plus_p{};
        u_plus_p.fill(0xff);
        u_plus_p[0] = static_cast<std::uint8_t>(0xed + small);
        u_plus_p[31] = 0x7f;
        EXPECT_EQ(to_hex(detail::montgomery_ladder_unclamped(s.bytes(), u)),
                  to_hex(detail::montgomery_ladder_unclamped(s.bytes(), u_plus_p)))
            << int{small};
    }
}

TEST(Scalarmult, TopBitOfUIsIgnored) {
    DeterministicRng rng(41);
    auto p = X25519SecretKey::generate(rng).public_key();
    const auto s = Scalar25519::random(rng);
    const auto a = scalarmult(s, p);
    p.bytes[31] = static_cast<std::uint8_t>(p.bytes[31] | 0x80);
    const auto b = scalarmult(s, p);
    ASSERT_TRUE(a);
    ASSERT_TRUE(b);
    EXPECT_EQ(*a, *b);
    EXPECT_EQ(to_hex(a->bytes), to_hex(detail::montgomery_ladder_unclamped(s.bytes(), p.bytes)));
}

} // namespace
} // namespace nym::crypto
