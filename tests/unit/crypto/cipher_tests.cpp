#include <crypto/cipher.hpp>

#include <thread>

#include "test_support.hpp"

namespace nym::crypto {
namespace {

using test::hex;
using test::to_hex;

TEST(Aes128Ctr, Sp800_38a_F51) {
    const auto file = test::load_vectors("sp800_38a_aes128_ctr.json");
    ASSERT_EQ(file["vectors"].size(), 1u);
    const auto& v = file["vectors"][0];
    const auto key = test::hex_array<16>(v["key"]);
    const auto iv = test::hex_array<16>(v["initial_counter"]);
    const auto plaintext = hex(v["plaintext"]);
    std::vector<std::uint8_t> out(plaintext.size());
    aes128_ctr_xor(key, iv, plaintext, out);
    EXPECT_EQ(to_hex(out), v["ciphertext"].get<std::string>());

    // In place, and decryption is the same operation.
    aes128_ctr_xor(key, iv, out, out);
    EXPECT_EQ(out, plaintext);

    // Keystream = encryption of zeros; a partial last block works.
    std::vector<std::uint8_t> stream(37);
    aes128_ctr_keystream(key, iv, stream);
    const auto ct = hex(v["ciphertext"]);
    for (std::size_t i = 0; i < stream.size(); ++i)
        EXPECT_EQ(stream[i], static_cast<std::uint8_t>(ct[i] ^ plaintext[i])) << i;
}

TEST(Aes128Ctr, CounterCarriesAcrossAll128Bits) {
    // IV ff..ff: the second block's counter wraps to 00..00.
    std::array<std::uint8_t, 16> key{};
    std::array<std::uint8_t, 16> iv{};
    iv.fill(0xff);
    std::array<std::uint8_t, 32> wrapped{};
    aes128_ctr_keystream(key, iv, wrapped);
    std::array<std::uint8_t, 16> zero_iv{};
    std::array<std::uint8_t, 16> second{};
    aes128_ctr_keystream(key, zero_iv, second);
    EXPECT_TRUE(std::equal(second.begin(), second.end(), wrapped.begin() + 16));
}

TEST(Aes128Ctr, KeysAreNotStickyAcrossCallsOrThreads) {
    // The context is reused per thread: a call must use its own key, never the previous one.
    std::array<std::uint8_t, 16> k1{};
    std::array<std::uint8_t, 16> k2{};
    k2[0] = 1;
    std::array<std::uint8_t, 16> iv{};
    std::array<std::uint8_t, 64> a{};
    std::array<std::uint8_t, 64> b{};
    std::array<std::uint8_t, 64> a_again{};
    aes128_ctr_keystream(k1, iv, a);
    aes128_ctr_keystream(k2, iv, b);
    aes128_ctr_keystream(k1, iv, a_again);
    EXPECT_NE(a, b);
    EXPECT_EQ(a, a_again);
    std::array<std::uint8_t, 64> from_thread{};
    std::thread([&] { aes128_ctr_keystream(k1, iv, from_thread); }).join();
    EXPECT_EQ(from_thread, a);
}

TEST(ChaCha20, Rfc8439) {
    const auto file = test::load_vectors("rfc8439_chacha20.json");
    ASSERT_EQ(file["vectors"].size(), 2u);
    for (const auto& v : file["vectors"]) {
        const auto key = test::hex_array<32>(v["key"]);
        const auto nonce = test::hex_array<12>(v["nonce"]);
        const auto plaintext = hex(v["plaintext"]);
        std::vector<std::uint8_t> out(plaintext.size());
        chacha20_ietf_xor(key, nonce, v["counter"].get<std::uint32_t>(), plaintext, out);
        EXPECT_EQ(to_hex(out), v["ciphertext"].get<std::string>()) << "RFC 8439 " << v["name"];
        chacha20_ietf_xor(key, nonce, v["counter"].get<std::uint32_t>(), out, out);
        EXPECT_EQ(out, plaintext);
    }
}

TEST(ChaCha20, DjbVariantEqualsIetfWhenNonceAndCounterAlign) {
    // DJB state words 12..15 = counter(64 LE) | nonce(8); IETF = counter(32 LE) | nonce(12).
    // With an IETF nonce of [counter_hi(4 LE) | djb_nonce(8)], both build the same state.
    const auto key = test::hex_array<32>("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    const auto djb_nonce = test::hex_array<8>("0001020304050607");
    std::array<std::uint8_t, 12> ietf_nonce{};
    std::copy(djb_nonce.begin(), djb_nonce.end(), ietf_nonce.begin() + 4);
    std::vector<std::uint8_t> zeros(200);
    std::vector<std::uint8_t> djb(200);
    std::vector<std::uint8_t> ietf(200);
    chacha20_xor(key, djb_nonce, 5, zeros, djb);
    chacha20_ietf_xor(key, ietf_nonce, 5, zeros, ietf);
    EXPECT_EQ(djb, ietf);
    // Counter 0 vs 1 differ by exactly one 64-byte block.
    std::vector<std::uint8_t> c0(128);
    std::vector<std::uint8_t> c1(64);
    chacha20_xor(key, djb_nonce, 0, std::vector<std::uint8_t>(128), c0);
    chacha20_xor(key, djb_nonce, 1, std::vector<std::uint8_t>(64), c1);
    EXPECT_TRUE(std::equal(c1.begin(), c1.end(), c0.begin() + 64));
}

TEST(Ciphers, MismatchedBufferSizesFailClosed) {
    std::array<std::uint8_t, 16> key{};
    std::array<std::uint8_t, 16> iv{};
    std::vector<std::uint8_t> in(10, 0x41);
    std::vector<std::uint8_t> out(12, 0x41);
    aes128_ctr_xor(key, iv, in, out);
    EXPECT_EQ(out, std::vector<std::uint8_t>(12, 0));
    std::array<std::uint8_t, 32> ckey{};
    std::array<std::uint8_t, 8> nonce{};
    std::fill(out.begin(), out.end(), std::uint8_t{0x41});
    chacha20_xor(ckey, nonce, 0, in, out);
    EXPECT_EQ(out, std::vector<std::uint8_t>(12, 0));
}

} // namespace
} // namespace nym::crypto
