// The credential services end to end on a local ledger (one CometBFT validator with nym-validator),
// with the seed's 3-of-5 issuers, 2 verifiers and 2 providers, all real processes on loopback:
// nymclient's whole sequence, the ledger's balances and zeta states, and the privacy and safety
// properties that need the running system.
#include <crypto/rng.hpp>
#include <ledger/tx.hpp>
#include <runtime/blocking.hpp>
#include <util/hex.hpp>

#include <gtest/gtest.h>

#include <credentials/credential.hpp>
#include <csignal>
#include <fstream>
#include <future>
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

} // namespace
} // namespace nym::functional
