// The validator network: 4 real CometBFT v0.38 validators, each with a real nym-validator on RocksDB,
// built by tools/validators.py, on loopback. Transactions are signed with nym::ledger and sent
// through CometBFT's JSON-RPC.

#include <ledger/ledger.hpp>
#include <util/hex.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "../unit/ledger/ledger_test_support.hpp"
#include "validator_net.hpp"

namespace nym::functional {
namespace {

using namespace std::chrono_literals;
using ledger::Bytes;
using Json = nlohmann::json;

class Validators : public ::testing::Test {
protected:
    void SetUp() override {
        if (const auto why = ValidatorNet::unavailable(); !why.empty()) GTEST_SKIP() << why;
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        net = std::make_unique<ValidatorNet>(info->name());
        std::string why;
        ASSERT_TRUE(net->build(why)) << why;
    }

    void TearDown() override {
        if (HasFailure() && net) {
            net->keep();
            std::cerr << "the network's folder is kept: " << net->dir() << "\n";
            for (const char* name : {"app0", "node0", "app1", "node1", "app3", "node3"})
                std::cerr << "---- " << name << ".log (tail)\n" << net->log_tail(name, 15);
        }
        net.reset();
    }

    Bytes sign(const std::string& who, std::uint64_t nonce, ledger::TxBody body) {
        ledger::Tx tx;
        tx.nonce = nonce;
        tx.body = std::move(body);
        return ledger::sign_tx(std::move(tx), net->chain_id(), net->key(who)).encode();
    }
    Bytes sign_with(const crypto::Secp256k1SecretKey& key, std::uint64_t nonce, ledger::TxBody body) {
        ledger::Tx tx;
        tx.nonce = nonce;
        tx.body = std::move(body);
        return ledger::sign_tx(std::move(tx), net->chain_id(), key).encode();
    }

    /// broadcast_tx_commit through node k; the height it committed at (0 on failure, with a test failure).
    std::uint64_t commit(int k, const Bytes& tx, std::uint32_t expect_code = 0) {
        std::string error;
        auto r = net->broadcast(k, tx, "broadcast_tx_commit", &error);
        EXPECT_FALSE(r.is_null()) << error;
        if (r.is_null()) return 0;
        EXPECT_EQ(r["check_tx"].value("code", 0u), 0u) << r.dump();
        EXPECT_EQ(r["tx_result"].value("code", 0u), expect_code) << r.dump();
        const std::uint64_t height = std::stoull(r.value("height", "0"));
        // broadcast_tx_commit answers once node k has the block; the other validators' apps may
        // still be executing it, so wait until every running app has committed it before anyone
        // reads (a validator a test has stopped does not answer status and is skipped).
        for (int n = 0; n < ValidatorNet::NODES; ++n)
            if (net->status(n)) {
                EXPECT_TRUE(net->wait_app_height(n, height, std::chrono::seconds(30)))
                    << "app" << n << " did not commit height " << height;
            }
        return height;
    }

    /// broadcast_tx_sync through node k: CheckTx's code.
    std::uint32_t check(int k, const Bytes& tx, std::string* log = nullptr) {
        std::string error;
        auto r = net->broadcast(k, tx, "broadcast_tx_sync", &error);
        EXPECT_FALSE(r.is_null()) << error;
        if (r.is_null()) return 0xffffffff;
        if (log) *log = r.value("log", "");
        return r.value("code", 0u);
    }

    std::uint64_t balance(int k, const crypto::EthereumAddress& a) { return net->account(k, a).first; }

    /// All four validators have blocks up to `height` + 1 and agree on the app hash after each of
    /// `from`..`height`.
    void expect_same_app_hashes(std::uint64_t from, std::uint64_t height) {
        for (int k = 0; k < ValidatorNet::NODES; ++k)
            ASSERT_TRUE(net->wait_height(k, height + 1, 60s)) << "node" << k << " stuck below " << height + 1;
        for (std::uint64_t h = from; h <= height; ++h) {
            const std::string expected = net->app_hash_after(0, h);
            ASSERT_EQ(expected.size(), 64u) << "height " << h;
            for (int k = 1; k < ValidatorNet::NODES; ++k)
                EXPECT_EQ(net->app_hash_after(k, h), expected) << "node" << k << " after height " << h;
        }
    }

