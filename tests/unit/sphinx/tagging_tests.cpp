// Tagging resistance: every single-bit change to a packet is detected, either by a hop's header MAC
// (header bits) or by the destination's zero-prefix check (payload bits, since Lioness is unauthenticated
// but a wide-block cipher garbles the whole block).

#include "test_support.hpp"

namespace nym::sphinx::test {
namespace {

constexpr std::size_t SMALL_PAYLOAD = MIN_PAYLOAD_SIZE + 7; // 40 bytes: 388-byte packets, 3104 bits

TEST(SphinxTagging, EveryBitOfASmallPacketIsDetected) {
    crypto::DeterministicRng rng(11);
    const TestRoute route(rng, 2);
    const Bytes message{0x42, 0x43};
    auto built = build_packet(route.nodes, route.delays, route.destination, route.surb_id, message, SMALL_PAYLOAD, rng);
    ASSERT_TRUE(built.has_value());
    const Bytes packet = *built;
    ASSERT_FALSE(run_route(packet, route).error);

    for (std::size_t bit = 0; bit < packet.size() * 8; ++bit) {
        Bytes tampered = packet;
        tampered[bit / 8] = static_cast<std::uint8_t>(tampered[bit / 8] ^ (1U << (bit % 8)));
        const RouteOutcome out = run_route(tampered, route);
        ASSERT_TRUE(out.error) << "bit " << bit << " flipped without detection";
        if (bit / 8 < HEADER_SIZE) {
            // α, γ and β are all bound by hop 0's MAC (α through the key it yields).
            ASSERT_EQ(out.failed_hop, 0U) << "bit " << bit;
            ASSERT_TRUE(out.error == Errc::invalid_header_mac || out.error == Errc::invalid_group_element)
                << "bit " << bit << ": " << out.error.message();
        } else {
            ASSERT_EQ(out.failed_hop, route.keys.size() - 1) << "bit " << bit;
            ASSERT_EQ(out.error, Errc::invalid_payload) << "bit " << bit;
        }
    }
}

TEST(SphinxTagging, BitsFlippedBetweenHopsAreDetected) {
    // A malicious first hop tags the packet it forwards: sample bits of the second hop's input.
    crypto::DeterministicRng rng(12);
    const TestRoute route(rng, 4);
    auto built = build_packet(route.nodes, route.delays, route.destination, route.surb_id, Bytes{7},
                              payload_size(PacketSize::regular), rng);
    ASSERT_TRUE(built.has_value());
    Bytes after_first = *built;
    ASSERT_TRUE(process_packet(after_first, route.keys[0]).has_value());

    TestRoute rest = route;
    rest.keys.erase(rest.keys.begin());
    rest.nodes.erase(rest.nodes.begin());
    ASSERT_FALSE(run_route(after_first, rest).error);
    for (int sample = 0; sample < 300; ++sample) {
        const std::size_t bit = rng.next_u64() % (after_first.size() * 8);
        Bytes tampered = after_first;
        tampered[bit / 8] = static_cast<std::uint8_t>(tampered[bit / 8] ^ (1U << (bit % 8)));
        const RouteOutcome out = run_route(tampered, rest);
        ASSERT_TRUE(out.error) << "bit " << bit;
        if (bit / 8 < HEADER_SIZE) {
            EXPECT_EQ(out.failed_hop, 0U) << "bit " << bit;
        } else {
            EXPECT_EQ(out.error, Errc::invalid_payload) << "bit " << bit;
        }
    }
}

} // namespace
} // namespace nym::sphinx::test
