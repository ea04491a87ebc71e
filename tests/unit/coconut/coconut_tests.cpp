#include <coconut/codec.hpp>
#include <coconut/scheme.hpp>
#include <coconut/show.hpp>
#include <crypto/rng.hpp>
#include <util/hex.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace nym::coconut {
namespace {

constexpr std::size_t Q = 5;
constexpr std::size_t T = 3;
constexpr std::size_t N = 5;

/// The verifier/session context every show in these tests is made for, and the policy that only
/// fixes the attribute count.
const ByteSpan CTX = util::as_bytes("verifier-1|session-0001");
const ShowPolicy ANY{Q, {}};

/// Everything an n = 5, t = 3 issuance produces, built once through a deterministic RNG.
struct World {
    crypto::DeterministicRng rng{2024};
    Parameters params = *Parameters::setup(Q);
    std::vector<KeyPair> keys = *ttp_keygen(params, T, N, rng);
    ElGamalKeyPair elgamal = ElGamalKeyPair::generate(rng);
    std::vector<Attribute> priv{Scalar::random(rng), Scalar::random(rng), Scalar::from_u64(77)};
    std::vector<Attribute> pub{Scalar::from_u64(10), hash_to_attribute(util::as_bytes("voucher info"))};
    BlindSignRequest request = *prepare_blind_sign(params, elgamal, priv, pub, rng);
    std::vector<SignatureShare> shares;
    VerificationKey vk;
    Signature credential;

    World() {
        const G1 h = request.commitment_hash();
        for (const KeyPair& kp : keys) {
            auto blinded = blind_sign(params, kp.secret, request);
            EXPECT_TRUE(blinded);
            auto sig = unblind(params, *blinded, elgamal, h, kp.verification, attributes());
            EXPECT_TRUE(sig);
            shares.push_back({kp.secret.index, *sig});
        }
        std::vector<VerificationKey> vks;
        for (std::size_t i = 0; i < T; ++i) vks.push_back(keys[i].verification);
        vk = *aggregate_verification_keys(vks, T);
        credential = *aggregate_signatures(std::span(shares).first(T), T);
    }

