#include <loadgen/bench.hpp>

#include <loadgen/directory_stub.hpp>
#include <loadgen/load.hpp>
#include <loadgen/node_process.hpp>

#include <crypto/base58.hpp>
#include <util/duration.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace nym::loadgen {
namespace {


using json = nlohmann::json;

// The targets of docs/performance.md "Mix node throughput".
constexpr double TARGET_SUSTAINED = 0.90;     ///< max sustained rate / pure rate, at least
constexpr double TARGET_HALF_P99_US = 500;    ///< p99 at half the maximum, at most
constexpr double TARGET_CPU_AT_MAX = 1.15;    ///< node CPU per packet / pure hop CPU at the maximum, at most
constexpr double TARGET_CPU_AT_HALF = 1.25;   ///< the same at half the maximum

std::string read_first_line(const char* path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            return colon == std::string::npos ? line : line.substr(colon + 2);
        }
    }
    return "unknown";
}

double load_average() {
    const std::string line = read_first_line("/proc/loadavg");
    return std::strtod(line.c_str(), nullptr);
}

double process_cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& tv) {
        return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}


/// One measured step plus what the node's threads and this process did meanwhile.
struct Probe {
    std::string phase; ///< search / confirm / half-load / single
    StepResult result;
    pid_t node_pid = 0;
    std::vector<ThreadUse> node_threads; ///< per node thread, busiest first
    double node_cpu = 0;                 ///< all node threads (cores) over the window
    double forwarded = 0;                ///< packets the sink received during the window
    double loadgen_cpu = 0;              ///< this process's CPU (cores) over the window
    bool passed = false;
    std::string verdict;

    /// The node's thread CPU per forwarded packet (µs), 0 when unknown.
    [[nodiscard]] double cpu_us_per_packet() const {
        double seconds = 0;
        for (const auto& t : node_threads) seconds += t.cpu_seconds;
        return forwarded > 0 ? seconds * 1e6 / forwarded : 0;
    }
    /// Context switches of the node's threads per forwarded packet (each voluntary one is a sleep
    /// and a wake-up).
    [[nodiscard]] double switches_per_packet() const {
        std::uint64_t n = 0;
        for (const auto& t : node_threads) n += t.switches;
        return forwarded > 0 ? static_cast<double>(n) / forwarded : 0;
    }
    [[nodiscard]] std::vector<double> utilisation() const {
        std::vector<double> out;
        for (const auto& t : node_threads) out.push_back(t.cpu);
        return out;
    }
};

/// "io" for the node's main thread (its event loop), "worker" for the others.
std::string thread_role(const Probe& probe, const ThreadUse& t) { return t.tid == probe.node_pid ? "io" : "worker"; }

json to_json(const Percentiles& p) {
    return {{"p50_us", p.p50},    {"p90_us", p.p90}, {"p99_us", p.p99},
            {"p99_9_us", p.p999}, {"max_us", p.max}, {"mean_us", p.mean}};
}

json to_json(const Probe& probe, double pure_cpu_us) {
    const auto& r = probe.result;
    json threads = json::array();
    for (const auto& t : probe.node_threads) {
        threads.push_back({{"tid", t.tid},
                           {"role", thread_role(probe, t)},
                           {"cpu", t.cpu},
                           {"cpu_us_per_packet", probe.forwarded > 0 ? t.cpu_seconds * 1e6 / probe.forwarded : 0.0},
                           {"switches_per_packet",
                            probe.forwarded > 0 ? static_cast<double>(t.switches) / probe.forwarded : 0.0}});
    }
    json j = {{"phase", probe.phase},
              {"offered_rate", r.offered_rate},
              {"send_rate", r.send_rate},
              {"throughput", r.throughput},
              {"sent", r.sent},
              {"received", r.received},
              {"loss", r.loss},
              {"latency", to_json(r.latency)},
              {"sender_late_p99_us", r.sender_late_p99_us},
              {"unmatched_frames", r.unmatched},
              {"node_thread_cpu", probe.utilisation()},
              {"node_threads", threads},
              {"node_cpu", probe.node_cpu},
              {"node_cpu_us_per_packet", probe.cpu_us_per_packet()},
              {"cpu_ratio", pure_cpu_us > 0 ? probe.cpu_us_per_packet() / pure_cpu_us : 0.0},
              {"node_switches_per_packet", probe.switches_per_packet()},
              {"loadgen_cpu", probe.loadgen_cpu},
              {"passed", probe.passed},
              {"verdict", probe.verdict}};
    if (!r.error.empty()) j["error"] = r.error;
    return j;
}