    std::unique_ptr<ValidatorNet> net;
};

TEST_F(Validators, CommitBlocksWithAllFour) {
    ASSERT_TRUE(net->start_all(3));
    const auto alice = net->address("alice");
    const auto before = balance(0, alice);
    EXPECT_EQ(before, 1'000'000u);
    const std::uint64_t h = commit(2, sign("faucet", 0, ledger::Transfer{alice, 123}));
    ASSERT_GT(h, 0u);
    expect_same_app_hashes(1, h);
    for (int k = 0; k < ValidatorNet::NODES; ++k) {
        EXPECT_EQ(balance(k, alice), before + 123) << "node" << k;
        EXPECT_EQ(net->account(k, net->address("faucet")).second, 1u) << "node" << k << ": the faucet's nonce";
    }
    // The genesis parameters are the tool's: chain id, pipe account, 3 watchers and 3 verifiers, 2 of 3.
    auto params = net->query(1, "/params", {});
    ASSERT_EQ(params.code, 0u) << params.log;
    const auto p = Json::parse(params.value);
    EXPECT_EQ(p["chain_id"], net->chain_id());
    EXPECT_EQ(p["watchers"]["threshold"], 2);
    EXPECT_EQ(p["watchers"]["addresses"].size(), 3u);
    EXPECT_EQ(p["verifiers"]["threshold"], 2);
}

TEST_F(Validators, KeepCommittingWithOneValidatorDownAndItCatchesUp) {
    ASSERT_TRUE(net->start_all(2));
    net->stop_node(3, SIGKILL);
    net->stop_app(3, SIGKILL);
    const auto alice = net->address("alice");
    const auto h0 = net->status(0)->height;
    std::uint64_t last = 0;
    for (std::uint64_t i = 0; i < 3; ++i)
        last = commit(static_cast<int>(i % 3), sign("faucet", i, ledger::Transfer{alice, 10}));
    ASSERT_TRUE(net->wait_height(0, h0 + 5, 60s)) << "three of four validators must keep committing";
    for (int k = 0; k < 3; ++k) EXPECT_EQ(balance(k, alice), 1'000'030u) << "node" << k;

    ASSERT_TRUE(net->start_app(3));
    ASSERT_TRUE(net->start_node(3));
    const auto target = net->status(0)->height;
    ASSERT_TRUE(net->wait_height(3, target, 90s)) << "node3 must catch up to height " << target;
    expect_same_app_hashes(last, target);
    EXPECT_EQ(balance(3, alice), 1'000'030u);
    // And it takes part again: a transaction sent through it commits.
    const auto h = commit(3, sign("faucet", 3, ledger::Transfer{alice, 5}));
    expect_same_app_hashes(h, h);
}

TEST_F(Validators, AppKilledMidRunRestartsThroughTheHandshakeWithoutAFork) {
    ASSERT_TRUE(net->start_all(2));
    const auto bob = net->address("bob");
    // Transfers keep flowing through node0 while app1 dies and comes back.
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> sent{0};
    std::thread sender([&] {
        for (std::uint64_t nonce = 0; !stop; ++nonce) {
            std::string error;
            auto r = net->broadcast(0, sign("alice", nonce, ledger::Transfer{bob, 1}), "broadcast_tx_sync", &error);
            if (r.is_null() || r.value("code", 0u) != 0) break;
            ++sent;
            std::this_thread::sleep_for(30ms);
        }
    });
    std::this_thread::sleep_for(2s);
    net->stop_app(1, SIGKILL);
    // CometBFT stops itself when its app's connection breaks; make sure it is down either way.
    net->stop_node(1, SIGTERM);
    const auto down_at = net->status(0)->height;
    ASSERT_TRUE(net->wait_height(0, down_at + 3, 60s));

    ASSERT_TRUE(net->start_app(1));
    ASSERT_TRUE(net->start_node(1));
    const auto target = net->status(0)->height;
    ASSERT_TRUE(net->wait_height(1, target, 90s)) << "node1 must replay and catch up to " << target;
    std::this_thread::sleep_for(1s);
    stop = true;
    sender.join();
    EXPECT_GT(sent.load(), 20u);

    const auto end = net->status(0)->height;
    expect_same_app_hashes(2, end);
    // Every transfer that CheckTx admitted was applied, on every validator, once.
    ASSERT_TRUE(net->wait_height(0, end + 2, 30s));
    // Every app must have committed what node0 has (the restarted node1 may still be a block
    // behind) before the nonces are compared.
    const auto final_height = net->status(0)->height;
    for (int k = 0; k < ValidatorNet::NODES; ++k)
        ASSERT_TRUE(net->wait_app_height(k, final_height, 60s)) << "app" << k << " below " << final_height;
    for (int k = 0; k < ValidatorNet::NODES; ++k)
        EXPECT_EQ(net->account(k, net->address("alice")).second, sent.load()) << "node" << k << ": alice's nonce";
    const std::string log = net->log_tail("node1", 100000);
    EXPECT_NE(log.find("ABCI Handshake App Info"), std::string::npos) << "node1 restarted through the handshake";
}

TEST_F(Validators, AThousandDepositsOfOneZetaThroughAllFourRpcsSpendItOnce) {
    ASSERT_TRUE(net->start_all(2));
    ledger::test::Coconut coco;
    const std::uint64_t value = 7;
    const auto spend = coco.spend(value, net->address("provider1"));
    const auto deposit = ledger::CredentialDeposit::make(value, spend);
    const std::string zeta_hex = util::to_hex(deposit.zeta);

    // provider1 and 999 other accounts (new, nonce 0) deposit the same credential.
    constexpr int DEPOSITS = 1000;
    std::vector<crypto::Secp256k1SecretKey> keys;
    std::vector<crypto::EthereumAddress> depositors;
    keys.reserve(DEPOSITS);
    keys.push_back(net->key("provider1"));
    for (int i = 1; i < DEPOSITS; ++i) {
        std::array<std::uint8_t, 32> raw{};
        raw[0] = 0x77;
        raw[30] = static_cast<std::uint8_t>(i >> 8);
        raw[31] = static_cast<std::uint8_t>(i);
        keys.push_back(*crypto::Secp256k1SecretKey::from_bytes(raw));
    }
    std::vector<Bytes> txs;
    for (const auto& k : keys) {
        depositors.push_back(k.address());
        txs.push_back(sign_with(k, 0, deposit));
    }
    std::atomic<int> admitted{0}, refused{0}, failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&, t] {
            for (int i = t; i < DEPOSITS; i += 8) {
                std::string error;
                const int node = i % ValidatorNet::NODES;
                auto r = net->broadcast(node, txs[static_cast<std::size_t>(i)],
                                        i % 2 ? "broadcast_tx_async" : "broadcast_tx_sync", &error);
                if (r.is_null())
                    ++failed;
                else if (r.value("code", 0u) == 0)
                    ++admitted;
                else
                    ++refused;
            }
        });
    for (auto& th : threads) th.join();
    EXPECT_EQ(failed.load(), 0);
    EXPECT_GE(admitted.load(), 1);

