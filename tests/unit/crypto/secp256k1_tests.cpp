#include <crypto/errors.hpp>
#include <crypto/keccak.hpp>
#include <crypto/rng.hpp>
#include <crypto/secp256k1.hpp>

#include <string>

#include "test_support.hpp"

namespace nym::crypto {
namespace {

using test::hex;
using test::hex_array;
using test::to_hex;

constexpr const char* GROUP_ORDER = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";

Secp256k1SecretKey key_from_hex(const std::string& h) {
    auto key = Secp256k1SecretKey::from_hex(h);
    EXPECT_TRUE(key) << h;
    return std::move(*key);
}

/// n - s, big-endian 32 bytes (s < n).
std::array<std::uint8_t, 32> negate_mod_n(std::span<const std::uint8_t, 32> s) {
    const auto n = hex_array<32>(GROUP_ORDER);
    std::array<std::uint8_t, 32> out{};
    int borrow = 0;
    for (int i = 31; i >= 0; --i) {
        const auto idx = static_cast<std::size_t>(i);
        int d = n[idx] - s[idx] - borrow;
        borrow = d < 0 ? 1 : 0;
        out[idx] = static_cast<std::uint8_t>(d + (borrow ? 256 : 0));
    }
    return out;
}

// EIP-155's worked example: private key 0x4646...46 signs a legacy transaction for chain id 1
// (nonce 9, gas price 20 gwei, gas 21000, to 0x3535...35, value 1 ether). The signing hash, r, s
// and v = 37 (recovery id 0) are the EIP's.
TEST(Secp256k1, Eip155ExampleTransaction) {
    const auto key = key_from_hex("0x4646464646464646464646464646464646464646464646464646464646464646");
    EXPECT_EQ(key.address().to_checksum_hex(), "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F");

    const auto signing_rlp =
        hex("ec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080");
    const Keccak256Digest digest = keccak256(signing_rlp);
    EXPECT_EQ(to_hex(digest), "daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53");

    const RecoverableSignature sig = key.sign_recoverable(digest);
    EXPECT_EQ(to_hex(sig.r()), "28ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276");
    EXPECT_EQ(to_hex(sig.s()), "67cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83");
    EXPECT_EQ(sig.v(), 0); // v = 37 = recovery id + 35 + 2 * chain id

    // The signed transaction of the EIP carries exactly these r and s.
    const std::string signed_tx = "f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a7640000"
                                  "8025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f"
                                  "761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83";
    EXPECT_NE(signed_tx.find(to_hex(sig.r())), std::string::npos);
    EXPECT_NE(signed_tx.find(to_hex(sig.s())), std::string::npos);

    auto parsed = RecoverableSignature::parse(sig.bytes);
    ASSERT_TRUE(parsed);
    auto recovered = recover_address(digest, *parsed);
    ASSERT_TRUE(recovered);
    EXPECT_EQ(*recovered, key.address());
    auto pub = secp256k1_recover(digest, *parsed);
    ASSERT_TRUE(pub);
    EXPECT_EQ(*pub, key.public_key());
}

TEST(Secp256k1, WellKnownAddresses) {
    EXPECT_EQ(key_from_hex(std::string(63, '0') + "1").address().to_checksum_hex(),
              "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
    EXPECT_EQ(key_from_hex(std::string(63, '0') + "2").address().to_checksum_hex(),
              "0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF");
    // The generator G for key 1, in SEC 1 form.
    EXPECT_EQ(to_hex(key_from_hex(std::string(63, '0') + "1").public_key().serialize_compressed()),
              "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
}

TEST(Secp256k1, SecretKeyRange) {
    EXPECT_EQ(Secp256k1SecretKey::from_hex(std::string(64, '0')).error(), Errc::invalid_secret_key);
    EXPECT_EQ(Secp256k1SecretKey::from_hex(GROUP_ORDER).error(), Errc::invalid_secret_key);
    EXPECT_EQ(Secp256k1SecretKey::from_hex(std::string(64, 'f')).error(), Errc::invalid_secret_key);
    EXPECT_TRUE(Secp256k1SecretKey::from_hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140"));
    EXPECT_EQ(Secp256k1SecretKey::from_hex("abcd").error(), Errc::invalid_length);
    EXPECT_EQ(Secp256k1SecretKey::from_hex(std::string(63, '0') + "g").error(), Errc::invalid_hex);
}

TEST(Secp256k1, PublicKeyEncodings) {
    DeterministicRng rng(7);
    for (int i = 0; i < 8; ++i) {
        const auto key = Secp256k1SecretKey::generate(rng);
        const auto pub = key.public_key();
        const auto unc = pub.serialize_uncompressed();
        const auto comp = pub.serialize_compressed();
        EXPECT_EQ(*Secp256k1PublicKey::parse(unc), pub);
        EXPECT_EQ(*Secp256k1PublicKey::parse(comp), pub);
        EXPECT_EQ(*Secp256k1PublicKey::parse(pub.raw()), pub);
        auto hybrid = unc;
        hybrid[0] = static_cast<std::uint8_t>(0x06 | (unc[64] & 1));
        EXPECT_EQ(Secp256k1PublicKey::parse(hybrid).error(), Errc::invalid_point);
        auto off_curve = unc;
        off_curve[64] ^= 1;
        EXPECT_EQ(Secp256k1PublicKey::parse(off_curve).error(), Errc::invalid_point);
        auto bad_prefix = comp;
        bad_prefix[0] = 0x04;
        EXPECT_EQ(Secp256k1PublicKey::parse(bad_prefix).error(), Errc::invalid_point);
    }
    EXPECT_EQ(Secp256k1PublicKey::parse(std::vector<std::uint8_t>(32, 2)).error(), Errc::invalid_length);
    // x = 5 has no point on secp256k1 (5^3 + 7 = 132 is not a square mod p).
    auto no_point = hex("02" + std::string(62, '0') + "05");
    EXPECT_EQ(Secp256k1PublicKey::parse(no_point).error(), Errc::invalid_point);
}

TEST(Secp256k1, SignatureParsingRefusesNonCanonicalEncodings) {
    const auto key = key_from_hex(std::string(64, '4'));
    const auto digest = keccak256(test::ascii("message"));
    const auto sig = key.sign_recoverable(digest);
    ASSERT_TRUE(RecoverableSignature::parse(sig.bytes));

    EXPECT_EQ(RecoverableSignature::parse(std::span(sig.bytes).first(64)).error(), Errc::invalid_length);
    auto v = sig.bytes;
    v[64] = 2;
    EXPECT_EQ(RecoverableSignature::parse(v).error(), Errc::invalid_recovery_id);
    v[64] = 27; // Ethereum's legacy v is converted by the caller, never taken as is
    EXPECT_EQ(RecoverableSignature::parse(v).error(), Errc::invalid_recovery_id);

    auto zero_r = sig.bytes;
    std::fill(zero_r.begin(), zero_r.begin() + 32, 0);
    EXPECT_EQ(RecoverableSignature::parse(zero_r).error(), Errc::invalid_signature);
    auto zero_s = sig.bytes;
    std::fill(zero_s.begin() + 32, zero_s.begin() + 64, 0);
    EXPECT_EQ(RecoverableSignature::parse(zero_s).error(), Errc::invalid_signature);
    auto big_r = sig.bytes;
    const auto n = hex_array<32>(GROUP_ORDER);
    std::copy(n.begin(), n.end(), big_r.begin());
    EXPECT_EQ(RecoverableSignature::parse(big_r).error(), Errc::invalid_signature);

    // The malleable twin (r, n - s, 1 - v) is a valid ECDSA signature of the same key; it is refused.
    auto twin = sig.bytes;
    const auto neg = negate_mod_n(sig.s());
    std::copy(neg.begin(), neg.end(), twin.begin() + 32);
    twin[64] = static_cast<std::uint8_t>(1 - sig.v());
    EXPECT_EQ(RecoverableSignature::parse(twin).error(), Errc::high_s);
    RecoverableSignature forged; // built by hand, bypassing parse(): recovery refuses it too
    forged.bytes = twin;
    EXPECT_EQ(secp256k1_recover(digest, forged).error(), Errc::high_s);
}

TEST(Secp256k1, SignRecoverRoundTripAndTampering) {
    DeterministicRng rng(42);
    for (int i = 0; i < 32; ++i) {
        const auto key = Secp256k1SecretKey::generate(rng);
        std::array<std::uint8_t, 32> digest{};
        rng.fill(digest);
        const auto sig = key.sign_recoverable(digest);
        EXPECT_EQ(sig, key.sign_recoverable(digest)) << "RFC 6979 signing is deterministic";
        ASSERT_TRUE(RecoverableSignature::parse(sig.bytes)) << "signing always yields low s and v in {0,1}";
        auto addr = recover_address(digest, sig);
        ASSERT_TRUE(addr);
        EXPECT_EQ(*addr, key.address());

        // A flipped digest bit recovers another key (or none).
        auto other_digest = digest;
        other_digest[static_cast<std::size_t>(i) % 32] ^= static_cast<std::uint8_t>(1u << (i % 8));
        auto other = recover_address(other_digest, sig);
        EXPECT_TRUE(!other || *other != key.address());

        // A flipped signature bit is refused or recovers another key.
        for (std::size_t bit :
             {std::size_t{3}, std::size_t{255}, std::size_t{300}, std::size_t{511}, std::size_t{512}}) {
            auto bytes = sig.bytes;
            bytes[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
            auto parsed = RecoverableSignature::parse(bytes);
            if (!parsed) continue;
            auto who = recover_address(digest, *parsed);
            EXPECT_TRUE(!who || *who != key.address()) << "bit " << bit;
        }
    }
}

TEST(EthereumAddress, Eip55Checksums) {
    for (const char* text :
         {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
          "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
          "0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
          "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26"}) {
        auto addr = EthereumAddress::from_hex(text);
        ASSERT_TRUE(addr) << text;
        std::string lower = text;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        EXPECT_EQ(addr->to_hex(), lower);
        const bool mixed = lower != text && std::string(text).find_first_of("abcdef") != std::string::npos;
        if (mixed) {
            EXPECT_EQ(addr->to_checksum_hex(), text);
        }
    }
    EXPECT_EQ(EthereumAddress::from_hex("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD").error(), Errc::invalid_hex);
    EXPECT_EQ(EthereumAddress::from_hex("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")->to_checksum_hex(),
              "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
    EXPECT_EQ(EthereumAddress::from_hex("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea").error(), Errc::invalid_hex);
    EXPECT_EQ(EthereumAddress::from_hex("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaez").error(), Errc::invalid_hex);
    EXPECT_EQ(EthereumAddress::from_bytes(std::vector<std::uint8_t>(19)).error(), Errc::invalid_length);
}

} // namespace
} // namespace nym::crypto
