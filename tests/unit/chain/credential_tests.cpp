// The credential format and the one rule for accepting a spend: the proof bound to the provider and
// nonce under the issuers' aggregate key, and the disclosed value, kind and chain; and the issuers'
// aggregate key, which refuses keys that are not shares of one key set.
#include <crypto/rng.hpp>

#include <gtest/gtest.h>

#include <chain/credential.hpp>
#include <chain/errors.hpp>

namespace nym::chain {
namespace {

struct Issued {
    std::vector<coconut::Attribute> attributes;
    coconut::Signature signature;
};

class ChainCredential : public ::testing::Test {
protected:
    crypto::DeterministicRng rng{7};
    const coconut::Parameters& params = credential_parameters();
    std::vector<coconut::KeyPair> keys = *coconut::ttp_keygen(params, 3, 5, rng);
    coconut::VerificationKey aggregate = [this] {
        std::vector<coconut::VerificationKey> vks;
        for (const auto& k : keys) vks.push_back(k.verification);
        return *aggregate_issuer_keys(vks, 3);
    }();
    ledger::Address provider = *ledger::Address::from_hex("0x1111111111111111111111111111111111111111");

    Issued issue(std::uint64_t value, std::string_view chain, const std::vector<coconut::KeyPair>& signers) {
        auto elgamal = coconut::ElGamalKeyPair::generate(rng);
        std::vector<coconut::Attribute> priv{coconut::generate_serial(rng), coconut::Scalar::random(rng)};
        auto pub = public_attributes(value, chain);
        auto request = *coconut::prepare_blind_sign(params, elgamal, priv, pub, rng);
        std::vector<coconut::Attribute> all = priv;
        all.insert(all.end(), pub.begin(), pub.end());
        std::vector<coconut::SignatureShare> shares;
        for (const auto& k : signers) {
            auto blinded = *coconut::blind_sign(params, k.secret, request);
            shares.push_back({k.secret.index, *coconut::unblind(params, blinded, elgamal, request.commitment_hash(),
                                                                k.verification, all)});
        }
        return {all, *coconut::aggregate_signatures(shares, 3)};
    }

    coconut::SpendTheta spend(const Issued& c, const ledger::Address& at, const std::array<std::uint8_t, 32>& nonce) {
        auto s = coconut::prove_spend(params, aggregate, coconut::randomize(c.signature, rng), c.attributes,
                                      DISCLOSED_ATTRIBUTES, at.bytes, nonce, rng);
        EXPECT_TRUE(s) << s.error().message();
        return *s;
    }
};

TEST_F(ChainCredential, AValidSpendPassesWithItsValueChainProviderAndNonce) {
    const auto c = issue(7, "nym-test", {keys[0], keys[2], keys[4]});
    std::array<std::uint8_t, 32> nonce{};
    nonce[0] = 9;
    const auto s = spend(c, provider, nonce);
    EXPECT_TRUE(verify_credential_spend(aggregate, s, provider, nonce, 7, "nym-test"));
    EXPECT_EQ(verify_credential_spend(aggregate, s, provider, nonce, 8, "nym-test").error(), Errc::credential_mismatch);
    EXPECT_EQ(verify_credential_spend(aggregate, s, provider, nonce, 7, "nym-other").error(),
              Errc::credential_mismatch);
    const auto other = *ledger::Address::from_hex("0x2222222222222222222222222222222222222222");
    EXPECT_EQ(verify_credential_spend(aggregate, s, other, nonce, 7, "nym-test").error(), coconut::Errc::proof_invalid);
    std::array<std::uint8_t, 32> other_nonce{};
    EXPECT_EQ(verify_credential_spend(aggregate, s, provider, other_nonce, 7, "nym-test").error(),
              coconut::Errc::nonce_mismatch);
}

TEST_F(ChainCredential, TwoSpendsOfTwoCredentialsShareOnlyTheirPublicAttributes) {
    // One client, two credentials of the same value, spent at the same provider: besides the
    // disclosed value, kind and chain (the same for everybody's credentials of that value), every
    // group element and scalar of the two spends differs, and none is the issued signature's.
    const auto first = issue(1, "nym-test", {keys[0], keys[1], keys[2]});
    const auto second = issue(1, "nym-test", {keys[0], keys[1], keys[2]});
    std::array<std::uint8_t, 32> n1{}, n2{};
    n1[0] = 1;
    n2[0] = 2;
    const auto a = spend(first, provider, n1);
    const auto b = spend(second, provider, n2);
    EXPECT_FALSE(a.theta.h == b.theta.h);
    EXPECT_FALSE(a.theta.s == b.theta.s);
    EXPECT_FALSE(a.theta.kappa == b.theta.kappa);
    EXPECT_FALSE(a.theta.c == b.theta.c);
    EXPECT_FALSE(a.theta.rr == b.theta.rr);
    ASSERT_EQ(a.theta.rm.size(), b.theta.rm.size());
    for (std::size_t i = 0; i < a.theta.rm.size(); ++i) EXPECT_FALSE(a.theta.rm[i] == b.theta.rm[i]);
    EXPECT_FALSE(a.zeta == b.zeta);
    ASSERT_EQ(a.theta.disclosed.size(), b.theta.disclosed.size());
    for (std::size_t i = 0; i < a.theta.disclosed.size(); ++i) {
        EXPECT_EQ(a.theta.disclosed[i].index, b.theta.disclosed[i].index);
        EXPECT_TRUE(a.theta.disclosed[i].value == b.theta.disclosed[i].value);
    }
    EXPECT_FALSE(a.theta.h == first.signature.h) << "the show is re-randomised";
    // Two spends of the *same* credential share zeta, which is how the ledger refuses the second.
    EXPECT_TRUE(spend(first, provider, n2).zeta == a.zeta);
}

TEST_F(ChainCredential, AForeignIssuerSetCannotMakeAValidCredential) {
    // A second dealer's key set of the same shape: its credentials do not verify under our key.
    auto foreign = *coconut::ttp_keygen(params, 3, 5, rng);
    const auto c = issue(1, "nym-test", {foreign[0], foreign[1], foreign[2]});
    std::array<std::uint8_t, 32> nonce{};
    auto s = coconut::prove_spend(params, aggregate, c.signature, c.attributes, DISCLOSED_ATTRIBUTES, provider.bytes,
                                  nonce, rng);
    ASSERT_TRUE(s);
    EXPECT_FALSE(verify_credential_spend(aggregate, *s, provider, nonce, 1, "nym-test"));
    // Mixing one foreign key into the configured set is caught when the keys are aggregated.
    std::vector<coconut::VerificationKey> vks;
    for (const auto& k : keys) vks.push_back(k.verification);
    EXPECT_TRUE(aggregate_issuer_keys(vks, 3));
    vks[3] = foreign[3].verification;
    EXPECT_EQ(aggregate_issuer_keys(vks, 3).error(), Errc::inconsistent_issuer_keys);
    vks.resize(2);
    EXPECT_FALSE(aggregate_issuer_keys(vks, 3));
}

TEST_F(ChainCredential, AnyThresholdSubsetGivesTheSameAggregate) {
    std::vector<coconut::VerificationKey> some{keys[4].verification, keys[1].verification, keys[3].verification};
    EXPECT_EQ(*aggregate_issuer_keys(some, 3), aggregate);
}

} // namespace
} // namespace nym::chain
