// The ledger's credential events read back as the services see them, from events the ledger itself
// emitted (a real block on the in-memory ledger), and the query answers.
#include <gtest/gtest.h>

#include <chain/events.hpp>
#include <chain/queries.hpp>

#include "../ledger/ledger_test_support.hpp"

namespace nym::chain {
namespace {

using namespace nym::ledger::test;

const ledger::Event* find(const std::vector<ledger::Event>& events, std::string_view type) {
    for (const auto& e : events)
        if (e.type == type) return &e;
    return nullptr;
}

TEST(ChainEvents, ReadsTheLedgersOwnCredentialEvents) {
    Chain chain;
    Node node;
    node.init(chain);
    Coconut coconut;
    const auto request = coconut.request(10);
    auto made = ledger::CredentialRequest::make(10, request);
    ASSERT_TRUE(made);
    auto block = node.block({signed_tx(chain.users[0], 0, *made)});
    ASSERT_EQ(block.tx_results.size(), 1u);
    ASSERT_TRUE(block.tx_results[0].ok()) << block.tx_results[0].log;
    const auto* e = find(block.tx_results[0].events, "credential_request");
    ASSERT_NE(e, nullptr);
    auto r = read_credential_request(*e);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->account, chain.users[0].address());
    EXPECT_EQ(r->value, 10u);
    EXPECT_EQ(r->height, block.height);
    EXPECT_EQ(r->gamma, request.gamma.to_compressed());
    EXPECT_EQ(r->request, request.encode());
    EXPECT_FALSE(read_credential_deposit(*e));

    const auto provider = chain.providers[0].address();
    const auto spend = coconut.spend(5, provider);
    block = node.block({signed_tx(chain.providers[0], 0, ledger::CredentialDeposit::make(5, spend))});
    ASSERT_TRUE(block.tx_results[0].ok()) << block.tx_results[0].log;
    auto d = read_credential_deposit(*find(block.tx_results[0].events, "credential_deposit"));
    ASSERT_TRUE(d);
    EXPECT_EQ(d->provider, provider);
    EXPECT_EQ(d->value, 5u);
    EXPECT_EQ(d->zeta, spend.zeta_bytes());
    EXPECT_EQ(d->deposit_height, block.height);
    EXPECT_EQ(d->spend, spend.encode());
    const auto deposit_height = block.height;

    auto z = parse_zeta(std::string(node.zeta(spend.zeta_bytes()).dump()));
    ASSERT_TRUE(z);
    EXPECT_EQ(z->status, ZetaStatus::being_verified);
    EXPECT_EQ(z->provider, provider);

    std::vector<ledger::Bytes> votes;
    for (std::size_t i = 0; i < 2; ++i)
        votes.push_back(signed_tx(chain.verifiers[i], 0,
                                  ledger::VerifierVote{provider, 5, spend.zeta_bytes(), deposit_height, true}));
    block = node.block(votes);
    auto v = read_verifier_vote(*find(block.tx_results[0].events, "verifier_vote"));
    ASSERT_TRUE(v);
    EXPECT_TRUE(v->valid);
    EXPECT_EQ(v->verifier, chain.verifiers[0].address());
    auto decided = read_deposit_decision(*find(block.tx_results[1].events, "credential_spent"));
    ASSERT_TRUE(decided);
    EXPECT_TRUE(decided->spent);
    EXPECT_EQ(decided->deposit_height, deposit_height);
    z = parse_zeta(std::string(node.zeta(spend.zeta_bytes()).dump()));
    ASSERT_TRUE(z);
    EXPECT_EQ(z->status, ZetaStatus::spent);

    auto account = node.ledger->query("/account", provider.bytes);
    auto a = parse_account(std::string(account.value.begin(), account.value.end()));
    ASSERT_TRUE(a);
    EXPECT_EQ(a->balance, 5u);
    EXPECT_EQ(a->nonce, 1u);
}

TEST(ChainEvents, MalformedAttributesAreNotRead) {
    ledger::Event e{"credential_request",
                    {{"account", "0x12"}, {"value", "1"}, {"height", "1"}, {"gamma", "00"}, {"request", "00"}}};
    EXPECT_FALSE(read_credential_request(e));
    EXPECT_FALSE(parse_zeta(R"({"zeta":"00","status":"unspent"})"));
    EXPECT_FALSE(parse_zeta(R"({"status":"spent"})"));
    EXPECT_FALSE(parse_account(R"({"address":"0x00","balance":"1","nonce":"0"})"));
}

} // namespace
} // namespace nym::chain
