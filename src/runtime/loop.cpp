// runtime::Loop (see loop.hpp): one io_context run by the caller of run(), an Asio thread pool,
// and the staged shutdown.
#include <runtime/loop_core.hpp>

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace nym::runtime {
namespace detail {

namespace asio = boost::asio;

void log_exception(const char* what, std::exception_ptr e) noexcept {
    if (!e) return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        spdlog::error("runtime: {} failed: {}", what, ex.what());
    } catch (...) {
        spdlog::error("runtime: {} failed with an unknown exception", what);
    }
}

void guarded(const char* what, const std::function<void()>& task) noexcept {
    try {
        task();
    } catch (...) {
        log_exception(what, std::current_exception());
    }
}

LoopCore::LoopCore(LoopOptions o)
    : options(o), pool(std::max<std::uint32_t>(1, o.worker_threads)), signals(io) {
    guard.emplace(io.get_executor());
}

void LoopCore::track(const std::shared_ptr<asio::steady_timer>& timer) {
    // Forget timers that are gone, so a long-lived loop with many after() calls stays small.
    if (periodic.size() >= 64 && periodic.size() % 64 == 0)
        std::erase_if(periodic, [](const auto& weak) { return weak.expired(); });
    periodic.push_back(timer);
}

void LoopCore::begin_shutdown() {
    if (stopping.exchange(true)) return;
    // The default dispositions return: a second SIGINT/SIGTERM ends the process at once.
    boost::system::error_code ignored;
    signals.cancel(ignored);
    signals.clear(ignored);
    for (auto& stage : shutdown_hooks)
        for (auto& hook : stage) guarded("shutdown hook", hook);
    for (const auto& weak : periodic)
        if (auto timer = weak.lock()) timer->cancel();
    periodic.clear();
    guard.reset(); // run() returns once the services have closed what they hold
    watchdog = std::thread([this] {
        std::unique_lock lock(watchdog_mutex);
        if (!watchdog_wake.wait_for(lock, options.shutdown_grace, [this] { return watchdog_done; })) {
            spdlog::warn("runtime: shutdown did not finish within {} ms; stopping now", options.shutdown_grace.count());
            io.stop();
        }
    });
}

} // namespace detail

namespace asio = boost::asio;
using detail::guarded;

Loop::Loop(LoopOptions options) : m_core(std::make_unique<detail::LoopCore>(options)) {}

Loop::~Loop() {
    auto& core = *m_core;
    {
        std::lock_guard lock(core.watchdog_mutex);
        core.watchdog_done = true;
    }
    core.watchdog_wake.notify_all();
    if (core.watchdog.joinable()) core.watchdog.join();
    core.pool.stop();
    core.pool.join();
}

void Loop::post(std::function<void()> task) {
    asio::post(m_core->io, [task = std::move(task)] { guarded("posted task", task); });
}

void Loop::post_work(std::function<void()> task) {
    asio::post(m_core->pool, [task = std::move(task)] { guarded("worker task", task); });
}

void Loop::after(std::chrono::milliseconds delay, std::function<void()> task) {
    asio::post(m_core->io, [core = m_core.get(), delay, task = std::move(task)]() mutable {
        if (core->stopping) return;
        auto timer = std::make_shared<asio::steady_timer>(core->io);
        core->track(timer);
        timer->expires_after(delay);
        timer->async_wait([core, timer, task = std::move(task)](const boost::system::error_code& ec) {
            if (ec || core->stopping) return;
            guarded("timer task", task);
        });
    });
}

namespace {

void schedule_periodic(detail::LoopCore& core, std::shared_ptr<asio::steady_timer> timer, Loop::TimePoint next,
                       std::chrono::milliseconds interval, std::shared_ptr<std::function<void()>> task) {
    timer->expires_at(next);
    auto& t = *timer;
    t.async_wait([&core, timer = std::move(timer), next, interval,
                  task = std::move(task)](const boost::system::error_code& ec) mutable {
        if (ec || core.stopping) return;
        guarded("periodic task", *task);
        if (core.stopping) return;
        auto following = next + interval;
        const auto now = Loop::Clock::now();
        if (following < now) following = now + interval; // late: no burst of catch-up ticks
        schedule_periodic(core, std::move(timer), following, interval, std::move(task));
    });
}

} // namespace

