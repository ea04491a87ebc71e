#include <crypto/keccak.hpp>

#include <string>

#include "test_support.hpp"

namespace nym::crypto {
namespace {

using test::ascii;
using test::to_hex;

// Ethereum's Keccak-256 (original padding). The values were cross-checked against go's
// golang.org/x/crypto/sha3.NewLegacyKeccak256.
TEST(Keccak256, KnownAnswers) {
    EXPECT_EQ(to_hex(keccak256({})), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    EXPECT_EQ(to_hex(keccak256(ascii("abc"))), "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    EXPECT_EQ(to_hex(keccak256(ascii("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
              "45d3b367a6904e6e8d502ee04999a7c27647f91fa845d456525fd352ae3d7371");
    EXPECT_EQ(
        to_hex(keccak256(ascii("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqkl"
                               "mnopqrlmnopqrsmnopqrstnopqrstu"))),
        "f519747ed599024f3882238e5ab43960132572b7345fbeb9a90769dafd21ad67");
    EXPECT_EQ(to_hex(keccak256(ascii(std::string(1000000, 'a')))),
              "fadae6b49f129bbb812be8407b7b2894f34aecf6dbd1f9b0f0c7e9853098fc96");
}

TEST(Keccak256, IsNotSha3) {
    // SHA3-256("") = a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a (FIPS 202 padding).
    EXPECT_NE(to_hex(keccak256({})), "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
}

TEST(Keccak256, IncrementalEqualsOneShotAcrossTheRateBoundary) {
    std::vector<std::uint8_t> msg(200); // > 136 bytes, the Keccak-256 rate
    for (std::size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<std::uint8_t>(i);
    EXPECT_EQ(to_hex(keccak256(msg)), "bfb0aa97863e797943cf7c33bb7e880bb4543f3d2703c0923c6901c2af57b890");

    Keccak256 h;
    for (int round = 0; round < 2; ++round) { // finish() resets the hasher
        h.update(std::span(msg).first(1)).update(std::span(msg).subspan(1, 135)).update(std::span(msg).subspan(136));
        EXPECT_EQ(h.finish(), keccak256(msg));
    }
    EXPECT_EQ(h.finish(), keccak256({}));
}

} // namespace
} // namespace nym::crypto
