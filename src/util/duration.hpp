#pragma once
// Durations as operators write them on command lines and in config files: an integer and a unit.

#include <chrono>
#include <optional>
#include <string_view>

namespace nym::util {

/// The longest duration accepted anywhere: one year (also keeps every deadline far from overflow).
inline constexpr std::chrono::microseconds MAX_DURATION{365LL * 24 * 3600 * 1000 * 1000};

/// "<digits><unit>" with unit us, ms, s, m (or min) or h; a bare number counts in `bare_unit`.
/// std::nullopt for anything else or for more than MAX_DURATION.
[[nodiscard]] std::optional<std::chrono::microseconds> parse_duration(std::string_view text,
                                                                      std::chrono::microseconds bare_unit) noexcept;

/// The daemons' flag form ("10s", "1500ms", "2m", a bare number of seconds) at millisecond
/// resolution: a value that is not a whole number of milliseconds is refused.
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_flag_duration(std::string_view text) noexcept;

} // namespace nym::util
