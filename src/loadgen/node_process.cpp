#include <loadgen/node_process.hpp>

#include <crypto/base58.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <poll.h>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <utility>

extern char** environ;

namespace nym::loadgen {
namespace {

std::string errno_text(int code) {
    return std::error_code(code, std::system_category()).message();
}

/// Starts `argv[0]` with stderr appended to `log`, and stdout on a pipe whose read end goes to
/// *out_fd — or, when out_fd is null, appended to `log` too.
Expected<pid_t, Error> spawn(std::vector<std::string> args, const std::filesystem::path& log, int* out_fd) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) return Unexpected(Error("pipe: ") + errno_text(errno));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (out_fd != nullptr) {
        posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    } else {
        posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
    }
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, args[0].c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    if (rc != 0) {
        close(out[0]);
        return Unexpected(Error("cannot start ") + args[0] + ": " + errno_text(rc));
    }
    if (out_fd != nullptr) {
        *out_fd = out[0];
    } else {
        close(out[0]);
    }
    return pid;
}

/// waitpid with a timeout; the exit status (code, or 128 + signal) or -1 while still running.
int wait_for(pid_t pid, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        int status = 0;
        const pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (r < 0) return -2;
        if (std::chrono::steady_clock::now() >= deadline) return -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

/// A small text file's contents (stdio: GCC 12 warns falsely about iostream buffers here).
std::string read_text(const std::filesystem::path& path) {
    std::string text;
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return text;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
    std::fclose(f);
    return text;
}

std::string tail_of(const std::filesystem::path& log) {
    std::string text = read_text(log);
    if (text.size() > 2000) text = text.substr(text.size() - 2000);
    return text;
}

/// Where `nym-mixnode init` puts the replay state (docs/protocol/framing.md "Node configuration"),
/// and the load generator's copy of it.
std::filesystem::path replay_state(const NodeSetup& setup) { return setup.root / setup.id / "data" / "replay_state.bin"; }
std::filesystem::path initial_replay_state(const NodeSetup& setup) { return setup.root / "replay_state.initial"; }

} // namespace

Expected<TempRoot, Error> TempRoot::create() {
    std::error_code ec;
    const auto base = std::filesystem::temp_directory_path(ec); // $TMPDIR, else /tmp
    std::string pattern = ((ec ? std::filesystem::path("/tmp") : base) / "nym-loadgen-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) return Unexpected(Error("mkdtemp: ") + errno_text(errno));
    return TempRoot(pattern);
}

TempRoot::~TempRoot() {
    if (m_path.empty() || m_keep) return;
    std::error_code ignored;
    std::filesystem::remove_all(m_path, ignored);
}

Expected<crypto::X25519PublicKey, Error> init_node(const NodeSetup& setup) {
    const auto log = setup.root / "init.log";
    auto pid = spawn({setup.binary.string(), "init", "--id", setup.id, "--layer", "1", "--host", "127.0.0.1", "--port",
                      "1789", "--directory", setup.directory, "--root", setup.root.string()},
                     log, nullptr);
    if (!pid) return Unexpected(pid.error());
    const int status = wait_for(*pid, std::chrono::seconds(30));
    if (status != 0) {
        if (status == -1) {
            kill(*pid, SIGKILL);
            wait_for(*pid, std::chrono::seconds(3));
        }
        return Unexpected(Error("nym-mixnode init failed (status ") + std::to_string(status) + "): " + tail_of(log));
    }
    // "sphinx key (x25519):    <base58>", printed by init (its stdout went to the log).
    const std::string marker = "sphinx key (x25519):";
    const std::string text = read_text(log);
    const auto at = text.rfind(marker);
    if (at == std::string::npos) return Unexpected(Error("nym-mixnode init printed no Sphinx key: ") + tail_of(log));
    const auto begin = std::min(text.find_first_not_of(' ', at + marker.size()), text.size());
    const auto end = std::min(text.find('\n', begin), text.size());
    auto decoded = crypto::base58_decode(text.substr(begin, end - begin));
    if (!decoded || decoded->size() != crypto::X25519_KEY_SIZE)
        return Unexpected(Error("nym-mixnode init printed an unusable Sphinx key: ") + tail_of(log));
    crypto::X25519PublicKey key;
    std::memcpy(key.bytes.data(), decoded->data(), key.bytes.size());
    std::error_code ec;
    std::filesystem::copy_file(replay_state(setup), initial_replay_state(setup),
                               std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) return Unexpected(Error("cannot keep a copy of the node's replay state: ") + ec.message());
    return key;
}

Expected<NodeProcess, Error> NodeProcess::start(const NodeSetup& setup, std::chrono::milliseconds timeout) {
    const auto log = setup.root / "node.log";
    std::error_code ec;
    if (std::filesystem::exists(initial_replay_state(setup), ec)) {
        std::filesystem::copy_file(initial_replay_state(setup), replay_state(setup),
                                   std::filesystem::copy_options::overwrite_existing, ec);
        if (ec) return Unexpected(Error("cannot restore the node's replay state: ") + ec.message());
        // A node killed after the stop grace left its running marker: it would rotate its keys away.
        std::filesystem::remove(replay_state(setup).string() + ".running", ec);
    }
    std::vector<std::string> args = setup.wrapper;
    if (!setup.cpu_list.empty()) {
        std::string list;
        for (const auto& c : setup.cpu_list) list += (list.empty() ? "" : ",") + c;
        args.insert(args.begin(), {"taskset", "-c", list});
    }
    for (const std::string& a :
         {setup.binary.string(), std::string("run"), std::string("--id"), setup.id, std::string("--root"),
          setup.root.string(), std::string("--port"), std::string("0"), std::string("--workers"),
          std::to_string(setup.workers), std::string("--log-level"), setup.log_level}) {
        args.push_back(a);
    }
    args.insert(args.end(), setup.extra_args.begin(), setup.extra_args.end());
    int out = -1;
    auto pid = spawn(args, log, &out);
    if (!pid) return Unexpected(pid.error());
    NodeProcess node(*pid, 0);

    // "nym-mixnode listening on 127.0.0.1:PORT (layer 1, announced as ...)"
    const std::string marker = "nym-mixnode listening on ";
    std::string pending;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (node.m_port == 0) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd p{out, POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
        char buf[512];
        const ssize_t n = read(out, buf, sizeof buf);
        if (n <= 0) break;
        pending.append(buf, static_cast<std::size_t>(n));
        for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
            const std::string line = pending.substr(0, nl);
            pending.erase(0, nl + 1);
            if (line.rfind(marker, 0) != 0) continue;
            const auto rest = line.substr(marker.size());
            const auto colon = rest.find(':');
            const auto space = rest.find(' ');
            if (colon == std::string::npos) continue;
            const std::string port =
                rest.substr(colon + 1, space == std::string::npos ? std::string::npos : space - colon - 1);
            const long value = std::strtol(port.c_str(), nullptr, 10);
            if (value > 0 && value < 65536) node.m_port = static_cast<std::uint16_t>(value);
        }
    }
    close(out);
    if (node.m_port == 0) {
        node.stop();
        return Unexpected(Error("nym-mixnode run printed no listening port: ") + tail_of(log));
    }
    return node;
}

