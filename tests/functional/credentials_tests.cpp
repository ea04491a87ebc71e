// The credential services end to end on a local ledger (one CometBFT validator with nym-validator),
// with the seed's 3-of-5 issuers, 2 verifiers and 2 providers, all real processes on loopback:
// nymclient's whole sequence, the ledger's balances and zeta states, and the privacy and safety
// properties that need the running system.
#include "credential_net.hpp"

#include <ledger/tx.hpp>
#include <runtime/blocking.hpp>
#include <util/hex.hpp>
#include <wire/credentials.hpp>

#include <gtest/gtest.h>

#include <csignal>

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
    EXPECT_EQ(step_names(j), (std::vector<std::string>{"connect to the Nym ledger", "pipe tokens into Nym", "request credential",
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

} // namespace
} // namespace nym::functional
