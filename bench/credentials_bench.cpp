// The credential services on a local ledger (one CometBFT validator with nym-validator, the seed's
// 3-of-5 issuers, 2 verifiers, 2 providers; real processes on loopback):
//
//   issuer throughput   N credential requests are committed while issuer 1 is down; issuer 1 is
//                       then started pinned to one CPU (taskset, one signing worker) and catches up.
//                       Credentials issued per second = N / (time from its first answer on
//                       /api/status to processed_height covering the last request). The floor,
//                       1/BlindSign, is measured in this process on the same CPU over the same
//                       requests just before, so the ratio compares numbers taken seconds apart.
//   client latency      nymclient runs (--json, each step's time since start): request → aggregated
//                       credential and spend → provider's answer, in ms and in block intervals (the
//                       chain's mean interval measured over the run).
//
//   bench_credentials [--requests N] [--runs K] [--cpu C] [--block-interval-ms B]   (JSON on stdout)
#include <crypto/rng.hpp>
#include <ledger/tx.hpp>
#include <runtime/blocking.hpp>
#include <util/hex.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chain/credential.hpp>
#include <chrono>
#include <credentials/credential.hpp>
#include <cstdio>
#include <fstream>
#include <sched.h>
#include <thread>
#include <wire/credentials.hpp>

#include "../tests/functional/credential_net.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nym::functional::CredentialNet;