    std::vector<Attribute> attributes() const {
        std::vector<Attribute> all = priv;
        all.insert(all.end(), pub.begin(), pub.end());
        return all;
    }
};

World& world() {
    static World w;
    return w;
}

std::vector<std::vector<std::size_t>> subsets(std::size_t n, std::size_t k) {
    std::vector<std::vector<std::size_t>> out;
    for (std::uint32_t mask = 0; mask < (1u << n); ++mask) {
        if (static_cast<std::size_t>(__builtin_popcount(mask)) != k) continue;
        std::vector<std::size_t> s;
        for (std::size_t i = 0; i < n; ++i)
            if (mask & (1u << i)) s.push_back(i);
        out.push_back(s);
    }
    return out;
}

/// An x with 0x80 flag that decodes to an on-curve point outside G1 (or off the curve).
std::array<std::uint8_t, 48> bad_g1(bls::Errc wanted) {
    for (std::uint8_t x = 1;; ++x) {
        std::array<std::uint8_t, 48> enc{};
        enc[0] = 0x80;
        enc[47] = x;
        auto p = G1::from_compressed(enc);
        if (!p && p.error() == wanted) return enc;
    }
}

std::array<std::uint8_t, 96> bad_g2(bls::Errc wanted) {
    for (std::uint8_t x = 1;; ++x) {
        std::array<std::uint8_t, 96> enc{};
        enc[0] = 0x80;
        enc[95] = x;
        auto p = G2::from_compressed(enc);
        if (!p && p.error() == wanted) return enc;
    }
}

/// The error of a result, or no error: a check on a result that unexpectedly succeeded fails
/// instead of aborting the whole test binary.
template <class R>
std::error_code error_of(const R& result) {
    return result ? std::error_code{} : std::error_code(result.error());
}

using Decoder = std::function<std::error_code(ByteSpan)>;

template <class T>
Decoder decoder() {
    return [](ByteSpan b) -> std::error_code {
        auto r = T::decode(b);
        return r ? std::error_code{} : r.error();
    };
}

/// Round-trip is checked by the caller; this checks every truncation, an extra byte, off-curve and
/// off-subgroup points at the given offsets, and a scalar >= r at the given offsets.
/// Uncompressed G1 encodings that fail: (0, 3) is off the curve y^2 = x^3 + 4; (0, 2) is on it but
/// has order 3 (x = 0 is an inflection point), so it is outside G1.
std::array<std::uint8_t, 96> bad_g1_uncompressed(bls::Errc wanted) {
    std::array<std::uint8_t, 96> enc{};
    enc[95] = wanted == bls::Errc::not_in_subgroup ? 2 : 3;
    return enc;
}

void expect_decoder_rejects(const Decoder& decode, const Bytes& good, std::vector<std::size_t> g1_offsets,
                            std::vector<std::size_t> g2_offsets, std::vector<std::size_t> scalar_offsets,
                            bool g1_uncompressed = false) {
    ASSERT_FALSE(decode(good)) << "the good encoding must decode";
    for (std::size_t len = 0; len < good.size(); ++len) {
        const auto e = decode(ByteSpan(good).first(len));
        ASSERT_TRUE(e) << "prefix " << len << " accepted";
        EXPECT_EQ(e, Errc::truncated) << "prefix " << len << ": " << e.message();
    }
    Bytes longer = good;
    longer.push_back(0);
    EXPECT_EQ(decode(longer), Errc::trailing_bytes);
    for (std::size_t off : g1_offsets) {
        for (auto [wanted, mapped] : {std::pair{bls::Errc::not_on_curve, Errc::not_on_curve},
                                      std::pair{bls::Errc::not_in_subgroup, Errc::not_in_subgroup}}) {
            Bytes bad = good;
            if (g1_uncompressed) {
                const auto p = bad_g1_uncompressed(wanted);
                std::copy(p.begin(), p.end(), bad.begin() + static_cast<std::ptrdiff_t>(off));
            } else {
                const auto p = bad_g1(wanted);
                std::copy(p.begin(), p.end(), bad.begin() + static_cast<std::ptrdiff_t>(off));
            }
            EXPECT_EQ(decode(bad), mapped) << "G1 at " << off;
        }
        Bytes flags = good;
        flags[off] ^= 0x80; // compression flag flipped
        EXPECT_TRUE(decode(flags)) << "G1 flags at " << off;
    }
    for (std::size_t off : g2_offsets) {
        for (auto [wanted, mapped] : {std::pair{bls::Errc::not_on_curve, Errc::not_on_curve},
                                      std::pair{bls::Errc::not_in_subgroup, Errc::not_in_subgroup}}) {
            Bytes bad = good;
            const auto p = bad_g2(wanted);
            std::copy(p.begin(), p.end(), bad.begin() + static_cast<std::ptrdiff_t>(off));
            EXPECT_EQ(decode(bad), mapped) << "G2 at " << off;
        }
    }
    for (std::size_t off : scalar_offsets) {
        Bytes bad = good;
        std::fill(bad.begin() + static_cast<std::ptrdiff_t>(off), bad.begin() + static_cast<std::ptrdiff_t>(off + 32),
                  0xff);
        EXPECT_EQ(decode(bad), Errc::scalar_out_of_range) << "scalar at " << off;
    }
}

// ---- Setup, keys, aggregation ------------------------------------------------------------------

TEST(CoconutSetup, RejectsBadParameters) {
    EXPECT_EQ(error_of(Parameters::setup(0)), Errc::invalid_parameters);
    EXPECT_EQ(error_of(Parameters::setup(MAX_ATTRIBUTES + 1)), Errc::invalid_parameters);
    auto& w = world();
    EXPECT_EQ(error_of(ttp_keygen(w.params, 0, 5, w.rng)), Errc::invalid_parameters);
    EXPECT_EQ(error_of(ttp_keygen(w.params, 6, 5, w.rng)), Errc::invalid_parameters);
    EXPECT_EQ(w.params.hs().size(), Q);
    EXPECT_FALSE(w.params.hs()[0] == w.params.hs()[1]);
}

// m3: no attribute base and no commitment base h may be the identity.
TEST(CoconutSetup, RejectsIdentityBases) {
    auto& w = world();
    std::vector<G1> hs(w.params.hs().begin(), w.params.hs().end());
    auto same = Parameters::from_bases(hs);
    ASSERT_TRUE(same);
    EXPECT_TRUE(same->hs()[Q - 1] == w.params.hs()[Q - 1]);
    hs[2] = G1::identity();
    EXPECT_EQ(error_of(Parameters::from_bases(hs)), Errc::identity_point);
    EXPECT_EQ(error_of(Parameters::from_bases({})), Errc::invalid_parameters);
    EXPECT_EQ(error_of(Parameters::from_bases(std::vector<G1>(MAX_ATTRIBUTES + 1, G1::generator()))),
              Errc::invalid_parameters);
    // The signer-side check of h = H(cm) (a hash output cannot be forced to the identity, so the
    // check is reached directly).
    EXPECT_EQ(error_of(detail::check_commitment_base(G1::identity())), Errc::identity_point);
    EXPECT_TRUE(detail::check_commitment_base(w.request.commitment_hash()));
}

TEST(CoconutKeygen, IndicesAreOneToN) {
    auto& w = world();
    ASSERT_EQ(w.keys.size(), N);
    for (std::size_t i = 0; i < N; ++i) {
        EXPECT_EQ(w.keys[i].secret.index, i + 1);
        EXPECT_EQ(w.keys[i].verification.index, i + 1);
        EXPECT_EQ(w.keys[i].secret.ys.size(), Q);
        EXPECT_TRUE(w.keys[i].verification.alpha == G2::generator() * w.keys[i].secret.x);
    }
}

TEST(CoconutAggregate, EveryThreeSubsetVerifiesAndGivesTheSameKey) {
    auto& w = world();
    const auto all = w.attributes();
    const auto sets = subsets(N, 3);
    ASSERT_EQ(sets.size(), 10u);
    for (const auto& set : sets) {
        std::vector<SignatureShare> shares;
        std::vector<VerificationKey> vks;
        for (std::size_t i : set) {
            shares.push_back(w.shares[i]);
            vks.push_back(w.keys[i].verification);
        }
        auto sig = aggregate_signatures(shares, T);
        ASSERT_TRUE(sig);
        auto vk = aggregate_verification_keys(vks, T);
        ASSERT_TRUE(vk);
        EXPECT_TRUE(*vk == w.vk);
        EXPECT_TRUE(*sig == w.credential);
        EXPECT_TRUE(verify_signature(w.params, *vk, *sig, all));
        auto theta = prove_credential(w.params, *vk, *sig, all, std::vector<std::size_t>{3, 4}, CTX, w.rng);
        ASSERT_TRUE(theta);
        EXPECT_TRUE(verify_credential(w.params, w.vk, *theta, CTX, ANY));
    }
}

TEST(CoconutAggregate, MoreThanThresholdSharesGiveTheSameCredential) {
    auto& w = world();
    auto sig = aggregate_signatures(w.shares, T);
    ASSERT_TRUE(sig);
    EXPECT_TRUE(*sig == w.credential);
    std::vector<VerificationKey> vks;
    for (const KeyPair& kp : w.keys) vks.push_back(kp.verification);
    auto vk = aggregate_verification_keys(vks, T);
    ASSERT_TRUE(vk);
    EXPECT_TRUE(*vk == w.vk);
    EXPECT_EQ(vk->index, 0u);
}

TEST(CoconutAggregate, EveryTwoSubsetFails) {
    auto& w = world();
    const auto all = w.attributes();
    const auto sets = subsets(N, 2);
    ASSERT_EQ(sets.size(), 10u);
    for (const auto& set : sets) {
        std::vector<SignatureShare> shares;
        std::vector<VerificationKey> vks;
        for (std::size_t i : set) {
            shares.push_back(w.shares[i]);
            vks.push_back(w.keys[i].verification);
        }
        EXPECT_EQ(error_of(aggregate_signatures(shares, T)), Errc::not_enough_shares);
        EXPECT_EQ(error_of(aggregate_verification_keys(vks, T)), Errc::not_enough_shares);
        // Interpolating only two shares gives a signature under no key of the set.
        auto forced = aggregate_signatures(shares, 2);
        ASSERT_TRUE(forced);
        EXPECT_EQ(error_of(verify_signature(w.params, w.vk, *forced, all)), Errc::verification_failed);
        auto theta = prove_credential(w.params, w.vk, *forced, all, {}, CTX, w.rng);
        ASSERT_TRUE(theta);
        EXPECT_EQ(error_of(verify_credential(w.params, w.vk, *theta, CTX, ANY)), Errc::verification_failed);
    }
}

TEST(CoconutAggregate, RejectsDuplicateZeroAndMismatchedShares) {
    auto& w = world();
    std::vector<SignatureShare> dup{w.shares[0], w.shares[0], w.shares[1]};
    EXPECT_EQ(error_of(aggregate_signatures(dup, T)), Errc::duplicate_index);
    std::vector<SignatureShare> zero{w.shares[0], w.shares[1], w.shares[2]};
    zero[2].index = 0;
    EXPECT_EQ(error_of(aggregate_signatures(zero, T)), Errc::invalid_index);
    std::vector<SignatureShare> mixed{w.shares[0], w.shares[1], w.shares[2]};
    mixed[1].signature.h = G1::generator();
    EXPECT_EQ(error_of(aggregate_signatures(mixed, T)), Errc::mismatched_shares);
    std::vector<VerificationKey> vks{w.keys[0].verification, w.keys[0].verification, w.keys[1].verification};
    EXPECT_EQ(error_of(aggregate_verification_keys(vks, T)), Errc::duplicate_index);
    vks[1] = w.keys[2].verification;
    vks[1].betas.pop_back();
    EXPECT_EQ(error_of(aggregate_verification_keys(vks, T)), Errc::attribute_count_mismatch);
    EXPECT_EQ(error_of(aggregate_signatures(std::span(w.shares).first(3), 0)), Errc::invalid_parameters);
}

// ---- Issuance ----------------------------------------------------------------------------------

TEST(CoconutIssuance, SharesVerifyUnderTheirOwnKeys) {
    auto& w = world();
    const auto all = w.attributes();
    for (std::size_t i = 0; i < N; ++i) {
        EXPECT_TRUE(verify_signature(w.params, w.keys[i].verification, w.shares[i].signature, all));
        EXPECT_FALSE(verify_signature(w.params, w.keys[(i + 1) % N].verification, w.shares[i].signature, all));
    }
}

TEST(CoconutIssuance, UnblindChecksTheRequestsH) {
    auto& w = world();
    const auto all = w.attributes();
    const VerificationKey& vk0 = w.keys[0].verification;
    auto blinded = blind_sign(w.params, w.keys[0].secret, w.request);
    ASSERT_TRUE(blinded);
    EXPECT_EQ(error_of(unblind(w.params, *blinded, w.elgamal, G1::generator(), vk0, all)), Errc::mismatched_shares);
    auto good = unblind(w.params, *blinded, w.elgamal, w.request.commitment_hash(), vk0, all);
    ASSERT_TRUE(good);
    EXPECT_TRUE(*good == w.shares[0].signature);
    // Another ElGamal key gives a wrong share, now caught at unblind.
    crypto::DeterministicRng rng(5);
    const ElGamalKeyPair other = ElGamalKeyPair::generate(rng);
    EXPECT_EQ(error_of(unblind(w.params, *blinded, other, w.request.commitment_hash(), vk0, all)), Errc::invalid_share);
}

// M1: a bad share is detected per signer, before aggregation.
TEST(CoconutIssuance, UnblindRejectsAShareOfAWrongKeyOrTamperedC2) {
    auto& w = world();
    const auto all = w.attributes();
    const G1 h = w.request.commitment_hash();
    // A signer who signs with a key other than the one it published.
    crypto::DeterministicRng rng(31);
    auto rogue = ttp_keygen(w.params, 1, 1, rng);
    ASSERT_TRUE(rogue);
    SecretKey wrong_key = (*rogue)[0].secret;
    wrong_key.index = 1;
    auto from_rogue = blind_sign(w.params, wrong_key, w.request);
    ASSERT_TRUE(from_rogue);
    EXPECT_EQ(error_of(unblind(w.params, *from_rogue, w.elgamal, h, w.keys[0].verification, all)), Errc::invalid_share);
    // A tampered c~2 (and c~1) of an honest signer.
    auto blinded = blind_sign(w.params, w.keys[1].secret, w.request);
    ASSERT_TRUE(blinded);
    BlindedSignature bad = *blinded;
    bad.c2 = bad.c2 + G1::generator();
    EXPECT_EQ(error_of(unblind(w.params, bad, w.elgamal, h, w.keys[1].verification, all)), Errc::invalid_share);
    bad = *blinded;
    bad.c1 = bad.c1 + G1::generator();
    EXPECT_EQ(error_of(unblind(w.params, bad, w.elgamal, h, w.keys[1].verification, all)), Errc::invalid_share);
    // The honest share under another signer's key, or over other attributes, is refused too.
    EXPECT_EQ(error_of(unblind(w.params, *blinded, w.elgamal, h, w.keys[2].verification, all)), Errc::invalid_share);
    auto changed = all;
    changed[4] = changed[4] + Scalar::one();
    EXPECT_EQ(error_of(unblind(w.params, *blinded, w.elgamal, h, w.keys[1].verification, changed)),
              Errc::invalid_share);
    EXPECT_TRUE(unblind(w.params, *blinded, w.elgamal, h, w.keys[1].verification, all));
}

TEST(CoconutAggregate, AggregateAndVerifyRejectsABadShare) {
    auto& w = world();
    const auto all = w.attributes();
    auto ok = aggregate_signatures_and_verify(w.params, std::span(w.shares).first(T), T, w.vk, all);
    ASSERT_TRUE(ok);
    EXPECT_TRUE(*ok == w.credential);
    std::vector<SignatureShare> shares(w.shares.begin(), w.shares.begin() + T);
    shares[1].signature.s = shares[1].signature.s + G1::generator();
    ASSERT_TRUE(aggregate_signatures(shares, T)); // blind interpolation accepts it
    EXPECT_EQ(error_of(aggregate_signatures_and_verify(w.params, shares, T, w.vk, all)), Errc::invalid_share);
    EXPECT_EQ(error_of(aggregate_signatures_and_verify(w.params, std::span(w.shares).first(2), T, w.vk, all)),
              Errc::not_enough_shares);
}

TEST(CoconutIssuance, BlindSignRejectsEveryTamperedField) {
    auto& w = world();
    const SecretKey& sk = w.keys[0].secret;
    ASSERT_TRUE(verify_blind_sign_request(w.params, w.request));
    std::vector<std::function<void(BlindSignRequest&)>> tampers = {
        [](BlindSignRequest& r) { r.public_attributes[0] = r.public_attributes[0] + Scalar::one(); },
        [](BlindSignRequest& r) { r.public_attributes[1] = Scalar::from_u64(1); },
        [](BlindSignRequest& r) { r.proof.c = r.proof.c + Scalar::one(); },
        [](BlindSignRequest& r) { r.proof.rr = r.proof.rr + Scalar::one(); },
        [](BlindSignRequest& r) { r.proof.rk[0] = r.proof.rk[0] + Scalar::one(); },
        [](BlindSignRequest& r) { r.proof.rk[2] = r.proof.rk[2] + Scalar::one(); },
        [](BlindSignRequest& r) { r.proof.rm[1] = r.proof.rm[1] + Scalar::one(); },
        [](BlindSignRequest& r) { r.cm = r.cm + G1::generator(); },
        [](BlindSignRequest& r) { r.gamma = r.gamma + G1::generator(); },
        [](BlindSignRequest& r) { r.ciphertexts[0].a = r.ciphertexts[0].a + G1::generator(); },
        [](BlindSignRequest& r) { r.ciphertexts[2].b = r.ciphertexts[2].b + G1::generator(); },
        [](BlindSignRequest& r) { std::swap(r.ciphertexts[0], r.ciphertexts[1]); },
    };
    for (std::size_t i = 0; i < tampers.size(); ++i) {
        BlindSignRequest bad = w.request;
        tampers[i](bad);
        auto r = blind_sign(w.params, sk, bad);
        ASSERT_FALSE(r) << "tamper " << i;
        EXPECT_EQ(error_of(r), Errc::proof_invalid) << "tamper " << i;
    }
    // Dropping a public attribute changes the statement too.
    BlindSignRequest fewer = w.request;
    fewer.public_attributes.pop_back();
    EXPECT_EQ(error_of(blind_sign(w.params, sk, fewer)), Errc::proof_invalid);
}

TEST(CoconutIssuance, PrepareRejectsBadAttributeCounts) {
    auto& w = world();
    std::vector<Attribute> none;
    EXPECT_EQ(error_of(prepare_blind_sign(w.params, w.elgamal, none, w.pub, w.rng)), Errc::invalid_parameters);
    std::vector<Attribute> many(Q, Scalar::one());
    EXPECT_EQ(error_of(prepare_blind_sign(w.params, w.elgamal, many, w.pub, w.rng)), Errc::attribute_count_mismatch);
}

TEST(CoconutIssuance, DeterministicUnderTheInjectedRng) {
    auto& w = world();
    crypto::DeterministicRng a(99);
    crypto::DeterministicRng b(99);
    auto ra = prepare_blind_sign(w.params, w.elgamal, w.priv, w.pub, a);
    auto rb = prepare_blind_sign(w.params, w.elgamal, w.priv, w.pub, b);
    ASSERT_TRUE(ra && rb);
    EXPECT_EQ(ra->encode(), rb->encode());
    crypto::DeterministicRng c(100);
    EXPECT_NE(ra->encode(), prepare_blind_sign(w.params, w.elgamal, w.priv, w.pub, c)->encode());
}

// ---- Credential ------------------------------------------------------------------------------

TEST(CoconutCredential, ChangedAttributeOrReplacedPointFails) {
    auto& w = world();
    const auto all = w.attributes();
    ASSERT_TRUE(verify_signature(w.params, w.vk, w.credential, all));
    for (std::size_t i = 0; i < all.size(); ++i) {
        auto changed = all;
        changed[i] = changed[i] + Scalar::one();
        EXPECT_EQ(error_of(verify_signature(w.params, w.vk, w.credential, changed)), Errc::verification_failed) << i;
        auto theta = prove_credential(w.params, w.vk, w.credential, changed, std::vector<std::size_t>{4}, CTX, w.rng);
        ASSERT_TRUE(theta);
        EXPECT_FALSE(verify_credential(w.params, w.vk, *theta, CTX, ANY)) << i;
    }
    Signature bad = w.credential;
    bad.s = bad.s + G1::generator();
    EXPECT_FALSE(verify_signature(w.params, w.vk, bad, all));
    bad = w.credential;
    bad.h = G1::generator();
    EXPECT_FALSE(verify_signature(w.params, w.vk, bad, all));
    bad.h = G1::identity();
    EXPECT_EQ(error_of(verify_signature(w.params, w.vk, bad, all)), Errc::identity_point);
    // Fewer (or more) attributes than the key signs are refused, not read as zeros.
    const std::vector<Attribute> fewer(all.begin(), all.end() - 1);
    EXPECT_EQ(error_of(verify_signature(w.params, w.vk, w.credential, fewer)), Errc::attribute_count_mismatch);
    auto more = all;
    more.push_back(Scalar::one());
    EXPECT_EQ(error_of(verify_signature(w.params, w.vk, w.credential, more)), Errc::attribute_count_mismatch);
    // Randomised credentials still verify and look different.
    const Signature r = randomize(w.credential, w.rng);
    EXPECT_FALSE(r.h == w.credential.h);
    EXPECT_TRUE(verify_signature(w.params, w.vk, r, all));
}

TEST(CoconutShow, SelectiveDisclosureVerifies) {
    auto& w = world();
    const auto all = w.attributes();
    for (const std::vector<std::size_t>& disclosed :
         {std::vector<std::size_t>{}, std::vector<std::size_t>{3, 4}, std::vector<std::size_t>{4, 1},
          std::vector<std::size_t>{0, 1, 2, 3, 4}}) {
        auto theta = prove_credential(w.params, w.vk, w.credential, all, disclosed, CTX, w.rng);
        ASSERT_TRUE(theta);
        EXPECT_EQ(theta->disclosed.size(), disclosed.size());
        EXPECT_EQ(theta->rm.size(), Q - disclosed.size());
        EXPECT_EQ(theta->hidden_indices().size() + disclosed.size(), Q);
        EXPECT_TRUE(verify_credential(w.params, w.vk, *theta, CTX, ANY));
        auto decoded = Theta::decode(theta->encode());
        ASSERT_TRUE(decoded);
        EXPECT_EQ(decoded->encode(), theta->encode());
        EXPECT_TRUE(verify_credential(w.params, w.vk, *decoded, CTX, ANY));
    }
    // Fewer attributes than the key supports: a credential over the first m attributes only.
    std::vector<std::size_t> dup{3, 3};
    EXPECT_EQ(error_of(prove_credential(w.params, w.vk, w.credential, all, dup, CTX, w.rng)), Errc::invalid_parameters);
    std::vector<std::size_t> out_of_range{5};
    EXPECT_EQ(error_of(prove_credential(w.params, w.vk, w.credential, all, out_of_range, CTX, w.rng)),
              Errc::invalid_parameters);
}

TEST(CoconutShow, EveryTamperedFieldFails) {
    auto& w = world();
    const auto all = w.attributes();
    auto good = prove_credential(w.params, w.vk, w.credential, all, std::vector<std::size_t>{3, 4}, CTX, w.rng);
    ASSERT_TRUE(good);
    ASSERT_TRUE(verify_credential(w.params, w.vk, *good, CTX, ANY));
    std::vector<std::function<void(Theta&)>> tampers = {
        [](Theta& t) { t.c = t.c + Scalar::one(); },
        [](Theta& t) { t.rr = t.rr + Scalar::one(); },
        [](Theta& t) { t.rm[0] = t.rm[0] + Scalar::one(); },
        [](Theta& t) { t.rm[1] = t.rm[1] + Scalar::one(); },
        [](Theta& t) { t.rm[2] = t.rm[2] + Scalar::one(); },
        [](Theta& t) { t.disclosed[0].value = t.disclosed[0].value + Scalar::one(); },
        [](Theta& t) { t.disclosed[1].value = Scalar::from_u64(20); },
        [](Theta& t) { t.h = t.h + G1::generator(); },
        [](Theta& t) { t.s = t.s + G1::generator(); },
        [](Theta& t) { t.kappa = t.kappa + G2::generator(); },
        [](Theta& t) { t.disclosed[0].index = 2; },
    };
    for (std::size_t i = 0; i < tampers.size(); ++i) {
        Theta bad = *good;
        tampers[i](bad);
        EXPECT_FALSE(verify_credential(w.params, w.vk, bad, CTX, ANY)) << "tamper " << i;
    }
    // A key of another issuer set rejects the show.
    crypto::DeterministicRng rng(77);
    auto other = ttp_keygen(w.params, 1, 1, rng);
    ASSERT_TRUE(other);
    EXPECT_FALSE(verify_credential(w.params, (*other)[0].verification, *good, CTX, ANY));
}

// ---- Spend ---------------------------------------------------------------------------------------

TEST(CoconutSpend, BoundToProviderAndNonceAndDetectableOnReplay) {
    auto& w = world();
    const auto all = w.attributes();
    const auto provider_a = util::as_bytes("0x1111111111111111111111111111111111111111");
    const auto provider_b = util::as_bytes("0x2222222222222222222222222222222222222222");
    std::array<std::uint8_t, SPEND_NONCE_SIZE> nonce1{};
    std::array<std::uint8_t, SPEND_NONCE_SIZE> nonce2{};
    w.rng.fill(nonce1);
    w.rng.fill(nonce2);
    const std::vector<std::size_t> disclosed{3, 4};

    auto s1 = prove_spend(w.params, w.vk, w.credential, all, disclosed, provider_a, nonce1, w.rng);
    auto s2 = prove_spend(w.params, w.vk, w.credential, all, disclosed, provider_a, nonce2, w.rng);
    ASSERT_TRUE(s1 && s2);
    EXPECT_TRUE(verify_spend(w.params, w.vk, *s1, provider_a, nonce1, ANY));
    EXPECT_TRUE(verify_spend(w.params, w.vk, *s2, provider_a, nonce2, ANY));
    // Captured by A, replayed at B.
    EXPECT_EQ(error_of(verify_spend(w.params, w.vk, *s1, provider_b, nonce1, ANY)), Errc::proof_invalid);
    // The zeta is the serial's and repeats; nothing else does.
    EXPECT_EQ(s1->zeta_bytes(), s2->zeta_bytes());
    EXPECT_TRUE(s1->zeta == G1::generator() * all[0]);
    EXPECT_FALSE(s1->theta.h == s2->theta.h);
    EXPECT_FALSE(s1->theta.s == s2->theta.s);
    EXPECT_FALSE(s1->theta.kappa == s2->theta.kappa);
    EXPECT_FALSE(s1->theta.h == s2->theta.s);
    EXPECT_FALSE(s1->theta.h == w.credential.h);
    EXPECT_FALSE(s1->theta.s == w.credential.s);
    // A changed nonce or zeta breaks the proof.
    SpendTheta bad = *s1;
    bad.nonce[0] ^= 1;
    EXPECT_EQ(error_of(verify_spend(w.params, w.vk, bad, provider_a, bad.nonce, ANY)), Errc::proof_invalid);
    bad = *s1;
    bad.zeta = bad.zeta + G1::generator();
    EXPECT_EQ(error_of(verify_spend(w.params, w.vk, bad, provider_a, nonce1, ANY)), Errc::proof_invalid);
    bad = *s1;
    bad.zeta = s1->zeta * Scalar::from_u64(2);
    EXPECT_FALSE(verify_spend(w.params, w.vk, bad, provider_a, nonce1, ANY));
    // A spend proof is not a plain show (different tag) and vice versa.
    EXPECT_EQ(error_of(verify_credential(w.params, w.vk, s1->theta, CTX, ANY)), Errc::proof_invalid);
    // The serial may not be disclosed.
    const std::vector<std::size_t> with_serial{0};
    EXPECT_EQ(error_of(prove_spend(w.params, w.vk, w.credential, all, with_serial, provider_a, nonce1, w.rng)),
              Errc::invalid_parameters);
    // Round trip of the spend encoding.
    auto decoded = SpendTheta::decode(s1->encode());
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->encode(), s1->encode());
    EXPECT_TRUE(verify_spend(w.params, w.vk, *decoded, provider_a, nonce1, ANY));
}

