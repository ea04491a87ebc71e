// SURBs: create, serialize, parse, use, and the parser's refusals.

#include "test_support.hpp"

namespace nym::sphinx::test {
namespace {

TEST(SphinxSurb, RoundTripEveryRouteLength) {
    crypto::DeterministicRng rng(20);
    for (std::size_t hops = 1; hops <= MAX_PATH_LENGTH; ++hops) {
        SCOPED_TRACE(std::to_string(hops) + " hops");
        const TestRoute route(rng, hops);
        auto surb = create_surb(route.nodes, route.delays, route.destination, route.surb_id, rng);
        ASSERT_TRUE(surb.has_value()) << surb.error().message();
        const Bytes bytes = surb->to_bytes();
        ASSERT_EQ(bytes.size(), HEADER_SIZE + NODE_ADDRESS_LENGTH + hops * PAYLOAD_KEY_SIZE);
        ASSERT_EQ(bytes.size(), surb->serialized_size());

        auto parsed = Surb::parse(bytes);
        ASSERT_TRUE(parsed.has_value());
        EXPECT_EQ(parsed->to_bytes(), bytes);
        EXPECT_EQ(parsed->first_hop(), route.nodes.front().address);

        const Bytes reply = random_bytes(rng, 100 + hops);
        auto used = parsed->use(reply, payload_size(PacketSize::regular));
        ASSERT_TRUE(used.has_value());
        EXPECT_EQ(used->first_hop, route.nodes.front().address);
        ASSERT_EQ(used->packet.size(), packet_size(PacketSize::regular));
        const RouteOutcome out = run_route(used->packet, route);
        ASSERT_FALSE(out.error) << "hop " << out.failed_hop << ": " << out.error.message();
        EXPECT_EQ(out.message, reply);
        EXPECT_EQ(out.destination, route.destination);
        EXPECT_EQ(out.surb_id, route.surb_id);
    }
}

// Every version our builder writes goes through our own nodes, as packets and as SURBs (keys or
// seeds); the byte-for-byte checks against the crate are in crate_vector_tests.cpp.
TEST(SphinxVersions, EveryVersionRoundTripsAsPacketAndSurb) {
    crypto::DeterministicRng rng(30);
    for (const Version& version : {LEGACY_VERSION, INITIAL_LEGACY_VERSION, UPDATED_LEGACY_VERSION,
                                   X25519_WITH_EXPLICIT_PAYLOAD_KEYS_VERSION, PAYLOAD_KEYS_SEEDS_VERSION,
                                   Version{0x00, 0x01, 0x04}}) {
        SCOPED_TRACE("version " + util::to_hex(version));
        const bool seeds = rules_for(version).payload_key_seeds;
        for (std::size_t hops = 1; hops <= MAX_PATH_LENGTH; ++hops) {
            SCOPED_TRACE(std::to_string(hops) + " hops");
            const TestRoute route(rng, hops);
            const Bytes message = random_bytes(rng, 50 + hops);
            auto packet = build_packet(route.nodes, route.delays, route.destination, route.surb_id, message,
                                       payload_size(PacketSize::regular), rng, version);
            ASSERT_TRUE(packet.has_value());
            Bytes first = *packet;
            auto processed = process_packet(first, route.keys[0]);
            ASSERT_TRUE(processed.has_value());
            EXPECT_EQ(processed->version(), version);
            RouteOutcome out = run_route(*packet, route);
            ASSERT_FALSE(out.error) << "hop " << out.failed_hop << ": " << out.error.message();
            EXPECT_EQ(out.message, message);

            auto surb = create_surb(route.nodes, route.delays, route.destination, route.surb_id, rng, version);
            ASSERT_TRUE(surb.has_value());
            EXPECT_EQ(surb->uses_key_seeds(), seeds);
            const Bytes bytes = surb->to_bytes();
            EXPECT_EQ(bytes.size(), HEADER_SIZE + NODE_ADDRESS_LENGTH + hops * (seeds ? PAYLOAD_KEY_SEED_SIZE : PAYLOAD_KEY_SIZE));
            auto parsed = Surb::parse(bytes);
            ASSERT_TRUE(parsed.has_value());
            EXPECT_EQ(parsed->uses_key_seeds(), seeds);
            auto used = parsed->use(message, payload_size(PacketSize::regular));
            ASSERT_TRUE(used.has_value());
            out = run_route(used->packet, route);
            ASSERT_FALSE(out.error) << "SURB, hop " << out.failed_hop << ": " << out.error.message();
            EXPECT_EQ(out.message, message);
        }
    }
}

// A packet built for one derivation is not processed correctly under the other: the version bytes
// really select it (here the legacy and the X25519 blinding give different next-hop α).
TEST(SphinxVersions, BlindingDependsOnTheVersion) {
    crypto::DeterministicRng rng(31);
    const TestRoute route(rng, 2);
    const crypto::X25519SecretKey secret = crypto::X25519SecretKey::generate(rng);
    auto legacy = derive_key_material(route.nodes, secret, LEGACY_VERSION);
    auto current = derive_key_material(route.nodes, secret, PAYLOAD_KEYS_SEEDS_VERSION);
    ASSERT_TRUE(legacy && current);
    EXPECT_EQ((*legacy)[0].alpha, (*current)[0].alpha);
    EXPECT_NE((*legacy)[1].alpha, (*current)[1].alpha);
    EXPECT_FALSE((*legacy)[0].keys.payload_key.ct_equals((*current)[0].keys.payload_key));
    EXPECT_TRUE((*legacy)[0].keys.payload_key_seed.ct_equals((*current)[0].keys.payload_key_seed));
}

TEST(SphinxSurb, UseChecksMessageLength) {
    crypto::DeterministicRng rng(21);
    const TestRoute route(rng, 3);
    auto surb = create_surb(route.nodes, route.delays, route.destination, route.surb_id, rng);
    ASSERT_TRUE(surb.has_value());
    EXPECT_TRUE(surb->use(Bytes(83), 100).has_value());
    EXPECT_EQ(surb->use(Bytes(84), 100).error(), Errc::message_too_long);
    EXPECT_EQ(surb->use({}, 32).error(), Errc::payload_too_small);
}

TEST(SphinxSurb, ParserRejectsWrongLengths) {
    crypto::DeterministicRng rng(22);
    const TestRoute route(rng, 5);
    auto surb = create_surb(route.nodes, route.delays, route.destination, route.surb_id, rng);
    ASSERT_TRUE(surb.has_value());
    const Bytes bytes = surb->to_bytes();
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
        const std::size_t keys_part = cut >= 380 ? cut - 380 : 1;
        // 1..5 full keys, or 1..5 seeds of 16 bytes (fewer bytes than one key), as the crate reads them.
        const bool keys = cut >= 380 + 192 && keys_part % 192 == 0;
        const bool seeds = cut >= 380 + 16 && keys_part <= 5 * 16 && keys_part % 16 == 0;
        const bool valid_length = keys || seeds;
        auto parsed = Surb::parse(std::span(bytes).first(cut));
        ASSERT_EQ(parsed.has_value(), valid_length) << "length " << cut;
        if (!parsed) {
            EXPECT_EQ(parsed.error(), Errc::invalid_surb);
        }
    }
    Bytes oversized = bytes;
    oversized.insert(oversized.end(), PAYLOAD_KEY_SIZE, 0); // six keys
    EXPECT_EQ(Surb::parse(oversized).error(), Errc::invalid_surb);
    oversized.resize(bytes.size() + 1);
    EXPECT_EQ(Surb::parse(oversized).error(), Errc::invalid_surb);
}

TEST(SphinxSurb, CreationValidatesInput) {
    crypto::DeterministicRng rng(23);
    const TestRoute route(rng, 2);
    EXPECT_EQ(create_surb({}, {}, route.destination, route.surb_id, rng).error(), Errc::invalid_route_length);
    const auto secret = crypto::X25519SecretKey::generate(rng);
    EXPECT_EQ(create_surb(secret, Bytes(3), route.nodes, route.delays, route.destination, route.surb_id).error(),
              Errc::invalid_padding_length);
}

} // namespace
} // namespace nym::sphinx::test
