#include <crypto/base58.hpp>
#include <crypto/errors.hpp>
#include <crypto/rng.hpp>

#include "test_support.hpp"

namespace nym::crypto {
namespace {

using test::hex;
using test::to_hex;

TEST(Base58, KnownAnswers) {
    const auto file = test::load_vectors("base58.json");
    ASSERT_GE(file["vectors"].size(), 10u);
    for (const auto& v : file["vectors"]) {
        const auto bytes = hex(v["hex"]);
        EXPECT_EQ(base58_encode(bytes), v["text"].get<std::string>());
        const auto decoded = base58_decode(v["text"].get<std::string>());
        ASSERT_TRUE(decoded) << v["text"];
        EXPECT_EQ(to_hex(*decoded), v["hex"].get<std::string>());
    }
}

TEST(Base58, RoundTripsRandomKeysWithLeadingZeros) {
    DeterministicRng rng(58);
    for (std::size_t len : {0u, 1u, 2u, 31u, 32u, 33u, 64u, 100u}) {
        for (std::size_t zeros = 0; zeros <= 3 && zeros <= len; ++zeros) {
            std::vector<std::uint8_t> bytes(len);
            rng.fill(bytes);
            for (std::size_t i = 0; i < zeros; ++i) bytes[i] = 0;
            if (zeros < len && bytes[zeros] == 0) bytes[zeros] = 1;
            const auto text = base58_encode(bytes);
            EXPECT_EQ(text.find_first_not_of('1'), zeros == len ? std::string::npos : zeros) << text;
            const auto back = base58_decode(text);
            ASSERT_TRUE(back) << text;
            EXPECT_EQ(*back, bytes);
        }
    }
}

TEST(Base58, RejectsForeignCharactersAndOverlongInput) {
    for (const char* bad : {"0", "O", "I", "l", "abc+", "abc def", "\xff", "1\n"}) {
        const auto r = base58_decode(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error(), Errc::invalid_base58) << bad;
    }
    const std::vector<std::uint8_t> max(BASE58_MAX_DECODED, 0xff);
    const auto text = base58_encode(max);
    const auto ok = base58_decode(text);
    ASSERT_TRUE(ok);
    EXPECT_EQ(*ok, max);
    EXPECT_EQ(base58_decode(text + "z").error(), Errc::invalid_length);
    EXPECT_EQ(base58_decode(std::string(BASE58_MAX_DECODED + 1, '1')).error(), Errc::invalid_length);
    EXPECT_EQ(base58_decode(std::string(100000, '2')).error(), Errc::invalid_length);
}

} // namespace
} // namespace nym::crypto