// m1: the verifier compares the spend's nonce with the one it issued.
TEST(CoconutSpend, RejectsANonceOtherThanTheExpectedOne) {
    auto& w = world();
    const auto all = w.attributes();
    const auto provider = util::as_bytes("provider");
    std::array<std::uint8_t, SPEND_NONCE_SIZE> issued{};
    std::array<std::uint8_t, SPEND_NONCE_SIZE> other{};
    w.rng.fill(issued);
    w.rng.fill(other);
    // The client answers an old challenge with a valid proof over its own (other) nonce.
    auto spend = prove_spend(w.params, w.vk, w.credential, all, std::vector<std::size_t>{3}, provider, other, w.rng);
    ASSERT_TRUE(spend);
    EXPECT_TRUE(verify_spend(w.params, w.vk, *spend, provider, other, ANY));
    EXPECT_EQ(error_of(verify_spend(w.params, w.vk, *spend, provider, issued, ANY)), Errc::nonce_mismatch);
    auto last_byte = other;
    last_byte[SPEND_NONCE_SIZE - 1] ^= 0x80;
    EXPECT_EQ(error_of(verify_spend(w.params, w.vk, *spend, provider, last_byte, ANY)), Errc::nonce_mismatch);
}

// m2: the verifier, not the token, fixes the attribute count and the disclosures it needs.
TEST(CoconutSpend, PolicyFixesCountAndRequiredDisclosures) {
    auto& w = world();
    const auto all = w.attributes();
    const auto provider = util::as_bytes("provider");
    std::array<std::uint8_t, SPEND_NONCE_SIZE> nonce{};
    w.rng.fill(nonce);
    auto spend = prove_spend(w.params, w.vk, w.credential, all, std::vector<std::size_t>{3}, provider, nonce, w.rng);
    ASSERT_TRUE(spend);
    const std::vector<std::size_t> need3{3};
    const std::vector<std::size_t> need4{4};
    const std::vector<std::size_t> need_serial{0};
    EXPECT_TRUE(verify_spend(w.params, w.vk, *spend, provider, nonce, ShowPolicy{Q, need3}));
    EXPECT_EQ(error_of(verify_spend(w.params, w.vk, *spend, provider, nonce, ShowPolicy{Q, need4})),
              Errc::disclosure_mismatch);
    EXPECT_EQ(error_of(verify_spend(w.params, w.vk, *spend, provider, nonce, ShowPolicy{Q - 1, {}})),
              Errc::attribute_count_mismatch);
    EXPECT_EQ(error_of(verify_spend(w.params, w.vk, *spend, provider, nonce, ShowPolicy{Q, need_serial})),
              Errc::invalid_parameters);
    EXPECT_EQ(error_of(verify_spend(w.params, w.vk, *spend, provider, nonce, ShowPolicy{0, {}})),
              Errc::invalid_parameters);
}

