// SOCKS through the mixnet (docs/protocol/socks5.md): the stream-message decoder, the SOCKS
// handshake, the per-stream receiver and sender, and the allow-list parser. Whatever the bytes:
// nothing crashes, a decoded message re-encodes to the same bytes, the receiver never buffers more
// than its window and delivers each byte once, in order.

#include "fuzz.hpp"

#include <socks5/allow_list.hpp>
#include <socks5/frames.hpp>
#include <socks5/socks.hpp>
#include <socks5/stream.hpp>

#include <cstdlib>
#include <string_view>

namespace {

using namespace nym::socks5;

void require(bool condition) {
    if (!condition) std::abort();
}

} // namespace

/// decode() on the whole input; an accepted message re-encodes identically and decodes to itself.
NYM_FUZZ_TARGET(socks5_frames) {
    auto frame = decode(input);
    if (!frame) return;
    const Bytes again = encode(*frame);
    require(again.size() == input.size() && std::equal(again.begin(), again.end(), input.begin()));
    auto twice = decode(again);
    require(twice && *twice == *frame);
}

/// The handshake fed in pieces: the first byte chooses the piece length (1..16). Replies are
/// bounded, a request is valid, and nothing is accepted after an error.
NYM_FUZZ_TARGET(socks5_handshake) {
    if (input.empty()) return;
    const std::size_t piece = 1 + (input[0] & 15);
    Handshake h;
    bool finished = false;
    for (std::size_t at = 1; at < input.size(); at += piece) {
        auto step = h.feed(input.subspan(at, std::min(piece, input.size() - at)));
        require(step.reply.size() <= 2 + 10);
        if (finished) require(!step.request && !step.error && step.reply.empty());
        if (step.request) require(validate(step.request->target).has_value());
        if (step.request || step.error) finished = true;
    }
}

/// A receiver with a small window fed a sequence of messages decoded from chunks
/// (length (1) ‖ message); reads in between. Checks the bounds and that the bytes delivered are
/// exactly the in-order DATA payloads up to the first gap.
NYM_FUZZ_TARGET(socks5_stream) {
    constexpr std::uint32_t WINDOW = 8192;
    StreamReceiver r(1, ReceiverSettings{WINDOW, std::chrono::milliseconds(10)});
    StreamSender s(1, SenderSettings{WINDOW, WINDOW, std::chrono::milliseconds(100)}, TimePoint{});
    TimePoint now{};
    std::uint64_t delivered = 0;
    bool broken = false;
    std::size_t at = 0;
    while (at < input.size() && !broken) {
        const std::size_t n = std::min<std::size_t>(input[at], input.size() - at - 1);
        const auto chunk = input.subspan(at + 1, n);
        at += 1 + n;
        now += std::chrono::milliseconds(n);
        auto frame = decode(chunk);
        if (!frame) {
            // Not a message: application bytes for the sender.
            if (s.writable() >= chunk.size()) require(s.write(chunk).has_value());
            for (auto& out : s.poll(now)) require(stream_of(out) == 1);
            continue;
        }
        if (auto* d = std::get_if<Data>(&*frame)) {
            d->stream = 1;
            broken = !r.on_data(*d, now);
        } else if (auto* c = std::get_if<Close>(&*frame)) {
            broken = !r.on_close(*c, now);
        } else if (auto* k = std::get_if<Credit>(&*frame)) {
            (void)s.on_credit(*k, now);
        }
        require(r.readable() <= WINDOW);
        const Bytes got = r.read(n * 8, now);
        delivered += got.size();
        require(delivered <= r.bytes_received());
        if (auto credit = r.poll_credit(now)) require(credit->consumed == delivered);
    }
}

/// The allow-list parser on the input as text; a parsed list answers for a few targets.
NYM_FUZZ_TARGET(socks5_allow_list) {
    const std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
    auto list = AllowList::parse(text);
    if (!list) return;
    (void)list->allows(Target{AddressType::domain, Bytes{'a', '.', 'b'}, 80});
    (void)list->allows(Target{AddressType::ipv4, Bytes{127, 0, 0, 1}, 443});
    (void)list->allows(Target{AddressType::ipv6, Bytes(16, 0), 1});
}
