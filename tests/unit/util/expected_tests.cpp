#include <util/expected.hpp>
#include <util/hex.hpp>

#include <gtest/gtest.h>

#include <string>

namespace nym {
namespace {

Expected<int> parse_positive(int x) {
    if (x <= 0) return fail(util::Errc::wrong_length);
    return x;
}

TEST(Expected, HoldsValueOrError) {
    auto ok = parse_positive(3);
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(*ok, 3);
    auto bad = parse_positive(-1);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error(), util::Errc::wrong_length);
    EXPECT_EQ(bad.value_or(7), 7);
}

TEST(Expected, SupportsErrorCodeAsValueType) {
    Expected<std::error_code> e(std::error_code{});
    EXPECT_TRUE(e.has_value());
    Expected<std::error_code> f = Unexpected(std::make_error_code(std::errc::invalid_argument));
    EXPECT_FALSE(f.has_value());
}

TEST(Expected, VoidSpecialisation) {
    Expected<void> ok;
    EXPECT_TRUE(ok);
    Expected<void> bad = fail(util::Errc::invalid_hex);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message(), "invalid hex digit");
}

TEST(ExpectedDeathTest, AccessingValueOfErrorAborts) {
    auto bad = parse_positive(0);
    EXPECT_DEATH({ (void)bad.value(); }, "");
}

} // namespace
} // namespace nym
