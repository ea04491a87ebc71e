// Cross-checks against the known-answer vectors produced by Nym's own Rust sphinx-packet crate
// (../shared/vectors/nym_sphinx_vectors.json). The file is never copied into this repository;
// without it these tests skip.

#include <crypto/curve25519_ref.hpp>
#include <crypto/hash.hpp>
#include <crypto/lioness.hpp>
#include <crypto/x25519.hpp>

#include "test_support.hpp"

namespace nym::crypto {
namespace {

using test::hex;
using test::hex_array;
using test::to_hex;

constexpr const char* FILE_NAME = "nym_sphinx_vectors.json";
constexpr std::size_t HEADER_SIZE = 348; // alpha 32 | gamma 16 | beta 300

#define LOAD_NYM_VECTORS_OR_SKIP(var)                                                                                  \
    const auto var##_opt = test::load_shared_vectors(FILE_NAME);                                                       \
    if (!var##_opt) GTEST_SKIP() << "shared/vectors/" << FILE_NAME << " not found under " << NYM_SHARED_DIR;           \
    const nlohmann::json& var = *var##_opt

TEST(NymVectors, UnclampedLadderMatchesDalek) {
    LOAD_NYM_VECTORS_OR_SKIP(file);
    ASSERT_EQ(file["x25519_vectors"].size(), 4u);
    for (const auto& v : file["x25519_vectors"]) {
        const auto raw = hex_array<32>(v["scalar_raw"]);
        const auto s = Scalar25519::from_bytes_mod_order(raw);
        EXPECT_EQ(to_hex(s.bytes()), v["scalar_mod_l"].get<std::string>());
        const MontgomeryPoint p{hex_array<32>(v["point_u"])};
        const auto r = scalarmult(s, p);
        ASSERT_TRUE(r);
        EXPECT_EQ(to_hex(r->bytes), v["ladder_unclamped_result"].get<std::string>());
        EXPECT_EQ(to_hex(detail::montgomery_ladder_unclamped(s.bytes(), p.bytes)),
                  v["ladder_unclamped_result"].get<std::string>());
        // The clamped comparison value is RFC 7748 X25519 of the *reduced* scalar's bytes.
        const auto clamped = x25519(X25519SecretKey::from_bytes(hex_array<32>(v["scalar_mod_l"])), p);
        ASSERT_TRUE(clamped);
        EXPECT_EQ(to_hex(clamped->bytes), v["rfc7748_clamped_result_for_comparison"].get<std::string>());
        EXPECT_NE(clamped->bytes, r->bytes); // the point of these vectors: clamping changes the result
        EXPECT_EQ(to_hex(X25519SecretKey::from_bytes(raw).public_key().bytes),
                  v["public_key_of_scalar_raw"].get<std::string>());
    }
}

TEST(NymVectors, NodeKeysClampAndDerivePublicKeys) {
    LOAD_NYM_VECTORS_OR_SKIP(file);
    std::size_t checked = 0;
    for (const char* section : {"vectors", "surb_vectors"}) {
        for (const auto& v : file[section]) {
            for (const auto& node : v["inputs"]["nodes"]) {
                const auto k = X25519SecretKey::from_bytes(hex_array<32>(node["private_key_raw"]));
                EXPECT_EQ(to_hex(k.bytes()), node["private_key_clamped"].get<std::string>());
                EXPECT_EQ(to_hex(k.public_key().bytes), node["public_key"].get<std::string>());
                ++checked;
            }
            const auto initial = X25519SecretKey::from_bytes(hex_array<32>(v["inputs"]["initial_secret_raw"]));
            EXPECT_EQ(to_hex(initial.bytes()), v["inputs"]["initial_secret_clamped"].get<std::string>());
        }
    }
    EXPECT_GT(checked, 10u);
}

// Every per-hop intermediate: alpha_i = acc_i * G, s_i = sk_i * alpha_i, the HKDF split, and the
// blinding alpha_{i+1} = (b_i mod l) * alpha_i with the unclamped ladder.
TEST(NymVectors, HopIntermediatesReproduce) {
    LOAD_NYM_VECTORS_OR_SKIP(file);
    const std::string info = file["constants"]["hkdf_info_ascii"];
    std::size_t hops_checked = 0;
    for (const char* section : {"vectors", "surb_vectors"}) {
        for (const auto& v : file[section]) {
            const auto& hops = v["intermediate"]["hops"];
            const auto& nodes = v["inputs"]["nodes"];
            ASSERT_EQ(hops.size(), nodes.size());
            for (std::size_t i = 0; i < hops.size(); ++i) {
                const auto& h = hops[i];
                const std::string where = std::string(v["name"]) + " hop " + std::to_string(i);
                const auto acc = Scalar25519::from_bytes_mod_order(hex_array<32>(h["sender_accumulator_scalar"]));
                EXPECT_EQ(to_hex(scalarmult_base(acc).bytes), h["alpha"].get<std::string>()) << where;

                const MontgomeryPoint alpha{hex_array<32>(h["alpha"])};
                const auto node_key = X25519SecretKey::from_bytes(hex_array<32>(nodes[i]["private_key_raw"]));
                const auto shared = x25519(node_key, alpha);
                ASSERT_TRUE(shared) << where;
                EXPECT_EQ(to_hex(shared->bytes), h["shared_secret"].get<std::string>()) << where;
                const auto sender_shared = scalarmult(acc, MontgomeryPoint{hex_array<32>(nodes[i]["public_key"])});
                ASSERT_TRUE(sender_shared) << where;
                EXPECT_EQ(*sender_shared, *shared) << where;

                std::array<std::uint8_t, 256> keys{};
                ASSERT_TRUE(hkdf_sha256({}, shared->bytes, test::ascii(info), keys));
                const std::string expected =
                    h["stream_cipher_key"].get<std::string>() + h["header_integrity_hmac_key"].get<std::string>() +
                    h["payload_key"].get<std::string>() + h["blinding_factor"].get<std::string>();
                EXPECT_EQ(to_hex(keys), expected) << where;

                const auto b = Scalar25519::from_bytes_mod_order(hex_array<32>(h["blinding_factor"]));
                EXPECT_EQ(to_hex(b.bytes()), h["blinding_scalar_mod_l"].get<std::string>()) << where;
                if (i + 1 < hops.size()) {
                    const auto next = scalarmult(b, alpha);
                    ASSERT_TRUE(next) << where;
                    EXPECT_EQ(to_hex(next->bytes), hops[i + 1]["alpha"].get<std::string>()) << where;
                    EXPECT_TRUE((acc * b).ct_equals(
                        Scalar25519::from_bytes_mod_order(hex_array<32>(hops[i + 1]["sender_accumulator_scalar"]))))
                        << where;
                }
                ++hops_checked;
            }
        }
    }
    EXPECT_GE(hops_checked, 19u);
}

// A forward hop decrypts the payload with Lioness under its payload key: output payload =
// lioness_decrypt(payload_key, input payload). Pins the Lioness construction byte for byte.
TEST(NymVectors, LionessPayloadDecryptionPerHop) {
    LOAD_NYM_VECTORS_OR_SKIP(file);
    std::size_t checked = 0;
    for (const char* section : {"vectors", "surb_vectors"}) {
        for (const auto& v : file[section]) {
            const auto& keys = v["intermediate"]["hops"];
            for (std::size_t i = 0; i < v["hops"].size(); ++i) {
                const auto& hop = v["hops"][i];
                const auto input = hex(hop["input_packet"]);
                ASSERT_GT(input.size(), HEADER_SIZE);
                std::vector<std::uint8_t> payload(input.begin() + HEADER_SIZE, input.end());
                const LionessKey key(hex_array<LIONESS_KEY_SIZE>(keys[i]["payload_key"]));
                ASSERT_TRUE(lioness_decrypt(key, payload));
                const std::string where = std::string(v["name"]) + " hop " + std::to_string(i);
                if (hop["result"] == "forward") {
                    const auto output = hex(hop["output_packet"]);
                    ASSERT_EQ(output.size(), input.size());
                    EXPECT_TRUE(std::equal(payload.begin(), payload.end(), output.begin() + HEADER_SIZE)) << where;
                } else {
                    EXPECT_EQ(to_hex(payload), hop["final_payload"].get<std::string>()) << where;
                }
                ++checked;
                // And encryption inverts it.
                ASSERT_TRUE(lioness_encrypt(key, payload));
                EXPECT_TRUE(std::equal(payload.begin(), payload.end(), input.begin() + HEADER_SIZE)) << where;
            }
        }
    }
    EXPECT_GE(checked, 19u);
}

} // namespace
} // namespace nym::crypto