std::string format_threads(const std::vector<double>& threads) {
    std::string out;
    for (std::size_t i = 0; i < threads.size() && i < 3; ++i) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%s%.0f%%", i == 0 ? "" : "/", threads[i] * 100);
        out += buf;
    }
    return out.empty() ? "-" : out;
}

void print_probe_header(std::FILE* out) {
    std::fprintf(out, "%-9s %9s %9s %9s %7s %7s %7s %7s %8s %8s  %-12s %7s %5s %5s %6s  %s\n", "phase", "offered/s",
                 "sent/s", "recv/s", "loss%", "p50µs", "p90µs", "p99µs", "p99.9µs", "maxµs", "node CPU", "µs/pkt",
                 "ratio", "sw/pk", "lg CPU", "verdict");
}

void print_probe(std::FILE* out, const Probe& p, double pure_cpu_us) {
    const auto& r = p.result;
    const double per_packet = p.cpu_us_per_packet();
    std::fprintf(out, "%-9s %9.0f %9.0f %9.0f %7.3f %7.0f %7.0f %7.0f %8.0f %8.0f  %-12s %7.1f %5.2f %5.2f %5.0f%%  %s\n",
                 p.phase.c_str(), r.offered_rate, r.send_rate, r.throughput, r.loss * 100, r.latency.p50, r.latency.p90,
                 r.latency.p99, r.latency.p999, r.latency.max, format_threads(p.utilisation()).c_str(), per_packet,
                 pure_cpu_us > 0 ? per_packet / pure_cpu_us : 0.0, p.switches_per_packet(), p.loadgen_cpu * 100,
                 p.verdict.c_str());
    std::fflush(out);
}

/// Owns the node under test (spawned or attached), the sink and the packet pool, and runs steps.
class Bench {
public:
    Bench(const Settings& s, StepOptions base) : m_settings(s), m_base(std::move(base)) {}

    /// Sets up the sink, the node and the pool's parameters. Empty string on success.
    std::string setup(const char* argv0) {
        auto sink_port = m_sink.start(0);
        if (!sink_port) return "cannot listen for the node's output: " + sink_port.error().message();
        m_sink_endpoint = sphinx::IpEndpoint::v4({127, 0, 0, 1}, *sink_port);
        // The node forwards only to next hops its topology lists: ours names the sink.
        auto directory_port = m_directory.start(static_cast<std::uint16_t>(m_settings.directory_port), m_sink_endpoint);
        if (!directory_port) return "cannot serve the topology: " + directory_port.error().message();

        crypto::X25519PublicKey node_key;
        if (!m_settings.target.empty()) {
            const auto colon = m_settings.target.rfind(':');
            if (colon == std::string::npos) return "--target must be IP:PORT";
            m_target.ip = m_settings.target.substr(0, colon);
            const long port = std::strtol(m_settings.target.c_str() + colon + 1, nullptr, 10);
            if (port <= 0 || port > 65535) return "--target has an invalid port";
            m_target.port = static_cast<std::uint16_t>(port);
            auto key = crypto::base58_decode(m_settings.target_key);
            if (!key || key->size() != 32) return "--target-key must be the node's base58 X25519 Sphinx key";
            std::copy(key->begin(), key->end(), node_key.bytes.begin());
            m_node_pid = m_settings.target_pid;
            if (!m_settings.quiet)
                std::fprintf(stderr, "waiting for the node to fetch its topology from %s (its --directory)...\n",
                             m_directory.url().c_str());
            if (!m_directory.wait_for_topology_request(0, std::chrono::seconds(20)))
                return "the node never fetched the topology from " + m_directory.url() +
                       ": run it with --directory " + m_directory.url() + " (and --directory-port)";
        } else {
            m_setup.binary = m_settings.mixnode_bin;
            if (m_setup.binary.empty()) {
                std::error_code ec;
                auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
                if (ec) self = argv0;
                // build/<preset>/bin/nym-loadgen → build/<preset>/bin/nym-mixnode (also after install);
                // build/<preset>/apps/nym-loadgen/nym-loadgen → build/<preset>/apps/nym-mixnode/nym-mixnode
                m_setup.binary = self.parent_path() / "nym-mixnode";
                if (!std::filesystem::exists(m_setup.binary))
                    m_setup.binary = self.parent_path().parent_path() / "nym-mixnode" / "nym-mixnode";
            }
            if (!std::filesystem::exists(m_setup.binary)) {
                return "nym-mixnode not found at " + m_setup.binary.string() + " (use --mixnode-bin)";
            }
            auto root = TempRoot::create();
            if (!root) return root.error();
            m_root.emplace(std::move(*root));
            if (m_settings.keep_root) m_root->keep();
            m_setup.root = m_root->path();
            m_setup.workers = m_settings.workers;
            m_setup.log_level = m_settings.node_log_level;
            if (!m_settings.node_cpus.empty()) m_setup.cpu_list = {m_settings.node_cpus};
            std::istringstream wrapper(m_settings.node_wrapper);
            for (std::string word; wrapper >> word;) m_setup.wrapper.push_back(word);
            std::istringstream extra(m_settings.node_args);
            for (std::string word; extra >> word;) m_setup.extra_args.push_back(word);
            m_setup.directory = m_directory.url();
            auto key = init_node(m_setup);
            if (!key) return key.error();
            node_key = *key;
            if (auto started = restart(); !started.empty()) return started;
        }
        m_pool.emplace(node_key, m_sink_endpoint);
        return {};
    }

