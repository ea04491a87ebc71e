#include <util/duration.hpp>

#include <gtest/gtest.h>

namespace nym::util {
namespace {

using namespace std::chrono_literals;

TEST(Duration, UnitsAndTheBareUnit) {
    EXPECT_EQ(parse_duration("500us", 1ms), std::optional<std::chrono::microseconds>(500us));
    EXPECT_EQ(parse_duration("15ms", 1ms), std::optional<std::chrono::microseconds>(15ms));
    EXPECT_EQ(parse_duration("2s", 1ms), std::optional<std::chrono::microseconds>(2s));
    EXPECT_EQ(parse_duration("5m", 1ms), std::optional<std::chrono::microseconds>(5min));
    EXPECT_EQ(parse_duration("5min", 1ms), std::optional<std::chrono::microseconds>(5min));
    EXPECT_EQ(parse_duration("1h", 1ms), std::optional<std::chrono::microseconds>(1h));
    EXPECT_EQ(parse_duration("15", 1ms), std::optional<std::chrono::microseconds>(15ms));
    EXPECT_EQ(parse_duration("15", 1s), std::optional<std::chrono::microseconds>(15s));
}

TEST(Duration, RefusesMalformedAndHugeValues) {
    for (const char* bad : {"", "ms", "-1s", "1.5s", "1 s", "1d", "10S", "1000000000000s", "8761h", "999999999999h"})
        EXPECT_FALSE(parse_duration(bad, 1s)) << bad;
    EXPECT_EQ(parse_duration("8760h", 1s), std::optional<std::chrono::microseconds>(MAX_DURATION));
}

TEST(Duration, FlagsCountSecondsAtMillisecondResolution) {
    EXPECT_EQ(parse_flag_duration("10"), std::optional<std::chrono::milliseconds>(10s));
    EXPECT_EQ(parse_flag_duration("1500ms"), std::optional<std::chrono::milliseconds>(1500ms));
    EXPECT_EQ(parse_flag_duration("2000us"), std::optional<std::chrono::milliseconds>(2ms));
    EXPECT_FALSE(parse_flag_duration("1500us"));
    EXPECT_FALSE(parse_flag_duration("2x"));
}

} // namespace
} // namespace nym::util
