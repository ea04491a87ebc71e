// The credential services on a local ledger (one CometBFT validator with nym-validator, or with
// --validators 4 the network of tools/validators.py; the seed's 3-of-5 issuers, 2 verifiers,
// 2 providers; real processes on loopback):
//
//   issuer throughput   N credential requests are committed while issuer 1 is down; issuer 1 is
//                       then started pinned to one CPU (taskset, one signing worker) and catches up.
//                       Credentials issued per second = N / (time from its first answer on
//                       /api/status to processed_height covering the last request). The floor,
//                       1/BlindSign, is measured in this process on the same CPU over the same
//                       requests just before; three interleaved repetitions, the minimum of each kept.
//   client latency      nymclient runs (--json, each step's time since start): request → aggregated
//                       credential and spend → provider's answer, in ms and in block intervals (the
//                       chain's mean interval measured over the run).
//
//   bench_credentials [--requests N] [--runs K] [--cpu C] [--block-interval-ms B] [--validators 1|4]
//                                                                                   (JSON on stdout)
#include <crypto/rng.hpp>
#include <ledger/tx.hpp>
#include <runtime/blocking.hpp>
#include <util/hex.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chain/credential.hpp>
#include <chrono>
#include <credentials/credential.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sched.h>
#include <thread>
#include <time.h>
#include <unistd.h>
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

/// CPU time of every thread of a process so far (ns), from /proc/<pid>/task/*/schedstat.
double process_cpu_ms(int pid) {
    double ns = 0;
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
        std::ifstream in(task.path() / "schedstat");
        double on_cpu = 0;
        if (in >> on_cpu) ns += on_cpu;
    }
    return ns / 1e6;
}

double thread_cpu_ms() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1000.0 + static_cast<double>(ts.tv_nsec) / 1e6;
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
    int validators = 1;
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
        else if (flag == "--validators")
            validators = std::stoi(argv[i + 1]);
    }
    if (validators != 1 && validators != nym::functional::ValidatorNet::NODES)
        return std::fprintf(stderr, "bench_credentials: --validators is 1 or 4\n"), 2;
    nym::functional::NetOptions options;
    options.block_interval = std::chrono::milliseconds(interval_ms);
    options.issuer_cpus = std::to_string(cpu);
    options.client_balance = 1'000'000;
    options.validators = validators;
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

    // Interleaved repetitions on one CPU: the floor (BlindSign over the same requests, decoded as
    // coconut_bench measures it), then issuer 1 catching up from an empty database, pinned there.
    // The minimum of each over the repetitions is kept (the machine is shared).
    const auto& key = net.issuer_keys()[0].secret;
    const std::size_t repetitions = 3;
    std::vector<double> floors, decodes, catch_ups, floors_cpu, catch_ups_cpu;
    for (std::size_t rep = 0; rep < repetitions; ++rep) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(static_cast<std::size_t>(cpu), &set);
        sched_setaffinity(0, sizeof set, &set);
        const auto f0 = Clock::now();
        const double c0 = thread_cpu_ms();
        for (const auto& r : prepared) (void)nym::coconut::blind_sign(nym::chain::credential_parameters(), key, r);
        floors.push_back(ms_since(f0, Clock::now()) / static_cast<double>(requests));
        floors_cpu.push_back((thread_cpu_ms() - c0) / static_cast<double>(requests));
        const auto d0 = Clock::now();
        for (const auto& r : prepared) (void)nym::coconut::BlindSignRequest::decode(r.encode());
        decodes.push_back(ms_since(d0, Clock::now()) / static_cast<double>(requests));
        // While the issuer works, this process (polling its status) stays off its CPU.
        CPU_ZERO(&set);
        const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        for (long c = 0; c < cpus; ++c)
            if (c != cpu) CPU_SET(static_cast<std::size_t>(c), &set);
        if (CPU_COUNT(&set) == 0) CPU_SET(static_cast<std::size_t>(cpu), &set);
        sched_setaffinity(0, sizeof set, &set);

        net.stop_issuer(1, SIGTERM);
        std::filesystem::remove_all(net.dir() / "issuers" / "issuer1" / "data");
        std::fprintf(stderr, "bench_credentials: %zu requests committed by height %llu; issuer 1 on CPU %d (%zu/%zu)\n",
                     requests, static_cast<unsigned long long>(last_height), cpu, rep + 1, repetitions);
        if (!net.start_issuer(1)) return std::fprintf(stderr, "bench_credentials: %s\n", net.why().c_str()), 1;
        bool answered = false;
        auto t_first = Clock::now();
        double cpu_first = 0;
        for (int i = 0; i < 1000 && !answered; ++i) {
            (void)processed_height(net, 1, answered);
            t_first = Clock::now();
            cpu_first = process_cpu_ms(net.pid("issuer1"));
            if (!answered) std::this_thread::sleep_for(5ms);
        }
        Clock::time_point t_done{};
        for (int i = 0; i < 60000; ++i) {
            bool ok = false;
            if (processed_height(net, 1, ok) >= last_height) {
                t_done = Clock::now();
                catch_ups_cpu.push_back(process_cpu_ms(net.pid("issuer1")) - cpu_first);
                break;
            }
            std::this_thread::sleep_for(5ms);
        }
        if (t_done == Clock::time_point{})
            return std::fprintf(stderr, "bench_credentials: issuer 1 did not catch up\n"), 1;
        catch_ups.push_back(ms_since(t_first, t_done));
    }
    {
        cpu_set_t all;
        CPU_ZERO(&all);
        for (std::size_t c = 0; c < CPU_SETSIZE; ++c) CPU_SET(c, &all);
        sched_setaffinity(0, sizeof all, &all);
    }
    const double blind_sign_ms = *std::min_element(floors.begin(), floors.end());
    const double decode_ms = *std::min_element(decodes.begin(), decodes.end());
    const double issue_ms = *std::min_element(catch_ups.begin(), catch_ups.end());
    const double per_second = static_cast<double>(requests) * 1000.0 / issue_ms;
    const double floor_per_second = 1000.0 / blind_sign_ms;
    // The same on CPU time: the issuer process's (every thread) against the floor loop's thread.
    const double blind_sign_cpu_ms = *std::min_element(floors_cpu.begin(), floors_cpu.end());
    const double issue_cpu_ms = *std::min_element(catch_ups_cpu.begin(), catch_ups_cpu.end());
    const double per_cpu_second = static_cast<double>(requests) * 1000.0 / issue_cpu_ms;
    const double floor_per_cpu_second = 1000.0 / blind_sign_cpu_ms;

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
        {"repetitions", repetitions},
        {"blind_sign_ms_each", floors},
        {"issuer_catch_up_ms_each", catch_ups},
        {"blind_sign_ms", blind_sign_ms},
        {"request_decode_ms", decode_ms},
        {"floor_credentials_per_second", floor_per_second},
        {"issuer_catch_up_ms", issue_ms},
        {"issuer_credentials_per_second", per_second},
        {"issuer_ratio_to_floor", per_second / floor_per_second},
        {"blind_sign_cpu_ms_each", floors_cpu},
        {"issuer_catch_up_cpu_ms_each", catch_ups_cpu},
        {"issuer_credentials_per_cpu_second", per_cpu_second},
        {"floor_credentials_per_cpu_second", floor_per_cpu_second},
        {"issuer_cpu_ratio_to_floor", per_cpu_second / floor_per_cpu_second},
        {"block_interval_ms", interval},
        {"configured_block_interval_ms", interval_ms},
        {"validators", validators},
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