TEST(CoconutShow, PolicyFixesCountAndRequiredDisclosures) {
    auto& w = world();
    const auto all = w.attributes();
    auto theta = prove_credential(w.params, w.vk, w.credential, all, std::vector<std::size_t>{1, 4}, CTX, w.rng);
    ASSERT_TRUE(theta);
    const std::vector<std::size_t> need14{4, 1};
    const std::vector<std::size_t> need3{3};
    const std::vector<std::size_t> out_of_range{5};
    EXPECT_TRUE(verify_credential(w.params, w.vk, *theta, CTX, ShowPolicy{Q, need14}));
    EXPECT_EQ(error_of(verify_credential(w.params, w.vk, *theta, CTX, ShowPolicy{Q, need3})),
              Errc::disclosure_mismatch);
    EXPECT_EQ(error_of(verify_credential(w.params, w.vk, *theta, CTX, ShowPolicy{Q, out_of_range})),
              Errc::invalid_parameters);
    // A token claiming another attribute count than the verifier expects is refused before any pairing.
    EXPECT_EQ(error_of(verify_credential(w.params, w.vk, *theta, CTX, ShowPolicy{Q - 1, {}})),
              Errc::attribute_count_mismatch);
    EXPECT_EQ(error_of(verify_credential(w.params, w.vk, *theta, CTX, ShowPolicy{Q + 1, {}})),
              Errc::attribute_count_mismatch);
}