NodeProcess::NodeProcess(NodeProcess&& other) noexcept
    : m_pid(std::exchange(other.m_pid, -1)), m_port(std::exchange(other.m_port, 0)) {}

NodeProcess& NodeProcess::operator=(NodeProcess&& other) noexcept {
    if (this != &other) {
        stop();
        m_pid = std::exchange(other.m_pid, -1);
        m_port = std::exchange(other.m_port, 0);
    }
    return *this;
}

NodeProcess::~NodeProcess() {
    stop();
}

int NodeProcess::stop(std::chrono::milliseconds grace) {
    if (m_pid <= 0) return 0;
    kill(m_pid, SIGTERM);
    int status = wait_for(m_pid, grace);
    if (status == -1) {
        kill(m_pid, SIGKILL);
        status = wait_for(m_pid, std::chrono::seconds(3));
    }
    m_pid = -1;
    return status;
}

std::map<pid_t, ThreadStat> thread_stats(pid_t pid) {
    std::map<pid_t, ThreadStat> out;
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
        const long tid = std::strtol(entry.path().filename().c_str(), nullptr, 10);
        ThreadStat stat;
        // schedstat: "on-CPU ns, run-queue wait ns, time slices" — ns precision, unlike stat's ticks.
        const std::string sched = read_text(entry.path() / "schedstat");
        if (!sched.empty()) {
            stat.cpu_seconds = std::strtod(sched.c_str(), nullptr) / 1e9;
        } else {
            const std::string text = read_text(entry.path() / "stat");
            // Fields after the parenthesised name: state(3) ... utime(14) stime(15).
            const auto close_paren = text.rfind(')');
            if (close_paren == std::string::npos) continue;
            std::istringstream fields(text.substr(close_paren + 2));
            std::vector<std::string> values;
            std::string v;
            while (fields >> v && values.size() < 13) values.push_back(v);
            if (values.size() < 13) continue;
            stat.cpu_seconds =
                (std::strtod(values[11].c_str(), nullptr) + std::strtod(values[12].c_str(), nullptr)) / ticks;
        }
        std::istringstream status(read_text(entry.path() / "status"));
        for (std::string line; std::getline(status, line);) {
            if (line.rfind("voluntary_ctxt_switches:", 0) == 0 || line.rfind("nonvoluntary_ctxt_switches:", 0) == 0)
                stat.switches += std::strtoull(line.c_str() + line.find(':') + 1, nullptr, 10);
        }
        out[static_cast<pid_t>(tid)] = stat;
    }
    return out;
}

std::vector<ThreadUse> thread_use(const std::map<pid_t, ThreadStat>& before, const std::map<pid_t, ThreadStat>& after,
                                  double elapsed_s) {
    std::vector<ThreadUse> out;
    if (elapsed_s <= 0) return out;
    for (const auto& [tid, stat] : after) {
        auto it = before.find(tid);
        const ThreadStat start = it == before.end() ? ThreadStat{} : it->second;
        ThreadUse use;
        use.tid = tid;
        use.cpu_seconds = stat.cpu_seconds - start.cpu_seconds;
        use.cpu = use.cpu_seconds / elapsed_s;
        use.switches = stat.switches - start.switches;
        out.push_back(use);
    }
    std::sort(out.begin(), out.end(), [](const ThreadUse& a, const ThreadUse& b) { return a.cpu > b.cpu; });
    return out;
}

} // namespace nym::loadgen
