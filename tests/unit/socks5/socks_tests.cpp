#include <gtest/gtest.h>

#include <socks5/errors.hpp>
#include <socks5/socks.hpp>

namespace nym::socks5 {
namespace {

TEST(Socks, Socks5ConnectByNameInOneWrite) {
    Handshake h;
    const Bytes in{5, 1, 0, 5, 1, 0, 3, 11, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm', 1, 187, 'G', 'E'};
    auto step = h.feed(in);
    EXPECT_FALSE(step.error);
    EXPECT_EQ(step.reply, (Bytes{5, 0}));
    ASSERT_TRUE(step.request);
    EXPECT_EQ(step.request->version, 5);
    EXPECT_EQ(to_string(step.request->target), "example.com:443");
    EXPECT_EQ(h.take_leftover(), (Bytes{'G', 'E'}));
}

TEST(Socks, Socks5ByteAtATimeIPv4AndIPv6) {
    for (const Bytes& in : {Bytes{5, 2, 2, 0, 5, 1, 0, 1, 127, 0, 0, 1, 0, 80},
                            Bytes{5, 1, 0, 5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 80}}) {
        Handshake h;
        Bytes replies;
        std::optional<ConnectRequest> request;
        for (auto b : in) {
            auto step = h.feed(std::span(&b, 1));
            ASSERT_FALSE(step.error);
            replies.insert(replies.end(), step.reply.begin(), step.reply.end());
            if (step.request) request = step.request;
        }
        EXPECT_EQ(replies, (Bytes{5, 0}));
        ASSERT_TRUE(request);
        EXPECT_EQ(request->target.port, 80);
    }
}

TEST(Socks, Socks5Refusals) {
    {
        Handshake h; // only username/password offered
        auto step = h.feed(Bytes{5, 1, 2});
        EXPECT_EQ(step.reply, (Bytes{5, 0xff}));
        EXPECT_EQ(*step.error, Errc::no_acceptable_method);
    }
    {
        Handshake h; // BIND
        auto step = h.feed(Bytes{5, 1, 0, 5, 2, 0, 1, 1, 2, 3, 4, 0, 80});
        EXPECT_EQ(step.reply, (Bytes{5, 0, 5, 7, 0, 1, 0, 0, 0, 0, 0, 0}));
        EXPECT_EQ(*step.error, Errc::unsupported_command);
    }
    {
        Handshake h; // address type 2
        auto step = h.feed(Bytes{5, 1, 0, 5, 1, 0, 2, 1, 2, 3, 4, 0, 80});
        EXPECT_EQ(step.reply[step.reply.size() - 9], 8);
        EXPECT_EQ(*step.error, Errc::unsupported_address);
    }
    {
        Handshake h; // HTTP sent to the SOCKS port
        auto step = h.feed(Bytes{'G', 'E', 'T'});
        EXPECT_EQ(*step.error, Errc::unsupported_version);
    }
    {
        Handshake h; // port 0
        auto step = h.feed(Bytes{5, 1, 0, 5, 1, 0, 1, 1, 2, 3, 4, 0, 0});
        EXPECT_EQ(*step.error, Errc::invalid_address);
    }
}

TEST(Socks, Socks4AndSocks4a) {
    {
        Handshake h;
        auto step = h.feed(Bytes{4, 1, 0, 80, 10, 1, 2, 3, 'u', 0});
        ASSERT_TRUE(step.request);
        EXPECT_EQ(step.request->version, 4);
        EXPECT_EQ(to_string(step.request->target), "10.1.2.3:80");
    }
    {
        Handshake h;
        auto step = h.feed(Bytes{4, 1, 1, 187, 0, 0, 0, 1, 0, 'n', 'y', 'm', '.', 'c', 'o', 'm', 0});
        ASSERT_TRUE(step.request);
        EXPECT_EQ(to_string(step.request->target), "nym.com:443");
    }
    {
        Handshake h; // a user id that never ends
        auto step = h.feed(Bytes(9, 4));
        Bytes more(MAX_HANDSHAKE, 'x');
        step = h.feed(more);
        ASSERT_TRUE(step.error);
        EXPECT_EQ(step.reply, failure_reply(4, 0));
    }
    EXPECT_EQ(success_reply(4), (Bytes{0, 0x5a, 0, 0, 0, 0, 0, 0}));
}

} // namespace
} // namespace nym::socks5
