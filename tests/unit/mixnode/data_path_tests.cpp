// The mix node's data-path pieces: FrameReader accepts and refuses exactly what wire::FrameDecoder
// does (whole frames in pooled buffers, header ‖ packet, however the stream is cut), FramePool
// reuses its buffers within a bound, and BoundedQueue is a FIFO that never loses or duplicates an
// item across threads.
#include <mixnode/bounded_queue.hpp>
#include <mixnode/frame_pool.hpp>
#include <mixnode/frame_reader.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>
#include <wire/framing.hpp>

namespace nym::mixnode {
namespace {

using sphinx::PacketSize;

std::vector<std::uint8_t> frame_of(PacketSize size, std::uint8_t seed) {
    std::vector<std::uint8_t> packet(sphinx::packet_size(size));
    for (std::size_t i = 0; i < packet.size(); ++i) packet[i] = static_cast<std::uint8_t>(seed + i * 13);
    auto frame = wire::encode_frame(packet);
    EXPECT_TRUE(frame);
    return *frame;
}

/// A stream of frames of every size, fed to both decoders in chunks of `chunk` bytes.
TEST(FrameReader, AgreesWithTheWireDecoderForEveryChunkSize) {
    std::vector<std::uint8_t> stream;
    std::vector<std::vector<std::uint8_t>> frames;
    std::uint8_t seed = 1;
    for (int round = 0; round < 2; ++round)
        for (const PacketSize size : sphinx::ALL_PACKET_SIZES) {
            frames.push_back(frame_of(size, seed++));
            stream.insert(stream.end(), frames.back().begin(), frames.back().end());
        }
    for (const std::size_t chunk : {1u, 2u, 3u, 4u, 7u, 385u, 2416u, 4096u, 65536u}) {
        FramePool pool;
        FrameReader reader;
        std::vector<std::vector<std::uint8_t>> got;
        for (std::size_t at = 0; at < stream.size(); at += chunk) {
            const auto piece = std::span<const std::uint8_t>(stream).subspan(at, std::min(chunk, stream.size() - at));
            auto fed = reader.feed(piece, pool, [&](std::vector<std::uint8_t>&& frame, PacketSize size) {
                EXPECT_EQ(frame.size(), frame_size(size));
                got.push_back(std::move(frame));
            });
            ASSERT_TRUE(fed) << chunk;
        }
        EXPECT_EQ(got, frames) << "chunk " << chunk;
        EXPECT_TRUE(reader.idle());
        for (auto& f : got) pool.release(std::move(f));
    }
}

TEST(FrameReader, RefusesWhatTheWireDecoderRefusesWithTheSameError) {
    const auto good = frame_of(PacketSize::regular, 9);
    struct Case {
        std::size_t at;
        std::uint8_t value;
        wire::FramingErrc error;
    };
    for (const Case c :
         {Case{0, 6, wire::FramingErrc::unknown_version}, Case{0, 8, wire::FramingErrc::unknown_version},
          Case{1, 0, wire::FramingErrc::unknown_packet_size}, Case{1, 6, wire::FramingErrc::unknown_packet_size},
          Case{2, 1, wire::FramingErrc::unknown_packet_type}}) {
        // A good frame, then a broken one: the first is delivered, then the error, for good.
        std::vector<std::uint8_t> stream = good;
        auto bad = good;
        bad[c.at] = c.value;
        stream.insert(stream.end(), bad.begin(), bad.end());
        for (const std::size_t chunk : {std::size_t{1}, std::size_t{5}, stream.size()}) {
            FramePool pool;
            FrameReader reader;
            wire::FrameDecoder decoder;
            int read = 0;
            int decoded = 0;
            std::error_code reader_error;
            std::error_code decoder_error;
            for (std::size_t at = 0; at < stream.size(); at += chunk) {
                const auto piece =
                    std::span<const std::uint8_t>(stream).subspan(at, std::min(chunk, stream.size() - at));
                if (!reader_error)
                    if (auto r = reader.feed(piece, pool, [&](std::vector<std::uint8_t>&&, PacketSize) { ++read; }); !r)
                        reader_error = r.error();
                if (!decoder_error)
                    if (auto r = decoder.feed(piece, [&](wire::Frame&&) { ++decoded; }); !r) decoder_error = r.error();
            }
            EXPECT_EQ(read, 1);
            EXPECT_EQ(decoded, 1);
            EXPECT_EQ(reader_error, make_error_code(c.error)) << c.at << " " << int(c.value) << " chunk " << chunk;
            EXPECT_EQ(reader_error, decoder_error);
            EXPECT_TRUE(reader.failed());
            auto again = reader.feed(good, pool, [&](std::vector<std::uint8_t>&&, PacketSize) { ++read; });
            ASSERT_FALSE(again);
            EXPECT_EQ(again.error(), make_error_code(c.error)) << "an error stays";
            EXPECT_EQ(read, 1);
        }
    }
}

TEST(FramePool, ReusesItsBuffersAndKeepsOnlyABoundedNumberIdle) {
    const std::size_t regular = frame_size(PacketSize::regular);
    FramePool pool(4 * regular);
    std::vector<std::vector<std::uint8_t>> held;
    for (int i = 0; i < 6; ++i) held.push_back(pool.acquire(PacketSize::regular));
    EXPECT_EQ(pool.allocations(), 6u);
    for (auto& b : held) {
        EXPECT_EQ(b.size(), regular);
        pool.release(std::move(b));
    }
    EXPECT_EQ(pool.idle(), 4u) << "at most max_free_bytes of idle buffers per size";
    held.clear();
    for (int round = 0; round < 100; ++round) {
        auto b = pool.acquire(PacketSize::regular);
        b.resize(10); // a user may shrink it; it comes back whole
        pool.release(std::move(b));
    }
    EXPECT_EQ(pool.allocations(), 6u) << "no allocation once warm";
    EXPECT_EQ(pool.acquire(PacketSize::regular).size(), regular);
    pool.release(std::vector<std::uint8_t>(100)); // not a frame buffer: freed, not kept
    pool.release({});                             // moved-from: ignored
    EXPECT_EQ(pool.idle(), 3u);
    auto ack = pool.acquire(PacketSize::ack);
    EXPECT_EQ(ack.size(), frame_size(PacketSize::ack));
    EXPECT_EQ(pool.allocations(), 7u) << "each size has its own list";
}

TEST(BoundedQueue, IsABoundedFifo) {
    BoundedQueue<std::uint32_t> q(5);
    EXPECT_EQ(q.capacity(), 8u);
    std::uint32_t out = 0;
    EXPECT_FALSE(q.try_pop(out));
    for (std::uint32_t i = 0; i < 8; ++i) EXPECT_TRUE(q.try_push(i));
    EXPECT_FALSE(q.try_push(99)) << "full";
    for (std::uint32_t i = 0; i < 8; ++i) {
        ASSERT_TRUE(q.try_pop(out));
        EXPECT_EQ(out, i);
    }
    EXPECT_FALSE(q.try_pop(out));
}

TEST(BoundedQueue, ThreadsNeitherLoseNorDuplicateItems) {
    constexpr std::uint32_t PER_PRODUCER = 200'000;
    BoundedQueue<std::uint32_t> q(64);
    std::vector<std::atomic<std::uint8_t>> seen(2 * PER_PRODUCER);
    std::atomic<std::uint32_t> popped{0};
    std::vector<std::thread> threads;
    for (std::uint32_t p = 0; p < 2; ++p)
        threads.emplace_back([&, p] {
            for (std::uint32_t i = 0; i < PER_PRODUCER; ++i)
                while (!q.try_push(p * PER_PRODUCER + i)) std::this_thread::yield();
        });
    for (int c = 0; c < 2; ++c)
        threads.emplace_back([&] {
            std::uint32_t v = 0;
            while (popped.load() < 2 * PER_PRODUCER)
                if (q.try_pop(v)) {
                    seen[v].fetch_add(1);
                    popped.fetch_add(1);
                } else {
                    std::this_thread::yield();
                }
        });
    for (auto& t : threads) t.join();
    for (std::uint32_t i = 0; i < 2 * PER_PRODUCER; ++i) ASSERT_EQ(seen[i].load(), 1) << i;
}

} // namespace
} // namespace nym::mixnode
