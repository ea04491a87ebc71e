#include <node/logging.hpp>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace nym::node {

bool init_logging(std::string_view name, std::string_view level) {
    const auto parsed = spdlog::level::from_str(std::string(level));
    if (parsed == spdlog::level::off && level != "off") return false;
    auto logger = spdlog::get(std::string(name));
    if (!logger) logger = spdlog::stderr_color_mt(std::string(name));
    spdlog::set_default_logger(logger);
    spdlog::set_level(parsed);
    return true;
}

void FailureLog::failed(std::string_view why) {
    if (m_streak++ == 0) spdlog::warn("{} failed: {}", m_activity, why);
    else spdlog::debug("{} failed: {}", m_activity, why);
}

void FailureLog::succeeded() {
    if (m_streak != 0) spdlog::info("{} works again after {} failure(s)", m_activity, m_streak);
    m_streak = 0;
}

} // namespace nym::node