    // Exactly one deposit reached a block and put zeta into "being verified".
    const auto h = net->status(0)->height;
    ASSERT_TRUE(net->wait_height(0, h + 3, 60s));
    auto z = net->query(0, "/zeta", {deposit.zeta.begin(), deposit.zeta.end()});
    ASSERT_EQ(z.code, 0u) << z.log;
    auto zj = Json::parse(z.value);
    ASSERT_EQ(zj["status"], "being_verified") << z.value;
    const auto winner = *crypto::EthereumAddress::from_hex(zj["provider"].get<std::string>());
    const std::uint64_t deposit_height = std::stoull(zj["deposit_height"].get<std::string>());
    auto found =
        net->rpc(1, "tx_search", {{"query", "credential_deposit.zeta='" + zeta_hex + "'"}, {"per_page", "100"}});
    ASSERT_FALSE(found.is_null());
    EXPECT_EQ(found["total_count"], "1") << "one successful deposit event";

    // Two of the three verifiers vote valid: spent, and the depositor is credited once.
    const ledger::VerifierVote vote{winner, value, deposit.zeta, deposit_height, true};
    commit(1, sign("verifier1", 0, vote));
    EXPECT_EQ(Json::parse(net->query(2, "/zeta", {deposit.zeta.begin(), deposit.zeta.end()}).value)["status"],
              "being_verified");
    const auto spent_at = commit(2, sign("verifier2", 0, vote));
    expect_same_app_hashes(spent_at, spent_at);
    for (int k = 0; k < ValidatorNet::NODES; ++k) {
        zj = Json::parse(net->query(k, "/zeta", {deposit.zeta.begin(), deposit.zeta.end()}).value);
        EXPECT_EQ(zj["status"], "spent") << "node" << k;
        EXPECT_EQ(zj["valid_votes"], 2) << "node" << k;
    }
    std::uint64_t credited = 0;
    int credited_accounts = 0;
    for (const auto& a : depositors) {
        const auto b = balance(3, a);
        credited += b;
        credited_accounts += b != 0;
    }
    EXPECT_EQ(credited, value);
    EXPECT_EQ(credited_accounts, 1);
    EXPECT_EQ(balance(3, winner), value);

