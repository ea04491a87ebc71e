#include <crypto/errors.hpp>
#include <crypto/lioness.hpp>
#include <crypto/rng.hpp>

#include "test_support.hpp"

namespace nym::crypto {
namespace {

using test::hex;
using test::to_hex;

LionessKey key_from(Rng& rng) {
    std::array<std::uint8_t, LIONESS_KEY_SIZE> raw{};
    rng.fill(raw);
    return LionessKey(raw);
}

std::vector<std::uint8_t> random_block(Rng& rng, std::size_t n) {
    std::vector<std::uint8_t> b(n);
    rng.fill(b);
    return b;
}

std::size_t differing_bytes(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < a.size(); ++i) n += a[i] != b[i] ? 1U : 0U;
    return n;
}

TEST(Lioness, KnownAnswers) {
    // Computed by an independent Python model (hashlib BLAKE2b + the cryptography package's ChaCha20).
    const auto file = test::load_vectors("lioness.json");
    ASSERT_EQ(file["vectors"].size(), 4u);
    for (const auto& v : file["vectors"]) {
        const LionessKey key(test::hex_array<LIONESS_KEY_SIZE>(v["key"]));
        auto block = hex(v["plaintext"]);
        ASSERT_EQ(block.size(), v["size"].get<std::size_t>());
        ASSERT_TRUE(lioness_encrypt(key, block));
        EXPECT_EQ(to_hex(block), v["ciphertext"].get<std::string>()) << "size " << v["size"];
        ASSERT_TRUE(lioness_decrypt(key, block));
        EXPECT_EQ(to_hex(block), v["plaintext"].get<std::string>()) << "size " << v["size"];
    }
}

TEST(Lioness, RoundTripsForManySizes) {
    DeterministicRng rng(1);
    for (std::size_t size : {33u, 34u, 63u, 64u, 65u, 100u, 1024u, 2065u, 4096u}) {
        const auto key = key_from(rng);
        const auto plain = random_block(rng, size);
        auto block = plain;
        ASSERT_TRUE(lioness_encrypt(key, block));
        EXPECT_GT(differing_bytes(block, plain), size / 2) << size;
        ASSERT_TRUE(lioness_decrypt(key, block));
        EXPECT_EQ(block, plain) << size;
        // decrypt then encrypt is the identity too
        ASSERT_TRUE(lioness_decrypt(key, block));
        ASSERT_TRUE(lioness_encrypt(key, block));
        EXPECT_EQ(block, plain) << size;
    }
}

TEST(Lioness, IsAWideBlockCipher) {
    // One flipped bit anywhere, in plaintext or ciphertext, changes (almost) every byte of the
    // other side, in both halves.
    DeterministicRng rng(2);
    const auto key = key_from(rng);
    const std::size_t size = 1024;
    const auto plain = random_block(rng, size);
    auto cipher = plain;
    ASSERT_TRUE(lioness_encrypt(key, cipher));
    for (std::size_t pos : {std::size_t{0}, std::size_t{31}, std::size_t{32}, std::size_t{500}, size - 1}) {
        auto tampered = cipher;
        tampered[pos] ^= 0x01;
        ASSERT_TRUE(lioness_decrypt(key, tampered));
        EXPECT_GT(differing_bytes(std::span(tampered).first(32), std::span(plain).first(32)), 24u) << pos;
        EXPECT_GT(differing_bytes(std::span(tampered).subspan(32), std::span(plain).subspan(32)), (size - 32) * 9 / 10)
            << pos;

        auto p2 = plain;
        p2[pos] ^= 0x80;
        ASSERT_TRUE(lioness_encrypt(key, p2));
        EXPECT_GT(differing_bytes(p2, cipher), size * 9 / 10) << pos;
    }
}

TEST(Lioness, EveryKeyPartMatters) {
    DeterministicRng rng(3);
    const auto key = key_from(rng);
    const auto plain = random_block(rng, 200);
    auto reference = plain;
    ASSERT_TRUE(lioness_encrypt(key, reference));
    for (std::size_t pos : {0u, 31u, 32u, 95u, 96u, 127u, 128u, 191u}) {
        LionessKey other = key;
        other.mutable_bytes()[pos] ^= 0x01;
        auto block = plain;
        ASSERT_TRUE(lioness_encrypt(other, block));
        EXPECT_NE(block, reference) << "key byte " << pos;
    }
}

TEST(Lioness, ShortBlocksAreRejectedUntouched) {
    DeterministicRng rng(4);
    const auto key = key_from(rng);
    for (std::size_t size : {0u, 1u, 31u, 32u}) {
        std::vector<std::uint8_t> block(size, 0x5a);
        const auto e = lioness_encrypt(key, block);
        ASSERT_FALSE(e) << size;
        EXPECT_EQ(e.error(), Errc::invalid_length);
        const auto d = lioness_decrypt(key, block);
        ASSERT_FALSE(d) << size;
        EXPECT_EQ(d.error(), Errc::invalid_length);
        EXPECT_EQ(block, std::vector<std::uint8_t>(size, 0x5a));
    }
}

} // namespace
} // namespace nym::crypto