// M2: a plain show is bound to the verifier/session context.
TEST(CoconutShow, ShowForContextAFailsWithContextB) {
    auto& w = world();
    const auto all = w.attributes();
    const auto ctx_a = util::as_bytes("verifier-A|nonce-1");
    const auto ctx_b = util::as_bytes("verifier-B|nonce-1");
    const auto ctx_a2 = util::as_bytes("verifier-A|nonce-2");
    auto theta = prove_credential(w.params, w.vk, w.credential, all, std::vector<std::size_t>{3, 4}, ctx_a, w.rng);
    ASSERT_TRUE(theta);
    EXPECT_TRUE(verify_credential(w.params, w.vk, *theta, ctx_a, ANY));
    EXPECT_EQ(error_of(verify_credential(w.params, w.vk, *theta, ctx_b, ANY)), Errc::proof_invalid);
    EXPECT_EQ(error_of(verify_credential(w.params, w.vk, *theta, ctx_a2, ANY)), Errc::proof_invalid);
    EXPECT_EQ(error_of(verify_credential(w.params, w.vk, *theta, ByteSpan{}, ANY)), Errc::proof_invalid);
    // The length prefix separates the context from nothing: a prefix of the context is another context.
    EXPECT_EQ(error_of(verify_credential(w.params, w.vk, *theta, ctx_a.first(ctx_a.size() - 1), ANY)),
              Errc::proof_invalid);
    // The empty context is a context like any other.
    auto bare = prove_credential(w.params, w.vk, w.credential, all, {}, ByteSpan{}, w.rng);
    ASSERT_TRUE(bare);
    EXPECT_TRUE(verify_credential(w.params, w.vk, *bare, ByteSpan{}, ANY));
    EXPECT_EQ(error_of(verify_credential(w.params, w.vk, *bare, ctx_a, ANY)), Errc::proof_invalid);
}

