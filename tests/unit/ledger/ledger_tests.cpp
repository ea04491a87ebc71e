#include <ledger/ledger.hpp>

#include <atomic>
#include <thread>

#include "ledger_test_support.hpp"

namespace nym::ledger {
namespace {

using test::Chain;
using test::CHAIN_ID;
using test::Node;
using test::signed_tx;

constexpr std::uint32_t code(Errc e) {
    return static_cast<std::uint32_t>(e);
}

Hash32 eth_hash(std::uint8_t n) {
    Hash32 h{};
    h.fill(n);
    return h;
}

class LedgerTest : public ::testing::Test {
protected:
    void SetUp() override {
        node.init(chain);
        node.block({}); // height 1 commits genesis
    }
    Address addr(const crypto::Secp256k1SecretKey& k) const { return k.address(); }
    std::uint64_t next_nonce(const crypto::Secp256k1SecretKey& k) { return node.nonce(k.address()); }

    Bytes transfer(const crypto::Secp256k1SecretKey& from, std::uint64_t nonce, const Address& to,
                   std::uint64_t amount) {
        return signed_tx(from, nonce, Transfer{to, amount});
    }
    Bytes notice(std::size_t watcher, std::uint8_t eth, const Address& to, std::uint64_t amount,
                 std::uint32_t log = 0) {
        const auto& k = chain.watchers[watcher];
        return signed_tx(k, next_nonce(k), WatcherNotice{eth_hash(eth), log, chain.pipe, to, amount});
    }
    Bytes vote(const crypto::Secp256k1SecretKey& k, const Address& provider, std::uint64_t value, const G1Bytes& zeta,
               std::uint64_t height, bool valid) {
        return signed_tx(k, next_nonce(k), VerifierVote{provider, value, zeta, height, valid});
    }

