// Mix node fuzz target: bytes from a peer's TCP stream go through the frame decoder in chunks, and
// every complete frame through the packet processor with a fixed node key. Whatever the bytes, the
// decoder returns frames or a typed error and never holds more than one frame; the processor
// returns a decision, and a forwarded packet keeps its size and frames again. The data path's own
// decoder (mixnode::FrameReader, pooled buffers) reads the same chunks and must agree frame for
// frame and error for error, and its in-place processing (process_frame) must decide the same.
//
// Input: byte 0 picks the chunk size (1..256) the stream is fed in; the rest is the stream.
// Seeds (fuzz/corpus/mixnode_frames/) hold frames of real packets built for the key below.

#include "fuzz.hpp"

#include <crypto/rng.hpp>
#include <crypto/x25519.hpp>
#include <mixnode/frame_pool.hpp>
#include <mixnode/frame_reader.hpp>
#include <mixnode/processor.hpp>
#include <mixnode/replay_filter.hpp>
#include <wire/framing.hpp>

#include <algorithm>
#include <cstdlib>
#include <vector>

namespace {

using namespace nym;

/// The node key the seeds were built for: DeterministicRng(0x6d69786e) → X25519SecretKey::generate.
const crypto::X25519SecretKey& mixnode_fuzz_key() {
    static const crypto::X25519SecretKey key = [] {
        crypto::DeterministicRng rng(0x6d69786e);
        return crypto::X25519SecretKey::generate(rng);
    }();
    return key;
}

void require(bool condition) {
    if (!condition) std::abort();
}

} // namespace

NYM_FUZZ_TARGET(mixnode_frames) {
    if (input.empty()) return;
    const std::size_t chunk = std::size_t{input[0]} + 1;
    auto stream = input.subspan(1);

    crypto::DeterministicRng rng(1);
    mixnode::ReplayFilter filter({.expected_packets_per_epoch = 1024, .fp_rate = 1e-3}, rng);
    const mixnode::Processor processor(mixnode_fuzz_key(), filter);
    const mixnode::TimePoint now{};
    mixnode::Metrics metrics;

    // The same key, a filter of its own: the in-place path must reach the same decisions.
    crypto::DeterministicRng rng2(1);
    mixnode::ReplayFilter filter2({.expected_packets_per_epoch = 1024, .fp_rate = 1e-3}, rng2);
    const mixnode::Processor in_place(mixnode_fuzz_key(), filter2);
    mixnode::FramePool pool;
    mixnode::FrameReader reader;
    std::vector<std::vector<std::uint8_t>> read_frames;

    wire::FrameDecoder decoder;
    std::size_t decoded = 0;
    while (!stream.empty()) {
        const auto piece = stream.first(std::min(chunk, stream.size()));
        stream = stream.subspan(piece.size());
        read_frames.clear();
        auto read = reader.feed(piece, pool, [&](std::vector<std::uint8_t>&& frame, sphinx::PacketSize size) {
            require(frame.size() == mixnode::frame_size(size));
            read_frames.push_back(std::move(frame));
        });
        std::size_t matched = 0;
        auto fed = decoder.feed(piece, [&](wire::Frame&& frame) {
            require(frame.packet.size() == sphinx::packet_size(frame.size));
            ++decoded;
            // FrameReader delivered this frame too, as header ‖ packet.
            require(matched < read_frames.size());
            auto& raw = read_frames[matched++];
            const auto header = wire::encode_frame_header(frame.size);
            require(std::equal(header.begin(), header.end(), raw.begin()));
            require(std::equal(frame.packet.begin(), frame.packet.end(), raw.begin() + wire::FRAME_HEADER_SIZE));
            const auto size = frame.packet.size();
            const auto packet_size = frame.size;
            const mixnode::Decision decision = processor.process(std::move(frame), now);
            const mixnode::Decision decision2 = in_place.process_frame(raw, packet_size, now);
            require(decision.index() == decision2.index());
            metrics.record(decision);
            if (const auto* f = std::get_if<mixnode::Forward>(&decision)) {
                const auto& f2 = std::get<mixnode::Forward>(decision2);
                require(f->packet.packet().size() == size);
                require(f->packet.frame == f2.packet.frame);
                require(f->packet.release <= now + mixnode::DEFAULT_MAX_DELAY);
                require(wire::encode_frame(f->packet.packet()).has_value());
                require(raw.empty()); // the forward took the buffer
            } else {
                require(std::get<mixnode::Drop>(decision).reason == std::get<mixnode::Drop>(decision2).reason);
                pool.release(std::move(raw));
            }
        });
        require(matched == read_frames.size());
        require(decoder.buffered() <= wire::MAX_FRAME_SIZE);
        require(reader.buffered() == decoder.buffered());
        require(fed.has_value() == read.has_value());
        if (!fed) {
            require(fed.error() == read.error());
            require(decoder.failed() && reader.failed());
            require(!decoder.decode(piece)); // the error sticks
            require(!reader.feed(piece, pool, [](std::vector<std::uint8_t>&&, sphinx::PacketSize) { std::abort(); }));
            break;
        }
    }
    reader.release(pool);
    require(metrics.received == decoded);
    require(metrics.received == metrics.forwarded + metrics.processing_dropped());
}
