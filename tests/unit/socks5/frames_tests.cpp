#include <gtest/gtest.h>

#include <random>
#include <socks5/errors.hpp>
#include <socks5/frames.hpp>

namespace nym::socks5 {
namespace {

Target name(std::string host, std::uint16_t port) {
    return Target{AddressType::domain, Bytes(host.begin(), host.end()), port};
}

TEST(Frames, EveryMessageRoundTrips) {
    const std::vector<Frame> frames{
        Open{7, 131072, name("example.com", 443)},
        Open{8, 1, Target{AddressType::ipv4, {127, 0, 0, 1}, 80}},
        Open{9, 5, Target{AddressType::ipv6, Bytes(16, 0), 8080}},
        Opened{7, 65536},
        Data{7, 1, Bytes(MAX_DATA, 0xab)},
        Close{7, 2},
        Reset{7, ResetCode::not_allowed, "example.com:443 is not in the allow-list"},
        Credit{7, 12, 4096},
        Ping{42},
        Pong{42},
        SurbRequest{100},
    };
    for (const auto& f : frames) {
        auto decoded = decode(encode(f));
        ASSERT_TRUE(decoded) << decoded.error().message();
        EXPECT_EQ(*decoded, f);
    }
}

TEST(Frames, DataFillsOneFragmentExactly) {
    // flags (1) + message = the 1576-byte fragment payload.
    EXPECT_EQ(1 + encode(Data{1, 1, Bytes(MAX_DATA, 1)}).size(), 1576u);
}

TEST(Frames, KnownEncodingOfOpen) {
    const Bytes wire = encode(Open{1, 0x10000, name("a.b", 80)});
    const Bytes expected{1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 3, 3, 'a', '.', 'b', 0, 80};
    EXPECT_EQ(wire, expected);
}

TEST(Frames, RefusesMalformedMessages) {
    auto error = [](const Bytes& b) { return decode(b).error(); };
    EXPECT_EQ(error({}), Errc::truncated);
    EXPECT_EQ(error({2, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 5}), Errc::unsupported_version);
    EXPECT_EQ(error({1, 10, 0, 0, 0, 0, 0, 0, 0, 1}), Errc::unknown_message_type);
    EXPECT_EQ(error({1, 0, 0, 0, 0, 0, 0, 0, 0, 1}), Errc::unknown_message_type);
    // DATA on stream 0, PING on a stream.
    EXPECT_EQ(error({1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 5}), Errc::invalid_field);
    EXPECT_EQ(error({1, 7, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}), Errc::invalid_field);
    // Empty DATA, sequence 0, oversize DATA.
    EXPECT_EQ(error({1, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}), Errc::invalid_field);
    EXPECT_EQ(error({1, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 9}), Errc::invalid_field);
    Bytes big = encode(Data{1, 1, Bytes(MAX_DATA, 1)});
    big.push_back(1);
    EXPECT_EQ(error(big), Errc::invalid_field);
    // Trailing bytes after CLOSE; unknown address type; port 0; empty name; name with a space.
    Bytes close = encode(Close{1, 1});
    close.push_back(0);
    EXPECT_EQ(error(close), Errc::trailing_bytes);
    EXPECT_EQ(error({1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 2, 1, 2, 3, 4, 0, 80}), Errc::unsupported_address);
    EXPECT_EQ(error({1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 2, 3, 4, 0, 0}), Errc::invalid_field);
    EXPECT_EQ(error({1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 3, 0, 0, 80}), Errc::invalid_address);
    EXPECT_EQ(error({1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 3, 2, 'a', ' ', 0, 80}), Errc::invalid_address);
    // RESET with an unknown code, a reason longer than the message.
    EXPECT_EQ(error({1, 5, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0}), Errc::invalid_field);
    EXPECT_EQ(error({1, 5, 0, 0, 0, 0, 0, 0, 0, 1, 1, 5, 'a'}), Errc::truncated);
}

TEST(Frames, EveryTruncationOfAValidMessageIsRefused) {
    const std::vector<Frame> frames{Open{7, 1, name("example.com", 443)}, Credit{7, 1, 2},
                                    Reset{3, ResetCode::timed_out, "x"}};
    for (const auto& f : frames) {
        const Bytes wire = encode(f);
        for (std::size_t n = 0; n < wire.size(); ++n) EXPECT_FALSE(decode(std::span(wire).first(n))) << n;
    }
}

TEST(Frames, RandomBytesNeverCrashAndDecodedMessagesReEncodeIdentically) {
    std::mt19937_64 rng(1234);
    std::size_t accepted = 0;
    for (int i = 0; i < 20000; ++i) {
        Bytes b(rng() % 40);
        for (auto& x : b) x = static_cast<std::uint8_t>(rng());
        if (b.size() >= 2) {
            b[0] = 1;
            b[1] = static_cast<std::uint8_t>(1 + rng() % 9);
        }
        if (auto f = decode(b)) {
            ++accepted;
            EXPECT_EQ(encode(*f), b);
        }
    }
    EXPECT_GT(accepted, 0u);
}

TEST(Frames, ResetCodesMapToSocksReplies) {
    EXPECT_EQ(socks_reply_code(ResetCode::not_allowed), 0x02);
    EXPECT_EQ(socks_reply_code(ResetCode::network_unreachable), 0x03);
    EXPECT_EQ(socks_reply_code(ResetCode::host_unreachable), 0x04);
    EXPECT_EQ(socks_reply_code(ResetCode::connection_refused), 0x05);
    EXPECT_EQ(socks_reply_code(ResetCode::timed_out), 0x06);
    EXPECT_EQ(socks_reply_code(ResetCode::limit_reached), 0x01);
}

TEST(Frames, TargetText) {
    EXPECT_EQ(to_string(Target{AddressType::ipv4, {10, 0, 0, 1}, 80}), "10.0.0.1:80");
    Bytes v6(16, 0);
    v6[15] = 1;
    EXPECT_EQ(to_string(Target{AddressType::ipv6, v6, 443}), "[::1]:443");
    EXPECT_EQ(to_string(name("example.com", 22)), "example.com:22");
}

} // namespace
} // namespace nym::socks5
