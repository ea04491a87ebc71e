#pragma once
// The load generator's measurement procedure (docs/performance.md "Mix node throughput"): set up the
// node under test (spawned or attached) and the sink, measure the pure per-hop Sphinx rate, run one
// step at a fixed rate or search the highest sustained rate and measure at half of it, and report
// (a table on stdout, or JSON).

#include <string>

namespace nym::loadgen {

/// What the command line sets (nym-loadgen --help describes each).
struct Settings {
    std::string mixnode_bin;
    std::string target;
    std::string target_key;
    int target_pid = 0;
    int directory_port = 0; ///< where the topology for the node is served (0 = any free port)
    double rate = 1000;
    std::string duration = "3s";
    std::string warmup = "1s";
    std::string drain = "3s";
    unsigned connections = 1;
    bool find_max = false;
    double max_loss = 0.001;
    double max_p99_ms = 20;
    double resolution = 0.02;
    std::string confirm_duration = "10s";
    std::string half_duration = "10s";
    std::string pure_duration = "2s";
    unsigned workers = 1;
    std::string node_cpus;
    std::string node_wrapper;
    std::string node_args;
    std::string node_log_level = "warn";
    bool json_output = false;
    bool keep_root = false;
    bool quiet = false;
};

/// Runs the measurement and prints its report; the process exit code (0 ok, 1 failed, 2 bad
/// settings). `argv0` locates nym-mixnode when mixnode_bin is empty.
[[nodiscard]] int run(const Settings& settings, const char* argv0);

} // namespace nym::loadgen
