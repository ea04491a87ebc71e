#include <bls/bls.hpp>
#include <crypto/rng.hpp>
#include <util/hex.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

namespace nym::bls {
namespace {

using util::as_bytes;
using util::from_hex;
using util::to_hex;

// r, the order of G1/G2, little-endian.
std::array<std::uint8_t, 32> order_le() {
    auto be = from_hex("73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001");
    std::array<std::uint8_t, 32> le{};
    for (std::size_t i = 0; i < 32; ++i) le[i] = (*be)[31 - i];
    return le;
}

TEST(BlsHashToG1, MatchesRfc9380Vectors) {
    std::ifstream in(std::string(NYM_TEST_VECTORS_DIR) + "/rfc9380_bls12381g1_xmd_sha256_sswu_ro.json");
    ASSERT_TRUE(in.good()) << "missing tests/vectors/rfc9380_bls12381g1_xmd_sha256_sswu_ro.json";
    const auto doc = nlohmann::json::parse(in);
    const std::string dst = doc.at("dst");
    ASSERT_FALSE(doc.at("vectors").empty());
    for (const auto& v : doc.at("vectors")) {
        const std::string msg = v.at("msg");
        const G1 p = G1::hash(as_bytes(msg), dst);
        const std::string expected = std::string(v.at("P.x")) + std::string(v.at("P.y"));
        EXPECT_EQ(to_hex(p.to_uncompressed()), expected) << "msg=\"" << msg << "\"";
        if (v.contains("compressed")) {
            EXPECT_EQ(to_hex(p.to_compressed()), std::string(v.at("compressed")));
        }
    }
}

TEST(BlsHashToG1, OwnTagGivesADifferentPointInTheGroup) {
    const G1 rfc = G1::hash(as_bytes("abc"), "QUUX-V01-CS02-with-BLS12381G1_XMD:SHA-256_SSWU_RO_");
    const G1 ours = G1::hash(as_bytes("abc"));
    EXPECT_FALSE(rfc == ours);
    auto decoded = G1::from_compressed(ours.to_compressed());
    ASSERT_TRUE(decoded);
    EXPECT_TRUE(*decoded == ours);
}

TEST(BlsScalar, HashToScalarMatchesKnownAnswers) {
    std::ifstream in(std::string(NYM_TEST_VECTORS_DIR) + "/nym_coconut_hash_to_scalar.json");
    ASSERT_TRUE(in.good()) << "missing tests/vectors/nym_coconut_hash_to_scalar.json";
    const auto doc = nlohmann::json::parse(in);
    const std::string dst = doc.at("dst");
    EXPECT_EQ(dst, HASH_TO_SCALAR_DST);
    ASSERT_FALSE(doc.at("vectors").empty());
    for (const auto& v : doc.at("vectors")) {
        const std::string msg = v.at("msg");
        EXPECT_EQ(to_hex(hash_to_scalar(as_bytes(msg)).to_bytes()), std::string(v.at("scalar"))) << msg;
    }
}

TEST(BlsScalar, HashToScalarDependsOnMessageAndTag) {
    const Scalar a = Scalar::hash(as_bytes("abc"));
    EXPECT_TRUE(a == Scalar::hash(as_bytes("abc")));
    EXPECT_FALSE(a == Scalar::hash(as_bytes("abd")));
    EXPECT_FALSE(a == Scalar::hash(as_bytes("abc"), "OTHER-TAG"));
    EXPECT_FALSE(a.is_zero());
}

TEST(BlsScalar, EncodingRoundTripsAndRejectsNonCanonical) {
    crypto::DeterministicRng rng(7);
    for (int i = 0; i < 20; ++i) {
        const Scalar s = Scalar::random(rng);
        auto back = Scalar::from_bytes(s.to_bytes());
        ASSERT_TRUE(back);
        EXPECT_TRUE(*back == s);
    }
    auto r = order_le();
    auto at_r = Scalar::from_bytes(r);
    ASSERT_FALSE(at_r);
    EXPECT_EQ(at_r.error(), Errc::scalar_out_of_range);
    std::array<std::uint8_t, 32> ones{};
    ones.fill(0xff);
    EXPECT_EQ(Scalar::from_bytes(ones).error(), Errc::scalar_out_of_range);
    r[0] = static_cast<std::uint8_t>(r[0] - 1); // r - 1 is the largest canonical value
    auto below = Scalar::from_bytes(r);
    ASSERT_TRUE(below);
    EXPECT_TRUE((*below + Scalar::one()).is_zero());
    std::vector<std::uint8_t> short_input(31, 0);
    EXPECT_EQ(Scalar::from_bytes(short_input).error(), Errc::invalid_encoding);
    std::vector<std::uint8_t> long_input(33, 0);
    EXPECT_EQ(Scalar::from_bytes(long_input).error(), Errc::invalid_encoding);
}

TEST(BlsScalar, WriteBytesMatchesToBytesInPlace) {
    crypto::DeterministicRng rng(9);
    for (int i = 0; i < 5; ++i) {
        const Scalar s = Scalar::random(rng);
        std::array<std::uint8_t, 34> buf{};
        buf.fill(0x5a);
        s.write_bytes(std::span<std::uint8_t, SCALAR_SIZE>(buf.data() + 1, SCALAR_SIZE));
        const auto expected = s.to_bytes();
        EXPECT_TRUE(std::equal(expected.begin(), expected.end(), buf.begin() + 1));
        EXPECT_EQ(buf[0], 0x5a); // nothing written outside the span
        EXPECT_EQ(buf[33], 0x5a);
    }
}

TEST(BlsScalar, FieldArithmetic) {
    crypto::DeterministicRng rng(8);
    const Scalar a = Scalar::random(rng);
    const Scalar b = Scalar::random(rng);
    EXPECT_TRUE(a * a.inverse() == Scalar::one());
    EXPECT_TRUE((a + b) - b == a);
    EXPECT_TRUE(a + (-a) == Scalar::zero());
    EXPECT_TRUE(Scalar::from_u64(6) == Scalar::from_u64(2) * Scalar::from_u64(3));
    EXPECT_TRUE(Scalar::zero().inverse().is_zero());
    Scalar c = a;
    c.wipe();
    EXPECT_TRUE(c.is_zero());
}

TEST(BlsScalar, DeterministicRngGivesReproducibleScalars) {
    crypto::DeterministicRng r1(42);
    crypto::DeterministicRng r2(42);
    EXPECT_TRUE(Scalar::random(r1) == Scalar::random(r2));
}

TEST(BlsG1, CompressionRoundTripAndGroupLaw) {
    crypto::DeterministicRng rng(9);
    const Scalar a = Scalar::random(rng);
    const Scalar b = Scalar::random(rng);
    const G1 g = G1::generator();
    const G1 p = g * a;
    auto back = G1::from_compressed(p.to_compressed());
    ASSERT_TRUE(back);
    EXPECT_TRUE(*back == p);
    EXPECT_TRUE(g * (a + b) == g * a + g * b);
    EXPECT_TRUE((p - p).is_identity());
    EXPECT_TRUE(p + (-p) == G1::identity());
}

TEST(BlsG1, DecoderRejectsBadInput) {
    const auto id = G1::identity().to_compressed();
    EXPECT_EQ(id[0], 0xc0);
    EXPECT_EQ(G1::from_compressed(id).error(), Errc::identity_point);
    auto allowed = G1::from_compressed(id, IdentityPolicy::allow);
    ASSERT_TRUE(allowed);
    EXPECT_TRUE(allowed->is_identity());

    const auto g = G1::generator().to_compressed();
    EXPECT_EQ(G1::from_compressed(std::span(g).first(47)).error(), Errc::invalid_encoding);
    std::vector<std::uint8_t> longer(g.begin(), g.end());
    longer.push_back(0);
    EXPECT_EQ(G1::from_compressed(longer).error(), Errc::invalid_encoding);
    auto uncompressed_flag = g;
    uncompressed_flag[0] &= 0x7f; // compression bit cleared
    EXPECT_FALSE(G1::from_compressed(uncompressed_flag));
    std::array<std::uint8_t, 48> too_big{};
    too_big.fill(0xff);
    too_big[0] = 0x9f; // x >= p
    EXPECT_EQ(G1::from_compressed(too_big).error(), Errc::invalid_encoding);

    // Small x: some are on the curve but (with overwhelming probability) outside G1, some are off it.
    bool saw_off_curve = false;
    bool saw_off_subgroup = false;
    for (std::uint8_t x = 1; x < 64 && !(saw_off_curve && saw_off_subgroup); ++x) {
        std::array<std::uint8_t, 48> enc{};
        enc[0] = 0x80;
        enc[47] = x;
        auto p = G1::from_compressed(enc);
        ASSERT_FALSE(p) << "x=" << int(x);
        if (p.error() == Errc::not_on_curve) saw_off_curve = true;
        if (p.error() == Errc::not_in_subgroup) saw_off_subgroup = true;
    }
    EXPECT_TRUE(saw_off_curve);
    EXPECT_TRUE(saw_off_subgroup);
}

TEST(BlsG1, UncompressedRoundTripAndDecoderRejects) {
    crypto::DeterministicRng rng(12);
    const G1 p = G1::generator() * Scalar::random(rng);
    const auto enc = p.to_uncompressed();
    EXPECT_EQ(enc[0] & 0x80, 0) << "compression flag clear";
    auto back = G1::from_uncompressed(enc);
    ASSERT_TRUE(back);
    EXPECT_TRUE(*back == p);
    EXPECT_TRUE(*G1::from_compressed(p.to_compressed()) == *back);

    const auto id = G1::identity().to_uncompressed();
    EXPECT_EQ(id[0], 0x40);
    EXPECT_EQ(G1::from_uncompressed(id).error(), Errc::identity_point);
    ASSERT_TRUE(G1::from_uncompressed(id, IdentityPolicy::allow));
    EXPECT_TRUE(G1::from_uncompressed(id, IdentityPolicy::allow)->is_identity());

    EXPECT_EQ(G1::from_uncompressed(std::span(enc).first(95)).error(), Errc::invalid_encoding);
    EXPECT_EQ(G1::from_uncompressed(p.to_compressed()).error(), Errc::invalid_encoding);
    auto flagged = enc;
    flagged[0] |= 0x80; // a compressed flag on 96 bytes
    EXPECT_EQ(G1::from_uncompressed(flagged).error(), Errc::invalid_encoding);
    auto other_y = enc;
    other_y[95] ^= 1;
    EXPECT_EQ(G1::from_uncompressed(other_y).error(), Errc::not_on_curve);
    // (0, 2) satisfies y^2 = x^3 + 4 but has order 3; (0, 3) does not satisfy it.
    std::array<std::uint8_t, 96> three_torsion{};
    three_torsion[95] = 2;
    EXPECT_EQ(G1::from_uncompressed(three_torsion).error(), Errc::not_in_subgroup);
    three_torsion[95] = 3;
    EXPECT_EQ(G1::from_uncompressed(three_torsion).error(), Errc::not_on_curve);
    std::array<std::uint8_t, 96> too_big{};
    too_big.fill(0xff);
    too_big[0] = 0x1f; // x >= p
    EXPECT_EQ(G1::from_uncompressed(too_big).error(), Errc::invalid_encoding);
}

TEST(BlsG2, CompressionRoundTripAndDecoderRejects) {
    crypto::DeterministicRng rng(10);
    const G2 p = G2::generator() * Scalar::random(rng);
    auto back = G2::from_compressed(p.to_compressed());
    ASSERT_TRUE(back);
    EXPECT_TRUE(*back == p);
    EXPECT_EQ(G2::from_compressed(G2::identity().to_compressed()).error(), Errc::identity_point);
    const auto enc_p = p.to_compressed();
    EXPECT_EQ(G2::from_compressed(std::span(enc_p).first(95)).error(), Errc::invalid_encoding);
    bool saw_off_curve = false;
    bool saw_off_subgroup = false;
    for (std::uint8_t x = 1; x < 64 && !(saw_off_curve && saw_off_subgroup); ++x) {
        std::array<std::uint8_t, 96> enc{};
        enc[0] = 0x80;
        enc[95] = x; // c0 = x, c1 = 0
        auto q = G2::from_compressed(enc);
        ASSERT_FALSE(q);
        if (q.error() == Errc::not_on_curve) saw_off_curve = true;
        if (q.error() == Errc::not_in_subgroup) saw_off_subgroup = true;
    }
    EXPECT_TRUE(saw_off_curve);
    EXPECT_TRUE(saw_off_subgroup);
}

TEST(BlsMsm, EqualsTheNaiveSum) {
    crypto::DeterministicRng rng(11);
    for (std::size_t n : {1u, 2u, 3u, 5u, 9u}) {
        std::vector<G1> p1(n);
        std::vector<G2> p2(n);
        std::vector<Scalar> s(n);
        G1 naive1;
        G2 naive2;
        for (std::size_t i = 0; i < n; ++i) {
            p1[i] = G1::generator() * Scalar::random(rng);
            p2[i] = G2::generator() * Scalar::random(rng);
            s[i] = Scalar::random(rng);
            naive1 = naive1 + p1[i] * s[i];
            naive2 = naive2 + p2[i] * s[i];
        }
        EXPECT_TRUE(g1_msm(p1, s) == naive1) << n;
        EXPECT_TRUE(g2_msm(p2, s) == naive2) << n;
        EXPECT_TRUE(g1_msm_secret(p1, s) == naive1) << n;
        EXPECT_TRUE(g2_msm_secret(p2, s) == naive2) << n;
        const G1 extra[1] = {G1::generator()};
        EXPECT_TRUE(g1_msm(p1, s, extra) == naive1 + G1::generator()) << n;
    }
    // Identity points and zero scalars contribute nothing.
    const G1 pts[3] = {G1::identity(), G1::generator(), G1::generator()};
    const Scalar sc[3] = {Scalar::from_u64(5), Scalar::zero(), Scalar::from_u64(3)};
    EXPECT_TRUE(g1_msm(pts, sc) == G1::generator() * Scalar::from_u64(3));
    EXPECT_TRUE(g1_msm_secret(pts, sc) == G1::generator() * Scalar::from_u64(3));
    EXPECT_TRUE(g1_msm({}, {}).is_identity());
}

TEST(BlsPairing, BilinearAndOneFinalExponentiation) {
    crypto::DeterministicRng rng(12);
    const Scalar a = Scalar::random(rng);
    const Scalar b = Scalar::random(rng);
    const G1 p = G1::generator();
    const G2 q = G2::generator();
    EXPECT_TRUE(GT::pairing(p * a, q) == GT::pairing(p, q * a));
    EXPECT_TRUE(GT::pairing(p * (a * b), q) == GT::pairing(p * a, q * b));
    EXPECT_FALSE(GT::pairing(p, q).is_one());
    EXPECT_TRUE(GT::pairing(p * a, q) * GT::pairing(p * b, q) == GT::pairing(p * (a + b), q));

    PairingProduct ok;
    ok.add(p * a, q);
    ok.add(-p, q * a);
    EXPECT_TRUE(ok.is_one());

    PairingProduct prepared;
    prepared.add(p * a, q);
    prepared.add(-(p * a), g2_generator_prepared());
    EXPECT_TRUE(prepared.is_one());

    PairingProduct bad;
    bad.add(p * a, q);
    bad.add(-p, q * b);
    EXPECT_FALSE(bad.is_one());

    PairingProduct with_identity;
    with_identity.add(G1::identity(), q);
    with_identity.add(p, G2::identity());
    EXPECT_TRUE(with_identity.is_one());
}

} // namespace
} // namespace nym::bls
