// Mix node fuzz target: bytes from a peer's TCP stream go through the frame decoder in chunks, and
// every complete frame through the packet processor with a fixed node key. Whatever the bytes, the
// decoder returns frames or a typed error and never holds more than one frame; the processor
// returns a decision, and a forwarded packet keeps its size and frames again.
//
// Input: byte 0 picks the chunk size (1..256) the stream is fed in; the rest is the stream.
// Seeds (fuzz/corpus/mixnode_frames/) hold frames of real packets built for the key below.

#include "fuzz.hpp"

#include <crypto/rng.hpp>
#include <crypto/x25519.hpp>
#include <mixnode/processor.hpp>
#include <mixnode/replay_filter.hpp>
#include <wire/framing.hpp>

#include <algorithm>
#include <cstdlib>

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

    wire::FrameDecoder decoder;
    while (!stream.empty()) {
        const auto piece = stream.first(std::min(chunk, stream.size()));
        stream = stream.subspan(piece.size());
        auto fed = decoder.feed(piece, [&](wire::Frame&& frame) {
            require(frame.packet.size() == sphinx::packet_size(frame.size));
            const auto size = frame.packet.size();
            const mixnode::Decision decision = processor.process(std::move(frame), now);
            metrics.record(decision);
            if (const auto* f = std::get_if<mixnode::Forward>(&decision)) {
                require(f->packet.packet.size() == size);
                require(f->packet.release <= now + mixnode::DEFAULT_MAX_DELAY);
                require(wire::encode_frame(f->packet.packet).has_value());
            }
        });
        require(decoder.buffered() <= wire::MAX_FRAME_SIZE);
        if (!fed) {
            require(decoder.failed());
            require(!decoder.decode(piece)); // the error sticks
            break;
        }
    }
    require(metrics.received == metrics.forwarded + metrics.processing_dropped());
}