void Loop::every(std::chrono::milliseconds interval, std::function<void()> task) {
    interval = std::max(interval, std::chrono::milliseconds(1));
    asio::post(m_core->io, [core = m_core.get(), interval, task = std::move(task)]() mutable {
        if (core->stopping) return;
        auto timer = std::make_shared<asio::steady_timer>(core->io);
        core->track(timer);
        schedule_periodic(*core, std::move(timer), Clock::now() + interval, interval,
                          std::make_shared<std::function<void()>>(std::move(task)));
    });
}

void Loop::on_shutdown(ShutdownStage stage, std::function<void()> task) {
    m_core->shutdown_hooks[static_cast<std::size_t>(stage)].push_back(std::move(task));
}

void Loop::run() {
    auto& core = *m_core;
    core.loop_thread = std::this_thread::get_id();
    core.ran = true;
    if (core.options.handle_signals) {
        core.signals.add(SIGINT);
        core.signals.add(SIGTERM);
        core.signals.async_wait([&core](const boost::system::error_code& ec, int signal) {
            if (ec) return;
            spdlog::info("runtime: signal {} received, shutting down", signal);
            core.begin_shutdown();
        });
    }
    core.io.run();
    // Work already handed to the pool runs to its end; what it posts back runs once.
    core.pool.join();
    core.io.restart();
    core.io.poll();
    {
        std::lock_guard lock(core.watchdog_mutex);
        core.watchdog_done = true;
    }
    core.watchdog_wake.notify_all();
    if (core.watchdog.joinable()) core.watchdog.join();
    core.loop_thread = std::thread::id{};
}

void Loop::stop() {
    asio::post(m_core->io, [core = m_core.get()] { core->begin_shutdown(); });
}

bool Loop::stopping() const noexcept { return m_core->stopping.load(); }

bool Loop::on_loop_thread() const noexcept { return m_core->loop_thread.load() == std::this_thread::get_id(); }

std::uint32_t Loop::worker_threads() const noexcept { return std::max<std::uint32_t>(1, m_core->options.worker_threads); }

// --- Timer -----------------------------------------------------------------------------------------

struct Timer::Impl {
    explicit Impl(asio::io_context& io) : timer(io) {}
    asio::steady_timer timer;
    std::uint64_t generation = 0; // an arming's callback runs only if no later arm()/cancel() came
    bool armed = false;
};

Timer::Timer(Loop& loop) : m_impl(std::make_shared<Impl>(loop.core().io)) {}

Timer::~Timer() {
    if (m_impl) m_impl->timer.cancel();
}

void Timer::arm(Loop::TimePoint when, std::function<void()> on_due) {
    auto& impl = *m_impl;
    const std::uint64_t generation = ++impl.generation;
    impl.armed = true;
    impl.timer.expires_at(when);
    impl.timer.async_wait([weak = std::weak_ptr<Impl>(m_impl), generation,
                           task = std::move(on_due)](const boost::system::error_code& ec) {
        auto self = weak.lock();
        if (ec || !self || self->generation != generation) return;
        self->armed = false;
        guarded("timer task", task);
    });
}

void Timer::cancel() {
    ++m_impl->generation;
    m_impl->armed = false;
    m_impl->timer.cancel();
}

bool Timer::armed() const noexcept { return m_impl->armed; }

Loop::TimePoint Timer::expiry() const noexcept { return m_impl->timer.expiry(); }

// --- Serial ----------------------------------------------------------------------------------------

struct Serial::Impl {
    explicit Impl(asio::thread_pool& pool) : strand(asio::make_strand(pool.get_executor())) {}
    asio::strand<asio::thread_pool::executor_type> strand;
};

Serial::Serial(Loop& loop) : m_impl(std::make_unique<Impl>(loop.core().pool)) {}
Serial::~Serial() = default;

void Serial::post(std::function<void()> task) {
    asio::post(m_impl->strand, [task = std::move(task)] { guarded("serial task", task); });
}

} // namespace nym::runtime
