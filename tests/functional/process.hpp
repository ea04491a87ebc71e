#pragma once
// Test support for functional tests: runs a real executable with pipes on stdout and stderr, reads
// its output with timeouts, and stops it (SIGTERM, then SIGKILL) when the test ends.

#include <chrono>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace nym::functional {

class Process {
public:
    /// Starts `path` with `args`; std::nullopt if it cannot be started.
    static std::optional<Process> start(const std::string& path, const std::vector<std::string>& args);
    /// Like start(), but the child's stderr is appended to the file `stderr_path` instead of a pipe,
    /// so a chatty daemon can never block on a full pipe (drain_stderr() then returns nothing).
    static std::optional<Process> start_logged(const std::string& path, const std::vector<std::string>& args,
                                               const std::string& stderr_path);

    Process(Process&& other) noexcept;
    Process& operator=(Process&&) = delete;
    Process(const Process&) = delete;
    ~Process();

    /// The next line of stdout (without '\n'), or std::nullopt on timeout or EOF.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout);
    /// Sends `signal` and waits up to `timeout` for the exit; the exit status (code, or 128+signal),
    /// or std::nullopt if it is still running.
    std::optional<int> stop(int signal, std::chrono::milliseconds timeout);
    /// Waits for the process to exit on its own.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    /// Everything written to stderr so far (non-blocking).
    std::string drain_stderr();
    pid_t pid() const noexcept { return m_pid; }

private:
    Process(pid_t pid, int out, int err) : m_pid(pid), m_stdout(out), m_stderr(err) {}
    pid_t m_pid = -1;
    int m_stdout = -1;
    int m_stderr = -1;
    std::string m_pending; // stdout bytes after the last returned line
    std::optional<int> m_status;
};

/// Starts build/.../nym-directory on a free loopback port (--port 0) and reads the port it prints.
struct DirectoryProcess {
    std::optional<Process> process;
    std::uint16_t port = 0;
    /// Leaves port == 0 when the daemon could not be started or printed no port.
    void launch(std::vector<std::string> extra_args = {});
};

} // namespace nym::functional