double ms_since(Clock::time_point t0, Clock::time_point t1) {
    return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

std::string read_file(const char* path) {
    std::ifstream in(path);
    std::string s;
    std::getline(in, s);
    return s;
}

std::uint64_t processed_height(CredentialNet& net, std::size_t issuer, bool& answered) {
    auto r = nym::runtime::http_request("127.0.0.1", net.issuer_port(issuer), "GET", "/api/status");
    answered = r && r->status == 200;
    if (!answered) return 0;
    auto s = nym::wire::credentials::parse_issuer_status(r->body);
    return s ? s->processed_height : 0;
}

std::uint64_t block_time_ms(std::uint16_t rpc_port, std::uint64_t height) {
    auto r = nym::runtime::http_request("127.0.0.1", rpc_port, "GET", "/block?height=" + std::to_string(height));
    if (!r) return 0;
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (j.is_discarded()) return 0;
    const std::string t = j["result"]["block"]["header"]["time"].get<std::string>(); // 2026-01-01T00:00:00.123456789Z
    std::tm tm{};
    strptime(t.substr(0, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    const auto seconds = static_cast<std::uint64_t>(timegm(&tm));
    std::uint64_t ms = 0;
    if (t.size() > 20 && t[19] == '.') ms = std::stoull((t.substr(20, 3) + "000").substr(0, 3));
    return seconds * 1000 + ms;
}

double step_at(const nlohmann::json& run, const std::string& name) {
    for (const auto& s : run["steps"])
        if (s["step"] == name) return s["at_ms"].get<double>();
    return -1;
}

} // namespace

int main(int argc, char** argv) {
    std::size_t requests = 200, runs = 5;
    int cpu = 1;
    long interval_ms = 1000;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--requests")
            requests = std::stoul(argv[i + 1]);
        else if (flag == "--runs")
            runs = std::stoul(argv[i + 1]);
        else if (flag == "--cpu")
            cpu = std::stoi(argv[i + 1]);
        else if (flag == "--block-interval-ms")
            interval_ms = std::stol(argv[i + 1]);
    }
    nym::functional::NetOptions options;
    options.block_interval = std::chrono::milliseconds(interval_ms);
    options.issuer_cpus = std::to_string(cpu);
    options.client_balance = 1'000'000;
    CredentialNet net(options);
    if (!net.prepare() || !net.start_ledger()) {
        std::fprintf(stderr, "bench_credentials: %s\n", net.why().c_str());
        return 1;
    }
    for (std::size_t i = 2; i <= 3; ++i)
        if (!net.start_issuer(i)) return std::fprintf(stderr, "bench_credentials: %s\n", net.why().c_str()), 1;
    for (std::size_t i = 1; i <= 2; ++i)
        if (!net.start_verifier(i) || !net.start_provider(i))
            return std::fprintf(stderr, "bench_credentials: %s\n", net.why().c_str()), 1;
    const std::string load_before = read_file("/proc/loadavg");

    // N requests from the client's account, committed while issuer 1 is down.
    std::fprintf(stderr, "bench_credentials: preparing %zu credential requests\n", requests);
    nym::crypto::SystemRng rng;
    std::vector<nym::coconut::BlindSignRequest> prepared;
    for (std::size_t n = 0; n < requests; ++n) {
        auto c = *nym::credentials::prepare_credential(1, options.chain_id, rng);
        nym::ledger::Tx tx;
        tx.nonce = n;
        tx.body = *nym::credentials::request_transaction(c);
        const auto bytes = nym::ledger::sign_tx(tx, options.chain_id, net.client_key()).encode();
        if (net.broadcast(bytes) != 0u) return std::fprintf(stderr, "bench_credentials: request %zu refused\n", n), 1;
        prepared.push_back(c.request);
    }
    std::uint64_t last_height = 0;
    for (int i = 0; i < 600 && !last_height; ++i) {
        std::this_thread::sleep_for(100ms);
        const auto h = net.height();
        const auto balance = net.balance(net.client_key().address());
        if (balance && *balance == options.client_balance - requests) last_height = h;
    }
    if (!last_height) return std::fprintf(stderr, "bench_credentials: the requests were not committed\n"), 1;

    // The floor on the issuer's CPU: BlindSign over the same requests (decoded, as coconut_bench does).
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(static_cast<std::size_t>(cpu), &set);
    sched_setaffinity(0, sizeof set, &set);
    const auto& key = net.issuer_keys()[0].secret;
    const auto f0 = Clock::now();
    for (const auto& r : prepared) (void)nym::coconut::blind_sign(nym::chain::credential_parameters(), key, r);
    const double blind_sign_ms = ms_since(f0, Clock::now()) / static_cast<double>(requests);
    const auto d0 = Clock::now();
    for (const auto& r : prepared) (void)nym::coconut::BlindSignRequest::decode(r.encode());
    const double decode_ms = ms_since(d0, Clock::now()) / static_cast<double>(requests);
    CPU_ZERO(&set);
    for (std::size_t c = 0; c < CPU_SETSIZE; ++c) CPU_SET(c, &set);
    sched_setaffinity(0, sizeof set, &set);

    // Issuer 1 catches up, pinned to that CPU.
    std::fprintf(stderr, "bench_credentials: %zu requests committed by height %llu; starting issuer 1 on CPU %d\n",
                 requests, static_cast<unsigned long long>(last_height), cpu);
    if (!net.start_issuer(1)) return std::fprintf(stderr, "bench_credentials: %s\n", net.why().c_str()), 1;
    bool answered = false;
    auto t_first = Clock::now();
    for (int i = 0; i < 1000 && !answered; ++i) {
        (void)processed_height(net, 1, answered);
        t_first = Clock::now();
        if (!answered) std::this_thread::sleep_for(5ms);
    }
    Clock::time_point t_done{};
    for (int i = 0; i < 60000; ++i) {
        bool ok = false;
        if (processed_height(net, 1, ok) >= last_height) {
            t_done = Clock::now();
            break;
        }
        std::this_thread::sleep_for(5ms);
    }
    if (t_done == Clock::time_point{}) return std::fprintf(stderr, "bench_credentials: issuer 1 did not catch up\n"), 1;
    const double issue_ms = ms_since(t_first, t_done);
    const double per_second = static_cast<double>(requests) * 1000.0 / issue_ms;
    const double floor_per_second = 1000.0 / blind_sign_ms;

    // Client runs.
    std::vector<double> to_credential, to_answer;
    const auto h0 = net.height();
    const auto run0 = Clock::now();
    for (std::size_t k = 0; k < runs; ++k) {
        auto run = net.run_client({"--json"});
        auto j = nlohmann::json::parse(run.out, nullptr, false);
        if (run.exit_code != 0 || j.is_discarded())
            return std::fprintf(stderr, "bench_credentials: nymclient failed: %s %s\n", run.out.c_str(),
                                run.err.c_str()),
                   1;
        to_credential.push_back(step_at(j, "aggregate") - step_at(j, "pipe tokens into Nym"));
        to_answer.push_back(step_at(j, "provider answer") - step_at(j, "spend credential"));
    }
    (void)run0;
    const auto h1 = net.height();
    const double interval =
        h1 > h0 + 1 ? static_cast<double>(block_time_ms(net.rpc_port(), h1) - block_time_ms(net.rpc_port(), h0)) /
                          static_cast<double>(h1 - h0)
                    : static_cast<double>(interval_ms);
    auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v.empty() ? 0.0 : v[v.size() / 2];
    };
    auto maximum = [](const std::vector<double>& v) { return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()); };
    nlohmann::json report{
        {"requests", requests},
        {"issuer_cpu", cpu},
        {"blind_sign_ms", blind_sign_ms},
        {"request_decode_ms", decode_ms},
        {"floor_credentials_per_second", floor_per_second},
        {"issuer_catch_up_ms", issue_ms},
        {"issuer_credentials_per_second", per_second},
        {"issuer_ratio_to_floor", per_second / floor_per_second},
        {"block_interval_ms", interval},
        {"configured_block_interval_ms", interval_ms},
        {"client_runs", runs},
        {"request_to_credential_ms", {{"median", median(to_credential)}, {"max", maximum(to_credential)}}},
        {"spend_to_answer_ms", {{"median", median(to_answer)}, {"max", maximum(to_answer)}}},
        {"request_to_credential_blocks", median(to_credential) / interval},
        {"spend_to_answer_blocks", {{"median", median(to_answer) / interval}, {"max", maximum(to_answer) / interval}}},
        {"loadavg_before", load_before},
        {"loadavg_after", read_file("/proc/loadavg")},
    };
    std::printf("%s\n", report.dump(2).c_str());
    std::fprintf(
        stderr,
        "issuer: %.1f credentials/s on one CPU, floor 1/BlindSign %.1f/s (BlindSign %.3f ms, request decode %.3f ms): "
        "ratio %.2f\nclient: request -> credential %.0f ms (%.2f blocks), spend -> answer %.0f ms (%.2f blocks, max "
        "%.2f); "
        "block interval %.0f ms\n",
        per_second, floor_per_second, blind_sign_ms, decode_ms, per_second / floor_per_second, median(to_credential),
        median(to_credential) / interval, median(to_answer), median(to_answer) / interval,
        maximum(to_answer) / interval, interval);
    return 0;
}
