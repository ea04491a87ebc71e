#include <gtest/gtest.h>

#include <random>
#include <socks5/errors.hpp>
#include <socks5/stream.hpp>

namespace nym::socks5 {
namespace {

using namespace std::chrono_literals;

TimePoint t0() {
    return TimePoint{} + 1h;
}

TEST(Stream, InOrderDeliveryCloseAndCredit) {
    StreamSender s(1, SenderSettings{}, t0());
    StreamReceiver r(1, ReceiverSettings{});
    const Bytes payload(4000, 7);
    ASSERT_TRUE(s.write(payload));
    s.finish();
    auto frames = s.poll(t0());
    ASSERT_EQ(frames.size(), 4u); // 1557 + 1557 + 886, then CLOSE
    for (auto& f : frames) {
        if (auto* d = std::get_if<Data>(&f))
            ASSERT_TRUE(r.on_data(*d, t0()));
        else
            ASSERT_TRUE(r.on_close(std::get<Close>(f), t0()));
    }
    EXPECT_EQ(r.read(10000, t0()), payload);
    EXPECT_TRUE(r.at_end());
    auto credit = r.poll_credit(t0());
    ASSERT_TRUE(credit);
    EXPECT_EQ(credit->acknowledged, 4u);
    EXPECT_EQ(credit->consumed, 4000u);
    ASSERT_TRUE(s.on_credit(*credit, t0()));
    EXPECT_TRUE(s.done());
}

TEST(Stream, SenderStopsAtThePeersWindowAndBuffersAtMostItsLimit) {
    StreamSender s(1, SenderSettings{10000, 5000, 0ms}, t0());
    ASSERT_TRUE(s.write(Bytes(5000, 1)));
    EXPECT_EQ(s.writable(), 0u);
    EXPECT_EQ(s.write(Bytes(1, 1)).error(), Errc::window_exceeded);
    auto frames = s.poll(t0());
    ASSERT_TRUE(s.write(Bytes(5000, 1)));
    ASSERT_TRUE(s.write(Bytes(0, 1)));
    frames = s.poll(t0());
    EXPECT_EQ(s.bytes_sent(), 10000u);
    ASSERT_TRUE(s.write(Bytes(5000, 1)));
    EXPECT_TRUE(s.poll(t0()).empty()); // no credit left
    ASSERT_TRUE(s.on_credit(Credit{1, 1, 3000}, t0()));
    frames = s.poll(t0());
    std::size_t sent = 0;
    for (auto& f : frames) sent += std::get<Data>(f).bytes.size();
    EXPECT_EQ(sent, 3000u);
}

TEST(Stream, ReceiverRefusesMoreThanItsWindowAndSequencesAfterClose) {
    StreamReceiver r(1, ReceiverSettings{3000, 100ms});
    ASSERT_TRUE(r.on_data(Data{1, 2, Bytes(1500, 1)}, t0()));
    ASSERT_TRUE(r.on_data(Data{1, 1, Bytes(1500, 1)}, t0()));
    EXPECT_EQ(r.on_data(Data{1, 3, Bytes(1, 1)}, t0()).error(), Errc::window_exceeded);
    ASSERT_TRUE(r.on_close(Close{1, 3}, t0()));
    EXPECT_EQ(r.on_data(Data{1, 4, Bytes(1, 1)}, t0()).error(), Errc::sequence_out_of_range);
    EXPECT_EQ(r.on_data(Data{1, 1'000'000, Bytes(1, 1)}, t0()).error(), Errc::sequence_out_of_range);
}

TEST(Stream, CreditAcknowledgingWhatWasNeverSentIsRefused) {
    StreamSender s(1, SenderSettings{}, t0());
    EXPECT_EQ(s.on_credit(Credit{1, 1, 0}, t0()).error(), Errc::sequence_out_of_range);
    ASSERT_TRUE(s.write(Bytes(10, 1)));
    (void)s.poll(t0());
    EXPECT_EQ(s.on_credit(Credit{1, 1, 11}, t0()).error(), Errc::sequence_out_of_range);
    EXPECT_TRUE(s.on_credit(Credit{1, 1, 10}, t0()));
}

TEST(Stream, RetransmitsUnacknowledgedAfterTimeoutWithBackoff) {
    StreamSender s(1, SenderSettings{DEFAULT_WINDOW, DEFAULT_WINDOW, 1000ms}, t0());
    ASSERT_TRUE(s.write(Bytes(100, 1)));
    EXPECT_EQ(s.poll(t0()).size(), 1u);
    EXPECT_TRUE(s.poll(t0() + 999ms).empty());
    EXPECT_EQ(s.next_wakeup(), t0() + 1000ms);
    EXPECT_EQ(s.poll(t0() + 1000ms).size(), 1u);
    EXPECT_EQ(s.next_wakeup(), t0() + 3000ms); // doubled
    ASSERT_TRUE(s.on_credit(Credit{1, 1, 0}, t0() + 1500ms));
    EXPECT_EQ(s.next_wakeup(), TimePoint::max());
    EXPECT_EQ(s.retransmitted(), 1u);
}

/// Property: over a channel that loses, duplicates and reorders messages in both directions, with an
/// application that reads at random speeds, the receiver's bytes are exactly the sender's bytes, in
/// order, once; the receiver never buffers more than its window nor the sender more than its limit.
TEST(Stream, PropertyExactlyOnceInOrderOverALossyReorderingChannel) {
    for (std::uint64_t seed = 1; seed <= 60; ++seed) {
        std::mt19937_64 rng(seed);
        const std::uint32_t window = 4000 + static_cast<std::uint32_t>(rng() % 20000);
        const double loss = static_cast<double>(rng() % 30) / 100.0;
        StreamSender s(9, SenderSettings{window, 6000, 500ms}, t0());
        StreamReceiver r(9, ReceiverSettings{window, 50ms});
        Bytes input(static_cast<std::size_t>(rng() % 60000));
        for (auto& b : input) b = static_cast<std::uint8_t>(rng());
        std::size_t written = 0;
        Bytes output;
        struct InFlight {
            TimePoint at;
            Frame frame;
        };
        std::vector<InFlight> forward, backward;
        TimePoint now = t0();
        auto chance = [&](double p) { return static_cast<double>(rng() % 10000) / 10000.0 < p; };
        auto ship = [&](std::vector<InFlight>& channel, Frame f) {
            if (chance(loss)) return;
            const auto delay = std::chrono::milliseconds(1 + rng() % 200);
            channel.push_back({now + delay, f});
            if (chance(0.05)) channel.push_back({now + delay + 7ms, std::move(f)});
        };
        int steps = 0;
        while (!(r.at_end() && s.done()) && steps < 200000) {
            ++steps;
            now += 5ms;
            if (written < input.size()) {
                const std::size_t n = std::min({s.writable(), input.size() - written, std::size_t(rng() % 3000)});
                ASSERT_TRUE(s.write(std::span(input).subspan(written, n)));
                written += n;
                if (written == input.size()) s.finish();
            } else if (!s.finishing()) {
                s.finish();
            }
            ASSERT_LE(s.buffered(), 6000u);
            for (auto& f : s.poll(now)) ship(forward, std::move(f));
            for (std::size_t i = 0; i < forward.size();) {
                if (forward[i].at > now) {
                    ++i;
                    continue;
                }
                Frame f = std::move(forward[i].frame);
                forward.erase(forward.begin() + static_cast<std::ptrdiff_t>(i));
                auto ok = std::holds_alternative<Data>(f) ? r.on_data(std::get<Data>(f), now)
                                                          : r.on_close(std::get<Close>(f), now);
                ASSERT_TRUE(ok) << "seed " << seed << ": " << ok.error().message();
            }
            ASSERT_LE(r.readable(), window);
            if (chance(0.5)) {
                auto got = r.read(rng() % 4000, now);
                output.insert(output.end(), got.begin(), got.end());
            }
            if (auto c = r.poll_credit(now)) ship(backward, *c);
            for (std::size_t i = 0; i < backward.size();) {
                if (backward[i].at > now) {
                    ++i;
                    continue;
                }
                auto ok = s.on_credit(std::get<Credit>(backward[i].frame), now);
                ASSERT_TRUE(ok) << "seed " << seed;
                backward.erase(backward.begin() + static_cast<std::ptrdiff_t>(i));
            }
        }
        ASSERT_TRUE(r.at_end()) << "seed " << seed << " did not finish";
        EXPECT_EQ(output, input) << "seed " << seed;
    }
}

} // namespace
} // namespace nym::socks5
