#include "process.hpp"

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <utility>

extern char** environ;

namespace nym::functional {

std::optional<Process> Process::start(const std::string& path, const std::vector<std::string>& args) {
    int out[2];
    int err[2];
    if (pipe2(out, O_CLOEXEC) != 0) return std::nullopt;
    if (pipe2(err, O_CLOEXEC) != 0) {
        close(out[0]);
        close(out[1]);
        return std::nullopt;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
    std::vector<std::string> storage;
    storage.push_back(path);
    storage.insert(storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : storage) argv.push_back(s.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    close(err[1]);
    if (rc != 0) {
        close(out[0]);
        close(err[0]);
        return std::nullopt;
    }
    fcntl(err[0], F_SETFL, O_NONBLOCK);
    return Process(pid, out[0], err[0]);
}

std::optional<Process> Process::start_logged(const std::string& path, const std::vector<std::string>& args,
                                             const std::string& stderr_path) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) return std::nullopt;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    std::vector<std::string> storage;
    storage.push_back(path);
    storage.insert(storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : storage) argv.push_back(s.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    if (rc != 0) {
        close(out[0]);
        return std::nullopt;
    }
    return Process(pid, out[0], -1);
}

Process::Process(Process&& other) noexcept
    : m_pid(std::exchange(other.m_pid, -1)), m_stdout(std::exchange(other.m_stdout, -1)),
      m_stderr(std::exchange(other.m_stderr, -1)), m_pending(std::move(other.m_pending)), m_status(other.m_status) {}

Process::~Process() {
    if (m_pid > 0 && !m_status) {
        if (!stop(SIGTERM, std::chrono::seconds(3))) stop(SIGKILL, std::chrono::seconds(3));
    }
    if (m_stdout >= 0) close(m_stdout);
    if (m_stderr >= 0) close(m_stderr);
}

std::optional<std::string> Process::read_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (auto nl = m_pending.find('\n'); nl != std::string::npos) {
            std::string line = m_pending.substr(0, nl);
            m_pending.erase(0, nl + 1);
            return line;
        }
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        pollfd fd{m_stdout, POLLIN, 0};
        if (poll(&fd, 1, static_cast<int>(left.count())) <= 0) continue;
        char buf[4096];
        const auto n = read(m_stdout, buf, sizeof buf);
        if (n <= 0) return std::nullopt;
        m_pending.append(buf, static_cast<std::size_t>(n));
    }
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
    if (m_status) return m_status;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        int status = 0;
        const pid_t r = waitpid(m_pid, &status, WNOHANG);
        if (r == m_pid) {
            m_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            return m_status;
        }
        if (r < 0 || std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

std::optional<int> Process::stop(int signal, std::chrono::milliseconds timeout) {
    if (m_status) return m_status;
    kill(m_pid, signal);
    return wait(timeout);
}

std::string Process::drain_stderr() {
    std::string out;
    if (m_stderr < 0) return out;
    char buf[4096];
    while (true) {
        const auto n = read(m_stderr, buf, sizeof buf);
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

void DirectoryProcess::launch(std::vector<std::string> extra_args) {
    std::vector<std::string> args = {"--host", "127.0.0.1", "--port", "0", "--log-level", "warn"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    auto started = Process::start(NYM_DIRECTORY_BIN, args);
    if (!started) return;
    process.emplace(std::move(*started));
    auto line = process->read_line(std::chrono::seconds(10));
    if (!line) return;
    // "nym-directory listening on http://127.0.0.1:PORT ..."
    const auto at = line->find("127.0.0.1:");
    if (at == std::string::npos) return;
    port = static_cast<std::uint16_t>(std::stoul(line->substr(at + 10)));
}

} // namespace nym::functional