// m6: the serial helper draws uniformly random, distinct, non-zero serials, and they spend.
TEST(CoconutSpend, GenerateSerialIsFreshAndRandom) {
    crypto::DeterministicRng rng(8);
    const Attribute a = generate_serial(rng);
    const Attribute b = generate_serial(rng);
    EXPECT_FALSE(a.is_zero());
    EXPECT_FALSE(a == b);
    crypto::DeterministicRng again(8);
    EXPECT_TRUE(generate_serial(again) == a); // from the injected RNG only
}

// ---- Encodings -----------------------------------------------------------------------------------

TEST(CoconutEncoding, SecretKeyRoundTripAndRejects) {
    auto& w = world();
    const Bytes enc = w.keys[1].secret.encode();
    EXPECT_EQ(enc.size(), 9 + 32 * (Q + 1));
    auto back = SecretKey::decode(enc);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->index, 2u);
    EXPECT_EQ(back->encode(), enc);
    expect_decoder_rejects(decoder<SecretKey>(), enc, {}, {}, {9, 9 + 32 * Q});
    Bytes zero_q = enc;
    zero_q[8] = 0;
    EXPECT_EQ(error_of(SecretKey::decode(zero_q)), Errc::invalid_encoding);
}

// m5: a secret key is one signer's: index 1..MAX_SIGNERS.
TEST(CoconutEncoding, SecretKeyRejectsIndexZeroAndAboveMaxSigners) {
    auto& w = world();
    const Bytes enc = w.keys[0].secret.encode();
    auto with_index = [&](std::uint64_t index) {
        Bytes b = enc;
        for (std::size_t i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(index >> (8 * i));
        return b;
    };
    EXPECT_EQ(error_of(SecretKey::decode(with_index(0))), Errc::invalid_index);
    EXPECT_EQ(error_of(SecretKey::decode(with_index(MAX_SIGNERS + 1))), Errc::invalid_index);
    EXPECT_EQ(error_of(SecretKey::decode(with_index(~std::uint64_t{0}))), Errc::invalid_index);
    auto max = SecretKey::decode(with_index(MAX_SIGNERS));
    ASSERT_TRUE(max);
    EXPECT_EQ(max->index, MAX_SIGNERS);

    const Bytes vk = w.keys[0].verification.encode();
    auto vk_with_index = [&](std::uint64_t index) {
        Bytes b = vk;
        for (std::size_t i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(index >> (8 * i));
        return b;
    };
    EXPECT_EQ(error_of(VerificationKey::decode(vk_with_index(MAX_SIGNERS + 1))), Errc::invalid_index);
    EXPECT_EQ(error_of(VerificationKey::decode(vk_with_index(std::uint64_t{1} << 40))), Errc::invalid_index);
    EXPECT_TRUE(VerificationKey::decode(vk_with_index(0))); // the aggregate key
    EXPECT_TRUE(VerificationKey::decode(vk_with_index(MAX_SIGNERS)));
}

// m4: secret scalars are written in place into a buffer sized up front.
TEST(CoconutEncoding, SecretScalarsAreWrittenInPlace) {
    auto& w = world();
    const SecretKey& sk = w.keys[3].secret;
    const Bytes enc = sk.encode();
    EXPECT_EQ(enc.capacity(), enc.size()); // never reallocated, so no stale copy in freed memory
    const auto x = sk.x.to_bytes();
    EXPECT_TRUE(std::equal(x.begin(), x.end(), enc.begin() + 9));
    detail::Writer writer(bls::SCALAR_SIZE + 1);
    writer.u8(0xaa);
    writer.secret_scalar(sk.ys[4]);
    const auto y4 = sk.ys[4].to_bytes();
    ASSERT_EQ(writer.bytes().size(), 1 + bls::SCALAR_SIZE);
    EXPECT_EQ(writer.bytes()[0], 0xaa);
    EXPECT_TRUE(std::equal(y4.begin(), y4.end(), writer.bytes().begin() + 1));
}

TEST(CoconutEncoding, VerificationKeyRoundTripAndRejects) {
    auto& w = world();
    const Bytes enc = w.keys[2].verification.encode();
    EXPECT_EQ(enc.size(), 9 + 96 * (Q + 1));
    auto back = VerificationKey::decode(enc);
    ASSERT_TRUE(back);
    EXPECT_TRUE(*back == w.keys[2].verification);
    expect_decoder_rejects(decoder<VerificationKey>(), enc, {}, {9, 9 + 96, 9 + 96 * Q}, {});
    Bytes identity = enc;
    std::fill(identity.begin() + 9, identity.begin() + 9 + 96, 0);
    identity[9] = 0xc0;
    EXPECT_EQ(error_of(VerificationKey::decode(identity)), Errc::identity_point);
}

TEST(CoconutEncoding, BlindSignRequestRoundTripAndRejects) {
    auto& w = world();
    const Bytes enc = w.request.encode();
    const std::size_t k = 3;
    const std::size_t l = 2;
    EXPECT_EQ(enc.size(), 2 + 192 + 192 * k + 64 + 64 * k + 32 * l); // points uncompressed
    auto back = BlindSignRequest::decode(enc);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->encode(), enc);
    EXPECT_TRUE(blind_sign(w.params, w.keys[0].secret, *back));
    const std::size_t proof = 2 + 192 + 192 * k;
    expect_decoder_rejects(decoder<BlindSignRequest>(), enc, {2, 98, 194, 194 + 96 * 5}, {},
                           {proof, proof + 32, proof + 64, proof + 64 + 32 * 5, enc.size() - 32}, true);
    Bytes no_private = enc;
    no_private[0] = 0;
    EXPECT_EQ(error_of(BlindSignRequest::decode(no_private)), Errc::invalid_encoding);
}

TEST(CoconutEncoding, BlindedSignatureAndSignatureRoundTripAndReject) {
    auto& w = world();
    auto blinded = blind_sign(w.params, w.keys[0].secret, w.request);
    ASSERT_TRUE(blinded);
    const Bytes enc = blinded->encode();
    EXPECT_EQ(enc.size(), 144u);
    auto back = BlindedSignature::decode(enc);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->encode(), enc);
    expect_decoder_rejects(decoder<BlindedSignature>(), enc, {0, 48, 96}, {}, {});

    const Bytes sig = w.credential.encode();
    EXPECT_EQ(sig.size(), 96u);
    auto sig_back = Signature::decode(sig);
    ASSERT_TRUE(sig_back);
    EXPECT_TRUE(*sig_back == w.credential);
    expect_decoder_rejects(decoder<Signature>(), sig, {0, 48}, {}, {});
    Bytes identity_h = sig;
    std::fill(identity_h.begin(), identity_h.begin() + 48, 0);
    identity_h[0] = 0xc0;
    EXPECT_EQ(error_of(Signature::decode(identity_h)), Errc::identity_point);
}

