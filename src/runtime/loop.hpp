#pragma once
// One event loop per process: an I/O thread (the thread that calls run()) with timers and signal
// handling, a worker pool for CPU-heavy or blocking work, and a shutdown sequence that drains in
// order. Every other part of the runtime (HttpServer, TcpService, WsConnection, HttpClient)
// attaches to a Loop, so a daemon is one Loop plus the services it attaches.
//
// Threading
//   - Callbacks of every runtime service run on the I/O thread, one at a time, so daemon state
//     touched only from callbacks needs no lock.
//   - post() and post_work() are thread-safe; so are stop() and the services' documented methods.
//   - A Serial runs tasks on the worker pool one at a time, in order (a database, a signer).
//
// Shutdown (stop(), SIGINT or SIGTERM; a second signal during the drain ends the process at once)
//   1. stage stop_accepting: services close their listeners; new connections are refused.
//   2. stage drain: services flush and close their connections (websocket close handshakes,
//      queued writes), daemons hand in-flight work to its end (e.g. a batch commit).
//   3. stage finish: daemon hooks that need everything else quiet (final counters, last report).
//   Then every periodic timer is cancelled and run() returns once the I/O thread has nothing left
//   to do, or `shutdown_grace` after stop() at the latest. Before run() returns, work already queued
//   on the worker pool runs to its end, and what it posts back to the I/O thread runs once.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace nym::runtime {

namespace detail {
struct LoopCore; // Asio's io_context and thread pool; visible to the runtime's own files only
}

struct LoopOptions {
    std::uint32_t worker_threads = 1;                 ///< threads of the worker pool (at least 1)
    bool handle_signals = true;                       ///< SIGINT/SIGTERM start the shutdown
    std::chrono::milliseconds shutdown_grace{5000};   ///< longest drain before run() is cut short
};

enum class ShutdownStage : std::uint8_t {
    stop_accepting = 0, ///< close listeners
    drain = 1,          ///< flush and close connections, finish in-flight work
    finish = 2,         ///< last words: counters, logs
};

class Loop {
public:
    using Clock = std::chrono::steady_clock;
    using TimePoint = Clock::time_point;

    explicit Loop(LoopOptions options = {});
    ~Loop();
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;

    /// Runs `task` on the I/O thread. Thread-safe. Tasks posted after run() returned never run.
    void post(std::function<void()> task);
    /// Runs `task` on the worker pool. Thread-safe.
    void post_work(std::function<void()> task);
    /// Runs `task` once on the I/O thread after `delay` unless the loop stops first. Thread-safe.
    void after(std::chrono::milliseconds delay, std::function<void()> task);
    /// Calls `task` on the I/O thread every `interval` until the loop stops (a late tick is not
    /// repeated to catch up). Thread-safe.
    void every(std::chrono::milliseconds interval, std::function<void()> task);
    /// Registers a hook for one stage of the shutdown; hooks of a stage run in registration order
    /// on the I/O thread. Call before run() or on the I/O thread.
    void on_shutdown(ShutdownStage stage, std::function<void()> task);

    /// Serves on the calling thread until the shutdown has finished (see above).
    void run();
    /// Starts the shutdown. Thread-safe, idempotent.
    void stop();
    /// True once the shutdown has started (I/O thread).
    [[nodiscard]] bool stopping() const noexcept;
    /// True on the thread inside run().
    [[nodiscard]] bool on_loop_thread() const noexcept;
    [[nodiscard]] std::uint32_t worker_threads() const noexcept;

    [[nodiscard]] detail::LoopCore& core() noexcept { return *m_core; }

private:
    std::unique_ptr<detail::LoopCore> m_core;
};

/// A re-armable one-shot timer on a loop's I/O thread (e.g. "the next packet is due at t").
/// Use it from the I/O thread only; destroying it cancels it.
class Timer {
public:
    explicit Timer(Loop& loop);
    ~Timer();
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    /// Arms the timer for `when`, replacing any earlier arming (whose callback will not run).
    void arm(Loop::TimePoint when, std::function<void()> on_due);
    void cancel();
    [[nodiscard]] bool armed() const noexcept;
    /// When it is armed for (meaningful while armed()).
    [[nodiscard]] Loop::TimePoint expiry() const noexcept;

private:
    struct Impl;
    std::shared_ptr<Impl> m_impl;
};

/// Tasks on the worker pool that run one at a time, in the order posted. Thread-safe.
class Serial {
public:
    explicit Serial(Loop& loop);
    ~Serial();
    Serial(const Serial&) = delete;
    Serial& operator=(const Serial&) = delete;

    void post(std::function<void()> task);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace nym::runtime
