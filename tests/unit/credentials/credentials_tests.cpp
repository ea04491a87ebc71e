// The client side without I/O: preparing a request (no secret leaves the client), collecting partial
// credentials (any t of n, every share checked against its issuer's key on the chain: a lying,
// foreign or duplicated issuer is not counted), aggregating, spending, and the wallet file.
#include <util/hex.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chain/errors.hpp>
#include <credentials/credential.hpp>

#include "test_issuance.hpp"

namespace nym::credentials {
namespace {

using test::Issuers;

bool contains(const std::vector<std::uint8_t>& haystack, std::span<const std::uint8_t> needle) {
    return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) != haystack.end();
}

std::array<std::uint8_t, 32> reversed(std::array<std::uint8_t, 32> a) {
    std::reverse(a.begin(), a.end());
    return a;
}

class Credentials : public ::testing::Test {
protected:
    Issuers issuers;
    IssuerSet set = *IssuerSet::from_params(issuers.params());
    crypto::DeterministicRng rng{11};

    Credential requested(std::uint64_t value = 3, std::uint64_t height = 7) {
        auto c = *prepare_credential(value, test::TEST_CHAIN, rng);
        c.height = height;
        return c;
    }
    std::vector<std::uint8_t> share(const Credential& c, std::size_t issuer) {
        return coconut::blind_sign(chain::credential_parameters(), issuers.keys[issuer].secret, c.request)->encode();
    }
};

TEST_F(Credentials, TheRequestCarriesNoSecretOfTheClient) {
    const auto c = requested();
    auto tx = request_transaction(c);
    ASSERT_TRUE(tx);
    const ledger::Bytes bytes = tx->blind_sign_request;
    // What the ledger records and the issuers receive: no encoding of the serial, the holder secret or
    // the ElGamal secret (either byte order), and not zeta = g1^serial, which would link the spend.
    for (const auto* secret : {&c.serial, &c.holder_secret, &c.elgamal.d}) {
        const auto le = secret->to_bytes();
        EXPECT_FALSE(contains(bytes, le));
        EXPECT_FALSE(contains(bytes, reversed(le)));
    }
    EXPECT_FALSE(contains(bytes, c.zeta()));
    // The public attributes are the value, kind and chain: nothing else the client chose.
    ASSERT_EQ(c.request.public_attributes.size(), 3u);
    EXPECT_TRUE(c.request.public_attributes[0] == coconut::Scalar::from_u64(3));
}

TEST_F(Credentials, AnyThresholdOfIssuersMakesTheCredential) {
    for (const auto& subset : std::vector<std::vector<std::size_t>>{{0, 1, 2}, {4, 2, 0}, {1, 3, 4}}) {
        auto c = requested();
        ShareCollector collector(c, set);
        for (auto i : subset) {
            auto added = collector.add(i + 1, c.height, c.gamma(), share(c, i));
            ASSERT_TRUE(added) << added.error();
        }
        ASSERT_TRUE(collector.complete());
        auto sig = collector.aggregate();
        ASSERT_TRUE(sig) << sig.error().message();
        c.signature = *sig;
        std::array<std::uint8_t, 32> nonce{};
        const auto provider = *ledger::Address::from_hex("0x3333333333333333333333333333333333333333");
        auto spend = make_spend(c, set.aggregate, provider, nonce, rng);
        ASSERT_TRUE(spend);
        EXPECT_TRUE(chain::verify_credential_spend(set.aggregate, *spend, provider, nonce, 3, test::TEST_CHAIN));
        EXPECT_EQ(spend->zeta_bytes(), c.zeta());
    }
}

TEST_F(Credentials, LyingForeignAndDuplicateSharesAreNotCounted) {
    const auto c = requested();
    ShareCollector collector(c, set);
    // A lying issuer: its share tampered with.
    auto tampered = share(c, 0);
    tampered[100] ^= 1;
    EXPECT_FALSE(collector.add(1, c.height, c.gamma(), tampered));
    // An issuer whose key is not the chain's (another dealer's key with index 2).
    crypto::DeterministicRng other{99};
    auto foreign = *coconut::ttp_keygen(chain::credential_parameters(), 3, 5, other);
    const auto foreign_share =
        coconut::blind_sign(chain::credential_parameters(), foreign[1].secret, c.request)->encode();
    auto refused = collector.add(2, c.height, c.gamma(), foreign_share);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().find("does not verify"), std::string::npos);
    // A real share claimed under another issuer's index.
    EXPECT_FALSE(collector.add(4, c.height, c.gamma(), share(c, 2)));
    // An index the chain does not list.
    EXPECT_FALSE(collector.add(9, c.height, c.gamma(), share(c, 2)));
    // A share for another request.
    EXPECT_FALSE(collector.add(3, c.height + 1, c.gamma(), share(c, 2)));
    EXPECT_EQ(collector.valid(), 0u);
    ASSERT_TRUE(collector.add(3, c.height, c.gamma(), share(c, 2)));
    EXPECT_FALSE(collector.add(3, c.height, c.gamma(), share(c, 2))) << "one share per issuer";
    ASSERT_TRUE(collector.add(5, c.height, c.gamma(), share(c, 4)));
    EXPECT_FALSE(collector.complete());
    EXPECT_EQ(collector.aggregate().error(), coconut::Errc::not_enough_shares);
    ASSERT_TRUE(collector.add(1, c.height, c.gamma(), share(c, 0)));
    EXPECT_TRUE(collector.aggregate());
}

TEST_F(Credentials, WalletRoundTripsWithItsSecrets) {
    auto a = requested(5, 10);
    auto b = requested(1, 12);
    ShareCollector collector(b, set);
    for (std::size_t i : {0u, 1u, 2u}) ASSERT_TRUE(collector.add(i + 1, b.height, b.gamma(), share(b, i)));
    b.signature = *collector.aggregate();
    b.state = CredentialState::issued;
    b.note = "fetched";
    const std::vector<Credential> wallet{a, b};
    auto back = wallet_from_json(wallet_to_json(wallet));
    ASSERT_TRUE(back) << back.error();
    ASSERT_EQ(back->size(), 2u);
    EXPECT_EQ((*back)[0].id(), a.id());
    EXPECT_EQ((*back)[0].state, CredentialState::requested);
    EXPECT_TRUE((*back)[0].serial == a.serial);
    EXPECT_EQ((*back)[0].request.encode(), a.request.encode());
    EXPECT_EQ((*back)[1].signature, b.signature);
    EXPECT_EQ((*back)[1].note, "fetched");
    EXPECT_EQ((*back)[1].zeta(), b.zeta());
    EXPECT_FALSE(wallet_from_json("{}"));
    EXPECT_FALSE(wallet_from_json(R"({"credentials":[{"value":"1"}]})"));
}

TEST_F(Credentials, TheChainMustListConsistentIssuers) {
    auto params = issuers.params();
    params.issuer_keys.clear();
    EXPECT_FALSE(IssuerSet::from_params(params));
    params = issuers.params();
    crypto::DeterministicRng other{5};
    params.issuer_keys[4] = (*coconut::ttp_keygen(chain::credential_parameters(), 3, 5, other))[4].verification;
    EXPECT_EQ(IssuerSet::from_params(params).error(), chain::Errc::inconsistent_issuer_keys);
}

} // namespace
} // namespace nym::credentials
