#pragma once
// The Asio side of runtime::Loop, shared by the runtime's own translation units only (the
// architecture lint refuses this header anywhere else).
#include <utility> // before Asio (see reference/dependencies.md)

#include <runtime/loop.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <array>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace nym::runtime::detail {

struct LoopCore {
    explicit LoopCore(LoopOptions o);

    LoopOptions options;
    boost::asio::io_context io{1};
    boost::asio::thread_pool pool;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard;
    boost::asio::signal_set signals;
    std::array<std::vector<std::function<void()>>, 3> shutdown_hooks;
    std::vector<std::weak_ptr<boost::asio::steady_timer>> periodic; // every() and after() timers
    std::atomic<bool> stopping{false};
    std::atomic<std::thread::id> loop_thread{};
    bool ran = false;

    // The watchdog that ends a drain that takes longer than shutdown_grace.
    std::mutex watchdog_mutex;
    std::condition_variable watchdog_wake;
    bool watchdog_done = false;
    std::thread watchdog;

    void begin_shutdown(); // I/O thread
    void track(const std::shared_ptr<boost::asio::steady_timer>& timer);
};

/// Runs a user callback, logging (never propagating) what it throws.
void guarded(const char* what, const std::function<void()>& task) noexcept;
void log_exception(const char* what, std::exception_ptr e) noexcept;

} // namespace nym::runtime::detail
