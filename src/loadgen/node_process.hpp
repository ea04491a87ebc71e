#pragma once
// Running a real nym-mixnode for the load generator: `init` into a temporary root, `run` with one
// worker thread, its listening port read from the line it prints on stdout; per-thread CPU time
// from /proc, to show where the node spends its time during a measured window.

#include <crypto/x25519.hpp>
#include <util/expected.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

namespace nym::loadgen {

using Error = std::string;

/// A temporary folder removed on destruction (unless kept).
class TempRoot {
public:
    static Expected<TempRoot, Error> create();
    TempRoot(TempRoot&& other) noexcept : m_path(std::move(other.m_path)), m_keep(other.m_keep) {
        other.m_path.clear();
    }
    TempRoot& operator=(TempRoot&&) = delete;
    TempRoot(const TempRoot&) = delete;
    ~TempRoot();
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_path; }
    /// Leave the folder in place on destruction (to read the node's log and keys afterwards).
    void keep() noexcept { m_keep = true; }

private:
    explicit TempRoot(std::filesystem::path p) : m_path(std::move(p)) {}
    std::filesystem::path m_path;
    bool m_keep = false;
};

struct NodeSetup {
    std::filesystem::path binary; ///< nym-mixnode
    std::filesystem::path root;   ///< --root
    std::string id = "loadgen";
    std::string directory = "http://127.0.0.1:9"; ///< its directory (the load generator's stub)
    unsigned workers = 1;
    std::string log_level = "warn";
    std::vector<std::string> cpu_list; ///< non-empty: run under `taskset -c <list>` (e.g. {"1"})
    /// Non-empty: `run` goes under this command (e.g. {"valgrind", "--tool=callgrind"}); the pid is
    /// still the node's when the command execs it, as taskset and valgrind do.
    std::vector<std::string> wrapper;
    std::vector<std::string> extra_args; ///< appended to `run` (e.g. {"--heartbeat-interval", "60s"})
};

/// `nym-mixnode init`; the node's public Sphinx key is the one init prints. A copy of the replay
/// state init wrote is kept, and NodeProcess::start() puts it back before every start: the node
/// then begins each run with the same key and an empty replay filter, so the same pre-built packets
/// serve every run. (Only whoever owns the node's files can do this; the node itself refuses to
/// lose its filter.)
[[nodiscard]] Expected<crypto::X25519PublicKey, Error> init_node(const NodeSetup& setup);

/// A running `nym-mixnode run`; stopped (SIGTERM, then SIGKILL) on destruction.
class NodeProcess {
public:
    static Expected<NodeProcess, Error> start(const NodeSetup& setup, std::chrono::milliseconds timeout);
    NodeProcess(NodeProcess&& other) noexcept;
    NodeProcess& operator=(NodeProcess&& other) noexcept;
    NodeProcess(const NodeProcess&) = delete;
    ~NodeProcess();

    [[nodiscard]] std::uint16_t port() const noexcept { return m_port; }
    [[nodiscard]] pid_t pid() const noexcept { return m_pid; }
    /// SIGTERM and wait; SIGKILL after `grace`. Returns the exit status (or 128 + signal).
    int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));

private:
    NodeProcess(pid_t pid, std::uint16_t port) : m_pid(pid), m_port(port) {}
    pid_t m_pid = -1;
    std::uint16_t m_port = 0;
};

/// What one thread of a process has used so far.
struct ThreadStat {
    double cpu_seconds = 0;     ///< on-CPU time: /proc schedstat (ns), else utime + stime (clock ticks)
    std::uint64_t switches = 0; ///< context switches, voluntary (it slept: a wake-up follows) + involuntary
};

/// Every thread of a process, by thread id (the main thread's id is the pid).
[[nodiscard]] std::map<pid_t, ThreadStat> thread_stats(pid_t pid);

/// One thread's use over a window.
struct ThreadUse {
    pid_t tid = 0;
    double cpu = 0;             ///< cores (1.0 = one core busy for the whole window)
    double cpu_seconds = 0;
    std::uint64_t switches = 0;
};

/// Per-thread use between two snapshots over `elapsed_s`, busiest first.
[[nodiscard]] std::vector<ThreadUse> thread_use(const std::map<pid_t, ThreadStat>& before,
                                                const std::map<pid_t, ThreadStat>& after, double elapsed_s);

} // namespace nym::loadgen