    // The third vote comes too late, and the spent zeta cannot be deposited again.
    EXPECT_EQ(check(0, sign("verifier3", 0, vote)), static_cast<std::uint32_t>(ledger::Errc::zeta_not_being_verified));
    EXPECT_EQ(check(1, sign_with(ledger::test::key(0x78, 1), 0, deposit)),
              static_cast<std::uint32_t>(ledger::Errc::double_spend));
}

TEST_F(Validators, AnUnregisteredWatcherOrVerifierAchievesNothing) {
    ASSERT_TRUE(net->start_all(2));
    const auto alice = net->address("alice");
    const auto pipe = *crypto::EthereumAddress::from_hex(net->manifest()["pipe_account"].get<std::string>());
    ledger::WatcherNotice notice;
    notice.eth_tx_hash.fill(0xab);
    notice.log_index = 3;
    notice.pipe_account = pipe;
    notice.recipient = alice;
    notice.amount = 500;
    const auto outsider = ledger::test::key(0xee, 7);
    std::string log;
    EXPECT_EQ(check(0, sign_with(outsider, 0, notice), &log), static_cast<std::uint32_t>(ledger::Errc::not_a_watcher))
        << log;
    // One registered watcher is below the threshold of 2; the second credits, once.
    commit(1, sign("watcher1", 0, notice));
    EXPECT_EQ(balance(2, alice), 1'000'000u);
    auto q = net->query(2, "/watcher_notice", [&] {
        Bytes d(36, 0);
        std::copy(notice.eth_tx_hash.begin(), notice.eth_tx_hash.end(), d.begin());
        d[35] = 3; // log index, u32 big-endian
        return d;
    }());
    ASSERT_EQ(q.code, 0u) << q.log;
    EXPECT_EQ(Json::parse(q.value)["credited"], false);
    commit(2, sign("watcher2", 0, notice));
    EXPECT_EQ(balance(3, alice), 1'000'500u);
    EXPECT_EQ(check(3, sign("watcher3", 0, notice)), static_cast<std::uint32_t>(ledger::Errc::already_credited));

    // A deposit, then votes from three outsiders: refused, nothing counted, nothing credited.
    ledger::test::Coconut coco;
    const auto deposit = ledger::CredentialDeposit::make(9, coco.spend(9, net->address("provider2")));
    const auto h = commit(0, sign("provider2", 0, deposit));
    for (std::uint8_t i = 1; i <= 3; ++i) {
        const ledger::VerifierVote vote{net->address("provider2"), 9, deposit.zeta, h, true};
        EXPECT_EQ(check(i % 4, sign_with(ledger::test::key(0xef, i), 0, vote)),
                  static_cast<std::uint32_t>(ledger::Errc::not_a_verifier));
    }
    const auto now = net->status(0)->height;
    ASSERT_TRUE(net->wait_height(0, now + 2, 30s));
    auto z = Json::parse(net->query(0, "/zeta", {deposit.zeta.begin(), deposit.zeta.end()}).value);
    EXPECT_EQ(z["status"], "being_verified");
    EXPECT_EQ(z["valid_votes"], 0);
    EXPECT_EQ(balance(0, net->address("provider2")), 0u);
    // A registered verifier's vote that names another provider does not count either.
    const ledger::VerifierVote wrong{net->address("provider1"), 9, deposit.zeta, h, true};
    EXPECT_EQ(check(1, sign("verifier1", 0, wrong)), static_cast<std::uint32_t>(ledger::Errc::vote_mismatch));
}

