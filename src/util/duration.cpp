#include <util/duration.hpp>

#include <cstdint>

namespace nym::util {

std::optional<std::chrono::microseconds> parse_duration(std::string_view text,
                                                        std::chrono::microseconds bare_unit) noexcept {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == 0 || digits > 12) return std::nullopt; // 12 digits of any unit cannot overflow below
    std::int64_t value = 0;
    for (std::size_t i = 0; i < digits; ++i) value = value * 10 + (text[i] - '0');
    const std::string_view unit = text.substr(digits);
    std::int64_t scale = 0;
    if (unit.empty()) scale = bare_unit.count();
    else if (unit == "us") scale = 1;
    else if (unit == "ms") scale = 1000;
    else if (unit == "s") scale = 1'000'000;
    else if (unit == "m" || unit == "min") scale = 60'000'000;
    else if (unit == "h") scale = 3'600'000'000;
    else return std::nullopt;
    if (scale <= 0 || value > MAX_DURATION.count() / scale) return std::nullopt;
    return std::chrono::microseconds(value * scale);
}

std::optional<std::chrono::milliseconds> parse_flag_duration(std::string_view text) noexcept {
    const auto d = parse_duration(text, std::chrono::seconds(1));
    if (!d || d->count() % 1000 != 0) return std::nullopt;
    return std::chrono::duration_cast<std::chrono::milliseconds>(*d);
}

} // namespace nym::util
