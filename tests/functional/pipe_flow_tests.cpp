// The whole Nym flow in one test, every component a real process on loopback:
// geth --dev with the Nym ERC20 token, one CometBFT validator with nym-validator, 4 Ethereum
// watchers (threshold 2), 3 of 5 issuers, 2 verifiers, 2 providers, and nymclient, which pipes 1
// token in from its own Ethereum account ("Piping currency into Nym"), requests a credential with
// it, collects and aggregates the partial credentials, re-randomizes, spends it at a provider and
// prints the provider's answer: `true`.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "credential_net.hpp"
#include "ethereum_net.hpp"

namespace nym::functional {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> step_names(const nlohmann::json& j) {
    std::vector<std::string> names;
    for (const auto& s : j["steps"]) names.push_back(s["step"].get<std::string>());
    return names;
}

const nlohmann::json* find_step(const nlohmann::json& j, const std::string& name) {
    for (const auto& s : j["steps"])
        if (s["step"] == name) return &s;
    return nullptr;
}

/// The client's Nym ERC20 balance on Ethereum, in whole tokens (nym-eth-pipe balance).
std::string tokens_of(const CredentialNet& net, const crypto::EthereumAddress& account) {
    int status = -1;
    const auto out = run_command(NYM_ETH_PIPE_BIN,
                                 {"balance", "--ethereum", net.ethereum().url(), "--token", net.ethereum().token(),
                                  "--account", account.to_hex()},
                                 &status);
    return status == 0 ? line_value(out, "tokens") : "error: " + out;
}

TEST(WholeFlow, PipeThenCredentialThenSpendEndsWithTrue) {
    if (!std::filesystem::exists(NYM_GETH_BIN))
        GTEST_SKIP() << "geth not found at " << NYM_GETH_BIN << " (tools/install-deps.sh)";
    NetOptions options;
    options.client_balance = 0; // everything the client spends comes through the pipe
    options.ethereum_watchers = 4;
    options.watcher_threshold = 2;
    options.confirmations = 2;
    CredentialNet net(options);
    ASSERT_TRUE(net.start_all(3)) << net.why();
    const auto client = net.client_key().address();
    const auto provider = net.provider_key(1).address();
    ASSERT_EQ(net.balance(client).value_or(0), 0u);
    ASSERT_EQ(tokens_of(net, client), "100");

    // nymclient's default sequence: pipe the credential's value (1) in, then request, fetch, spend.
    const auto run = net.run_client({"--json"}, 0, 300s);
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err << net.log("watcher1") << net.log("provider1");
    const auto j = nlohmann::json::parse(run.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << run.out << run.err;
    EXPECT_TRUE(j["ok"].get<bool>());
    EXPECT_TRUE(j["result"]["accepted"].get<bool>());
    EXPECT_EQ(step_names(j), (std::vector<std::string>{
                                 "connect to the Nym ledger", "connect to Ethereum", "transfer to the pipe account",
                                 "confirmations", "watchers notify the ledger", "pipe tokens into Nym",
                                 "request credential", "fetch partial credentials", "unblind", "aggregate",
                                 "re-randomize", "spend credential", "provider answer"}));
    for (const auto& s : j["steps"]) {
        EXPECT_TRUE(s["ok"].get<bool>()) << s.dump();
        std::printf("%6lld ms  %s: %s\n", s["at_ms"].get<long long>(), s["step"].get<std::string>().c_str(),
                    s["detail"].get<std::string>().c_str());
    }
    const auto* transfer = find_step(j, "transfer to the pipe account");
    ASSERT_NE(transfer, nullptr);
    EXPECT_EQ((*transfer)["facts"]["amount"], "1");
    EXPECT_EQ((*transfer)["facts"]["transaction"].get<std::string>().size(), 66u);
    const auto* confirmed = find_step(j, "confirmations");
    ASSERT_NE(confirmed, nullptr);
    EXPECT_GE(std::stoull((*confirmed)["facts"]["confirmed_at"].get<std::string>()),
              std::stoull((*confirmed)["facts"]["ethereum_block"].get<std::string>()) + options.confirmations - 1);
    const auto* credited = find_step(j, "pipe tokens into Nym");
    ASSERT_NE(credited, nullptr);
    EXPECT_EQ((*credited)["facts"]["balance"], "1");

    // Both chains agree: 1 token left Ethereum for the pipe account, the ledger credited 1 and the
    // credential spent it: the client holds 0, provider 1 was paid 1, the zeta is spent there.
    EXPECT_EQ(tokens_of(net, client), "99");
    EXPECT_EQ(net.balance(client).value_or(999), 0u);
    EXPECT_EQ(net.balance(provider).value_or(0), 1u);
    auto z = net.zeta(j["result"]["zeta"].get<std::string>());
    ASSERT_TRUE(z);
    EXPECT_EQ((*z)["status"], "spent");
    EXPECT_EQ((*z)["provider"], provider.to_hex());

    // `nymclient pipe --amount 2` alone, then the human form of the whole sequence: `true`.
    const auto piped = net.run_client({"pipe", "--amount", "2"}, 0, 300s);
    ASSERT_EQ(piped.exit_code, 0) << piped.out << piped.err;
    EXPECT_EQ(piped.out, "2\n");
    EXPECT_EQ(net.balance(client).value_or(0), 2u);
    const auto again = net.run_client({}, 0, 300s);
    ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
    EXPECT_EQ(again.out, "true\n");
    EXPECT_EQ(tokens_of(net, client), "96");
    EXPECT_EQ(net.balance(client).value_or(0), 2u); // 2 + 1 piped - 1 paid
    EXPECT_EQ(net.balance(provider).value_or(0), 2u);
}

// The same on the 4 validators of tools/validators.py with its 3 genesis watchers (threshold 2),
// as tools/localnet.sh runs them.
TEST(WholeFlow, OnFourValidatorsWithThreeWatchersEndsWithTrue) {
    if (!std::filesystem::exists(NYM_GETH_BIN))
        GTEST_SKIP() << "geth not found at " << NYM_GETH_BIN << " (tools/install-deps.sh)";
    NetOptions options;
    options.validators = 4;
    options.client_balance = 0;
    options.ethereum_watchers = 3;
    options.watcher_threshold = 2;
    CredentialNet net(options);
    ASSERT_TRUE(net.start_all(3)) << net.why();
    const auto client = net.client_key().address();
    const auto provider = net.provider_key(1).address();
    const auto run = net.run_client({"--json"}, 0, 300s);
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err << net.log("watcher1") << net.log("provider1");
    const auto j = nlohmann::json::parse(run.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << run.out << run.err;
    EXPECT_TRUE(j["result"]["accepted"].get<bool>());
    for (const auto& s : j["steps"]) {
        EXPECT_TRUE(s["ok"].get<bool>()) << s.dump();
        std::printf("%6lld ms  %s\n", s["at_ms"].get<long long>(), s["step"].get<std::string>().c_str());
    }
    EXPECT_EQ(tokens_of(net, client), "99");
    EXPECT_EQ(net.balance(client).value_or(999), 0u);
    EXPECT_EQ(net.balance(provider).value_or(0), 1u);
}

TEST(WholeFlow, WithoutAnEthereumSectionPipeIsAClearError) {
    NetOptions options;
    options.verifiers = 0;
    options.verifier_threshold = 0;
    options.providers = 1;
    CredentialNet net(options);
    ASSERT_TRUE(net.prepare()) << net.why();
    const auto run = net.run_client({"pipe", "--amount", "1"}, 0, 30s);
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_NE(run.err.find("no [ethereum] section"), std::string::npos) << run.err;
}

TEST(WholeFlow, AnEthereumNodeThatIsDownFailsThePipeClearly) {
    NetOptions options;
    options.verifiers = 0;
    options.verifier_threshold = 0;
    options.providers = 1;
    CredentialNet net(options);
    ASSERT_TRUE(net.prepare()) << net.why();
    ASSERT_TRUE(net.start_ledger()) << net.why();
    const auto dead = free_port(); // taken from the free range and never bound
    std::ofstream(net.client_dir() / "config.toml", std::ios::app)
        << "\n[ethereum]\nrpc_url = \"http://127.0.0.1:" << dead
        << "\"\ntoken = \"0x1111111111111111111111111111111111111111\"\n"
           "pipe_account = \"0x00000000000000000000000000000000000c0ffe\"\n";
    const auto started = std::chrono::steady_clock::now();
    const auto run = net.run_client({"--json", "pipe"}, 0, 60s);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);
    EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
    const auto j = nlohmann::json::parse(run.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << run.out << run.err;
    EXPECT_FALSE(j["ok"].get<bool>());
    ASSERT_FALSE(j["steps"].empty());
    const auto& last = j["steps"].back();
    EXPECT_EQ(last["step"], "pipe tokens into Nym");
    EXPECT_FALSE(last["ok"].get<bool>());
    std::printf("the pipe's error: %s\n", last["detail"].get<std::string>().c_str());
    EXPECT_NE(last["detail"].get<std::string>().find(std::to_string(dead)), std::string::npos) << last.dump();
    EXPECT_EQ(net.balance(net.client_key().address()).value_or(0), options.client_balance);
}

} // namespace
} // namespace nym::functional
