// Randomized properties: any route, delays, destination and message make a packet that every hop
// processes, reporting the delay the sender chose, and that delivers exactly the message.

#include "test_support.hpp"

namespace nym::sphinx::test {
namespace {

TEST(SphinxProperty, RandomRoutesDeliverExactly) {
    crypto::DeterministicRng rng(40);
    for (int iteration = 0; iteration < 200; ++iteration) {
        const std::size_t hops = 1 + rng.next_u64() % MAX_PATH_LENGTH;
        const std::size_t payload = MIN_PAYLOAD_SIZE + rng.next_u64() % 1500;
        const std::size_t len = rng.next_u64() % (max_message_size(payload) + 1);
        TestRoute route(rng, hops);
        if (rng.next_u64() % 2 == 0) route.delays.pop_back();
        const Bytes message = random_bytes(rng, len);
        const bool as_surb = rng.next_u64() % 4 == 0;
        Bytes packet;
        if (as_surb) {
            auto surb = create_surb(route.nodes, route.delays, route.destination, route.surb_id, rng);
            ASSERT_TRUE(surb.has_value());
            auto parsed = Surb::parse(surb->to_bytes());
            ASSERT_TRUE(parsed.has_value());
            auto used = parsed->use(message, payload);
            ASSERT_TRUE(used.has_value());
            packet = used->packet;
        } else {
            auto built = build_packet(route.nodes, route.delays, route.destination, route.surb_id, message, payload, rng);
            ASSERT_TRUE(built.has_value());
            packet = *built;
        }
        ASSERT_EQ(packet.size(), HEADER_SIZE + payload);
        const RouteOutcome out = run_route(packet, route);
        ASSERT_FALSE(out.error) << "iteration " << iteration << ", hop " << out.failed_hop << ": " << out.error.message();
        ASSERT_EQ(out.message, message) << "iteration " << iteration;
        ASSERT_EQ(out.destination, route.destination);
        ASSERT_EQ(out.forwards.size(), hops - 1);
        for (std::size_t i = 0; i + 1 < hops; ++i) ASSERT_EQ(out.forwards[i].delay, route.delays[i]);
        // The wrong node can never process it.
        const auto stranger = crypto::X25519SecretKey::generate(rng);
        Bytes copy = packet;
        auto wrong = process_packet(copy, stranger);
        ASSERT_FALSE(wrong.has_value());
        ASSERT_EQ(wrong.error(), Errc::invalid_header_mac);
    }
}

TEST(SphinxProperty, RandomBytesNeverProcess) {
    crypto::DeterministicRng rng(41);
    const auto key = crypto::X25519SecretKey::generate(rng);
    for (int i = 0; i < 300; ++i) {
        Bytes junk = random_bytes(rng, rng.next_u64() % 3000);
        auto r = process_packet(junk, key);
        ASSERT_FALSE(r.has_value());
        const auto e = r.error();
        ASSERT_TRUE(e == Errc::invalid_packet_length || e == Errc::invalid_header_mac || e == Errc::invalid_group_element)
            << e.message();
        auto surb = Surb::parse(junk);
        if (surb) {
            ASSERT_EQ(surb->to_bytes(), junk);
        }
    }
}

} // namespace
} // namespace nym::sphinx::test
