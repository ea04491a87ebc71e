// nym-loadgen: pushes Sphinx packets at a given rate through one mix node on loopback and reports
// the throughput it sustains and the latency it adds, next to the pure per-hop Sphinx processing
// rate measured in the same run (docs/performance.md "Mix node throughput").
//
// By default it runs its own nym-mixnode (init into a temporary root, `run --workers 1`); with
// --target/--target-key it drives a node that is already running. Either way it plays the next hop
// itself: packets are routed [node, this process] with zero delays, and each arrival is matched to
// its send time by the α the node forwards it with (src/loadgen/load.hpp).

#include <loadgen/bench.hpp>

// GCC 12 reports a false "potential null pointer dereference" in std::string moves inlined into
// CLI11's header-only helpers (as in apps/nym-mixnode/main.cpp).
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
    CLI::App app{"nym-loadgen: Sphinx packets at a given rate through one mix node on loopback; throughput and "
                 "added latency against the pure per-hop processing rate"};
    nym::loadgen::Settings s;
    app.add_option("--mixnode-bin", s.mixnode_bin, "nym-mixnode to spawn (default: next to this executable)");
    app.add_option("--target", s.target, "drive a running node at IP:PORT instead of spawning one");
    app.add_option("--target-key", s.target_key, "that node's Sphinx public key (base58)");
    app.add_option("--target-pid", s.target_pid, "that node's pid, to report its threads' CPU use");
    app.add_option("--directory-port", s.directory_port,
                   "serve the node's topology (the sink as its next hop) on this port; a --target node must "
                   "run with --directory http://127.0.0.1:PORT")
        ->capture_default_str();
    app.add_option("--rate", s.rate, "packets per second offered (single run)")->capture_default_str();
    app.add_option("--duration", s.duration, "measured window per run")->capture_default_str();
    app.add_option("--warmup", s.warmup, "unmeasured lead-in per run")->capture_default_str();
    app.add_option("--drain", s.drain, "longest wait for stragglers after the last send")->capture_default_str();
    app.add_option("--connections", s.connections, "TCP connections to the node")->capture_default_str();
    app.add_flag("--find-max", s.find_max, "search the highest sustained rate, then measure at half of it");
    app.add_option("--max-loss", s.max_loss, "largest loss fraction a sustained rate may have")->capture_default_str();
    app.add_option("--max-p99-ms", s.max_p99_ms,
                   "largest p99 latency (ms) a sustained rate may have: a growing "
                   "queue shows here first")
        ->capture_default_str();
    app.add_option("--resolution", s.resolution, "search step, as a fraction of the pure rate")->capture_default_str();
    app.add_option("--confirm-duration", s.confirm_duration, "window of the confirming run at the maximum")
        ->capture_default_str();
    app.add_option("--half-duration", s.half_duration, "window of the run at half the maximum")->capture_default_str();
    app.add_option("--pure-duration", s.pure_duration, "length of each in-process Sphinx measurement")
        ->capture_default_str();
    app.add_option("--workers", s.workers, "worker threads of the spawned node")->capture_default_str();
    app.add_option("--node-cpus", s.node_cpus, "run the spawned node under taskset -c LIST");
    app.add_option("--node-wrapper", s.node_wrapper,
                   "run the spawned node under this command, e.g. \"valgrind --tool=callgrind\" (tools/profile-mixnode.sh)");
    app.add_option("--node-args", s.node_args, "more arguments for the spawned node's `run`, e.g. \"--metrics-interval 60s\"");
    app.add_option("--node-log-level", s.node_log_level, "log level of the spawned node")->capture_default_str();
    app.add_flag("--json", s.json_output, "print the report as JSON on stdout (progress on stderr)");
    app.add_flag("--keep-root", s.keep_root, "keep the spawned node's temporary folder (keys, logs)");
    app.add_flag("--quiet", s.quiet, "no progress lines");
    app.set_version_flag("--version", std::string("nym-loadgen ") + NYM_VERSION);
    CLI11_PARSE(app, argc, argv);
    return nym::loadgen::run(s, argv[0]);
}