    [[nodiscard]] bool spawned() const noexcept { return m_root.has_value(); }
    [[nodiscard]] const TargetAddress& target() const noexcept { return m_target; }
    [[nodiscard]] std::uint16_t sink_port() const noexcept { return m_sink_endpoint.port; }

    /// One step at `rate` for `duration`. A spawned node is restarted first, so it starts with an
    /// empty replay filter and the same pre-built packets can be sent again; an attached node gets
    /// packets it has not seen yet.
    Probe run(const std::string& phase, double rate, std::chrono::milliseconds duration) {
        Probe probe;
        probe.phase = phase;
        StepOptions options = m_base;
        options.rate = rate;
        options.duration = duration;
        if (!m_setup.wrapper.empty()) options.stall = options.drain; // valgrind pauses to translate code
        const std::size_t need = packets_needed(options);
        if (spawned()) {
            if (m_used_since_start) {
                if (auto restarted = restart(); !restarted.empty()) {
                    probe.result.error = restarted;
                    probe.verdict = "error";
                    return probe;
                }
            }
            options.first_packet = 0;
        } else {
            options.first_packet = m_cursor;
        }
        const std::size_t total = options.first_packet + need;
        if (total > m_pool->size()) {
            if (!m_settings.quiet) {
                std::fprintf(stderr, "building %zu Sphinx packets...\n", total - m_pool->size());
            }
            auto grown = m_pool->grow_to(total, std::max(1u, std::thread::hardware_concurrency()));
            if (!grown) {
                probe.result.error = "cannot build packets: " + grown.error().message();
                probe.verdict = "error";
                return probe;
            }
        }

        std::map<pid_t, ThreadStat> node_before;
        std::map<pid_t, ThreadStat> node_after;
        double self_before = 0;
        double self_after = 0;
        std::int64_t t_before = 0;
        std::int64_t t_after = 0;
        const pid_t pid = current_pid();
        options.on_window_start = [&] {
            if (pid > 0) node_before = thread_stats(pid);
            self_before = process_cpu_seconds();
            t_before = now_ns();
        };
        options.on_window_end = [&] {
            if (pid > 0) node_after = thread_stats(pid);
            self_after = process_cpu_seconds();
            t_after = now_ns();
        };
        probe.result = run_step(m_target, *m_pool, m_sink, options);
        m_used_since_start = true;
        m_cursor = options.first_packet + probe.result.packets_used;
        if (t_after > t_before) {
            const double elapsed = static_cast<double>(t_after - t_before) / 1e9;
            probe.node_pid = pid;
            probe.node_threads = thread_use(node_before, node_after, elapsed);
            for (const auto& t : probe.node_threads) probe.node_cpu += t.cpu;
            probe.forwarded = probe.result.throughput * std::chrono::duration<double>(duration).count();
            probe.loadgen_cpu = (self_after - self_before) / elapsed;
        }
        judge(probe);
        return probe;
    }

