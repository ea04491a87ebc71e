#include <gtest/gtest.h>

#include <socks5/allow_list.hpp>

namespace nym::socks5 {
namespace {

Target name(std::string host, std::uint16_t port) {
    return Target{AddressType::domain, Bytes(host.begin(), host.end()), port};
}

TEST(AllowList, EmptyRefusesEverything) {
    auto list = AllowList::parse("# nothing\n\n");
    ASSERT_TRUE(list);
    EXPECT_FALSE(list->allows(name("example.com", 80)));
    EXPECT_FALSE(list->allows(Target{AddressType::ipv4, {127, 0, 0, 1}, 80}));
}

TEST(AllowList, Patterns) {
    auto list =
        AllowList::parse("example.com:443\n*.nymtech.net:*  # any port\n127.0.0.1:8000\n10.0.0.0/8:80\n[::1]:9000\n");
    ASSERT_TRUE(list) << list.error();
    EXPECT_EQ(list->size(), 5u);
    EXPECT_TRUE(list->allows(name("Example.COM", 443)));
    EXPECT_FALSE(list->allows(name("example.com", 80)));
    EXPECT_FALSE(list->allows(name("www.example.com", 443)));
    EXPECT_TRUE(list->allows(name("a.b.nymtech.net", 1)));
    EXPECT_FALSE(list->allows(name("nymtech.net", 1)));
    EXPECT_FALSE(list->allows(name("evilnymtech.net", 1)));
    EXPECT_TRUE(list->allows(Target{AddressType::ipv4, {127, 0, 0, 1}, 8000}));
    EXPECT_TRUE(list->allows(name("127.0.0.1", 8000)));
    EXPECT_FALSE(list->allows(Target{AddressType::ipv4, {127, 0, 0, 1}, 8001}));
    EXPECT_TRUE(list->allows(Target{AddressType::ipv4, {10, 200, 3, 4}, 80}));
    EXPECT_FALSE(list->allows(Target{AddressType::ipv4, {11, 0, 0, 1}, 80}));
    Bytes v6(16, 0);
    v6[15] = 1;
    EXPECT_TRUE(list->allows(Target{AddressType::ipv6, v6, 9000}));
}

TEST(AllowList, ErrorsNameTheLine) {
    auto bad = AllowList::parse("ok.com:1\nno-port\n");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error(), "line 2: expected host:port");
    EXPECT_FALSE(AllowList::parse("a.com:0"));
    EXPECT_FALSE(AllowList::parse("a.com:70000"));
    EXPECT_FALSE(AllowList::parse("1.2.3.4/33:80"));
    EXPECT_FALSE(AllowList::parse("[zz]:80"));
    EXPECT_FALSE(AllowList::parse("*.:80"));
}

} // namespace
} // namespace nym::socks5