TEST_F(Validators, EveryQueryAnswersMalformedInputWithAnError) {
    ASSERT_TRUE(net->start_all(2));
    const auto malformed = static_cast<std::uint32_t>(ledger::Errc::malformed_query);
    struct Case {
        std::string path;
        Bytes data;
        std::uint32_t code;
        std::int64_t height = 0;
    };
    const std::vector<Case> cases = {
        {"/balance", Bytes(3, 1), malformed},
        {"/balance", {}, malformed},
        {"/balance", Bytes{'0', 'x', 'z', 'z'}, malformed},
        {"/account", Bytes(21, 1), malformed},
        {"/account", Bytes(40, 'g'), malformed},
        {"/zeta", Bytes(47, 1), malformed},
        {"/zeta", Bytes(97, 'a'), malformed},
        {"/credential_request", Bytes(8 + 47, 1), malformed},
        {"/credential_request", {}, malformed},
        {"/watcher_notice", Bytes(35, 1), malformed},
        {"/params", Bytes{1}, malformed},
        {"/nope", {}, static_cast<std::uint32_t>(ledger::Errc::unknown_query_path)},
        {"", {}, static_cast<std::uint32_t>(ledger::Errc::unknown_query_path)},
        {"/balance", Bytes(20, 1), static_cast<std::uint32_t>(ledger::Errc::height_unavailable), 1},
        {"/credential_request", Bytes(8 + 48, 0), static_cast<std::uint32_t>(ledger::Errc::not_found)},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const auto& c = cases[i];
        const auto a = net->query(static_cast<int>(i % 4), c.path, c.data, c.height);
        EXPECT_EQ(a.code, c.code) << "case " << i << " " << c.path << ": " << a.log;
        EXPECT_FALSE(a.log.empty()) << "case " << i << ": the error is said in words";
    }
    // CometBFT refuses what is not even an abci_query.
    std::string error;
    EXPECT_TRUE(net->rpc(0, "abci_query", {{"path", "/balance"}, {"data", "not hex"}}, &error).is_null());
    // And every node still answers.
    for (int k = 0; k < ValidatorNet::NODES; ++k) EXPECT_EQ(balance(k, net->address("bob")), 1'000'000u);
    auto stats = net->query(0, "/stats", {});
    ASSERT_EQ(stats.code, 0u);
    EXPECT_GE(Json::parse(stats.value)["query"]["requests"].get<int>(), 4);
}