    void stop_node() {
        if (m_node) m_node->stop(stop_grace());
        m_node.reset();
    }

private:
    pid_t current_pid() const { return m_node ? m_node->pid() : m_node_pid; }
    /// How long a stopping node may take to save its replay state (much longer under valgrind).
    std::chrono::milliseconds stop_grace() const {
        return m_setup.wrapper.empty() ? std::chrono::milliseconds(3000) : std::chrono::milliseconds(300'000);
    }

    std::string restart() {
        if (m_node) m_node->stop(stop_grace());
        m_node.reset();
        // The old node's connection to the sink must be gone before packets are reused.
        for (int i = 0; i < 200 && m_sink.open_connections() > 0; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        const auto fetched = m_directory.topology_requests();
        auto node = NodeProcess::start(m_setup, std::chrono::seconds(m_setup.wrapper.empty() ? 15 : 120));
        if (!node) return node.error();
        if (!m_directory.wait_for_topology_request(fetched, std::chrono::seconds(10)))
            return "the spawned node did not fetch its topology";
        m_node.emplace(std::move(*node));
        m_target = TargetAddress{"127.0.0.1", m_node->port()};
        m_used_since_start = false;
        return {};
    }

    void judge(Probe& probe) const {
        const auto& r = probe.result;
        if (!r.error.empty()) {
            probe.verdict = "error: " + r.error;
            return;
        }
        std::string why;
        if (r.loss > m_settings.max_loss) why += "loss ";
        if (r.latency.p99 > m_settings.max_p99_ms * 1000) why += "queueing ";
        if (r.throughput < 0.98 * r.offered_rate) why += "throughput ";
        if (r.send_rate < 0.98 * r.offered_rate) why += "sender-behind ";
        probe.passed = why.empty();
        probe.verdict = probe.passed ? "ok" : "FAIL " + why;
        if (!probe.verdict.empty() && probe.verdict.back() == ' ') probe.verdict.pop_back();
    }

    const Settings& m_settings;
    StepOptions m_base;
    Sink m_sink;
    DirectoryStub m_directory;
    sphinx::IpEndpoint m_sink_endpoint;
    TargetAddress m_target;
    NodeSetup m_setup;
    std::optional<TempRoot> m_root;
    std::optional<NodeProcess> m_node;
    pid_t m_node_pid = 0;
    std::optional<PacketPool> m_pool;
    std::size_t m_cursor = 0;
    bool m_used_since_start = false;
};

using StepFn = std::function<const Probe&(const std::string& phase, double rate, std::chrono::milliseconds window)>;

/// The highest sustained rate: bracket it from half the pure rate, bisect to `resolution` × pure
/// with short windows, then confirm it over a longer window, stepping down until it holds.
std::optional<double> search_max(const StepFn& step, double pure, double resolution, std::chrono::milliseconds window,
                                 std::chrono::milliseconds confirm_window) {
    double lo = 0; // highest rate seen to pass
    double hi = 0; // lowest rate seen to fail
    for (double r = 0.5 * pure; r >= 10; r /= 2) {
        if (step("search", std::round(r), window).passed) {
            lo = std::round(r);
            break;
        }
        hi = std::round(r);
    }
    if (lo > 0 && hi == 0) {
        for (double r = 1.1 * pure; r <= 2.5 * pure; r *= 1.3) {
            if (!step("search", std::round(r), window).passed) {
                hi = std::round(r);
                break;
            }
            lo = std::round(r);
        }
    }
    while (lo > 0 && hi > 0 && (hi - lo) > resolution * pure) {
        const double mid = std::round((lo + hi) / 2);
        if (step("search", mid, window).passed) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    for (int attempt = 0; lo > 0 && attempt < 5; ++attempt) {
        if (step("confirm", lo, confirm_window).passed) return lo;
        lo = std::round(lo * (1 - resolution));
    }
    return std::nullopt;
}

} // namespace

int run(const Settings& s, const char* argv0) {
    auto duration = nym::util::parse_flag_duration(s.duration);
    auto warmup = nym::util::parse_flag_duration(s.warmup);
    auto drain = nym::util::parse_flag_duration(s.drain);
    auto confirm = nym::util::parse_flag_duration(s.confirm_duration);
    auto half = nym::util::parse_flag_duration(s.half_duration);
    auto pure_duration = nym::util::parse_flag_duration(s.pure_duration);
    if (!duration || !warmup || !drain || !confirm || !half || !pure_duration || duration->count() == 0) {
        std::fprintf(stderr, "error: durations are e.g. 500ms, 3s, 1m\n");
        return 2;
    }
    if (!s.target.empty() && s.target_key.empty()) {
        std::fprintf(stderr, "error: --target needs --target-key\n");
        return 2;
    }
    // The sender sleeps until each packet's due time; the default 50 µs timer slack would bunch them.
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);

    StepOptions base;
    base.warmup = *warmup;
    base.drain = *drain;
    base.connections = s.connections;
    Bench bench(s, base);
    if (auto error = bench.setup(argv0); !error.empty()) {
        std::fprintf(stderr, "error: %s\n", error.c_str());
        return 1;
    }
    std::FILE* progress = s.quiet ? nullptr : (s.json_output ? stderr : stdout);
    const double load_start = load_average();
    if (progress != nullptr) {
        std::fprintf(
            progress, "nym-loadgen: %s mix node at %s:%u (%u worker thread%s), sink 127.0.0.1:%u, %u connection%s\n",
            bench.spawned() ? "spawned" : "attached to", bench.target().ip.c_str(), bench.target().port, s.workers,
            s.workers == 1 ? "" : "s", bench.sink_port(), s.connections, s.connections == 1 ? "" : "s");
        std::fprintf(progress, "machine: %u CPUs (%s), load average %.2f\n", std::thread::hardware_concurrency(),
                     cpu_model().c_str(), load_start);
    }

    // The reference, measured while the node is idle, before and after the networked runs.
    const PureRate pure_before = measure_pure_rate(*pure_duration);
    if (progress != nullptr) {
        std::fprintf(progress, "pure Sphinx forward hop (one thread, in process): %.1f µs = %.0f hops/s, %.1f µs CPU\n",
                     pure_before.us_per_hop, pure_before.rate, pure_before.cpu_us_per_hop);
        print_probe_header(progress);
    }
    if (pure_before.rate <= 0) {
        std::fprintf(stderr, "error: the in-process Sphinx measurement failed\n");
        return 1;
    }

    std::vector<Probe> probes;
    const StepFn step = [&](const std::string& phase, double rate, std::chrono::milliseconds d) -> const Probe& {
        probes.push_back(bench.run(phase, rate, d));
        if (progress != nullptr) print_probe(progress, probes.back(), pure_before.cpu_us_per_hop);
        return probes.back();
    };

    std::optional<double> max_rate;
    std::optional<Probe> max_probe;
    std::optional<Probe> half_probe;
    std::optional<Probe> single;
    bool failed = false;
    if (s.find_max) {
        max_rate = search_max(step, pure_before.rate, s.resolution, *duration, *confirm);
        if (max_rate) {
            for (auto it = probes.rbegin(); it != probes.rend() && !max_probe; ++it)
                if (it->phase == "confirm" && it->passed) max_probe = *it;
            half_probe = step("half-load", std::round(*max_rate / 2), *half);
        } else {
            failed = true;
        }
    } else {
        single = step("single", s.rate, *duration);
        failed = !single->result.error.empty();
    }
    bench.stop_node();
    const PureRate pure_after = measure_pure_rate(*pure_duration);
    // What one hop costs a thread that sleeps between packets arriving at the half-load (or single) rate.
    const double paced_rate = half_probe ? half_probe->result.offered_rate : s.rate;
    const PureRate paced = measure_paced_hop(paced_rate, *pure_duration);
    const WakeFloor wake = measure_wake_floor(paced_rate, *pure_duration);
    // The least a packet can cost a node at that rate on this machine: the Sphinx work as it runs
    // there, one wake-up to receive the packet and one send that wakes the next hop.
    const double floor_cpu_us =
        wake.error.empty() ? paced.work_cpu_us_per_hop + wake.receiver_cpu_us + wake.sender_cpu_us : 0.0;
    const double load_end = load_average();
    // The reference is the faster of the two measurements: the ratios are then conservative.
    const double pure_rate = std::max(pure_before.rate, pure_after.rate);
    const double pure_cpu_us = pure_after.cpu_us_per_hop > 0
                                   ? std::min(pure_before.cpu_us_per_hop, pure_after.cpu_us_per_hop)
                                   : pure_before.cpu_us_per_hop;
    const auto cpu_ratio = [&](const Probe& p) { return p.cpu_us_per_packet() / pure_cpu_us; };

    json report = {
        {"machine",
         {{"cpus", std::thread::hardware_concurrency()},
          {"cpu_model", cpu_model()},
          {"load_average_start", load_start},
          {"load_average_end", load_end}}},
        {"node",
         {{"spawned", bench.spawned()},
          {"workers", s.workers},
          {"target", bench.target().ip + ":" + std::to_string(bench.target().port)}}},
        {"packet", {{"size", "regular"}, {"frame_bytes", PacketPool::FRAME_SIZE}, {"route", "2 hops, zero delays"}}},
        {"settings",
         {{"warmup", s.warmup},
          {"duration", s.duration},
          {"connections", s.connections},
          {"max_loss", s.max_loss},
          {"max_p99_ms", s.max_p99_ms}}},
        {"pure",
         {{"before_rate", pure_before.rate},
          {"before_us_per_hop", pure_before.us_per_hop},
          {"before_cpu_us_per_hop", pure_before.cpu_us_per_hop},
          {"after_rate", pure_after.rate},
          {"after_us_per_hop", pure_after.us_per_hop},
          {"after_cpu_us_per_hop", pure_after.cpu_us_per_hop},
          {"reference_rate", pure_rate},
          {"reference_cpu_us_per_hop", pure_cpu_us},
          {"paced_rate", paced.rate},
          {"paced_cpu_us_per_hop", paced.cpu_us_per_hop},
          {"paced_work_cpu_us_per_hop", paced.work_cpu_us_per_hop}}},
        {"wake_floor",
         {{"rate", wake.rate},
          {"frames", wake.frames},
          {"receiver_cpu_us", wake.receiver_cpu_us},
          {"sender_cpu_us", wake.sender_cpu_us},
          {"latency_us",
           {{"p50", wake.wake_latency.p50}, {"p99", wake.wake_latency.p99}, {"p999", wake.wake_latency.p999}}},
          {"floor_cpu_us_per_packet", floor_cpu_us},
          {"floor_ratio", floor_cpu_us / pure_cpu_us},
          {"error", wake.error}}}};
    json list = json::array();
    for (const auto& p : probes) list.push_back(to_json(p, pure_cpu_us));
    report["probes"] = list;

    std::FILE* out = s.json_output ? nullptr : stdout;
    if (out != nullptr) {
        std::fprintf(out,
                     "pure Sphinx forward hop after the runs: %.1f µs = %.0f hops/s, %.1f µs CPU; reference %.0f "
                     "hops/s, %.1f µs CPU\n",
                     pure_after.us_per_hop, pure_after.rate, pure_after.cpu_us_per_hop, pure_rate, pure_cpu_us);
        std::fprintf(out,
                     "the same hop once every %.0f µs, asleep in between: %.1f µs CPU (%.2fx), %.1f µs of it in the "
                     "hop\n",
                     paced.us_per_hop, paced.cpu_us_per_hop, paced.cpu_us_per_hop / pure_cpu_us,
                     paced.work_cpu_us_per_hop);
        if (wake.error.empty())
            std::fprintf(out,
                         "one frame between two sleeping threads at that rate: %.1f µs CPU to be woken and read it, "
                         "%.1f µs to send it and wake the reader; latency p50 %.0f µs, p99 %.0f µs\n"
                         "floor per packet at that rate (hop + woken + waking): %.1f µs = %.2fx the pure hop\n",
                         wake.receiver_cpu_us, wake.sender_cpu_us, wake.wake_latency.p50, wake.wake_latency.p99,
                         floor_cpu_us, floor_cpu_us / pure_cpu_us);
        else
            std::fprintf(out, "the wake-up floor could not be measured: %s\n", wake.error.c_str());
    }
    if (s.find_max) {
        if (max_rate) {
            const double ratio = *max_rate / pure_rate;
            const bool ratio_ok = ratio >= TARGET_SUSTAINED;
            const bool p99_ok = half_probe && half_probe->passed && half_probe->result.latency.p99 <= TARGET_HALF_P99_US;
            const double max_cpu = max_probe ? cpu_ratio(*max_probe) : 0.0;
            const double half_cpu = half_probe ? cpu_ratio(*half_probe) : 0.0;
            report["max_rate"] = *max_rate;
            report["ratio"] = ratio;
            if (max_probe) report["at_max"] = to_json(*max_probe, pure_cpu_us);
            report["half_load"] = to_json(*half_probe, pure_cpu_us);
            report["cpu_ratio_at_max"] = max_cpu;
            report["cpu_ratio_at_half"] = half_cpu;
            if (floor_cpu_us > 0) report["cpu_at_half_over_floor"] = half_probe->cpu_us_per_packet() / floor_cpu_us;
            report["target"] = {{"ratio_at_least", TARGET_SUSTAINED},
                                {"ratio_met", ratio_ok},
                                {"half_load_p99_at_most_us", TARGET_HALF_P99_US},
                                {"p99_met", p99_ok},
                                {"cpu_ratio_at_max_at_most", TARGET_CPU_AT_MAX},
                                {"cpu_ratio_at_max_met", max_cpu > 0 && max_cpu <= TARGET_CPU_AT_MAX},
                                {"cpu_ratio_at_half_at_most", TARGET_CPU_AT_HALF},
                                {"cpu_ratio_at_half_met", half_cpu > 0 && half_cpu <= TARGET_CPU_AT_HALF}};
            if (out != nullptr) {
                const auto met = [](bool ok) { return ok ? "met" : "NOT met"; };
                std::fprintf(out, "max sustained rate: %.0f packets/s = %.1f%% of the pure rate (target >= %.0f%%: %s)\n",
                             *max_rate, ratio * 100, TARGET_SUSTAINED * 100, met(ratio_ok));
                if (max_probe)
                    std::fprintf(out,
                                 "node CPU per forwarded packet at the maximum: %.1f µs = %.2fx the pure hop (target "
                                 "<= %.2fx: %s), %.2f context switches per packet\n",
                                 max_probe->cpu_us_per_packet(), max_cpu, TARGET_CPU_AT_MAX,
                                 met(max_cpu <= TARGET_CPU_AT_MAX), max_probe->switches_per_packet());
                std::fprintf(out,
                             "at half that load (%.0f packets/s): p50 %.0f µs, p99 %.0f µs, p99.9 %.0f µs (target p99 "
                             "<= %.0f µs: %s)\n",
                             half_probe->result.offered_rate, half_probe->result.latency.p50,
                             half_probe->result.latency.p99, half_probe->result.latency.p999, TARGET_HALF_P99_US,
                             met(p99_ok));
                std::fprintf(out,
                             "node CPU per forwarded packet at half load: %.1f µs = %.2fx the pure hop (target <= "
                             "%.2fx: %s), %.2f context switches per packet\n",
                             half_probe->cpu_us_per_packet(), half_cpu, TARGET_CPU_AT_HALF,
                             met(half_cpu <= TARGET_CPU_AT_HALF), half_probe->switches_per_packet());
                if (floor_cpu_us > 0)
                    std::fprintf(out, "node CPU per forwarded packet at half load against the floor: %.2fx\n",
                                 half_probe->cpu_us_per_packet() / floor_cpu_us);
            }
        } else if (out != nullptr) {
            std::fprintf(out, "no rate passed\n");
        }
    } else if (single) {
        report["ratio"] = single->result.throughput / pure_rate;
        report["cpu_ratio"] = cpu_ratio(*single);
        if (floor_cpu_us > 0) report["cpu_over_floor"] = single->cpu_us_per_packet() / floor_cpu_us;
        if (out != nullptr) {
            std::fprintf(out,
                         "throughput %.0f packets/s = %.1f%% of the pure rate; loss %.3f%%; "
                         "added latency p50 %.0f µs, p99 %.0f µs\n",
                         single->result.throughput, single->result.throughput / pure_rate * 100,
                         single->result.loss * 100, single->result.latency.p50, single->result.latency.p99);
            std::fprintf(out,
                         "node CPU per forwarded packet: %.1f µs = %.2fx the pure hop; %.2f context switches per "
                         "packet\n",
                         single->cpu_us_per_packet(), cpu_ratio(*single), single->switches_per_packet());
            if (floor_cpu_us > 0)
                std::fprintf(out, "node CPU per forwarded packet against the floor at this rate: %.2fx\n",
                             single->cpu_us_per_packet() / floor_cpu_us);
        }
    }
    if (out != nullptr) std::fprintf(out, "load average: %.2f at start, %.2f at end\n", load_start, load_end);
    if (s.json_output) std::printf("%s\n", report.dump(2).c_str());
    return failed ? 1 : 0;
}

} // namespace nym::loadgen