    Chain chain;
    Node node;
    test::Coconut coco;
};

// --- genesis and lifecycle ---------------------------------------------------------------------

TEST_F(LedgerTest, GenesisBalancesAndParameters) {
    for (const auto& u : chain.users) EXPECT_EQ(node.balance(u.address()), 1000u);
    EXPECT_EQ(node.balance(chain.outsider.address()), 0u);
    auto q = node.ledger->query("/params", {});
    ASSERT_EQ(q.code, 0u);
    const auto p = nlohmann::json::parse(q.value);
    EXPECT_EQ(p["chain_id"], CHAIN_ID);
    EXPECT_EQ(p["watchers"]["threshold"], 2);
    EXPECT_EQ(p["watchers"]["addresses"].size(), 4u);
    EXPECT_EQ(p["pipe_account"], chain.pipe.to_hex());
    EXPECT_EQ(node.ledger->info().height, 1u);
    EXPECT_EQ(node.ledger->info().app_hash.size(), 32u);
}

TEST(LedgerLifecycle, MisuseIsRefusedWithTypedErrors) {
    Chain chain;
    Node node;
    const ByteSpan none;
    EXPECT_EQ(node.ledger->finalize_block(1, {}).error(), Errc::not_initialized);
    EXPECT_EQ(node.ledger->commit().error(), Errc::nothing_to_commit);
    EXPECT_EQ(node.ledger->check_tx(none).code, code(Errc::not_initialized));

    const std::string g = chain.genesis();
    EXPECT_EQ(node.ledger->init_chain("other-chain", test::as_bytes(g), 1).error(), Errc::chain_id_mismatch);
    const Hash32 genesis_hash = node.init(chain);
    EXPECT_EQ(node.init(chain), genesis_hash) << "InitChain again before the first commit starts over";
    EXPECT_EQ(node.ledger->info().height, 0u) << "nothing is committed by InitChain";
    EXPECT_TRUE(node.ledger->info().app_hash.empty());

    EXPECT_EQ(node.ledger->finalize_block(2, {}).error(), Errc::wrong_height);
    auto b1 = node.ledger->finalize_block(1, {});
    ASSERT_TRUE(b1);
    EXPECT_EQ(b1->app_hash, genesis_hash) << "an empty block leaves the state, and so the hash, unchanged";
    EXPECT_EQ(node.ledger->finalize_block(1, {}).error(), Errc::block_pending);
    EXPECT_EQ(node.ledger->finalize_block(2, {}).error(), Errc::block_pending);
    ASSERT_TRUE(node.ledger->commit());
    EXPECT_EQ(node.ledger->commit().error(), Errc::nothing_to_commit);
    EXPECT_EQ(node.ledger->info().height, 1u);
    EXPECT_EQ(node.ledger->init_chain(CHAIN_ID, test::as_bytes(g), 1).error(), Errc::already_initialized);
    EXPECT_EQ(node.ledger->finalize_block(1, {}).error(), Errc::wrong_height);
}

TEST(LedgerLifecycle, InitialHeightIsHonoured) {
    Chain chain;
    Node node;
    const std::string g = chain.genesis();
    ASSERT_TRUE(node.ledger->init_chain(CHAIN_ID, test::as_bytes(g), 100));
    EXPECT_EQ(node.ledger->finalize_block(1, {}).error(), Errc::wrong_height);
    ASSERT_TRUE(node.ledger->finalize_block(100, {}));
    ASSERT_TRUE(node.ledger->commit());
    EXPECT_EQ(node.ledger->info().height, 100u);
}

TEST(LedgerGenesis, InvalidAppStatesAreRefused) {
    Chain chain;
    auto bad = [&](auto mutate) {
        auto j = chain.genesis_json();
        mutate(j);
        return parse_genesis(j.dump());
    };
    EXPECT_TRUE(parse_genesis(chain.genesis()));
    EXPECT_FALSE(parse_genesis("not json"));
    EXPECT_FALSE(parse_genesis("[]"));
    EXPECT_FALSE(bad([](auto& j) { j["surprise"] = 1; }));
    EXPECT_FALSE(bad([](auto& j) { j.erase("chain_id"); }));
    EXPECT_FALSE(bad([](auto& j) { j["chain_id"] = ""; }));
    EXPECT_FALSE(bad([](auto& j) { j["chain_id"] = "has space"; }));
    EXPECT_FALSE(bad([](auto& j) { j["pipe_account"] = "0x1234"; }));
    EXPECT_FALSE(bad([](auto& j) { j["watchers"]["threshold"] = 5; }));
    EXPECT_FALSE(bad([](auto& j) { j["watchers"]["threshold"] = 0; }));
    EXPECT_FALSE(bad([](auto& j) { j["verifiers"]["addresses"].push_back(j["verifiers"]["addresses"][0]); }));
    EXPECT_FALSE(bad([](auto& j) { j["accounts"][0]["balance"] = "-1"; }));
    EXPECT_FALSE(bad([](auto& j) { j["accounts"][0]["balance"] = "18446744073709551616"; }));
    EXPECT_FALSE(bad([](auto& j) { j["accounts"][0]["balance"] = "18446744073709551615"; })) << "the total overflows";
    EXPECT_FALSE(bad([](auto& j) { j["accounts"].push_back(j["accounts"][0]); }));
    EXPECT_FALSE(bad([](auto& j) { j["accounts"][0]["extra"] = true; }));
    EXPECT_FALSE(bad([](auto& j) { j["issuers"] = {{"threshold", 1}, {"verification_keys", {"00"}}}; }));
    EXPECT_TRUE(bad([](auto& j) { j["accounts"][0]["balance"] = 7; })) << "numbers are accepted too";
}

TEST(LedgerGenesis, IssuerKeysAreDecodedAndKept) {
    Chain chain;
    test::Coconut coco;
    crypto::DeterministicRng rng(3);
    auto keys = *coconut::ttp_keygen(coco.params, 2, 3, rng);
    auto j = chain.genesis_json();
    nlohmann::json vks = nlohmann::json::array();
    for (const auto& k : keys) vks.push_back(util::to_hex(k.verification.encode()));
    j["issuers"] = {{"threshold", 2}, {"verification_keys", vks}};
    auto g = parse_genesis(j.dump());
    ASSERT_TRUE(g);
    ASSERT_EQ(g->params.issuer_keys.size(), 3u);
    EXPECT_EQ(g->params.issuer_keys[1], keys[1].verification);
    auto round = Params::from_json(g->params.to_json());
    ASSERT_TRUE(round);
    EXPECT_EQ(round->to_json(), g->params.to_json());
    j["issuers"]["threshold"] = 4;
    EXPECT_FALSE(parse_genesis(j.dump()));
}

// --- transfers, signatures, nonces ------------------------------------------------------------

TEST_F(LedgerTest, TransferMovesTokensAndEmitsEvents) {
    const auto& alice = chain.users[0];
    const Address bob = addr(chain.users[1]);
    auto r = node.block({transfer(alice, 0, bob, 300)});
    ASSERT_EQ(r.tx_results.size(), 1u);
    ASSERT_TRUE(r.tx_results[0].ok()) << r.tx_results[0].log;
    EXPECT_EQ(node.balance(alice.address()), 700u);
    EXPECT_EQ(node.balance(bob), 1300u);
    EXPECT_EQ(node.nonce(alice.address()), 1u);
    const auto& ev = r.tx_results[0].events;
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(ev[0].type, "message");
    EXPECT_EQ(ev[0].attribute("action"), "transfer");
    EXPECT_EQ(ev[0].attribute("sender"), alice.address().to_hex());
    EXPECT_EQ(ev[1].type, "transfer");
    EXPECT_EQ(ev[1].attribute("to"), bob.to_hex());
    EXPECT_EQ(ev[1].attribute("amount"), "300");
}

TEST_F(LedgerTest, SignaturesNoncesAndReplays) {
    const auto& alice = chain.users[0];
    const Address bob = addr(chain.users[1]);
    const Bytes first = transfer(alice, 0, bob, 10);
    auto r = node.block({first,
                         first,                                                   // replay in the same block
                         signed_tx(alice, 1, Transfer{bob, 10}, "another-chain"), // wrong chain id
                         transfer(alice, 3, bob, 10),                             // a gap
                         transfer(chain.users[2], 1, bob, 10)});                  // carol's nonce is 0
    EXPECT_TRUE(r.tx_results[0].ok());
    EXPECT_EQ(r.tx_results[1].code, code(Errc::wrong_nonce));
    EXPECT_EQ(r.tx_results[2].code, code(Errc::invalid_signature));
    EXPECT_EQ(r.tx_results[3].code, code(Errc::wrong_nonce));
    EXPECT_EQ(r.tx_results[4].code, code(Errc::wrong_nonce));
    EXPECT_EQ(node.balance(bob), 1010u);

    auto again = node.block({first}); // replay in a later block
    EXPECT_EQ(again.tx_results[0].code, code(Errc::wrong_nonce));

    // A transaction signed by alice that names bob as its signer debits nobody.
    Tx tx;
    tx.nonce = 0;
    tx.body = Transfer{alice.address(), 500};
    SignedTx forged = sign_tx(tx, CHAIN_ID, alice);
    forged.tx.signer = bob;
    auto f = node.block({forged.encode()});
    EXPECT_EQ(f.tx_results[0].code, code(Errc::invalid_signature));
    EXPECT_EQ(node.balance(bob), 1010u);
    EXPECT_EQ(node.nonce(bob), 0u);
}

TEST_F(LedgerTest, RefusedEffectConsumesTheNonceInABlockButNotInTheMempool) {
    const auto& alice = chain.users[0];
    const Address bob = addr(chain.users[1]);
    const Bytes too_much = transfer(alice, 0, bob, 5000);
    EXPECT_EQ(node.ledger->check_tx(too_much).code, code(Errc::insufficient_balance));
    EXPECT_TRUE(node.ledger->check_tx(transfer(alice, 0, bob, 1)).ok()) << "the mempool kept no nonce";

    auto r = node.block({too_much, transfer(alice, 1, bob, 5)});
    EXPECT_EQ(r.tx_results[0].code, code(Errc::insufficient_balance));
    EXPECT_TRUE(r.tx_results[1].ok()) << "the refused transaction consumed nonce 0";
    EXPECT_EQ(node.balance(alice.address()), 995u);
    EXPECT_EQ(node.nonce(alice.address()), 2u);
}

TEST_F(LedgerTest, MalformedTransactionsInABlockChangeNothing) {
    const Hash32 before = node.block({}).app_hash;
    auto r = node.block({Bytes{}, Bytes{1, 2, 3}, Bytes(70, 0x01), Bytes(MAX_TX_SIZE + 1, 0)});
    EXPECT_EQ(r.tx_results[0].code, code(Errc::malformed_tx));
    EXPECT_EQ(r.tx_results[1].code, code(Errc::malformed_tx));
    EXPECT_NE(r.tx_results[2].code, 0u);
    EXPECT_EQ(r.tx_results[3].code, code(Errc::tx_too_large));
    EXPECT_EQ(r.app_hash, before);
}

TEST_F(LedgerTest, CheckTxTracksTheMempoolAndResetsAtCommit) {
    const auto& alice = chain.users[0];
    const Address bob = addr(chain.users[1]);
    const Bytes t0 = transfer(alice, 0, bob, 400);
    const Bytes t1 = transfer(alice, 1, bob, 400);
    const Bytes t2 = transfer(alice, 2, bob, 400);
    EXPECT_TRUE(node.ledger->check_tx(t0).ok());
    EXPECT_TRUE(node.ledger->check_tx(t1).ok()) << "the next nonce is admitted before a block";
    EXPECT_EQ(node.ledger->check_tx(t0).code, code(Errc::wrong_nonce)) << "a replay in the mempool";
    EXPECT_EQ(node.ledger->check_tx(t2).code, code(Errc::insufficient_balance)) << "800 already spent in the mempool";
    EXPECT_EQ(node.balance(bob), 1000u) << "check_tx changes no committed state";

    node.block({t0}); // t1 stays in the mempool; CometBFT rechecks it
    EXPECT_TRUE(node.ledger->check_tx(t1, CheckMode::recheck).ok());
    EXPECT_EQ(node.ledger->check_tx(t0, CheckMode::recheck).code, code(Errc::wrong_nonce)) << "t0 is committed";
}

// --- watchers -----------------------------------------------------------------------------------

TEST_F(LedgerTest, WatcherNoticesCreditOnceAtTheThreshold) {
    const Address dave = addr(chain.outsider);
    auto r1 = node.block({notice(0, 1, dave, 250)});
    ASSERT_TRUE(r1.tx_results[0].ok()) << r1.tx_results[0].log;
    EXPECT_EQ(node.balance(dave), 0u) << "one vote of a threshold of two credits nothing";
    EXPECT_EQ(node.block({notice(0, 1, dave, 250)}).tx_results[0].code, code(Errc::already_voted));

    auto r2 = node.block({notice(1, 1, dave, 250)});
    ASSERT_TRUE(r2.tx_results[0].ok());
    EXPECT_EQ(node.balance(dave), 250u);
    bool credited = false;
    for (const auto& e : r2.tx_results[0].events)
        if (e.type == "erc20_credit") {
            credited = true;
            EXPECT_EQ(e.attribute("recipient"), dave.to_hex());
            EXPECT_EQ(e.attribute("amount"), "250");
            EXPECT_EQ(e.attribute("eth_tx_hash"), "0x" + util::to_hex(eth_hash(1)));
        }
    EXPECT_TRUE(credited);

    EXPECT_EQ(node.block({notice(2, 1, dave, 250)}).tx_results[0].code, code(Errc::already_credited));
    EXPECT_EQ(node.balance(dave), 250u);
    // Another log of the same Ethereum transaction is another transfer.
    node.block({notice(2, 1, dave, 5, 1), notice(3, 1, dave, 5, 1)});
    EXPECT_EQ(node.balance(dave), 255u);

    Bytes query(32 + 4, 0);
    std::fill(query.begin(), query.begin() + 32, 1);
    auto q = node.ledger->query("/watcher_notice", query);
    ASSERT_EQ(q.code, 0u);
    const auto j = nlohmann::json::parse(q.value);
    EXPECT_TRUE(j["credited"].get<bool>());
    EXPECT_EQ(j["candidates"][0]["votes"], 2);
}

TEST_F(LedgerTest, WatchersMustAgreeOnRecipientAndAmount) {
    const Address dave = addr(chain.outsider);
    const Address erin = addr(chain.providers[3]);
    node.block({notice(0, 2, dave, 100), notice(1, 2, dave, 999), notice(2, 2, erin, 100)});
    EXPECT_EQ(node.balance(dave), 0u);
    EXPECT_EQ(node.balance(erin), 0u);
    node.block({notice(3, 2, dave, 100)});
    EXPECT_EQ(node.balance(dave), 100u);
    EXPECT_EQ(node.balance(erin), 0u);
}

TEST_F(LedgerTest, UnregisteredWatcherAndWrongPipeAchieveNothing) {
    const Address dave = addr(chain.outsider);
    const Hash32 before = node.block({}).app_hash;
    const Bytes stranger = signed_tx(chain.outsider, 0, WatcherNotice{eth_hash(3), 0, chain.pipe, dave, 1000});
    EXPECT_EQ(node.ledger->check_tx(stranger).code, code(Errc::not_a_watcher));
    auto r = node.block({stranger, notice(0, 3, dave, 10)});
    EXPECT_EQ(r.tx_results[0].code, code(Errc::not_a_watcher));
    EXPECT_TRUE(r.tx_results[1].ok());
    // a second vote from a non-watcher does not complete the threshold
    auto r2 = node.block({signed_tx(chain.outsider, 1, WatcherNotice{eth_hash(3), 0, chain.pipe, dave, 10})});
    EXPECT_EQ(r2.tx_results[0].code, code(Errc::not_a_watcher));
    EXPECT_EQ(node.balance(dave), 0u);
    EXPECT_NE(before, r2.app_hash) << "only the nonces and the one real vote changed";

    const auto& w = chain.watchers[1];
    auto r3 = node.block({signed_tx(w, next_nonce(w), WatcherNotice{eth_hash(3), 0, dave, dave, 10})});
    EXPECT_EQ(r3.tx_results[0].code, code(Errc::invalid_pipe_account));
    EXPECT_EQ(node.balance(dave), 0u);
}

// --- credential requests -------------------------------------------------------------------------

TEST_F(LedgerTest, CredentialRequestDebitsAndIsFoundByHeightAndGamma) {
    const auto& alice = chain.users[0];
    const auto request = coco.request(10);
    const auto body = *CredentialRequest::make(10, request);
    auto r = node.block({signed_tx(alice, 0, body)});
    ASSERT_TRUE(r.tx_results[0].ok()) << r.tx_results[0].log;
    EXPECT_EQ(node.balance(alice.address()), 990u);
    const Event* ev = nullptr;
    for (const auto& e : r.tx_results[0].events)
        if (e.type == "credential_request") ev = &e;
    ASSERT_NE(ev, nullptr);
    EXPECT_EQ(ev->attribute("gamma"), util::to_hex(request.gamma.to_compressed()));
    EXPECT_EQ(ev->attribute("height"), std::to_string(r.height));
    EXPECT_EQ(ev->attribute("request"), util::to_hex(request.encode()));

    Bytes key(8, 0);
    for (int i = 0; i < 8; ++i) key[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(r.height >> (56 - 8 * i));
    const auto gamma = request.gamma.to_compressed();
    key.insert(key.end(), gamma.begin(), gamma.end());
    auto q = node.ledger->query("/credential_request", key);
    ASSERT_EQ(q.code, 0u) << q.log;
    const auto j = nlohmann::json::parse(q.value);
    EXPECT_EQ(j["account"], alice.address().to_hex());
    EXPECT_EQ(j["value"], "10");
    auto stored = coconut::BlindSignRequest::decode(*util::from_hex(j["request"].get<std::string>()));
    ASSERT_TRUE(stored);
    EXPECT_TRUE(stored->gamma == request.gamma);

    key[7] ^= 1; // another height
    EXPECT_EQ(node.ledger->query("/credential_request", key).code, code(Errc::not_found));
}

TEST_F(LedgerTest, CredentialRequestRules) {
    const auto& alice = chain.users[0];
    const auto& dave = chain.outsider;
    const auto body = *CredentialRequest::make(10, coco.request(10));
    EXPECT_EQ(node.ledger->check_tx(signed_tx(dave, 0, body)).code, code(Errc::insufficient_balance));
    // The same gamma twice in one block: the second is refused (its nonce is consumed).
    auto r = node.block({signed_tx(alice, 0, body), signed_tx(alice, 1, body)});
    EXPECT_TRUE(r.tx_results[0].ok());
    EXPECT_EQ(r.tx_results[1].code, code(Errc::duplicate_credential_request));
    EXPECT_EQ(node.balance(alice.address()), 990u);
}

// --- deposits and verifier votes ------------------------------------------------------------------

class CredentialTest : public LedgerTest {
protected:
    struct Deposit {
        G1Bytes zeta;
        std::uint64_t height;
    };
    Deposit deposit(std::size_t provider, std::uint64_t value) {
        const auto& p = chain.providers[provider];
        const auto body = CredentialDeposit::make(value, coco.spend(value, p.address()));
        auto r = node.block({signed_tx(p, next_nonce(p), body)});
        EXPECT_TRUE(r.tx_results[0].ok()) << r.tx_results[0].log;
        return {body.zeta, r.height};
    }
    std::uint32_t vote_result(std::size_t verifier, std::size_t provider, std::uint64_t value, const Deposit& d,
                              bool valid) {
        return node
            .block({vote(chain.verifiers[verifier], addr(chain.providers[provider]), value, d.zeta, d.height, valid)})
            .tx_results[0]
            .code;
    }
};

TEST_F(CredentialTest, DepositThenValidVotesSpendAndCreditOnce) {
    const auto d = deposit(0, 20);
    const Address provider = addr(chain.providers[0]);
    auto z = node.zeta(d.zeta);
    EXPECT_EQ(z["status"], "being_verified");
    EXPECT_EQ(z["provider"], provider.to_hex());

    EXPECT_EQ(vote_result(0, 0, 20, d, true), 0u);
    EXPECT_EQ(node.balance(provider), 0u);
    EXPECT_EQ(vote_result(0, 0, 20, d, true), code(Errc::already_voted));
    EXPECT_EQ(vote_result(1, 0, 20, d, true), 0u);
    EXPECT_EQ(node.balance(provider), 20u);
    EXPECT_EQ(node.zeta(d.zeta)["status"], "spent");
    EXPECT_EQ(vote_result(2, 0, 20, d, true), code(Errc::zeta_not_being_verified)) << "credited once";
    EXPECT_EQ(node.balance(provider), 20u);
}

TEST_F(CredentialTest, SpentZetaCannotBeDepositedAgain) {
    // The 2019 application's unspent check returned true for a spent zeta, so a spent credential
    // went back to "being verified". Here a spent zeta is refused at CheckTx and in a block.
    const auto& p = chain.providers[0];
    const auto body = CredentialDeposit::make(20, coco.spend(20, p.address()));
    auto r = node.block({signed_tx(p, 0, body)});
    ASSERT_TRUE(r.tx_results[0].ok());
    ASSERT_EQ(vote_result(0, 0, 20, {body.zeta, r.height}, true), 0u);
    ASSERT_EQ(vote_result(1, 0, 20, {body.zeta, r.height}, true), 0u);
    ASSERT_EQ(node.zeta(body.zeta)["status"], "spent");

    const Bytes again = signed_tx(p, 1, body);
    EXPECT_EQ(node.ledger->check_tx(again).code, code(Errc::double_spend));
    const auto& other = chain.providers[1];
    auto r2 = node.block({again, signed_tx(other, 0, body)});
    EXPECT_EQ(r2.tx_results[0].code, code(Errc::double_spend));
    EXPECT_EQ(r2.tx_results[1].code, code(Errc::double_spend));
    EXPECT_EQ(node.zeta(body.zeta)["status"], "spent") << "the status did not flip back";
    EXPECT_EQ(node.balance(p.address()), 20u);
}

TEST_F(CredentialTest, ConcurrentDepositsOfOneZetaInOneBlock) {
    const auto spend = coco.spend(7, chain.providers[0].address());
    const auto body = CredentialDeposit::make(7, spend);
    std::vector<Bytes> txs;
    for (const auto& p : chain.providers) txs.push_back(signed_tx(p, 0, body));
    for (const auto& t : txs) EXPECT_TRUE(SignedTx::decode(t));
    // In the mempool: the first is admitted, the others see it in the check state.
    EXPECT_TRUE(node.ledger->check_tx(txs[0]).ok());
    EXPECT_EQ(node.ledger->check_tx(txs[1]).code, code(Errc::zeta_being_verified));
    // A proposer may still include them all: exactly one reaches being_verified.
    auto r = node.block(txs);
    int accepted = 0;
    for (const auto& t : r.tx_results) {
        if (t.ok())
            ++accepted;
        else
            EXPECT_EQ(t.code, code(Errc::zeta_being_verified));
    }
    EXPECT_EQ(accepted, 1);
    EXPECT_TRUE(r.tx_results[0].ok()) << "block order decides";
    EXPECT_EQ(node.zeta(body.zeta)["provider"], chain.providers[0].address().to_hex());
}

TEST_F(CredentialTest, InvalidMajorityRefusesAndReturnsTheZeta) {
    // 3 verifiers, threshold 2: two invalid votes leave at most one valid one, so the deposit fails.
    const auto d = deposit(1, 30);
    const Address provider = addr(chain.providers[1]);
    EXPECT_EQ(vote_result(0, 1, 30, d, false), 0u);
    EXPECT_EQ(node.zeta(d.zeta)["status"], "being_verified") << "one invalid vote is not yet a majority";
    EXPECT_EQ(vote_result(1, 1, 30, d, true), 0u);
    EXPECT_EQ(node.zeta(d.zeta)["status"], "being_verified");
    auto r = node.block({vote(chain.verifiers[2], provider, 30, d.zeta, d.height, false)});
    ASSERT_TRUE(r.tx_results[0].ok());
    bool refused = false;
    for (const auto& e : r.tx_results[0].events) refused |= e.type == "credential_refused";
    EXPECT_TRUE(refused);
    EXPECT_EQ(node.zeta(d.zeta)["status"], "unspent");
    EXPECT_EQ(node.balance(provider), 0u);
    EXPECT_EQ(vote_result(0, 1, 30, d, true), code(Errc::zeta_not_being_verified)) << "late votes count for nothing";

    // The zeta can be deposited again (a bogus deposit cannot burn the owner's credential), and old
    // votes do not carry over: the new deposit has its own height.
    const auto& p = chain.providers[2];
    auto r2 = node.block({signed_tx(p, 0, CredentialDeposit::make(30, coco.spend(30, p.address())))});
    EXPECT_TRUE(r2.tx_results[0].ok());
}

TEST_F(CredentialTest, VotesMustMatchTheDepositAndComeFromVerifiers) {
    const auto d = deposit(0, 20);
    const Address provider = addr(chain.providers[0]);
    EXPECT_EQ(vote_result(0, 1, 20, d, true), code(Errc::vote_mismatch)) << "another provider";
    EXPECT_EQ(vote_result(0, 0, 21, d, true), code(Errc::vote_mismatch)) << "another value";
    EXPECT_EQ(vote_result(0, 0, 20, {d.zeta, d.height + 1}, true), code(Errc::vote_mismatch)) << "another deposit";
    G1Bytes other = d.zeta;
    other[10] ^= 1;
    EXPECT_EQ(vote_result(0, 0, 20, {other, d.height}, true), code(Errc::zeta_not_being_verified));

    // An unregistered verifier achieves nothing, however many times it votes.
    const Bytes stranger = signed_tx(chain.outsider, 0, VerifierVote{provider, 20, d.zeta, d.height, true});
    EXPECT_EQ(node.ledger->check_tx(stranger).code, code(Errc::not_a_verifier));
    auto r = node.block({stranger, signed_tx(chain.outsider, 1, VerifierVote{provider, 20, d.zeta, d.height, true}),
                         vote(chain.verifiers[0], provider, 20, d.zeta, d.height, true)});
    EXPECT_EQ(r.tx_results[0].code, code(Errc::not_a_verifier));
    EXPECT_EQ(r.tx_results[1].code, code(Errc::not_a_verifier));
    EXPECT_TRUE(r.tx_results[2].ok());
    auto z = node.zeta(d.zeta);
    EXPECT_EQ(z["status"], "being_verified");
    EXPECT_EQ(z["valid_votes"], 1);
    EXPECT_EQ(node.balance(provider), 0u);
}

// --- app hash, persistence, crash ------------------------------------------------------------

std::vector<std::vector<Bytes>> scripted_blocks(const Chain& chain) {
    std::vector<std::vector<Bytes>> blocks;
    const Address pipe = chain.pipe;
    blocks.push_back(
        {signed_tx(chain.users[0], 0, Transfer{chain.users[1].address(), 5}),
         signed_tx(chain.users[1], 0, Transfer{chain.users[2].address(), 7}),
         signed_tx(chain.watchers[0], 0, WatcherNotice{eth_hash(9), 0, pipe, chain.outsider.address(), 3})});
    blocks.push_back({signed_tx(chain.watchers[1], 0, WatcherNotice{eth_hash(9), 0, pipe, chain.outsider.address(), 3}),
                      signed_tx(chain.users[0], 1, Transfer{chain.users[3].address(), 11}),
                      signed_tx(chain.users[2], 0, Transfer{chain.users[0].address(), 13})});
    return blocks;
}

TEST(LedgerAppHash, SameBlocksGiveTheSameHashOnEveryNode) {
    Chain chain;
    Node a, b;
    EXPECT_EQ(a.init(chain), b.init(chain));
    EXPECT_EQ(a.block({}).app_hash, b.block({}).app_hash);
    for (const auto& txs : scripted_blocks(chain)) {
        const auto ra = a.block(txs);
        const auto rb = b.block(txs);
        EXPECT_EQ(ra.app_hash, rb.app_hash);
        for (std::size_t i = 0; i < txs.size(); ++i) {
            EXPECT_EQ(ra.tx_results[i].code, rb.tx_results[i].code);
            EXPECT_EQ(ra.tx_results[i].events, rb.tx_results[i].events);
        }
    }
    EXPECT_EQ(a.ledger->info(), b.ledger->info());
}

TEST(LedgerAppHash, OrderMattersButEachOrderIsDeterministic) {
    Chain chain;
    auto run = [&](bool reversed) {
        Node n;
        n.init(chain);
        n.block({});
        // users[1] spends what users[0] sent first, or before it arrives
        std::vector<Bytes> txs = {signed_tx(chain.users[0], 0, Transfer{chain.users[1].address(), 1000}),
                                  signed_tx(chain.users[1], 0, Transfer{chain.users[2].address(), 1500})};
        if (reversed) std::swap(txs[0], txs[1]);
        return n.block(txs).app_hash;
    };
    EXPECT_EQ(run(false), run(false));
    EXPECT_EQ(run(true), run(true));
    EXPECT_NE(run(false), run(true));
}

TEST(LedgerAppHash, ReopenRebuildsAndChecksTheHash) {
    Chain chain;
    Node a;
    a.init(chain);
    a.block({});
    for (const auto& txs : scripted_blocks(chain)) a.block(txs);
    const CommitPoint point = a.ledger->info();

    Node reopened(a.store);
    EXPECT_EQ(reopened.ledger->info(), point);
    EXPECT_EQ(reopened.balance(chain.users[0].address()), a.balance(chain.users[0].address()));

    // A store whose contents no longer hash to its commit point is refused.
    a.ledger.reset();
    reopened.ledger.reset();
    a.store->commit({{account_key(chain.users[0].address()), Account{999999, 0}.encode()}}, point);
    EXPECT_EQ(Ledger::open(*a.store).error(), Errc::state_corrupt);
}

TEST(LedgerAppHash, CrashBetweenFinalizeAndCommitLosesNothingAndForksNothing) {
    Chain chain;
    auto store = std::make_shared<MemoryStore>();
    const auto blocks = scripted_blocks(chain);
    Hash32 first_attempt{};
    {
        Node n(store);
        n.init(chain);
        n.block({});
        n.block(blocks[0]);
        std::vector<ByteSpan> spans(blocks[1].begin(), blocks[1].end());
        auto r = n.ledger->finalize_block(3, spans);
        ASSERT_TRUE(r);
        first_attempt = r->app_hash;
        // the process dies here: no commit
    }
    Node n(store);
    EXPECT_EQ(n.ledger->info().height, 2u) << "the last committed block";
    auto again = n.block(blocks[1]); // CometBFT replays block 3 through the handshake
    EXPECT_EQ(again.height, 3u);
    EXPECT_EQ(again.app_hash, first_attempt);
}

TEST(LedgerAppHash, CrashBeforeTheFirstCommitNeedsInitChainAgain) {
    Chain chain;
    auto store = std::make_shared<MemoryStore>();
    Hash32 genesis{};
    {
        Node n(store);
        genesis = n.init(chain);
    }
    Node n(store);
    EXPECT_EQ(n.ledger->info().height, 0u);
    EXPECT_EQ(n.ledger->finalize_block(1, {}).error(), Errc::not_initialized);
    EXPECT_EQ(n.init(chain), genesis);
}

// --- queries ------------------------------------------------------------------------------------

TEST_F(LedgerTest, QueriesAnswerMalformedInputWithErrors) {
    const auto& l = *node.ledger;
    const Address alice = addr(chain.users[0]);
    EXPECT_EQ(l.query("/nothing", {}).code, code(Errc::unknown_query_path));
    EXPECT_EQ(l.query("", {}).code, code(Errc::unknown_query_path));
    EXPECT_EQ(l.query("/balance", Bytes(19)).code, code(Errc::malformed_query));
    EXPECT_EQ(l.query("/balance", test::as_bytes("0xnothex")).code, code(Errc::malformed_query));
    EXPECT_EQ(l.query("/account", Bytes(21)).code, code(Errc::malformed_query));
    EXPECT_EQ(l.query("/zeta", Bytes(47)).code, code(Errc::malformed_query));
    EXPECT_EQ(l.query("/credential_request", Bytes(55)).code, code(Errc::malformed_query));
    EXPECT_EQ(l.query("/watcher_notice", Bytes(35)).code, code(Errc::malformed_query));
    EXPECT_EQ(l.query("/params", Bytes(1)).code, code(Errc::malformed_query));
    EXPECT_EQ(l.query("/balance", alice.bytes, 99).code, code(Errc::height_unavailable));

    auto raw = l.query("/balance", alice.bytes, l.info().height);
    EXPECT_EQ(raw.code, 0u);
    EXPECT_EQ(raw.height, l.info().height);
    auto text = l.query("/balance", test::as_bytes(alice.to_hex()));
    EXPECT_EQ(text.code, 0u) << "an address may also be given as hex text";
    EXPECT_EQ(text.value, raw.value);
    auto z = l.query("/zeta", Bytes(48, 7));
    ASSERT_EQ(z.code, 0u);
    EXPECT_EQ(nlohmann::json::parse(z.value)["status"], "unspent");
}

// --- concurrency ----------------------------------------------------------------------------

TEST_F(LedgerTest, CheckTxRunsBesideBlocks) {
    // One thread keeps the mempool busy (check_tx) and another queries while this one finalizes and
    // commits; nothing may deadlock, and the committed results are those of the blocks alone.
    const auto& alice = chain.users[0];
    const auto& bob = chain.users[1];
    std::atomic<bool> stop{false};
    std::thread mempool([&] {
        std::uint64_t n = 0;
        while (!stop) (void)node.ledger->check_tx(signed_tx(bob, n++ % 50, Transfer{alice.address(), 1}));
    });
    std::thread queries([&] {
        while (!stop) (void)node.ledger->query("/account", alice.address().bytes);
    });
    for (std::uint64_t i = 0; i < 30; ++i) node.block({transfer(alice, i, bob.address(), 1)});
    stop = true;
    mempool.join();
    queries.join();
    EXPECT_EQ(node.balance(alice.address()), 970u);
    EXPECT_EQ(node.balance(bob.address()), 1030u);
}

} // namespace
} // namespace nym::ledger