// The tool's own start / status / stop, as a person runs them.
TEST_F(Validators, TheToolStartsChecksAndStopsTheNetwork) {
    const std::string tool = "NYM_BIN='" + std::filesystem::path(NYM_VALIDATOR_BIN).parent_path().string() +
                             "' COMETBFT='" + NYM_COMETBFT_BIN + "' python3 '" + NYM_SOURCE_DIR +
                             "/tools/validators.py' --dir '" + net->dir().string() + "' ";
    const auto run = [&](const std::string& args, std::string* out = nullptr) {
        const std::string file = (net->dir() / "tool.out").string();
        const int rc = std::system((tool + args + " >'" + file + "' 2>&1").c_str());
        std::ifstream in(file);
        const std::string text{std::istreambuf_iterator<char>(in), {}};
        if (out) *out = text;
        return std::make_pair(WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, text);
    };
    struct StopAtTheEnd {
        std::function<void()> stop;
        ~StopAtTheEnd() { stop(); }
    } guard{[&] { run("stop"); }};
    auto [rc, text] = run("start");
    ASSERT_EQ(rc, 0) << text;
    EXPECT_NE(text.find("4 validators up in"), std::string::npos) << text;
    std::tie(rc, text) = run("status");
    EXPECT_EQ(rc, 0) << text;
    EXPECT_NE(text.find("4 of 4 validators healthy"), std::string::npos) << text;
    std::tie(rc, text) = run("transfer --from alice --to bob --amount 42");
    EXPECT_EQ(rc, 0) << text;
    std::tie(rc, text) = run("query /balance bob");
    EXPECT_EQ(rc, 0) << text;
    EXPECT_NE(text.find("\"balance\":\"1000042\""), std::string::npos) << text;
    std::tie(rc, text) = run("start");
    EXPECT_NE(rc, 0) << "a second start refuses: " << text;
    std::tie(rc, text) = run("stop");
    EXPECT_EQ(rc, 0) << text;
    EXPECT_NE(text.find("stopped 8 process(es)"), std::string::npos) << text;
    std::tie(rc, text) = run("status");
    EXPECT_NE(rc, 0) << text;
    EXPECT_NE(text.find("0 of 4 validators healthy"), std::string::npos) << text;
    std::tie(rc, text) = run("stop");
    EXPECT_EQ(rc, 0) << text;
    // The layout of `cometbft testnet --v 4 --o nodes --home nodes`, key files private.
    const auto nodes = net->dir() / "nodes";
    EXPECT_TRUE(std::filesystem::exists(nodes / "config" / "config.toml"));
    EXPECT_TRUE(std::filesystem::is_directory(nodes / "data"));
    for (int k = 0; k < 4; ++k) {
        const auto n = nodes / ("node" + std::to_string(k));
        for (const char* f : {"config/config.toml", "config/genesis.json", "config/node_key.json",
                              "config/priv_validator_key.json", "data/priv_validator_state.json"})
            EXPECT_TRUE(std::filesystem::exists(n / f)) << n / f;
        EXPECT_TRUE(std::filesystem::is_directory(n / "data" / "nym-ledger"));
    }
    const auto perms = std::filesystem::status(net->dir() / "accounts" / "alice.key").permissions();
    EXPECT_EQ(perms & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

// @cosmjs/tendermint-rpc (pinned in package.json) against node0: status, broadcast, tx, block
// results with our events, abci_query.
TEST_F(Validators, CosmjsClientTalksToNode0) {
    const std::string node = NYM_NODE_BIN;
    if (node.empty()) GTEST_SKIP() << "node (Node.js) is not installed: the JavaScript client test cannot run";
    if (!std::filesystem::exists(std::string(NYM_SOURCE_DIR) + "/node_modules/@cosmjs/tendermint-rpc"))
        GTEST_SKIP() << "node_modules/@cosmjs/tendermint-rpc is missing (npm ci installs it)";
    ASSERT_TRUE(net->start_all(2));
    const auto alice = net->address("alice");
    const Bytes tx = sign("faucet", 0, ledger::Transfer{alice, 777});
    const std::string out = (net->dir() / "cosmjs.out").string();
    const std::string cmd =
        "'" + node + "' '" + NYM_SOURCE_DIR +
        "/tests/functional/validator_cosmjs.mjs' http://127.0.0.1:" + std::to_string(net->rpc_port(0)) + " " +
        net->chain_id() + " " + util::to_hex(tx) + " " + alice.to_hex() + " 1000777 >'" + out + "' 2>&1";
    const int rc = std::system(cmd.c_str());
    std::ifstream in(out);
    const std::string text{std::istreambuf_iterator<char>(in), {}};
    EXPECT_EQ(rc, 0) << text;
    EXPECT_NE(text.find("cosmjs: ok"), std::string::npos) << text;
}

} // namespace
} // namespace nym::functional
