#include <mixnode/processor.hpp>

#include <sphinx/builder.hpp>
#include <sphinx/node_address.hpp>
#include <sphinx/packet_size.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace nym::mixnode {
namespace {

using namespace std::chrono_literals;
using sphinx::PacketSize;

const TimePoint NOW = TimePoint{} + 5000s;

struct Node {
    crypto::X25519SecretKey key;
    sphinx::IpEndpoint endpoint;
    sphinx::RouteNode route_node() const {
        return {sphinx::encode_node_address(endpoint), key.public_key()};
    }
};

class ProcessorTest : public ::testing::Test {
protected:
    crypto::DeterministicRng rng{42};
    Node mix{crypto::X25519SecretKey::generate(rng), sphinx::IpEndpoint::v4({10, 0, 0, 1}, 1789)};
    Node next{crypto::X25519SecretKey::generate(rng), sphinx::IpEndpoint::v4({10, 0, 0, 2}, 1790)};
    Node gateway{crypto::X25519SecretKey::generate(rng), sphinx::IpEndpoint::v6({0x20, 0x01, 0x0d, 0xb8}, 1789)};
    ReplayFilter filter{{.expected_packets_per_epoch = 10'000, .fp_rate = 1e-5}, rng};
    Processor processor{mix.key, filter, {.max_delay = 10s}};

    std::vector<std::uint8_t> build(std::vector<sphinx::RouteNode> route, std::vector<sphinx::Delay> delays,
                                    PacketSize size = PacketSize::regular) {
        const std::vector<std::uint8_t> message{'h', 'i'};
        auto packet = sphinx::build_packet(route, delays, sphinx::DestinationAddress{}, sphinx::SurbIdentifier{},
                                           message, sphinx::payload_size(size), rng);
        EXPECT_TRUE(packet) << packet.error().message();
        return packet ? *packet : std::vector<std::uint8_t>{};
    }
    std::vector<std::uint8_t> three_hops(sphinx::Delay first_delay = sphinx::Delay::from_duration(50ms)) {
        return build({mix.route_node(), next.route_node(), gateway.route_node()},
                     {first_delay, sphinx::Delay::from_duration(20ms), sphinx::Delay{}});
    }
};

DropReason drop_reason(const Decision& d) {
    const auto* drop = std::get_if<Drop>(&d);
    return drop == nullptr ? static_cast<DropReason>(255) : drop->reason;
}

TEST_F(ProcessorTest, ForwardsToTheDecodedNextHop) {
    const auto packet = three_hops();
    ASSERT_EQ(packet.size(), 2413u);
    const Decision d = processor.process(packet, PacketSize::regular, NOW);
    const auto* f = std::get_if<Forward>(&d);
    ASSERT_NE(f, nullptr) << to_string(drop_reason(d));
    EXPECT_EQ(f->packet.next_hop, next.endpoint);
    EXPECT_EQ(f->packet.release, NOW + 50ms);
    EXPECT_EQ(f->packet.size, PacketSize::regular);
    EXPECT_FALSE(f->delay_clamped);
    const std::vector<std::uint8_t> forwarded(f->packet.packet().begin(), f->packet.packet().end());
    EXPECT_EQ(forwarded.size(), packet.size());
    EXPECT_NE(forwarded, packet);
    // The frame is ready to send: the header of its size, then the packet.
    const auto header = wire::encode_frame_header(PacketSize::regular);
    ASSERT_EQ(f->packet.frame.size(), header.size() + packet.size());
    EXPECT_TRUE(std::equal(header.begin(), header.end(), f->packet.frame.begin()));

    // The next mix can process what we forward: the unwrap really produced its packet.
    ReplayFilter other_filter{{.expected_packets_per_epoch = 1000}, rng};
    Processor next_processor{next.key, other_filter};
    const Decision d2 = next_processor.process(forwarded, PacketSize::regular, NOW);
    const auto* f2 = std::get_if<Forward>(&d2);
    ASSERT_NE(f2, nullptr) << to_string(drop_reason(d2));
    EXPECT_EQ(f2->packet.next_hop, gateway.endpoint);
    EXPECT_EQ(f2->packet.release, NOW + 20ms);
}

TEST_F(ProcessorTest, ProcessFrameWorksInPlaceAndLeavesDroppedBuffersWithTheCaller) {
    const auto packet = three_hops();
    const auto header = wire::encode_frame_header(PacketSize::regular);
    std::vector<std::uint8_t> frame(header.begin(), header.end());
    frame.insert(frame.end(), packet.begin(), packet.end());
    const std::uint8_t* buffer = frame.data();
    const Decision d = processor.process_frame(frame, PacketSize::regular, NOW);
    const auto* f = std::get_if<Forward>(&d);
    ASSERT_NE(f, nullptr) << to_string(drop_reason(d));
    EXPECT_EQ(f->packet.frame.data(), buffer) << "the same buffer, rewritten in place";
    EXPECT_TRUE(frame.empty()) << "the forward took it";
    EXPECT_EQ(f->packet.next_hop, next.endpoint);

    // The same packet again is a replay: the buffer stays with the caller, untouched.
    std::vector<std::uint8_t> again(header.begin(), header.end());
    again.insert(again.end(), packet.begin(), packet.end());
    const auto copy = again;
    EXPECT_EQ(drop_reason(processor.process_frame(again, PacketSize::regular, NOW)), DropReason::replayed);
    EXPECT_EQ(again, copy);
    std::vector<std::uint8_t> stub{7, 1};
    EXPECT_EQ(drop_reason(processor.process_frame(stub, PacketSize::regular, NOW)), DropReason::malformed);
}

TEST_F(ProcessorTest, FrameOverloadAndAckSize) {
    const auto packet = build({mix.route_node(), next.route_node()},
                              {sphinx::Delay::from_duration(1ms), sphinx::Delay{}}, PacketSize::ack);
    ASSERT_EQ(packet.size(), 386u);
    wire::Frame frame{wire::CURRENT_FRAME_VERSION, PacketSize::ack, wire::PacketType::mix, packet};
    const Decision d = processor.process(std::move(frame), NOW);
    const auto* f = std::get_if<Forward>(&d);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->packet.size, PacketSize::ack);
}

TEST_F(ProcessorTest, LongDelayIsClamped) {
    const Decision d = processor.process(three_hops(sphinx::Delay::from_duration(1h)), PacketSize::regular, NOW);
    const auto* f = std::get_if<Forward>(&d);
    ASSERT_NE(f, nullptr);
    EXPECT_TRUE(f->delay_clamped);
    EXPECT_EQ(f->packet.release, NOW + 10s);
    Metrics m;
    m.record(d);
    EXPECT_EQ(m.delay_clamped, 1u);
}

TEST_F(ProcessorTest, ReplayedPacketIsDroppedOnSecondSight) {
    const auto packet = three_hops();
    EXPECT_TRUE(std::holds_alternative<Forward>(processor.process(packet, PacketSize::regular, NOW)));
    EXPECT_EQ(drop_reason(processor.process(packet, PacketSize::regular, NOW + 1s)), DropReason::replayed);
    filter.rotate();
    EXPECT_EQ(drop_reason(processor.process(packet, PacketSize::regular, NOW + 2s)), DropReason::replayed);
}

TEST_F(ProcessorTest, TamperedHeaderIsBadMacAndNotRecorded) {
    auto packet = three_hops();
    auto tampered = packet;
    tampered.at(200) ^= 0x01; // inside β
    EXPECT_EQ(drop_reason(processor.process(tampered, PacketSize::regular, NOW)), DropReason::bad_mac);
    auto mac_tampered = packet;
    mac_tampered.at(40) ^= 0x80; // inside γ
    EXPECT_EQ(drop_reason(processor.process(mac_tampered, PacketSize::regular, NOW)), DropReason::bad_mac);
    // The bad copies did not enter the replay filter: the genuine packet still goes through.
    EXPECT_TRUE(std::holds_alternative<Forward>(processor.process(packet, PacketSize::regular, NOW)));
}

TEST_F(ProcessorTest, PacketForAnotherNodeIsBadMac) {
    const auto packet = build({next.route_node(), mix.route_node()},
                              {sphinx::Delay::from_duration(1ms), sphinx::Delay{}});
    EXPECT_EQ(drop_reason(processor.process(packet, PacketSize::regular, NOW)), DropReason::bad_mac);
}

TEST_F(ProcessorTest, GarbageIsDropped) {
    // Too short to be a Sphinx packet, or α of small order: malformed.
    EXPECT_EQ(drop_reason(processor.process(std::vector<std::uint8_t>(10, 0xAB), PacketSize::regular, NOW)),
              DropReason::malformed);
    EXPECT_EQ(drop_reason(processor.process(std::vector<std::uint8_t>(2413, 0), PacketSize::regular, NOW)),
              DropReason::malformed);
    // Random bytes of the right length: a non-canonical α (top bit set) is malformed; with a
    // canonical α the point is usable but γ cannot verify.
    std::vector<std::uint8_t> random(2413);
    rng.fill(random);
    random.at(31) |= 0x80;
    EXPECT_EQ(drop_reason(processor.process(random, PacketSize::regular, NOW)), DropReason::malformed);
    random.at(31) &= 0x7f;
    EXPECT_EQ(drop_reason(processor.process(random, PacketSize::regular, NOW)), DropReason::bad_mac);
}

TEST_F(ProcessorTest, FinalHopAtAMixnodeIsDropped) {
    const auto packet = build({mix.route_node()}, {sphinx::Delay{}});
    EXPECT_EQ(drop_reason(processor.process(packet, PacketSize::regular, NOW)), DropReason::final_hop);
}

TEST_F(ProcessorTest, UndecodableNextAddressIsDropped) {
    sphinx::RouteNode bogus = next.route_node();
    bogus.address.bytes.fill(0);
    bogus.address.bytes[0] = 9; // neither IPv4 (4) nor IPv6 (6)
    const auto packet = build({mix.route_node(), bogus}, {sphinx::Delay::from_duration(1ms), sphinx::Delay{}});
    EXPECT_EQ(drop_reason(processor.process(packet, PacketSize::regular, NOW)), DropReason::invalid_next_address);
}

TEST(Metrics, CountsEveryReasonAndMerges) {
    Metrics a;
    a.record(Forward{});
    a.record(Drop{DropReason::malformed});
    a.record(Drop{DropReason::bad_mac});
    a.record(Drop{DropReason::replayed});
    a.record(Drop{DropReason::final_hop});
    a.record(Drop{DropReason::invalid_next_address});
    a.record_sent(sphinx::IpEndpoint::v4({1, 2, 3, 4}, 1789), 3);
    EXPECT_EQ(a.received, 6u);
    EXPECT_EQ(a.forwarded, 1u);
    EXPECT_EQ(a.processing_dropped(), 5u);
    for (const DropReason reason : PROCESSING_DROP_REASONS) EXPECT_EQ(a.dropped_by(reason), 1u) << to_string(reason);
    EXPECT_EQ(a.dropped.total(), 5u) << "nothing counted under any other reason";
    Metrics b;
    b.record(Drop{DropReason::replayed});
    b.record_sent(sphinx::IpEndpoint::v4({1, 2, 3, 4}, 1789));
    b.record_sent(sphinx::IpEndpoint::v4({1, 2, 3, 5}, 1789));
    a += b;
    EXPECT_EQ(a.received, 7u);
    EXPECT_EQ(a.dropped_by(DropReason::replayed), 2u);
    EXPECT_EQ(a.sent_total(), 5u);
    EXPECT_EQ(a.sent.size(), 2u);
    EXPECT_EQ(to_string(DropReason::invalid_next_address), "invalid_next_address");
}

} // namespace
} // namespace nym::mixnode

