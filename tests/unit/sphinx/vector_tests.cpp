// Known-answer vectors produced by Nym's Rust crate sphinx-packet 0.1.0 (schema:
// shared/reference/nym-sphinx-vectors.md §2). The file is read from NYM_SHARED_DIR, never copied here.

#include "test_support.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <optional>
#include <string>

namespace nym::sphinx::test {
namespace {

using nlohmann::json;

const std::string VECTOR_FILE = std::string(NYM_SHARED_DIR) + "/vectors/nym_sphinx_vectors.json";

const json* vector_file() {
    static const std::optional<json> data = []() -> std::optional<json> {
        std::ifstream in(VECTOR_FILE);
        if (!in) return std::nullopt;
        auto parsed = json::parse(in, nullptr, false);
        if (parsed.is_discarded()) return std::nullopt;
        return parsed;
    }();
    return data ? &*data : nullptr;
}

#define REQUIRE_VECTORS(var)                                                                                       \
    const json* var = vector_file();                                                                               \
    if (var == nullptr) GTEST_SKIP() << "Nym Sphinx vectors not found at " << VECTOR_FILE                          \
                                     << " (set NYM_SHARED_DIR to the shared/ folder holding vectors/)"

const json* find_case(const json& file, const char* section, std::string_view name) {
    for (const auto& c : file.at(section))
        if (c.at("name").get<std::string>() == name) return &c;
    return nullptr;
}

std::string s(const json& j) { return j.get<std::string>(); }

template <std::size_t N>
Bytes bytes_of(std::span<const std::uint8_t, N> span) {
    return Bytes(span.begin(), span.end());
}
template <std::size_t N>
Bytes bytes_of(const std::array<std::uint8_t, N>& a) {
    return Bytes(a.begin(), a.end());
}

/// Everything a case's inputs describe.
struct CaseInputs {
    crypto::X25519SecretKey initial_secret;
    std::vector<crypto::X25519SecretKey> node_keys;
    std::vector<RouteNode> route;
    std::vector<Delay> delays;
    DestinationAddress destination;
    SurbIdentifier surb_id;
    Bytes message;
    Bytes padding;
    std::size_t payload_size = 0;
};

CaseInputs read_inputs(const json& c) {
    const json& in = c.at("inputs");
    CaseInputs out;
    out.initial_secret = crypto::X25519SecretKey::from_bytes(hex_array<32>(s(in.at("initial_secret_raw"))));
    EXPECT_EQ(bytes_of(out.initial_secret.bytes()), hex(s(in.at("initial_secret_clamped"))));
    for (const auto& node : in.at("nodes")) {
        out.node_keys.push_back(crypto::X25519SecretKey::from_bytes(hex_array<32>(s(node.at("private_key_raw")))));
        EXPECT_EQ(bytes_of(out.node_keys.back().bytes()), hex(s(node.at("private_key_clamped"))));
        RouteNode rn;
        rn.address.bytes = hex_array<32>(s(node.at("address")));
        rn.public_key.bytes = hex_array<32>(s(node.at("public_key")));
        EXPECT_EQ(out.node_keys.back().public_key(), rn.public_key) << "public key of node " << out.route.size();
        out.route.push_back(rn);
    }
    const auto& delays = in.at("delays_ns");
    const auto& delays_be = in.at("delays_be_hex");
    for (std::size_t i = 0; i < delays.size(); ++i) {
        out.delays.emplace_back(std::stoull(s(delays[i])));
        EXPECT_EQ(bytes_of(out.delays.back().to_be_bytes()), hex(s(delays_be[i])));
    }
    out.destination.bytes = hex_array<32>(s(in.at("destination_address")));
    out.surb_id.bytes = hex_array<16>(s(in.at("surb_identifier")));
    out.message = hex(s(in.at("message")));
    out.padding = hex(s(in.at("final_hop_padding")));
    out.payload_size = c.at("payload_size").get<std::size_t>();
    EXPECT_EQ(out.route.size(), c.at("route_len").get<std::size_t>());
    return out;
}

/// Every sender-side intermediate: α, accumulator, s, the four keys, b mod l, and the filler.
void check_intermediates(const json& c, const CaseInputs& in) {
    auto hops = derive_key_material(in.route, in.initial_secret);
    ASSERT_TRUE(hops.has_value()) << hops.error().message();
    const json& expected = c.at("intermediate").at("hops");
    ASSERT_EQ(hops->size(), expected.size());
    for (std::size_t i = 0; i < hops->size(); ++i) {
        SCOPED_TRACE("sender hop " + std::to_string(i));
        const HopKeyMaterial& hop = (*hops)[i];
        const json& e = expected[i];
        EXPECT_EQ(bytes_of(hop.alpha.bytes), hex(s(e.at("alpha"))));
        const auto acc = crypto::Scalar25519::from_bytes_mod_order(hex_array<32>(s(e.at("sender_accumulator_scalar"))));
        EXPECT_TRUE(hop.accumulator.ct_equals(acc)) << "accumulator (compared mod l)";
        EXPECT_EQ(bytes_of(hop.shared_secret.bytes()), hex(s(e.at("shared_secret"))));
        EXPECT_EQ(bytes_of(hop.keys.stream_cipher_key.bytes()), hex(s(e.at("stream_cipher_key"))));
        EXPECT_EQ(bytes_of(hop.keys.header_integrity_hmac_key.bytes()), hex(s(e.at("header_integrity_hmac_key"))));
        EXPECT_EQ(bytes_of(hop.keys.payload_key.bytes()), hex(s(e.at("payload_key"))));
        EXPECT_EQ(bytes_of(hop.keys.blinding_factor.bytes()), hex(s(e.at("blinding_factor"))));
        EXPECT_EQ(bytes_of(hop.keys.blinding_scalar().bytes()), hex(s(e.at("blinding_scalar_mod_l"))));
    }
    EXPECT_EQ(compute_filler(*hops), hex(s(c.at("intermediate").at("filler"))));
}

/// Processes `packet` through every hop of the case, comparing each input, result and output.
void check_hops(const json& c, const CaseInputs& in, Bytes packet) {
    const json& hops = c.at("hops");
    const json& macs = c.at("intermediate").at("hops");
    ASSERT_EQ(hops.size(), in.node_keys.size());
    for (std::size_t i = 0; i < hops.size(); ++i) {
        SCOPED_TRACE("processing hop " + std::to_string(i));
        const json& h = hops[i];
        ASSERT_EQ(packet, hex(s(h.at("input_packet"))));
        EXPECT_EQ(Bytes(packet.begin() + 32, packet.begin() + 48), hex(s(macs[i].at("header_mac"))));
        EXPECT_EQ(bytes_of(in.route[i].address.bytes), hex(s(h.at("node_address"))));

        auto verified = verify_header(packet, in.node_keys[i]);
        ASSERT_TRUE(verified.has_value()) << verified.error().message();
        auto result = finish_processing(packet, *verified);
        ASSERT_TRUE(result.has_value()) << result.error().message();
        if (s(h.at("result")) == "forward") {
            const ForwardHop* fwd = result->forward();
            ASSERT_NE(fwd, nullptr);
            EXPECT_EQ(bytes_of(fwd->next_hop.bytes), hex(s(h.at("next_hop_address"))));
            EXPECT_EQ(fwd->delay.nanos(), std::stoull(s(h.at("delay_ns"))));
            EXPECT_EQ(bytes_of(fwd->delay.to_be_bytes()), hex(s(h.at("delay_be_hex"))));
            EXPECT_EQ(fwd->version, LEGACY_VERSION);
            EXPECT_EQ(packet, hex(s(h.at("output_packet"))));
        } else {
            ASSERT_EQ(s(h.at("result")), "final");
            ASSERT_EQ(i + 1, hops.size());
            const FinalHop* fin = result->final_hop();
            ASSERT_NE(fin, nullptr);
            EXPECT_EQ(bytes_of(fin->destination.bytes), hex(s(h.at("destination_address"))));
            EXPECT_EQ(bytes_of(fin->surb_id.bytes), hex(s(h.at("surb_identifier"))));
            EXPECT_EQ(fin->version, LEGACY_VERSION);
            EXPECT_EQ(Bytes(packet.begin() + HEADER_SIZE, packet.end()), hex(s(h.at("final_payload"))));
            EXPECT_EQ(Bytes(fin->message.begin(), fin->message.end()), hex(s(h.at("recovered_plaintext"))));
            EXPECT_EQ(Bytes(fin->message.begin(), fin->message.end()), in.message);
        }
    }
}

void run_packet_case(std::string_view name) {
    const json* file = vector_file();
    ASSERT_NE(file, nullptr);
    const json* c = find_case(*file, "vectors", name);
    ASSERT_NE(c, nullptr) << "no vector named " << name;
    const CaseInputs in = read_inputs(*c);
    check_intermediates(*c, in);
    auto packet = build_packet(in.initial_secret, in.padding, in.route, in.delays, in.destination, in.surb_id,
                               in.message, in.payload_size);
    ASSERT_TRUE(packet.has_value()) << packet.error().message();
    ASSERT_EQ(packet->size(), HEADER_SIZE + in.payload_size);
    EXPECT_EQ(*packet, hex(s(c->at("packet"))));
    check_hops(*c, in, *packet);
}

TEST(SphinxVectors, FileHasExpectedShape) {
    REQUIRE_VECTORS(file);
    EXPECT_EQ(s(file->at("format")), "nym-sphinx-kat/v1");
    const json& k = file->at("constants");
    EXPECT_EQ(k.at("header_size").get<std::size_t>(), HEADER_SIZE);
    EXPECT_EQ(k.at("payload_overhead").get<std::size_t>(), PAYLOAD_OVERHEAD_SIZE);
    EXPECT_EQ(k.at("routing_keys_length").get<std::size_t>(), ROUTING_KEYS_LENGTH);
    EXPECT_EQ(k.at("stream_cipher_output_length").get<std::size_t>(), STREAM_CIPHER_OUTPUT_LENGTH);
    EXPECT_EQ(k.at("node_meta_info_size").get<std::size_t>(), NODE_META_INFO_SIZE);
    EXPECT_EQ(s(k.at("hkdf_info_ascii")), HKDF_INPUT_SEED);
    EXPECT_EQ(hex(s(k.at("version_bytes"))), bytes_of(LEGACY_VERSION));
    EXPECT_EQ(file->at("vectors").size(), 5U);
    EXPECT_EQ(file->at("surb_vectors").size(), 1U);
    EXPECT_EQ(file->at("negative_vectors").size(), 5U);
    EXPECT_EQ(file->at("x25519_vectors").size(), 4U);
}

TEST(SphinxVectors, Route1) {
    REQUIRE_VECTORS(file);
    run_packet_case("route1");
}
TEST(SphinxVectors, Route3) {
    REQUIRE_VECTORS(file);
    run_packet_case("route3");
}
TEST(SphinxVectors, Route5MaxMessage) {
    REQUIRE_VECTORS(file);
    run_packet_case("route5_max_message");
}
TEST(SphinxVectors, Route3Payload2048) {
    REQUIRE_VECTORS(file);
    run_packet_case("route3_payload2048");
}
TEST(SphinxVectors, Route4EmptyMessage) {
    REQUIRE_VECTORS(file);
    run_packet_case("route4_empty_message");
}

TEST(SphinxVectors, SurbRoute3) {
    REQUIRE_VECTORS(file);
    const json* c = find_case(*file, "surb_vectors", "surb_route3");
    ASSERT_NE(c, nullptr);
    const CaseInputs in = read_inputs(*c);
    check_intermediates(*c, in);

    auto surb = create_surb(in.initial_secret, in.padding, in.route, in.delays, in.destination, in.surb_id);
    ASSERT_TRUE(surb.has_value()) << surb.error().message();
    const Bytes expected_surb = hex(s(c->at("surb_bytes")));
    EXPECT_EQ(surb->to_bytes(), expected_surb);
    EXPECT_EQ(bytes_of(surb->first_hop().bytes), hex(s(c->at("surb_first_hop_address"))));

    // The vector's packet is the crate's use_surb on surb_bytes; use our parse of the same bytes.
    auto parsed = Surb::parse(expected_surb);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
    EXPECT_EQ(parsed->to_bytes(), expected_surb);
    auto used = parsed->use(in.message, in.payload_size);
    ASSERT_TRUE(used.has_value()) << used.error().message();
    EXPECT_EQ(used->first_hop, in.route.front().address);
    EXPECT_EQ(used->packet, hex(s(c->at("packet"))));
    check_hops(*c, in, used->packet);
}

// --- Negative cases: tampered route3 packets --------------------------------------------------------

struct NegativeCase {
    const json* entry = nullptr;
    const json* base = nullptr;
    Bytes input;
    crypto::X25519SecretKey key;
};

NegativeCase load_negative(const json& file, std::string_view name) {
    NegativeCase n;
    n.entry = find_case(file, "negative_vectors", name);
    if (n.entry == nullptr) return n;
    n.base = find_case(file, "vectors", s(n.entry->at("base_vector")));
    n.input = hex(s(n.entry->at("input_packet")));
    n.key = crypto::X25519SecretKey::from_bytes(hex_array<32>(s(n.entry->at("node_private_key_raw"))));
    // The tampered packet is the base packet with the recorded mutation (if any) applied.
    if (n.base != nullptr) {
        Bytes mutated = hex(s(n.base->at("packet")));
        const json& m = n.entry->at("mutation");
        if (!m.is_null()) {
            const auto offset = m.at("offset").get<std::size_t>();
            mutated.at(offset) = static_cast<std::uint8_t>(mutated.at(offset) ^ m.at("xor").get<unsigned>());
        }
        EXPECT_EQ(mutated, n.input) << "input_packet is not the mutated base packet";
    }
    return n;
}

void expect_mac_failure(std::string_view name) {
    const json* file = vector_file();
    ASSERT_NE(file, nullptr);
    NegativeCase n = load_negative(*file, name);
    ASSERT_NE(n.entry, nullptr) << "no negative vector " << name;
    const json& expected = n.entry->at("expected");
    ASSERT_FALSE(expected.at("ok").get<bool>());
    ASSERT_EQ(s(expected.at("error_kind")), "InvalidHeader");
    const Bytes before = n.input;
    auto result = process_packet(n.input, n.key);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error(), Errc::invalid_header_mac);
    EXPECT_EQ(result.error().message(), s(expected.at("error")));
    EXPECT_EQ(n.input, before) << "a rejected packet must be left untouched";
}

TEST(SphinxNegativeVectors, FlipAlpha) {
    REQUIRE_VECTORS(file);
    expect_mac_failure("flip_alpha");
}
TEST(SphinxNegativeVectors, FlipHeaderMac) {
    REQUIRE_VECTORS(file);
    expect_mac_failure("flip_header_mac");
}
TEST(SphinxNegativeVectors, FlipBeta) {
    REQUIRE_VECTORS(file);
    expect_mac_failure("flip_beta");
}
TEST(SphinxNegativeVectors, WrongNodeKey) {
    REQUIRE_VECTORS(file);
    expect_mac_failure("wrong_node_key");
}

TEST(SphinxNegativeVectors, FlipPayload) {
    REQUIRE_VECTORS(file);
    NegativeCase n = load_negative(*file, "flip_payload");
    ASSERT_NE(n.entry, nullptr);
    ASSERT_NE(n.base, nullptr);
    const json& expected = n.entry->at("expected");
    ASSERT_TRUE(expected.at("ok").get<bool>());

    auto first = process_packet(n.input, n.key);
    ASSERT_TRUE(first.has_value()) << first.error().message();
    const ForwardHop* fwd = first->forward();
    ASSERT_NE(fwd, nullptr);
    EXPECT_EQ(bytes_of(fwd->next_hop.bytes), hex(s(expected.at("next_hop_address"))));
    EXPECT_EQ(fwd->delay.nanos(), std::stoull(s(expected.at("delay_ns"))));
    EXPECT_EQ(n.input, hex(s(expected.at("output_packet"))));

    const json& downstream = expected.at("downstream_final_outcome");
    const auto final_hop = downstream.at("hop").get<std::size_t>();
    ASSERT_EQ(s(downstream.at("outcome").at("error_kind")), "InvalidPayload");
    const json& nodes = n.base->at("inputs").at("nodes");
    ASSERT_EQ(final_hop + 1, nodes.size());
    for (std::size_t hop = 1; hop <= final_hop; ++hop) {
        const auto key = crypto::X25519SecretKey::from_bytes(hex_array<32>(s(nodes[hop].at("private_key_raw"))));
        auto result = process_packet(n.input, key);
        if (hop < final_hop) {
            ASSERT_TRUE(result.has_value()) << "hop " << hop << ": " << result.error().message();
            ASSERT_FALSE(result->is_final());
        } else {
            ASSERT_FALSE(result.has_value()) << "the tampered payload reached the destination undetected";
            EXPECT_EQ(result.error(), Errc::invalid_payload);
        }
    }
}

// --- The unclamped ladder the node uses for blinding --------------------------------------------------

TEST(SphinxX25519Vectors, UnclampedLadderMatchesDalek) {
    REQUIRE_VECTORS(file);
    for (const auto& v : file->at("x25519_vectors")) {
        const auto raw = hex_array<32>(s(v.at("scalar_raw")));
        const auto scalar = crypto::Scalar25519::from_bytes_mod_order(raw);
        EXPECT_EQ(bytes_of(scalar.bytes()), hex(s(v.at("scalar_mod_l"))));
        crypto::MontgomeryPoint point;
        point.bytes = hex_array<32>(s(v.at("point_u")));
        auto unclamped = crypto::scalarmult(scalar, point);
        ASSERT_TRUE(unclamped.has_value());
        EXPECT_EQ(bytes_of(unclamped->bytes), hex(s(v.at("ladder_unclamped_result"))));
        // The comparison value is RFC 7748 X25519 of the same (reduced) scalar, which clamps it.
        auto clamped = crypto::x25519(crypto::X25519SecretKey::from_bytes(scalar.bytes()), point);
        ASSERT_TRUE(clamped.has_value());
        EXPECT_EQ(bytes_of(clamped->bytes), hex(s(v.at("rfc7748_clamped_result_for_comparison"))));
        EXPECT_EQ(bytes_of(crypto::X25519SecretKey::from_bytes(raw).public_key().bytes),
                  hex(s(v.at("public_key_of_scalar_raw"))));
    }
}

} // namespace
} // namespace nym::sphinx::test
