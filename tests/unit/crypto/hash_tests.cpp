#include <crypto/errors.hpp>
#include <crypto/hash.hpp>

#include <sodium.h>

#include "test_support.hpp"

namespace nym::crypto {
namespace {

using test::ascii;
using test::hex;
using test::to_hex;

TEST(Sha256, Fips180Abc) {
    EXPECT_EQ(to_hex(sha256(ascii("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(to_hex(sha256({})), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(HmacSha256, Rfc4231) {
    const auto file = test::load_vectors("rfc4231_hmac_sha256.json");
    ASSERT_EQ(file["vectors"].size(), 7u);
    for (const auto& v : file["vectors"]) {
        const std::string expected = v["mac"];
        const auto tag = hmac_sha256(hex(v["key"]), hex(v["data"]));
        EXPECT_EQ(to_hex(tag).substr(0, expected.size()), expected) << "RFC 4231 test case " << v["name"];
    }
}

TEST(HmacSha256, IncrementalEqualsOneShotAndStateResetsAfterFinish) {
    const auto key = hex("000102030405060708090a0b0c0d0e0f");
    std::vector<std::uint8_t> msg(300);
    for (std::size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<std::uint8_t>(i * 7);
    const auto expected = hmac_sha256(key, msg);

    HmacSha256 mac(key);
    for (int round = 0; round < 3; ++round) { // finish() must leave the keyed state ready for reuse
        mac.update(std::span(msg).first(1));
        mac.update(std::span(msg).subspan(1, 100));
        mac.update(std::span(msg).subspan(101));
        EXPECT_EQ(mac.finish(), expected) << "round " << round;
    }
    HmacSha256 copy = mac;
    copy.update(msg);
    EXPECT_EQ(copy.finish(), expected);
    HmacSha256 assigned(ascii("other key"));
    assigned = mac;
    assigned.update(msg);
    EXPECT_EQ(assigned.finish(), expected);
}

TEST(HmacSha256, DifferentKeysOrMessagesGiveDifferentTags) {
    const auto a = hmac_sha256(ascii("key"), ascii("message"));
    EXPECT_NE(a, hmac_sha256(ascii("kez"), ascii("message")));
    EXPECT_NE(a, hmac_sha256(ascii("key"), ascii("messagf")));
}

TEST(HkdfSha256, Rfc5869) {
    const auto file = test::load_vectors("rfc5869_hkdf_sha256.json");
    ASSERT_EQ(file["vectors"].size(), 3u);
    for (const auto& v : file["vectors"]) {
        std::vector<std::uint8_t> okm(v["length"].get<std::size_t>());
        ASSERT_TRUE(hkdf_sha256(hex(v["salt"]), hex(v["ikm"]), hex(v["info"]), okm)) << v["name"];
        EXPECT_EQ(to_hex(okm), v["okm"].get<std::string>()) << "RFC 5869 " << v["name"];
        // The extract step on its own is HMAC(salt or 32 zero bytes, IKM).
        auto salt = hex(v["salt"]);
        if (salt.empty()) salt.assign(32, 0);
        EXPECT_EQ(to_hex(hmac_sha256(salt, hex(v["ikm"]))), v["prk"].get<std::string>()) << v["name"];
    }
}

TEST(HkdfSha256, PrefixPropertyAndLengthLimit) {
    const auto ikm = ascii("input keying material");
    std::vector<std::uint8_t> long_out(255 * 32);
    ASSERT_TRUE(hkdf_sha256({}, ikm, ascii("info"), long_out));
    std::vector<std::uint8_t> short_out(45);
    ASSERT_TRUE(hkdf_sha256({}, ikm, ascii("info"), short_out));
    EXPECT_TRUE(std::equal(short_out.begin(), short_out.end(), long_out.begin()));
    std::vector<std::uint8_t> too_long(255 * 32 + 1);
    const auto r = hkdf_sha256({}, ikm, ascii("info"), too_long);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), Errc::invalid_length);
    std::vector<std::uint8_t> empty;
    EXPECT_TRUE(hkdf_sha256({}, ikm, ascii("info"), empty));
}

TEST(Blake2b, Rfc7693Abc) {
    const auto file = test::load_vectors("rfc7693_blake2b.json");
    ASSERT_EQ(file["vectors"].size(), 1u);
    for (const auto& v : file["vectors"]) {
        std::array<std::uint8_t, 64> out{};
        ASSERT_TRUE(blake2b(hex(v["key"]), hex(v["data"]), out));
        EXPECT_EQ(to_hex(out), v["digest"].get<std::string>());
    }
}

TEST(Blake2b, KeyedAndShortOutputsMatchLibsodiumAndBoundsAreChecked) {
    std::array<std::uint8_t, 64> key{};
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i);
    const auto data = ascii("lioness hash input");
    std::array<std::uint8_t, 32> ours{};
    std::array<std::uint8_t, 32> theirs{};
    ASSERT_TRUE(blake2b(key, data, ours));
    ASSERT_EQ(
        crypto_generichash_blake2b(theirs.data(), theirs.size(), data.data(), data.size(), key.data(), key.size()), 0);
    EXPECT_EQ(ours, theirs);
    std::array<std::uint8_t, 32> unkeyed{};
    ASSERT_TRUE(blake2b({}, data, unkeyed));
    EXPECT_NE(unkeyed, ours);

    std::array<std::uint8_t, 1> one{};
    EXPECT_TRUE(blake2b(key, data, one));
    std::array<std::uint8_t, 65> too_long{};
    EXPECT_EQ(blake2b(key, data, too_long).error(), Errc::invalid_length);
    std::array<std::uint8_t, 65> long_key{};
    EXPECT_EQ(blake2b(long_key, data, ours).error(), Errc::invalid_length);
    std::span<std::uint8_t> none;
    EXPECT_EQ(blake2b(key, data, none).error(), Errc::invalid_length);
}

} // namespace
} // namespace nym::crypto