namespace nym::mixnode {
namespace {

// The fuzz seeds (fuzz/corpus/mixnode_frames/) are frames of packets built for a fixed key; check
// they still reach the paths they were made for, so the fuzzer starts from deep inputs.
std::vector<std::uint8_t> read_seed(const char* name) {
    const std::filesystem::path p =
        std::filesystem::path(NYM_TEST_VECTORS_DIR) / ".." / ".." / "fuzz" / "corpus" / "mixnode_frames" / name;
    std::vector<std::uint8_t> bytes;
    if (!std::filesystem::exists(p)) return bytes;
    bytes.resize(static_cast<std::size_t>(std::filesystem::file_size(p)));
    std::ifstream in(p, std::ios::binary);
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return bytes;
}

std::vector<Decision> run_seed(const char* name) {
    const auto seed = read_seed(name);
    EXPECT_FALSE(seed.empty()) << name;
    std::vector<Decision> out;
    if (seed.empty()) return out;
    crypto::DeterministicRng key_rng(0x6d69786e);
    const auto key = crypto::X25519SecretKey::generate(key_rng);
    crypto::DeterministicRng rng(1);
    ReplayFilter filter({.expected_packets_per_epoch = 1024, .fp_rate = 1e-3}, rng);
    const Processor processor(key, filter);
    wire::FrameDecoder decoder;
    (void)decoder.feed(std::span(seed).subspan(1),
                       [&](wire::Frame&& f) { out.push_back(processor.process(std::move(f), NOW)); });
    return out;
}

// Rewrites the seed files (deterministically: the same bytes every run). Run by hand after a change
// to the Sphinx format: unit_mixnode --gtest_also_run_disabled_tests --gtest_filter='*Regenerate*'
TEST(FuzzSeeds, DISABLED_Regenerate) {
    const auto dir = std::filesystem::path(NYM_TEST_VECTORS_DIR) / ".." / ".." / "fuzz" / "corpus" / "mixnode_frames";
    auto put = [&](const char* name, const std::vector<std::uint8_t>& bytes) {
        std::ofstream(dir / name, std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    };
    auto with_chunk = [](std::uint8_t chunk, std::initializer_list<const std::vector<std::uint8_t>*> parts) {
        std::vector<std::uint8_t> out{chunk};
        for (const auto* p : parts) out.insert(out.end(), p->begin(), p->end());
        return out;
    };
    crypto::DeterministicRng key_rng(0x6d69786e);
    const auto key = crypto::X25519SecretKey::generate(key_rng);
    crypto::DeterministicRng rng(99);
    const auto next = crypto::X25519SecretKey::generate(rng);
    const sphinx::RouteNode me{sphinx::encode_node_address(sphinx::IpEndpoint::v4({10, 0, 0, 1}, 1789)),
                               key.public_key()};
    const sphinx::RouteNode nx{sphinx::encode_node_address(sphinx::IpEndpoint::v4({10, 0, 0, 2}, 1789)),
                               next.public_key()};
    const std::vector<std::uint8_t> msg{'s', 'e', 'e', 'd'};
    auto frame = [&](std::vector<sphinx::RouteNode> route, std::vector<sphinx::Delay> delays, PacketSize size) {
        auto packet = sphinx::build_packet(route, delays, sphinx::DestinationAddress{}, sphinx::SurbIdentifier{}, msg,
                                           sphinx::payload_size(size), rng);
        EXPECT_TRUE(packet);
        auto f = wire::encode_frame(packet ? *packet : std::vector<std::uint8_t>{});
        EXPECT_TRUE(f);
        return f ? *f : std::vector<std::uint8_t>{};
    };
    const auto ack_forward = frame({me, nx}, {sphinx::Delay(1'000'000), sphinx::Delay{}}, PacketSize::ack);
    const auto regular_forward = frame({me, nx}, {sphinx::Delay(50'000'000), sphinx::Delay{}}, PacketSize::regular);
    const auto ack_final = frame({me}, {sphinx::Delay{}}, PacketSize::ack);
    const std::vector<std::uint8_t> bad_size{7, 9, 0};
    auto tampered = ack_forward;
    tampered.at(3 + 100) ^= 1;
    put("ack_forward", with_chunk(0xff, {&ack_forward}));
    put("regular_forward_chunked", with_chunk(0x10, {&regular_forward}));
    put("ack_final_hop_bytewise", with_chunk(0x00, {&ack_final}));
    put("ack_replayed", with_chunk(0x40, {&ack_forward, &ack_forward}));
    put("frame_then_bad_size", with_chunk(0xff, {&ack_forward, &bad_size}));
    put("ack_bad_mac", with_chunk(0xff, {&tampered}));
    put("bad_version", {0x03, 8, 1, 0, 1, 2, 3});
    put("bad_type", {0x03, 7, 2, 2});
    put("truncated", {0x07, 7, 1, 0, 1, 2, 3, 4, 5});
}

TEST(FuzzSeeds, ReachTheirPaths) {
    auto d = run_seed("ack_forward");
    ASSERT_EQ(d.size(), 1u);
    EXPECT_TRUE(std::holds_alternative<Forward>(d[0]));
    d = run_seed("regular_forward_chunked");
    ASSERT_EQ(d.size(), 1u);
    EXPECT_TRUE(std::holds_alternative<Forward>(d[0]));
    d = run_seed("ack_replayed");
    ASSERT_EQ(d.size(), 2u);
    EXPECT_TRUE(std::holds_alternative<Forward>(d[0]));
    EXPECT_EQ(drop_reason(d[1]), DropReason::replayed);
    d = run_seed("ack_final_hop_bytewise");
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(drop_reason(d[0]), DropReason::final_hop);
    d = run_seed("ack_bad_mac");
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(drop_reason(d[0]), DropReason::bad_mac);
}

} // namespace
} // namespace nym::mixnode