TEST(CoconutEncoding, ThetaAndSpendRoundTripAndReject) {
    auto& w = world();
    const auto all = w.attributes();
    auto theta = prove_credential(w.params, w.vk, w.credential, all, std::vector<std::size_t>{3, 4}, CTX, w.rng);
    ASSERT_TRUE(theta);
    const Bytes enc = theta->encode();
    EXPECT_EQ(enc.size(), 258u + 33 * 2 + 32 * 3);
    expect_decoder_rejects(decoder<Theta>(), enc, {0, 48}, {96}, {192, 224, 259, 292, enc.size() - 32});
    Bytes bad_index = enc;
    bad_index[258] = 7; // disclosed index >= m
    EXPECT_EQ(error_of(Theta::decode(bad_index)), Errc::invalid_encoding);
    Bytes descending = enc;
    descending[258 + 33] = 3; // second index not above the first
    EXPECT_EQ(error_of(Theta::decode(descending)), Errc::invalid_encoding);
    Bytes too_many = enc;
    too_many[257] = 6; // d > m
    EXPECT_EQ(error_of(Theta::decode(too_many)), Errc::invalid_encoding);

    std::array<std::uint8_t, SPEND_NONCE_SIZE> nonce{};
    auto spend = prove_spend(w.params, w.vk, w.credential, all, std::vector<std::size_t>{3, 4},
                             util::as_bytes("provider"), nonce, w.rng);
    ASSERT_TRUE(spend);
    const Bytes spend_enc = spend->encode();
    EXPECT_EQ(spend_enc.size(), enc.size() + 48 + 32);
    expect_decoder_rejects(decoder<SpendTheta>(), spend_enc, {0, 48, enc.size()}, {96}, {192, 224});
}

} // namespace
} // namespace nym::coconut
