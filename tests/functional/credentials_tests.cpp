// The credential services end to end on a local ledger, with the seed's 3-of-5 issuers, 2 verifiers
// and 2 providers, all real processes on loopback: nymclient's whole sequence, the ledger's balances
// and zeta states, and the privacy and safety properties that need the running system. The whole
// flow, and its recovery from a validator and an issuer killed in the middle, run on the 4 validators
// of tools/validators.py (CredentialFourValidators); the other tests on one validator, to keep the
// suite's time down.
#include <crypto/rng.hpp>
#include <ledger/tx.hpp>
#include <runtime/blocking.hpp>
#include <util/hex.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chain/credential.hpp>
#include <credentials/credential.hpp>
#include <csignal>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>
#include <thread>
#include <wire/credentials.hpp>

#include "credential_net.hpp"

namespace nym::functional {
namespace {

using namespace std::chrono_literals;

nlohmann::json parse_json(const ClientRun& run) {
    auto j = nlohmann::json::parse(run.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "stdout: " << run.out << "\nstderr: " << run.err;
    return j;
}

std::vector<std::string> step_names(const nlohmann::json& j) {
    std::vector<std::string> names;
    for (const auto& s : j["steps"]) names.push_back(s["step"].get<std::string>());
    return names;
}

TEST(CredentialFlow, SeedSequenceEndsWithTrueAndTheLedgerAgrees) {
    if (const auto why = ValidatorNet::unavailable(); !why.empty()) GTEST_SKIP() << why;
    CredentialNet net;
    ASSERT_TRUE(net.start_all(3)) << net.why();
    const auto client = net.client_key().address();
    const auto provider = net.provider_key(1).address();
    ASSERT_EQ(net.balance(client), 1000u);
    ASSERT_EQ(net.balance(provider), 0u);

    const auto run = net.run_client({"--json"});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err << net.log("provider1") << net.log("verifier1");
    const auto j = parse_json(run);
    EXPECT_TRUE(j["ok"].get<bool>());
    EXPECT_TRUE(j["result"]["accepted"].get<bool>());
    EXPECT_EQ(step_names(j),
              (std::vector<std::string>{"connect to the Nym ledger", "pipe tokens into Nym", "request credential",
                                        "fetch partial credentials", "unblind", "aggregate", "re-randomize",
                                        "spend credential", "provider answer"}));
    const std::string zeta = j["result"]["zeta"].get<std::string>();

    // Exactly one credential of value 1 paid, exactly one credit to provider 1, the zeta spent there.
    EXPECT_EQ(net.balance(client), 999u);
    EXPECT_EQ(net.balance(provider), 1u);
    EXPECT_EQ(net.balance(net.provider_key(2).address()), 0u);
    auto z = net.zeta(zeta);
    ASSERT_TRUE(z);
    EXPECT_EQ((*z)["status"], "spent");
    EXPECT_EQ((*z)["provider"], provider.to_hex());
    EXPECT_EQ((*z)["value"], "1");
    EXPECT_EQ((*z)["valid_votes"], 2);
    EXPECT_EQ((*z)["invalid_votes"], 0);

    // The human form prints the answer alone on stdout.
    const auto again = net.run_client({});
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(again.out, "true\n");
    EXPECT_EQ(net.balance(client), 998u);
    EXPECT_EQ(net.balance(provider), 2u);
}

struct Probe {
    std::string method;
    std::string target;
    std::string body;
};

/// Every answer to bad input: a 4xx status with a JSON {"error": ...} body.
void expect_json_4xx(const Expected<runtime::HttpResult>& r, const std::string& what) {
    ASSERT_TRUE(r) << what << ": " << r.error().message();
    EXPECT_GE(r->status, 400u) << what << ": " << r->body;
    EXPECT_LT(r->status, 500u) << what << ": " << r->body;
    EXPECT_EQ(r->content_type, "application/json") << what;
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    EXPECT_TRUE(j.is_object() && j.contains("error") && j["error"].is_string()) << what << ": " << r->body;
}

TEST(CredentialApis, EveryEndpointAnswersBadInputWith4xxJsonAndKeepsServing) {
    NetOptions options;
    options.verifiers = 0;
    options.verifier_threshold = 0;
    CredentialNet net(options);
    ASSERT_TRUE(net.prepare()) << net.why();
    ASSERT_TRUE(net.start_ledger()) << net.why();
    ASSERT_TRUE(net.start_issuer(1)) << net.why();
    ASSERT_TRUE(net.start_provider(1)) << net.why();
    const std::string gamma(96, 'a');
    const std::string huge(20000, '7');
    const std::vector<Probe> issuer_probes = {
        {"GET", "/api/partial-credential", ""},
        {"GET", "/api/partial-credential?height=1", ""},
        {"GET", "/api/partial-credential?height=x&gamma=" + gamma, ""},
        {"GET", "/api/partial-credential?height=-1&gamma=" + gamma, ""},
        {"GET", "/api/partial-credential?height=1&gamma=zz", ""},
        {"GET", "/api/partial-credential?height=1&gamma=" + gamma + "&height=2", ""},
        {"GET", "/api/partial-credential?height=99999999999999999999&gamma=" + gamma, ""},
        {"GET", "/api/partial-credential?" + std::string(4000, 'q'), ""},
        {"GET", "/api/partial-credential?height=1&gamma=" + std::string(10000, 'a'), ""},
        {"GET", "/api/block-credentials?height=", ""},
        {"GET", "/api/block-credentials?height=1.5", ""},
        {"POST", "/api/partial-credential", "{}"},
        {"POST", "/api/verification-key", huge},
        {"GET", "/api/nothing-here", ""},
    };
    for (const auto& p : issuer_probes)
        expect_json_4xx(runtime::http_request("127.0.0.1", net.issuer_port(1), p.method, p.target, p.body),
                        "issuer " + p.method + " " + p.target.substr(0, 80));
    const std::vector<Probe> provider_probes = {
        {"POST", "/api/spend", ""},
        {"POST", "/api/spend", "not json"},
        {"POST", "/api/spend", "[]"},
        {"POST", "/api/spend", R"({"value":"1"})"},
        {"POST", "/api/spend", R"({"value":1.5,"nonce":")" + std::string(64, '0') + R"(","spend":"00"})"},
        {"POST", "/api/spend", R"({"value":"1","nonce":12,"spend":"00"})"},
        {"POST", "/api/spend", R"({"value":"1","nonce":")" + std::string(64, '0') + R"(","spend":{"a":1}})"},
        {"POST", "/api/spend", R"({"value":"1","nonce":")" + std::string(64, '0') + R"(","spend":"0011"})"},
        {"POST", "/api/spend", R"({"value":"1","nonce":")" + std::string(64, '0') + R"(","spend":")" + huge + "\"}"},
        {"POST", "/api/spend", std::string(10000, '[')},
        {"GET", "/api/spend", ""},
        {"GET", "/api/spend-status", ""},
        {"GET", "/api/spend-status?zeta=12", ""},
        {"GET", "/api/spend-status?zeta=" + gamma, ""},
        {"PUT", "/api/spend-nonce", ""},
    };
    for (const auto& p : provider_probes)
        expect_json_4xx(runtime::http_request("127.0.0.1", net.provider_port(1), p.method, p.target, p.body),
                        "provider " + p.method + " " + p.target + " " + p.body.substr(0, 60));
    // Raw garbage and a body declared larger than it is.
    for (auto port : {net.issuer_port(1), net.provider_port(1)}) {
        auto raw = runtime::http_exchange_raw("127.0.0.1", port, "NOT HTTP AT ALL\r\n\r\n");
        if (raw) {
            EXPECT_EQ(raw->status, 400u);
        }
        raw = runtime::http_exchange_raw("127.0.0.1", port,
                                         "POST /api/spend HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n{}");
        if (raw) {
            EXPECT_EQ(raw->status, 413u);
        }
    }
    // Both still serve.
    auto vk = runtime::http_request("127.0.0.1", net.issuer_port(1), "GET", "/api/verification-key");
    ASSERT_TRUE(vk);
    EXPECT_EQ(vk->status, 200u);
    auto parsed = wire::credentials::parse_verification_key_info(vk->body);
    ASSERT_TRUE(parsed) << parsed.error();
    EXPECT_EQ(parsed->index, 1u);
    auto nonce = runtime::http_request("127.0.0.1", net.provider_port(1), "POST", "/api/spend-nonce", "{}");
    ASSERT_TRUE(nonce);
    EXPECT_EQ(nonce->status, 200u);
    auto openapi = runtime::http_request("127.0.0.1", net.provider_port(1), "GET", "/api/openapi.json");
    ASSERT_TRUE(openapi);
    EXPECT_EQ(openapi->status, 200u);
    EXPECT_TRUE(nlohmann::json::parse(openapi->body).contains("paths"));
    openapi = runtime::http_request("127.0.0.1", net.issuer_port(1), "GET", "/api/openapi.json");
    ASSERT_TRUE(openapi);
    EXPECT_TRUE(nlohmann::json::parse(openapi->body)["paths"].contains("/api/partial-credential"));
}

// --- the test as a client of its own: spends built from the wallet nymclient wrote -------------------

namespace wc = wire::credentials;

credentials::IssuerSet issuer_set(const CredentialNet& net) {
    ledger::Params p;
    p.issuer_threshold = static_cast<std::uint32_t>(net.options().threshold);
    for (const auto& k : net.issuer_keys()) p.issuer_keys.push_back(k.verification);
    return *credentials::IssuerSet::from_params(p);
}

/// The wallet's issued credential (after `nymclient request` and `nymclient fetch`).
credentials::Credential issued_credential(CredentialNet& net, std::size_t client = 0) {
    std::ifstream in(net.client_dir(client) / "wallet.json");
    std::stringstream ss;
    ss << in.rdbuf();
    auto wallet = credentials::wallet_from_json(ss.str());
    EXPECT_TRUE(wallet) << (wallet ? "" : wallet.error());
    if (wallet)
        for (auto& c : *wallet)
            if (c.state == credentials::CredentialState::issued) return c;
    ADD_FAILURE() << "no issued credential in the wallet";
    return {};
}

/// A fresh show of `c` bound to provider `i` and a nonce it handed out, as a /api/spend body.
std::string spend_body(CredentialNet& net, const credentials::Credential& c, std::size_t i) {
    auto n = runtime::http_request("127.0.0.1", net.provider_port(i), "POST", "/api/spend-nonce", "{}");
    EXPECT_TRUE(n && n->status == 200);
    auto nonce = wc::parse_spend_nonce(n ? n->body : "");
    EXPECT_TRUE(nonce);
    crypto::SystemRng rng;
    auto spend = credentials::make_spend(c, issuer_set(net).aggregate, net.provider_key(i).address(),
                                         nonce ? nonce->nonce : wc::Nonce{}, rng);
    EXPECT_TRUE(spend);
    return wc::to_json(
        wc::SpendRequest{c.value, nonce ? nonce->nonce : wc::Nonce{}, spend ? spend->encode() : wc::Bytes{1}});
}

wc::SpendAnswer post_spend(CredentialNet& net, std::size_t i, const std::string& body) {
    runtime::ClientOptions options;
    options.timeout = 60s;
    auto r = runtime::http_request("127.0.0.1", net.provider_port(i), "POST", "/api/spend", body,
                                   runtime::CONTENT_TYPE_JSON, options);
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : r.error().message());
    auto a = wc::parse_spend_answer(r ? r->body : "");
    EXPECT_TRUE(a) << (r ? r->body : "");
    return a ? *a : wc::SpendAnswer{};
}

/// `nymclient request` then `nymclient fetch`: an issued credential in the wallet.
void buy_credential(CredentialNet& net, std::size_t client = 0) {
    auto r = net.run_client({"request"}, client);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    r = net.run_client({"fetch"}, client);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(CredentialSafety, AShowReplayedAtTheSameOrAnotherProviderIsRefused) {
    if (const auto why = ValidatorNet::unavailable(); !why.empty()) GTEST_SKIP() << why;
    CredentialNet net;
    ASSERT_TRUE(net.start_all(3)) << net.why();
    ASSERT_NO_FATAL_FAILURE(buy_credential(net));
    const auto c = issued_credential(net);
    const std::string zeta = util::to_hex(c.zeta());

    const std::string first = spend_body(net, c, 1);
    const auto accepted = post_spend(net, 1, first);
    ASSERT_TRUE(accepted.accepted()) << accepted.reason << net.log("provider1");
    // The same bytes again, at the same provider and at the other one.
    const auto replay_same = post_spend(net, 1, first);
    EXPECT_FALSE(replay_same.accepted());
    const auto replay_other = post_spend(net, 2, first);
    EXPECT_FALSE(replay_other.accepted());
    // Fresh shows of the same credential with fresh nonces: the zeta gives them away.
    const auto again_same = post_spend(net, 1, spend_body(net, c, 1));
    EXPECT_FALSE(again_same.accepted());
    EXPECT_NE(again_same.reason.find("already presented here"), std::string::npos) << again_same.reason;
    const auto again_other = post_spend(net, 2, spend_body(net, c, 2));
    EXPECT_FALSE(again_other.accepted());
    EXPECT_NE(again_other.reason.find("already spent"), std::string::npos) << again_other.reason;
    // Credited once.
    EXPECT_EQ(net.balance(net.provider_key(1).address()), 1u);
    EXPECT_EQ(net.balance(net.provider_key(2).address()), 0u);
    auto z = net.zeta(zeta);
    ASSERT_TRUE(z);
    EXPECT_EQ((*z)["status"], "spent");
}

TEST(CredentialSafety, TwoProvidersGivenOneCredentialAtOnceExactlyOneAccepts) {
    if (const auto why = ValidatorNet::unavailable(); !why.empty()) GTEST_SKIP() << why;
    CredentialNet net;
    ASSERT_TRUE(net.start_all(3)) << net.why();
    ASSERT_NO_FATAL_FAILURE(buy_credential(net));
    const auto c = issued_credential(net);
    const std::string to_first = spend_body(net, c, 1);
    const std::string to_second = spend_body(net, c, 2);
    auto first = std::async(std::launch::async, [&] { return post_spend(net, 1, to_first); });
    auto second = std::async(std::launch::async, [&] { return post_spend(net, 2, to_second); });
    const auto a = first.get();
    const auto b = second.get();
    EXPECT_NE(a.accepted(), b.accepted()) << "provider1: " << a.reason << "; provider2: " << b.reason;
    const std::size_t winner = a.accepted() ? 1 : 2;
    const std::size_t loser = 3 - winner;
    EXPECT_EQ(net.balance(net.provider_key(winner).address()), 1u);
    EXPECT_EQ(net.balance(net.provider_key(loser).address()), 0u);
    auto z = net.zeta(util::to_hex(c.zeta()));
    ASSERT_TRUE(z);
    EXPECT_EQ((*z)["status"], "spent");
    EXPECT_EQ((*z)["provider"], net.provider_key(winner).address().to_hex());
}

TEST(CredentialSafety, TwoOfFiveIssuersDownStillWorksThreeDownFailsClearly) {
    if (const auto why = ValidatorNet::unavailable(); !why.empty()) GTEST_SKIP() << why;
    CredentialNet net;
    ASSERT_TRUE(net.start_all(5)) << net.why();
    net.configure_client({1, 2, 3, 4, 5}, 1);
    net.stop_issuer(4, SIGKILL);
    net.stop_issuer(5, SIGKILL);
    auto run = net.run_client({});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    EXPECT_EQ(run.out, "true\n");

    net.stop_issuer(2, SIGTERM);
    run = net.run_client({});
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_NE(run.out.find("only 2 of the 3 partial credentials needed could be collected"), std::string::npos)
        << run.out;
    EXPECT_NE(run.out.find("unreachable"), std::string::npos) << run.out;
    // The credential was paid for: once an issuer is back, fetching it again completes the run.
    EXPECT_EQ(net.balance(net.client_key().address()), 998u);
    ASSERT_TRUE(net.start_issuer(2)) << net.why();
    run = net.run_client({"fetch"});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    run = net.run_client({"spend"});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    EXPECT_EQ(run.out, "true\n");
    EXPECT_EQ(net.balance(net.provider_key(1).address()), 2u);
}

TEST(CredentialSafety, AnIssuerKeyFromOutsideTheSetCannotMakeAValidCredential) {
    if (const auto why = ValidatorNet::unavailable(); !why.empty()) GTEST_SKIP() << why;
    CredentialNet net;
    ASSERT_TRUE(net.start_all(4)) << net.why();
    const auto rogue = net.start_rogue_issuer(3);
    ASSERT_NE(rogue, 0u) << net.why();
    // Issuers 1 and 2 and a rogue signer claiming index 3: only two shares verify.
    net.configure_client({1, 2}, 1, 0, {rogue});
    auto run = net.run_client({});
    EXPECT_EQ(run.exit_code, 1) << run.out;
    EXPECT_NE(run.out.find("does not verify under issuer 3's key on the chain"), std::string::npos) << run.out;
    // With a genuine third issuer the same wallet's credential is completed and accepted.
    net.configure_client({1, 2, 4}, 1, 0, {rogue});
    run = net.run_client({"fetch"});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    run = net.run_client({"spend"});
    EXPECT_EQ(run.out, "true\n") << run.err;
}

TEST(CredentialSafety, AVerifierVotingInvalidAloneChangesNothingAndVerifiersCatchUp) {
    if (const auto why = ValidatorNet::unavailable(); !why.empty()) GTEST_SKIP() << why;
    NetOptions options;
    options.extra_verifier_keys = 1; // three verifiers registered, threshold 2; the third lies
    options.spend_timeout = 4000ms;
    CredentialNet net(options);
    ASSERT_TRUE(net.prepare()) << net.why();
    ASSERT_TRUE(net.start_ledger()) << net.why();
    for (std::size_t i = 1; i <= 3; ++i) ASSERT_TRUE(net.start_issuer(i)) << net.why();
    ASSERT_TRUE(net.start_provider(1)) << net.why();
    ASSERT_NO_FATAL_FAILURE(buy_credential(net));
    const auto c = issued_credential(net);
    const std::string zeta = util::to_hex(c.zeta());
    const std::string body = spend_body(net, c, 1);
    auto answer = std::async(std::launch::async, [&] { return post_spend(net, 1, body); });
    // The deposit lands while no honest verifier runs.
    std::optional<nlohmann::json> z;
    for (int i = 0; i < 100; ++i) {
        z = net.zeta(zeta);
        if (z && (*z)["status"] == "being_verified") break;
        std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(z && (*z)["status"] == "being_verified");
    const auto deposit_height = std::stoull((*z)["deposit_height"].get<std::string>());
    ledger::Tx tx;
    tx.nonce = 0;
    tx.body = ledger::VerifierVote{net.provider_key(1).address(), 1, c.zeta(), deposit_height, false};
    const auto liar = ledger::sign_tx(tx, net.options().chain_id, net.verifier_key(3)).encode();
    ASSERT_EQ(net.broadcast(liar), 0u);
    const auto h = net.height();
    ASSERT_TRUE(net.wait_height(h + 2));
    z = net.zeta(zeta);
    ASSERT_TRUE(z);
    EXPECT_EQ((*z)["status"], "being_verified") << "one invalid vote of three (threshold 2) decides nothing";
    EXPECT_EQ((*z)["invalid_votes"], 1);
    EXPECT_EQ(net.balance(net.provider_key(1).address()), 0u);
    // The provider's time runs out: a clear pending answer, not a false one.
    const auto pending = answer.get();
    EXPECT_EQ(pending.outcome, wc::SpendOutcome::pending) << pending.reason;
    // The honest verifiers start late, catch up from the first block and vote.
    ASSERT_TRUE(net.start_verifier(1)) << net.why();
    ASSERT_TRUE(net.start_verifier(2)) << net.why();
    for (int i = 0; i < 200; ++i) {
        z = net.zeta(zeta);
        if (z && (*z)["status"] == "spent") break;
        std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(z);
    EXPECT_EQ((*z)["status"], "spent") << net.log("verifier1");
    EXPECT_EQ((*z)["valid_votes"], 2);
    EXPECT_EQ((*z)["invalid_votes"], 1);
    EXPECT_EQ(net.balance(net.provider_key(1).address()), 1u);
    // The provider kept watching: its status answer is now true.
    wc::SpendAnswer final_answer;
    for (int i = 0; i < 50; ++i) {
        auto r = runtime::http_request("127.0.0.1", net.provider_port(1), "GET", "/api/spend-status?zeta=" + zeta);
        ASSERT_TRUE(r);
        final_answer = *wc::parse_spend_answer(r->body);
        if (final_answer.outcome != wc::SpendOutcome::pending) break;
        std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(final_answer.accepted()) << final_answer.reason;
}

TEST(CredentialRecovery, AnIssuerKilledInTheMiddleSkipsNothingAndSignsNothingTwiceDifferently) {
    if (const auto why = ValidatorNet::unavailable(); !why.empty()) GTEST_SKIP() << why;
    // Every service and the client also list a ledger node that is down first: they fail over.
    NetOptions options;
    options.dead_node_first = true;
    CredentialNet net(options);
    ASSERT_TRUE(net.start_all(4)) << net.why();
    net.configure_client({1, 2, 3, 4}, 1);
    // Requests committed while issuer 1 is killed (SIGKILL) and restarted between them.
    for (int round = 0; round < 4; ++round) {
        auto r = net.run_client({"request"});
        ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
        if (round % 2 == 0) {
            net.stop_issuer(1, SIGKILL);
        } else {
            ASSERT_TRUE(net.start_issuer(1)) << net.why();
        }
    }
    // The whole run with issuer 1 down in the middle still ends with true (any 3 of 4 suffice).
    net.stop_issuer(1, SIGKILL);
    auto run = net.run_client({});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    EXPECT_EQ(run.out, "true\n");
    // Five credentials paid for, one spent, credited once.
    EXPECT_EQ(net.balance(net.client_key().address()), 995u);
    EXPECT_EQ(net.balance(net.provider_key(1).address()), 1u);
    ASSERT_TRUE(net.start_issuer(1)) << net.why();
    const auto top = net.height();
    // Issuer 1 catches up; for every height its answers are issuer 2's requests, and asking again
    // after another crash and restart gives byte-identical answers.
    auto blocks = [&](std::size_t issuer) {
        std::vector<std::string> out;
        for (std::uint64_t h = 1; h <= top; ++h) {
            Expected<runtime::HttpResult> r = runtime::http_request(
                "127.0.0.1", net.issuer_port(issuer), "GET", "/api/block-credentials?height=" + std::to_string(h));
            for (int i = 0; i < 100 && r && r->status == 503; ++i) {
                std::this_thread::sleep_for(100ms);
                r = runtime::http_request("127.0.0.1", net.issuer_port(issuer), "GET",
                                          "/api/block-credentials?height=" + std::to_string(h));
            }
            EXPECT_TRUE(r && r->status == 200) << (r ? r->body : r.error().message());
            auto b = wc::parse_block_credentials(r ? r->body : "");
            EXPECT_TRUE(b);
            std::string line = std::to_string(h) + ":";
            if (b)
                for (const auto& p : b->issued)
                    line += util::to_hex(p.gamma) + "=" + util::to_hex(p.blinded_signature) + ";";
            out.push_back(line);
        }
        return out;
    };
    const auto first = blocks(1);
    const auto other = blocks(2);
    std::size_t requests = 0;
    for (std::size_t i = 0; i < first.size(); ++i) {
        // Same gammas in each block (the signatures differ: other keys).
        auto gammas = [](const std::string& line) {
            std::vector<std::string> g;
            std::size_t at = line.find(':') + 1;
            while (at < line.size()) {
                const auto eq = line.find('=', at);
                g.push_back(line.substr(at, eq - at));
                at = line.find(';', eq) + 1;
            }
            return g;
        };
        EXPECT_EQ(gammas(first[i]), gammas(other[i])) << "height " << i + 1;
        requests += gammas(first[i]).size();
    }
    EXPECT_EQ(requests, 5u);
    net.stop_issuer(1, SIGKILL);
    ASSERT_TRUE(net.start_issuer(1)) << net.why();
    EXPECT_EQ(blocks(1), first);
}

// --- privacy: what actually goes over the wire -------------------------------------------------------

bool contains_bytes(std::span<const std::uint8_t> haystack, std::span<const std::uint8_t> needle) {
    return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) != haystack.end();
}

/// The transaction committed in block `height` whose body is a T that `match`es, with its raw bytes.
template <class T, class Match>
std::optional<std::pair<ledger::SignedTx, std::vector<std::uint8_t>>> find_tx(CredentialNet& net, std::uint64_t height,
                                                                              Match match) {
    for (auto& raw : net.block_txs(height)) {
        auto tx = ledger::SignedTx::decode(raw);
        if (!tx) continue;
        if (const auto* body = std::get_if<T>(&tx->tx.body); body && match(*body))
            return std::make_pair(std::move(*tx), std::move(raw));
    }
    return std::nullopt;
}

std::vector<credentials::Credential> wallet(CredentialNet& net, std::size_t client = 0) {
    std::ifstream in(net.client_dir(client) / "wallet.json");
    std::stringstream ss;
    ss << in.rdbuf();
    auto w = credentials::wallet_from_json(ss.str());
    EXPECT_TRUE(w) << (w ? "" : w.error());
    return w ? *w : std::vector<credentials::Credential>{};
}

/// The committed request transaction of a credential (its raw bytes): what every issuer signs from.
std::vector<std::uint8_t> request_on_chain(CredentialNet& net, const credentials::Credential& c) {
    auto found = find_tx<ledger::CredentialRequest>(
        net, c.height, [&](const ledger::CredentialRequest& r) { return r.gamma == c.gamma(); });
    EXPECT_TRUE(found) << "no credential request with gamma " << c.id() << " at height " << c.height;
    return found ? found->second : std::vector<std::uint8_t>{};
}

TEST(CredentialPrivacy, TheRequestOnTheChainCarriesNoPrivateAttribute) {
    if (const auto why = ValidatorNet::unavailable(); !why.empty()) GTEST_SKIP() << why;
    CredentialNet net;
    ASSERT_TRUE(net.start_all(3)) << net.why();
    ASSERT_NO_FATAL_FAILURE(buy_credential(net));
    const auto c = issued_credential(net);
    ASSERT_GT(c.height, 0u);
    // Issuers learn of requests only from the chain: these bytes are all an issuer ever receives
    // of a request (the client's later fetch names only the height and gamma, a public key).
    auto found = find_tx<ledger::CredentialRequest>(
        net, c.height, [&](const ledger::CredentialRequest& r) { return r.gamma == c.gamma(); });
    ASSERT_TRUE(found) << "no credential request with the wallet's gamma at height " << c.height;
    const auto& [tx, raw] = *found;
    EXPECT_EQ(tx.tx.signer, net.client_key().address());
    // The search finds what is there (gamma, the ElGamal public key, is sent in clear; the request
    // carries its points uncompressed)...
    EXPECT_TRUE(contains_bytes(raw, c.elgamal.gamma.to_uncompressed()));
    // ...and finds neither private attribute (serial, holder secret) nor the ElGamal secret, in
    // either byte order.
    for (const auto* secret : {&c.serial, &c.holder_secret, &c.elgamal.d}) {
        auto bytes = secret->to_bytes();
        EXPECT_FALSE(contains_bytes(raw, bytes));
        std::reverse(bytes.begin(), bytes.end());
        EXPECT_FALSE(contains_bytes(raw, bytes));
    }
    // Nor zeta = g1^serial, which would link the spend to this request, nor g1^holder secret.
    // Either encoding of either point.
    for (const auto& p : {coconut::G1::generator() * c.serial, coconut::G1::generator() * c.holder_secret}) {
        EXPECT_FALSE(contains_bytes(raw, p.to_compressed()));
        EXPECT_FALSE(contains_bytes(raw, p.to_uncompressed()));
    }
    // What it does carry: the client's request as prepared, the two private attributes only as
    // ciphertexts, and the public value, kind and chain in clear.
    const auto& body = std::get<ledger::CredentialRequest>(tx.tx.body);
    EXPECT_EQ(body.blind_sign_request, c.request.encode());
    auto decoded = coconut::BlindSignRequest::decode(body.blind_sign_request);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->private_count(), 2u);
    ASSERT_EQ(decoded->public_attributes.size(), 3u);
    EXPECT_TRUE(decoded->public_attributes[0] == coconut::Scalar::from_u64(1));
    EXPECT_TRUE(decoded->public_attributes[1] == chain::kind_attribute());
    EXPECT_TRUE(decoded->public_attributes[2] == chain::chain_attribute(net.options().chain_id));
}

/// Every byte string a spend is made of, by name, except the disclosed public attributes.
std::vector<std::pair<std::string, std::vector<std::uint8_t>>> spend_parts(const coconut::SpendTheta& s) {
    std::vector<std::pair<std::string, std::vector<std::uint8_t>>> out;
    auto add = [&](std::string name, const auto& bytes) {
        out.emplace_back(std::move(name), std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
    };
    add("h", s.theta.h.to_compressed());
    add("s", s.theta.s.to_compressed());
    add("kappa", s.theta.kappa.to_compressed());
    add("c", s.theta.c.to_bytes());
    add("rr", s.theta.rr.to_bytes());
    for (std::size_t i = 0; i < s.theta.rm.size(); ++i) add("rm" + std::to_string(i), s.theta.rm[i].to_bytes());
    add("zeta", s.zeta_bytes());
    add("nonce", s.nonce);
    return out;
}

TEST(CredentialPrivacy, TwoSpendsOfTwoCredentialsFromOneClientShareNothingAProviderCouldLink) {
    if (const auto why = ValidatorNet::unavailable(); !why.empty()) GTEST_SKIP() << why;
    CredentialNet net;
    ASSERT_TRUE(net.start_all(3)) << net.why();
    ASSERT_NO_FATAL_FAILURE(buy_credential(net));
    ASSERT_NO_FATAL_FAILURE(buy_credential(net));
    const auto credentials = wallet(net);
    ASSERT_EQ(credentials.size(), 2u);
    const auto requests = std::vector{request_on_chain(net, credentials[0]), request_on_chain(net, credentials[1])};
    // nymclient spends both at the same provider. What that provider sees of each is the spend it
    // deposits on the chain, byte for byte (deposit = value || spend): read it back from there.
    std::vector<coconut::SpendTheta> spends;
    for (int i = 0; i < 2; ++i) {
        const auto run = net.run_client({"--json", "spend"});
        ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
        const auto j = parse_json(run);
        ASSERT_TRUE(j["result"]["accepted"].get<bool>()) << run.out;
        const auto zeta = util::from_hex(j["result"]["zeta"].get<std::string>());
        ASSERT_TRUE(zeta);
        const auto z = net.zeta(util::to_hex(*zeta));
        ASSERT_TRUE(z);
        const auto height = std::stoull((*z)["deposit_height"].get<std::string>());
        auto deposit = find_tx<ledger::CredentialDeposit>(net, height, [&](const ledger::CredentialDeposit& d) {
            return std::equal(d.zeta.begin(), d.zeta.end(), zeta->begin(), zeta->end());
        });
        ASSERT_TRUE(deposit) << "no deposit of zeta " << util::to_hex(*zeta) << " at height " << height;
        // Signed by the provider; nothing in it names the client's account.
        EXPECT_EQ(deposit->first.tx.signer, net.provider_key(1).address());
        EXPECT_FALSE(contains_bytes(deposit->second, net.client_key().address().bytes));
        auto spend = coconut::SpendTheta::decode(std::get<ledger::CredentialDeposit>(deposit->first.tx.body).spend);
        ASSERT_TRUE(spend);
        // Every part compared below is in the bytes the provider put on the chain.
        for (const auto& [name, bytes] : spend_parts(*spend))
            EXPECT_TRUE(contains_bytes(deposit->second, bytes)) << name << " not found in the deposit";
        spends.push_back(*spend);
    }
    ASSERT_EQ(spends.size(), 2u);
    // The zetas differ, and no group element, scalar or nonce of one spend equals any part of the
    // other or appears in either credential's request on the chain (gamma, commitment, ciphertexts).
    EXPECT_NE(spends[0].zeta_bytes(), spends[1].zeta_bytes());
    const auto a = spend_parts(spends[0]), b = spend_parts(spends[1]);
    for (const auto& [name_a, bytes_a] : a) {
        for (const auto& [name_b, bytes_b] : b) EXPECT_NE(bytes_a, bytes_b) << name_a << " of spend 1 = " << name_b;
        for (const auto& r : requests) EXPECT_FALSE(contains_bytes(r, bytes_a)) << name_a << " of spend 1 in a request";
    }
    for (const auto& [name_b, bytes_b] : b)
        for (const auto& r : requests) EXPECT_FALSE(contains_bytes(r, bytes_b)) << name_b << " of spend 2 in a request";
    // What the two share is what every credential of this value shares: the disclosed value, kind
    // and chain. Serial and holder secret stay hidden in both.
    for (const auto& s : spends) {
        EXPECT_EQ(s.theta.hidden_indices(), (std::vector<std::uint8_t>{0, 1}));
        ASSERT_EQ(s.theta.disclosed.size(), 3u);
        EXPECT_TRUE(s.theta.disclosed[0].value == coconut::Scalar::from_u64(1));
        EXPECT_TRUE(s.theta.disclosed[1].value == chain::kind_attribute());
        EXPECT_TRUE(s.theta.disclosed[2].value == chain::chain_attribute(net.options().chain_id));
    }
    EXPECT_EQ(net.balance(net.provider_key(1).address()), 2u);
}

// --- the whole flow on the 4 validators of tools/validators.py ----------------------------------------

NetOptions four_validators() {
    NetOptions options;
    options.validators = ValidatorNet::NODES;
    return options;
}

/// The validators `nodes` committed one block past the current height with equal app hashes.
void expect_validators_agree(CredentialNet& net, const std::vector<int>& nodes) {
    auto* v = net.validator_net();
    const auto h = net.height();
    for (int k : nodes) ASSERT_TRUE(v->wait_height(k, h + 1, std::chrono::seconds(60))) << "validator " << k;
    const auto hash = v->app_hash_after(nodes.front(), h);
    EXPECT_FALSE(hash.empty());
    for (int k : nodes) EXPECT_EQ(v->app_hash_after(k, h), hash) << "validator " << k << " after height " << h;
}

/// A zeta's state as validator k reports it.
nlohmann::json zeta_on(CredentialNet& net, int k, const credentials::Credential& c) {
    const auto z = c.zeta();
    const auto q = net.validator_net()->query(k, "/zeta", {z.begin(), z.end()});
    EXPECT_EQ(q.code, 0u) << q.log;
    auto j = nlohmann::json::parse(q.value, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << q.value;
    return j;
}

TEST(CredentialFourValidators, TheSeedFlowEndsWithTrueAndEveryValidatorAgrees) {
    if (const auto why = ValidatorNet::unavailable(); !why.empty()) GTEST_SKIP() << why;
    CredentialNet net(four_validators());
    ASSERT_TRUE(net.start_all(5)) << net.why();
    auto* v = net.validator_net();
    net.configure_client({1, 2, 3, 4, 5}, 1);
    const auto client = net.client_key().address();
    const auto p1 = net.provider_key(1).address(), p2 = net.provider_key(2).address();
    for (int k = 0; k < ValidatorNet::NODES; ++k) ASSERT_EQ(v->account(k, client).first, 1000u);

    auto run = net.run_client({"--json"});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err << net.log("provider1") << net.log("verifier1");
    auto j = parse_json(run);
    EXPECT_TRUE(j["ok"].get<bool>());
    EXPECT_TRUE(j["result"]["accepted"].get<bool>());
    EXPECT_EQ(step_names(j),
              (std::vector<std::string>{"connect to the Nym ledger", "pipe tokens into Nym", "request credential",
                                        "fetch partial credentials", "unblind", "aggregate", "re-randomize",
                                        "spend credential", "provider answer"}));
    // A second credential, spent at the other provider.
    net.configure_client({1, 2, 3, 4, 5}, 2);
    run = net.run_client({});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err << net.log("provider2");
    EXPECT_EQ(run.out, "true\n");

    const auto spent = wallet(net);
    ASSERT_EQ(spent.size(), 2u);
    ASSERT_NO_FATAL_FAILURE(expect_validators_agree(net, {0, 1, 2, 3}));
    for (int k = 0; k < ValidatorNet::NODES; ++k) {
        EXPECT_EQ(v->account(k, client).first, 998u) << "validator " << k;
        EXPECT_EQ(v->account(k, p1).first, 1u) << "validator " << k;
        EXPECT_EQ(v->account(k, p2).first, 1u) << "validator " << k;
        for (std::size_t i = 0; i < 2; ++i) {
            const auto z = zeta_on(net, k, spent[i]);
            EXPECT_EQ(z["status"], "spent") << "validator " << k;
            EXPECT_EQ(z["provider"], (i == 0 ? p1 : p2).to_hex()) << "validator " << k;
            EXPECT_EQ(z["value"], "1");
            EXPECT_EQ(z["valid_votes"], 2);
            EXPECT_EQ(z["invalid_votes"], 0);
        }
    }
}

/// The outcome of a whole run or a spend at provider `i`: `true`, or, if the provider's time ran out
/// while the crash held up the votes (a clean "pending" answer), its spend-status once the
/// verifiers' resent votes decide (the clean, retried outcome). Anything else fails the test.
bool ends_accepted(CredentialNet& net, std::size_t i, const ClientRun& run) {
    const auto j = parse_json(run);
    if (j.is_discarded() || !j.contains("result") || !j["result"].is_object()) {
        ADD_FAILURE() << "not an answer from the provider: " << run.out << run.err;
        return false;
    }
    if (j["result"].value("accepted", false)) {
        EXPECT_EQ(run.exit_code, 0);
        return true;
    }
    if (j["result"].value("outcome", "") != "pending") {
        ADD_FAILURE() << "refused: " << run.out;
        return false;
    }
    EXPECT_EQ(run.exit_code, 3) << "a pending answer has its own exit code";
    const std::string zeta = j["result"].value("zeta", "");
    std::cout << "[ note     ] the provider answered pending; asking its spend-status\n";
    for (int k = 0; k < 600; ++k) {
        auto r = runtime::http_request("127.0.0.1", net.provider_port(i), "GET", "/api/spend-status?zeta=" + zeta);
        auto a = wc::parse_spend_answer(r ? r->body : "");
        if (a && a->outcome != wc::SpendOutcome::pending) {
            EXPECT_TRUE(a->accepted()) << a->reason;
            return a->accepted();
        }
        std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "still pending a minute later";
    return false;
}

TEST(CredentialFourValidators, AValidatorAndAnIssuerKilledInTheMiddleStillEndWithTrueAndNeverCreditTwice) {
    if (const auto why = ValidatorNet::unavailable(); !why.empty()) GTEST_SKIP() << why;
    CredentialNet net(four_validators());
    ASSERT_TRUE(net.start_all(5)) << net.why();
    auto* v = net.validator_net();
    net.configure_client({1, 2, 3, 4, 5}, 1);
    const auto client = net.client_key().address();
    const auto p1 = net.provider_key(1).address(), p2 = net.provider_key(2).address();

    // 1. While the client collects its partial credentials: once its request is debited on the
    // chain, validator 0 (first in every service's and the client's node list) and issuer 1 crash.
    auto whole = std::async(std::launch::async, [&] { return net.run_client({"--json"}); });
    bool debited = false;
    for (int i = 0; i < 1500 && !debited; ++i) {
        const auto b = net.balance(client);
        debited = b && *b < 1000;
        if (!debited) std::this_thread::sleep_for(20ms);
    }
    ASSERT_TRUE(debited);
    net.stop_validator(0, SIGKILL);
    net.stop_issuer(1, SIGKILL);
    EXPECT_EQ(whole.wait_for(0s), std::future_status::timeout) << "the run ended before the crash";
    auto run = whole.get();
    ASSERT_TRUE(ends_accepted(net, 1, run)) << run.out << run.err << net.log("provider1");

    // 2. While the provider waits for the verifiers: both come back (validator 0 catches up), a
    // second credential is bought, and once its deposit is on the chain validator 0 and issuer 2 crash.
    ASSERT_TRUE(net.start_validator(0)) << net.why();
    ASSERT_TRUE(net.start_issuer(1)) << net.why();
    ASSERT_TRUE(v->wait_height(0, net.height(), std::chrono::seconds(60))) << v->log_tail("node0");
    ASSERT_NO_FATAL_FAILURE(buy_credential(net));
    const auto bought = wallet(net);
    ASSERT_EQ(bought.size(), 2u);
    const auto& second = bought.back();
    ASSERT_EQ(second.state, credentials::CredentialState::issued);
    const auto second_zeta = util::to_hex(second.zeta());
    auto spend = std::async(std::launch::async, [&] {
        return net.run_client({"--json", "spend", "--credential", second.id()});
    });
    bool deposited = false;
    for (int i = 0; i < 1500 && !deposited; ++i) {
        deposited = net.zeta(second_zeta).has_value();
        if (!deposited) std::this_thread::sleep_for(20ms);
    }
    ASSERT_TRUE(deposited);
    net.stop_validator(0, SIGKILL);
    net.stop_issuer(2, SIGKILL);
    EXPECT_EQ(spend.wait_for(0s), std::future_status::timeout) << "the spend ended before the crash";
    run = spend.get();
    ASSERT_TRUE(ends_accepted(net, 1, run)) << run.out << run.err << net.log("provider1") << net.log("verifier1");

    // 3. Never a credited double spend: fresh shows of both credentials at either provider are
    // refused, and the chain holds exactly two debits, two credits to provider 1, two spent zetas.
    const auto spent = wallet(net);
    ASSERT_EQ(spent.size(), 2u);
    for (const auto& c : spent)
        for (std::size_t provider : {1u, 2u}) {
            const auto answer = post_spend(net, provider, spend_body(net, c, provider));
            EXPECT_FALSE(answer.accepted()) << "credential " << c.id() << " at provider " << provider;
        }
    // Validator 0 comes back and catches up; all four agree.
    ASSERT_TRUE(net.start_validator(0)) << net.why();
    ASSERT_NO_FATAL_FAILURE(expect_validators_agree(net, {0, 1, 2, 3}));
    for (int k = 0; k < ValidatorNet::NODES; ++k) {
        EXPECT_EQ(v->account(k, client).first, 998u) << "validator " << k;
        EXPECT_EQ(v->account(k, p1).first, 2u) << "validator " << k;
        EXPECT_EQ(v->account(k, p2).first, 0u) << "validator " << k;
        for (const auto& c : spent) {
            const auto z = zeta_on(net, k, c);
            EXPECT_EQ(z["status"], "spent") << "validator " << k;
            EXPECT_EQ(z["provider"], p1.to_hex()) << "validator " << k;
            EXPECT_EQ(z["valid_votes"], 2);
        }
    }
}

} // namespace
} // namespace nym::functional
