#pragma once
// Logging set-up shared by every daemon, and the "first failure warns, the rest are debug" rule that
// keeps a dead peer from flooding the log.

#include <cstdint>
#include <string>
#include <string_view>

namespace nym::node {

/// Logs go to stderr under `name` at `level` (trace, debug, info, warn, error, critical, off);
/// stdout stays free for the one line that scripts read. False for an unknown level.
[[nodiscard]] bool init_logging(std::string_view name, std::string_view level);

/// Counts a streak of failures of one activity ("directory heartbeat"): the first failure of a
/// streak is a warning, the others debug, and the first success after a streak says how long it was.
class FailureLog {
public:
    explicit FailureLog(std::string activity) : m_activity(std::move(activity)) {}
    void failed(std::string_view why);
    void succeeded();
    [[nodiscard]] std::uint64_t streak() const noexcept { return m_streak; }

private:
    std::string m_activity;
    std::uint64_t m_streak = 0;
};

} // namespace nym::node
