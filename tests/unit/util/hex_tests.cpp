#include <util/hex.hpp>

#include <gtest/gtest.h>

namespace nym::util {
namespace {

TEST(Hex, RoundTripsEveryByte) {
    Bytes all(256);
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint8_t>(i);
    const auto text = to_hex(all);
    ASSERT_EQ(text.size(), 512u);
    EXPECT_EQ(text.substr(0, 8), "00010203");
    auto back = from_hex(text);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, all);
}

TEST(Hex, AcceptsUpperCase) {
    auto r = from_hex("DEADbeef");
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, (Bytes{0xde, 0xad, 0xbe, 0xef}));
}

TEST(Hex, RejectsMalformedInputWithTypedErrors) {
    EXPECT_EQ(from_hex("abc").error(), Errc::odd_length);
    EXPECT_EQ(from_hex("zz").error(), Errc::invalid_hex);
    EXPECT_EQ(from_hex("0g").error(), Errc::invalid_hex);
    std::array<std::uint8_t, 2> out{};
    EXPECT_EQ(from_hex_into("aabbcc", out).error(), Errc::wrong_length);
}

} // namespace
} // namespace nym::util
