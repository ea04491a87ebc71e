// The verifier without I/O: the deposits of a committed block and the verdict on each — valid only
// for a spend that verifies under the issuers' key, bound to the depositing provider, of the
// deposited value, on this chain, with the deposited zeta — and which answers settle a vote.
#include <ledger/errors.hpp>

#include <gtest/gtest.h>

#include <credentials/credential.hpp>
#include <verifier/verifier.hpp>

#include "../credentials/test_issuance.hpp"

namespace nym::verifier {
namespace {

using namespace nym::ledger::test;

class VerifierTest : public ::testing::Test {
protected:
    test::Issuers issuers;
    crypto::DeterministicRng rng{17};
    credentials::IssuerSet set = *credentials::IssuerSet::from_params(issuers.params());

    coconut::SpendTheta spend(std::uint64_t value, const ledger::Address& provider, std::string_view chain_id) {
        auto c = *credentials::prepare_credential(value, chain_id, rng);
        c.height = 1;
        credentials::ShareCollector collector(c, set);
        for (std::size_t i = 0; i < 3; ++i)
            EXPECT_TRUE(collector.add(
                i + 1, 1, c.gamma(),
                coconut::blind_sign(chain::credential_parameters(), issuers.keys[i].secret, c.request)->encode()));
        c.signature = *collector.aggregate();
        std::array<std::uint8_t, 32> nonce{};
        rng.fill(nonce);
        return *credentials::make_spend(c, set.aggregate, provider, nonce, rng);
    }
    chain::CredentialDeposited deposit(const coconut::SpendTheta& s, std::uint64_t value,
                                       const ledger::Address& provider) {
        return chain::CredentialDeposited{provider, value, s.zeta_bytes(), 9, s.encode()};
    }
};

TEST_F(VerifierTest, JudgesDeposits) {
    const auto provider = *ledger::Address::from_hex("0x4444444444444444444444444444444444444444");
    const auto other = *ledger::Address::from_hex("0x5555555555555555555555555555555555555555");
    const auto s = spend(2, provider, test::TEST_CHAIN);
    EXPECT_TRUE(judge(set.aggregate, deposit(s, 2, provider), test::TEST_CHAIN).valid);
    // A provider depositing a spend made for another provider, or claiming another value.
    EXPECT_FALSE(judge(set.aggregate, deposit(s, 2, other), test::TEST_CHAIN).valid);
    EXPECT_FALSE(judge(set.aggregate, deposit(s, 3, provider), test::TEST_CHAIN).valid);
    // Another chain's credential, another zeta than the spend's, garbage.
    EXPECT_FALSE(judge(set.aggregate, deposit(s, 2, provider), "another-chain").valid);
    auto d = deposit(s, 2, provider);
    d.zeta[5] ^= 1;
    EXPECT_FALSE(judge(set.aggregate, d, test::TEST_CHAIN).valid);
    d = deposit(s, 2, provider);
    d.spend.resize(10);
    const auto garbage = judge(set.aggregate, d, test::TEST_CHAIN);
    EXPECT_FALSE(garbage.valid);
    EXPECT_NE(garbage.reason.find("decode"), std::string::npos);
    // A credential from a foreign issuer set.
    crypto::DeterministicRng other_rng{23};
    auto foreign = *coconut::ttp_keygen(chain::credential_parameters(), 3, 5, other_rng);
    std::vector<coconut::VerificationKey> fv;
    for (const auto& k : foreign) fv.push_back(k.verification);
    EXPECT_FALSE(judge(*chain::aggregate_issuer_keys(fv, 3), deposit(s, 2, provider), test::TEST_CHAIN).valid);
    const auto v = vote(deposit(s, 2, provider), Verdict{true, {}});
    EXPECT_EQ(v.zeta, s.zeta_bytes());
    EXPECT_EQ(v.deposit_height, 9u);
    EXPECT_TRUE(v.valid);
}

TEST_F(VerifierTest, DepositsOfABlockAndSettledVotes) {
    Chain chain;
    Node node;
    node.init(chain);
    const auto provider = chain.providers[0].address();
    const auto s = spend(1, provider, CHAIN_ID);
    auto block = test::commit_block(node, {signed_tx(chain.providers[0], 0, ledger::CredentialDeposit::make(1, s)),
                                           signed_tx(chain.providers[1], 0, ledger::CredentialDeposit::make(1, s))});
    ASSERT_EQ(block.txs.size(), 2u);
    EXPECT_FALSE(block.txs[1].ok()) << "the second deposit of one zeta in a block is refused";
    const auto found = deposits(block);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].provider, provider);
    EXPECT_EQ(found[0].deposit_height, block.height);
    EXPECT_TRUE(vote_settled(0));
    EXPECT_TRUE(vote_settled(static_cast<std::uint32_t>(ledger::Errc::already_voted)));
    EXPECT_TRUE(vote_settled(static_cast<std::uint32_t>(ledger::Errc::zeta_not_being_verified)));
    EXPECT_FALSE(vote_settled(static_cast<std::uint32_t>(ledger::Errc::wrong_nonce)));
    EXPECT_FALSE(vote_settled(static_cast<std::uint32_t>(ledger::Errc::ledger_failed)));
}

} // namespace
} // namespace nym::verifier
