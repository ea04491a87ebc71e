// Who may open the API (client/api_access.hpp): loopback peers, with a loopback Host and the API's
// port, and either no Origin (a program) or an allowed one — never a cross-site page.

#include <client/api_access.hpp>

#include <gtest/gtest.h>

namespace nym::client {
namespace {

constexpr std::uint16_t PORT = 9001;
const std::vector<std::string> NONE;

ApiRefusal check(std::string_view ip, std::string_view host, std::optional<std::string> origin,
                 const std::vector<std::string>& allowed = NONE) {
    return check_api_upgrade(ip, host, origin, PORT, allowed);
}

TEST(ClientApiAccess, ProgramsOnLoopbackAreServedUnderEveryLoopbackName) {
    for (const char* host : {"127.0.0.1:9001", "localhost:9001", "LocalHost:9001", "[::1]:9001"})
        EXPECT_EQ(check("127.0.0.1", host, std::nullopt), ApiRefusal::none) << host;
    EXPECT_EQ(check("::1", "[::1]:9001", std::nullopt), ApiRefusal::none);
    EXPECT_EQ(check("::ffff:127.0.0.1", "localhost:9001", std::nullopt), ApiRefusal::none);
}

TEST(ClientApiAccess, CrossSitePagesAreRefused) {
    EXPECT_EQ(check("127.0.0.1", "127.0.0.1:9001", "https://evil.example"), ApiRefusal::bad_origin);
    EXPECT_EQ(check("127.0.0.1", "localhost:9001", "http://localhost:8000"), ApiRefusal::bad_origin)
        << "another local web server's pages are other sites too";
    EXPECT_EQ(check("127.0.0.1", "127.0.0.1:9001", "null"), ApiRefusal::bad_origin);
    EXPECT_EQ(check("127.0.0.1", "127.0.0.1:9001", "null", {"null"}), ApiRefusal::bad_origin)
        << "the opaque origin is never allowed";
    EXPECT_EQ(check("127.0.0.1", "127.0.0.1:9001", ""), ApiRefusal::bad_origin);
}

TEST(ClientApiAccess, AllowedOriginsAreServed) {
    const std::vector<std::string> allowed = {"https://app.example", "http://localhost:3000/"};
    EXPECT_EQ(check("127.0.0.1", "127.0.0.1:9001", "https://app.example", allowed), ApiRefusal::none);
    EXPECT_EQ(check("127.0.0.1", "127.0.0.1:9001", "HTTPS://APP.EXAMPLE", allowed), ApiRefusal::none);
    EXPECT_EQ(check("127.0.0.1", "127.0.0.1:9001", "http://localhost:3000", allowed), ApiRefusal::none);
    EXPECT_EQ(check("127.0.0.1", "127.0.0.1:9001", "https://app.example.evil", allowed), ApiRefusal::bad_origin);
    EXPECT_EQ(check("127.0.0.1", "127.0.0.1:9001", "http://app.example", allowed), ApiRefusal::bad_origin);
}

TEST(ClientApiAccess, ForeignHostsAreRefusedEvenWithoutOrigin) {
    // DNS rebinding: the page's own name resolves to 127.0.0.1, and the browser sends that name.
    for (const char* host : {"evil.example:9001", "127.0.0.1:9002", "127.0.0.1", "", "localhost", "127.0.0.2:9001",
                             "::1:9001", "localhost:9001.evil.example"})
        EXPECT_EQ(check("127.0.0.1", host, std::nullopt), ApiRefusal::bad_host) << host;
    EXPECT_EQ(check_api_upgrade("127.0.0.1", "localhost", std::nullopt, 80, NONE), ApiRefusal::none)
        << "port 80 may be left out";
}

TEST(ClientApiAccess, OnlyLoopbackPeers) {
    EXPECT_EQ(check("10.0.0.5", "127.0.0.1:9001", std::nullopt), ApiRefusal::not_loopback);
    EXPECT_EQ(check("::2", "[::1]:9001", std::nullopt), ApiRefusal::not_loopback);
    EXPECT_EQ(check("", "127.0.0.1:9001", std::nullopt), ApiRefusal::not_loopback);
}

TEST(ClientApiAccess, OriginsAreNormalisedForComparison) {
    EXPECT_EQ(normalise_origin("HTTPS://App.Example/"), std::optional<std::string>("https://app.example"));
    EXPECT_FALSE(normalise_origin("null"));
    EXPECT_FALSE(normalise_origin("NULL"));
    EXPECT_FALSE(normalise_origin(""));
    EXPECT_FALSE(normalise_origin("https://a b"));
    EXPECT_FALSE(normalise_origin(std::string(300, 'a')));
}

} // namespace
} // namespace nym::client
