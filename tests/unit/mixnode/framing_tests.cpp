#include <wire/framing.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace nym::wire {
namespace {

using sphinx::PacketSize;

std::vector<std::uint8_t> pattern(std::size_t n, std::uint8_t seed) {
    std::vector<std::uint8_t> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(seed + i * 31);
    return v;
}

std::vector<Frame> decode_all(FrameDecoder& d, std::span<const std::uint8_t> bytes, std::error_code* error = nullptr) {
    std::vector<Frame> frames;
    auto r = d.feed(bytes, [&](Frame&& f) { frames.push_back(std::move(f)); });
    if (!r && error != nullptr) *error = r.error();
    return frames;
}

TEST(Framing, HeaderIsNymV7) {
    const auto h = encode_frame_header(PacketSize::regular);
    EXPECT_EQ(h[0], 7);
    EXPECT_EQ(h[1], 1);
    EXPECT_EQ(h[2], 0);
    EXPECT_EQ(encode_frame_header(PacketSize::extended32)[1], 3);
    EXPECT_EQ(encode_frame_header(PacketSize::extended8)[1], 4);
    EXPECT_EQ(encode_frame_header(PacketSize::extended16)[1], 5);
    EXPECT_EQ(MAX_FRAME_SIZE, 3u + 33133u);
}

TEST(Framing, RoundTripEverySize) {
    for (PacketSize size : sphinx::ALL_PACKET_SIZES) {
        const auto packet = pattern(sphinx::packet_size(size), sphinx::to_tag(size));
        auto frame = encode_frame(packet);
        ASSERT_TRUE(frame);
        ASSERT_EQ(frame->size(), FRAME_HEADER_SIZE + packet.size());
        FrameDecoder d;
        std::error_code ec;
        auto frames = decode_all(d, *frame, &ec);
        ASSERT_FALSE(ec) << ec.message();
        ASSERT_EQ(frames.size(), 1u);
        EXPECT_EQ(frames[0].version, 7);
        EXPECT_EQ(frames[0].size, size);
        EXPECT_EQ(frames[0].type, PacketType::mix);
        EXPECT_EQ(frames[0].packet, packet);
        EXPECT_TRUE(d.idle());
    }
}

TEST(Framing, EncoderRejectsOddLengths) {
    for (std::size_t n : {0u, 1u, 385u, 387u, 2412u, 2414u, 33134u}) {
        auto r = encode_frame(std::vector<std::uint8_t>(n));
        ASSERT_FALSE(r) << n;
        EXPECT_EQ(r.error(), FramingErrc::wrong_packet_length);
    }
}

TEST(Framing, ManyFramesInOneChunkAndByteByByte) {
    std::vector<std::uint8_t> stream;
    std::vector<std::vector<std::uint8_t>> packets;
    for (PacketSize size : {PacketSize::ack, PacketSize::regular, PacketSize::ack, PacketSize::extended8}) {
        packets.push_back(pattern(sphinx::packet_size(size), static_cast<std::uint8_t>(packets.size())));
        auto f = encode_frame(packets.back());
        ASSERT_TRUE(f);
        stream.insert(stream.end(), f->begin(), f->end());
    }
    {
        FrameDecoder d;
        auto frames = decode_all(d, stream);
        ASSERT_EQ(frames.size(), packets.size());
        for (std::size_t i = 0; i < packets.size(); ++i) EXPECT_EQ(frames[i].packet, packets[i]);
    }
    {
        FrameDecoder d;
        std::vector<Frame> frames;
        for (std::size_t i = 0; i < stream.size(); ++i) {
            auto r = d.feed(std::span(stream).subspan(i, 1), [&](Frame&& f) { frames.push_back(std::move(f)); });
            ASSERT_TRUE(r);
            EXPECT_LE(d.buffered(), MAX_FRAME_SIZE);
        }
        ASSERT_EQ(frames.size(), packets.size());
        for (std::size_t i = 0; i < packets.size(); ++i) EXPECT_EQ(frames[i].packet, packets[i]);
    }
}

TEST(Framing, DecodeConsumesAtMostOneFrame) {
    const auto p = pattern(386, 1);
    auto f = encode_frame(p);
    ASSERT_TRUE(f);
    std::vector<std::uint8_t> two = *f;
    two.insert(two.end(), f->begin(), f->end());
    FrameDecoder d;
    auto step = d.decode(two);
    ASSERT_TRUE(step);
    EXPECT_EQ(step->consumed, f->size());
    ASSERT_TRUE(step->frame);
    EXPECT_EQ(step->frame->packet, p);
}

TEST(Framing, TruncatedFrameIsHeldNotDelivered) {
    const auto p = pattern(2413, 9);
    auto f = encode_frame(p);
    ASSERT_TRUE(f);
    for (std::size_t cut : {1u, 2u, 3u, 100u, 2415u}) {
        FrameDecoder d;
        auto frames = decode_all(d, std::span(*f).first(cut));
        EXPECT_TRUE(frames.empty());
        EXPECT_EQ(d.buffered(), cut);
        EXPECT_FALSE(d.idle());
        EXPECT_FALSE(d.failed());
        // The rest completes it.
        frames = decode_all(d, std::span(*f).subspan(cut));
        ASSERT_EQ(frames.size(), 1u);
        EXPECT_EQ(frames[0].packet, p);
    }
}

TEST(Framing, EveryBadVersionByteIsRejected) {
    for (int b = 0; b < 256; ++b) {
        if (b == 7) continue;
        FrameDecoder d;
        const std::vector<std::uint8_t> bytes{static_cast<std::uint8_t>(b), 1, 0};
        auto step = d.decode(bytes);
        ASSERT_FALSE(step) << b;
        EXPECT_EQ(step.error(), FramingErrc::unknown_version);
        EXPECT_TRUE(d.failed());
    }
}

TEST(Framing, EveryBadSizeTagIsRejected) {
    for (int b = 0; b < 256; ++b) {
        if (b >= 1 && b <= 5) continue;
        FrameDecoder d;
        const std::vector<std::uint8_t> bytes{7, static_cast<std::uint8_t>(b), 0};
        auto step = d.decode(bytes);
        ASSERT_FALSE(step) << b;
        EXPECT_EQ(step.error(), FramingErrc::unknown_packet_size);
    }
}

TEST(Framing, EveryBadPacketTypeIsRejected) {
    for (int b = 1; b < 256; ++b) {
        FrameDecoder d;
        const std::vector<std::uint8_t> bytes{7, 1, static_cast<std::uint8_t>(b)};
        auto step = d.decode(bytes);
        ASSERT_FALSE(step) << b;
        EXPECT_EQ(step.error(), FramingErrc::unknown_packet_type);
    }
}

TEST(Framing, ErrorIsSticky) {
    FrameDecoder d;
    const std::vector<std::uint8_t> bad{8, 1, 0};
    ASSERT_FALSE(d.decode(bad));
    const auto p = pattern(386, 3);
    auto good = encode_frame(p);
    ASSERT_TRUE(good);
    auto again = d.decode(*good);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error(), FramingErrc::unknown_version);
    EXPECT_EQ(d.buffered(), 0u);
}

TEST(Framing, ErrorAfterGoodFramesDeliversThoseFirst) {
    const auto p = pattern(386, 4);
    auto f = encode_frame(p);
    ASSERT_TRUE(f);
    std::vector<std::uint8_t> stream = *f;
    stream.push_back(7);
    stream.push_back(9); // bad size tag
    FrameDecoder d;
    std::error_code ec;
    auto frames = decode_all(d, stream, &ec);
    EXPECT_EQ(frames.size(), 1u);
    EXPECT_EQ(ec, FramingErrc::unknown_packet_size);
}

TEST(Framing, ErrorCategoryHasMessages) {
    EXPECT_EQ(std::string(framing_category().name()), "nym.wire.framing");
    EXPECT_FALSE(make_error_code(FramingErrc::unknown_version).message().empty());
}

} // namespace
} // namespace nym::wire
