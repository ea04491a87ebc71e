// The client's gateway helpers (client/network.hpp): reading a gateway's client listener and
// choosing a gateway from the topology; and init's topology fetch (client/daemon_init.hpp).

#include <client/daemon_init.hpp>
#include <client/network.hpp>

#include <gtest/gtest.h>

namespace nym::client {
namespace {

wire::directory::TopologyGateway gateway(crypto::Rng& rng, std::string listener) {
    wire::directory::TopologyGateway g;
    g.host = "127.0.0.1:1790";
    g.identity_key = crypto::Ed25519SecretKey::generate(rng).public_key();
    g.client_listener = std::move(listener);
    return g;
}

TEST(ClientNetworkHelpers, ListenersParseAsWebsocketEndpoints) {
    auto a = parse_listener("ws://127.0.0.1:9000");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->host, "127.0.0.1");
    EXPECT_EQ(a->port, 9000);
    EXPECT_EQ(a->target, "/");
    auto b = parse_listener("10.1.2.3:9100");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->host, "10.1.2.3");
    EXPECT_EQ(b->port, 9100);
    auto c = parse_listener("ws://gw.example:9000/clients");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->target, "/clients");
    for (const char* bad : {"", "ws://", "http://127.0.0.1:9000", "127.0.0.1", "ws://127.0.0.1", "ws://h:0",
                            "ws://h:70000", "ws://:9000"})
        EXPECT_FALSE(parse_listener(bad)) << bad;
}

TEST(ClientNetworkHelpers, ChoosesTheNamedGatewayOrARandomUsableOne) {
    crypto::DeterministicRng rng(9);
    wire::directory::Topology t;
    t.gateways.push_back(gateway(rng, ""));                       // no listener: never chosen
    t.gateways.push_back(gateway(rng, "ws://127.0.0.1:9001"));
    t.gateways.push_back(gateway(rng, "ws://127.0.0.1:9002"));
    for (int i = 0; i < 20; ++i) {
        auto g = choose_gateway(t, std::nullopt, rng);
        ASSERT_TRUE(g);
        EXPECT_FALSE(g->client_listener.empty());
    }
    auto named = choose_gateway(t, t.gateways[2].identity_key, rng);
    ASSERT_TRUE(named);
    EXPECT_EQ(named->identity_key, t.gateways[2].identity_key);

    auto unusable = choose_gateway(t, t.gateways[0].identity_key, rng);
    ASSERT_FALSE(unusable);
    EXPECT_EQ(unusable.error().code, make_error_code(Errc::gateway_error));
    EXPECT_NE(unusable.error().detail.find("no usable client listener"), std::string::npos);

    auto absent = choose_gateway(t, crypto::Ed25519SecretKey::generate(rng).public_key(), rng);
    ASSERT_FALSE(absent);
    EXPECT_NE(absent.error().detail.find("not in the directory's topology"), std::string::npos);

    auto none = choose_gateway(wire::directory::Topology{}, std::nullopt, rng);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, make_error_code(Errc::gateway_error));
}

TEST(ClientNetworkHelpers, UnreachableDirectoryIsADirectoryError) {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    auto t = fetch_topology("http://127.0.0.1:1", std::chrono::milliseconds(2000));
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, make_error_code(Errc::directory_error));
    auto bad = fetch_topology("https://127.0.0.1:1", std::chrono::milliseconds(2000));
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, make_error_code(Errc::directory_error));
}

} // namespace
} // namespace nym::client
