// Packet sizes, node-address encoding, delays.

#include "test_support.hpp"

#include <cmath>

namespace nym::sphinx::test {
namespace {

TEST(SphinxPacketSize, NymSizesAndTags) {
    EXPECT_EQ(packet_size(PacketSize::regular), 2413U);
    EXPECT_EQ(payload_size(PacketSize::regular), 2065U);
    EXPECT_EQ(packet_size(PacketSize::ack), 386U);
    EXPECT_EQ(packet_size(PacketSize::extended8), 8557U);
    EXPECT_EQ(packet_size(PacketSize::extended16), 16749U);
    EXPECT_EQ(packet_size(PacketSize::extended32), 33133U);
    EXPECT_EQ(to_tag(PacketSize::regular), 1);
    EXPECT_EQ(to_tag(PacketSize::ack), 2);
    EXPECT_EQ(to_tag(PacketSize::extended32), 3);
    EXPECT_EQ(to_tag(PacketSize::extended8), 4);
    EXPECT_EQ(to_tag(PacketSize::extended16), 5);
    for (PacketSize size : ALL_PACKET_SIZES) {
        EXPECT_EQ(*packet_size_from_tag(to_tag(size)), size);
        EXPECT_EQ(*packet_size_from_length(packet_size(size)), size);
        EXPECT_EQ(packet_size_from_length(packet_size(size) + 1).error(), Errc::unknown_packet_size);
    }
    EXPECT_EQ(packet_size_from_tag(0).error(), Errc::unknown_packet_size);
    EXPECT_EQ(packet_size_from_tag(6).error(), Errc::unknown_packet_size);
    EXPECT_EQ(to_string(PacketSize::extended16), "extended16");
}

TEST(SphinxConstants, FinalHopPadding) {
    EXPECT_EQ(final_hop_padding_size(1), 248U);
    EXPECT_EQ(final_hop_padding_size(3), 128U);
    EXPECT_EQ(final_hop_padding_size(4), 68U);
    EXPECT_EQ(final_hop_padding_size(5), 8U);
    EXPECT_EQ(max_message_size(1024), 1007U);
}

TEST(SphinxNodeAddress, Ipv4EncodingMatchesNym) {
    const NodeAddress a = encode_node_address(IpEndpoint::v4({127, 0, 0, 1}, 1789));
    Bytes expected(32, 0);
    expected[0] = 4;
    expected[1] = 0x06;
    expected[2] = 0xfd;
    expected[3] = 127;
    expected[6] = 1;
    EXPECT_EQ(Bytes(a.bytes.begin(), a.bytes.end()), expected);
    auto back = decode_node_address(a);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->to_string(), "127.0.0.1:1789");
}

TEST(SphinxNodeAddress, Ipv6RoundTripAndText) {
    auto e = IpEndpoint::parse("[2001:db8::7]:65535");
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->family, IpEndpoint::Family::v6);
    const NodeAddress a = encode_node_address(*e);
    EXPECT_EQ(a.bytes[0], 6);
    EXPECT_EQ(a.bytes[1], 0xff);
    EXPECT_EQ(a.bytes[3], 0x20);
    auto back = decode_node_address(a);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, *e);
    EXPECT_EQ(back->to_string(), "[2001:db8::7]:65535");
}

TEST(SphinxNodeAddress, RejectsMalformed) {
    NodeAddress a = encode_node_address(IpEndpoint::v4({1, 2, 3, 4}, 80));
    a.bytes[31] = 1; // padding must be zero
    EXPECT_EQ(decode_node_address(a).error(), Errc::invalid_node_address);
    EXPECT_EQ(decode_node_address(NodeAddress{}).error(), Errc::invalid_node_address);
    for (const char* bad : {"", "1.2.3.4", "1.2.3.4:", "1.2.3.4:65536", "1.2.3:80", "[::1:80", "::1:80", "a.b.c.d:1",
                            "1.2.3.4:8x", "1.2.3.4:-1"})
        EXPECT_FALSE(IpEndpoint::parse(bad).has_value()) << bad;
    EXPECT_EQ(IpEndpoint::parse("10.1.2.3:0")->to_string(), "10.1.2.3:0");
}

TEST(SphinxDelay, BigEndianEncoding) {
    const Delay d(0x0102030405060708ULL);
    const auto be = d.to_be_bytes();
    EXPECT_EQ(Bytes(be.begin(), be.end()), (Bytes{1, 2, 3, 4, 5, 6, 7, 8}));
    EXPECT_EQ(Delay::from_be_bytes(be), d);
    EXPECT_EQ(Delay(~0ULL).to_duration().count(), std::numeric_limits<std::int64_t>::max());
    EXPECT_EQ(Delay::from_duration(std::chrono::milliseconds(50)).nanos(), 50'000'000U);
    EXPECT_EQ(Delay::from_duration(std::chrono::milliseconds(-5)).nanos(), 0U);
}

TEST(SphinxDelay, ExponentialSamplesHaveTheRequestedMean) {
    crypto::DeterministicRng rng(30);
    const Delay mean(50'000'000); // 50 ms
    const auto delays = generate_delays(rng, 20000, mean);
    ASSERT_EQ(delays.size(), 20000U);
    double sum = 0;
    std::size_t below_mean = 0;
    for (Delay d : delays) {
        sum += static_cast<double>(d.nanos());
        if (d < mean) ++below_mean;
    }
    const double avg = sum / static_cast<double>(delays.size());
    EXPECT_NEAR(avg / 50e6, 1.0, 0.03);
    // P(X < mean) = 1 − 1/e ≈ 0.632 for an exponential distribution.
    EXPECT_NEAR(static_cast<double>(below_mean) / static_cast<double>(delays.size()), 1.0 - std::exp(-1.0), 0.015);
    EXPECT_EQ(sample_exponential_delay(rng, Delay(0)), Delay(0));
    (void)sample_exponential_delay(rng, Delay(~0ULL)); // saturates, never overflows
}

} // namespace
} // namespace nym::sphinx::test
