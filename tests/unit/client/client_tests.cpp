// client::Client without any I/O: the test plays the daemon (connections, directory, clock) and the
// gateway (its own session state machine from src/gateway), and reads the ClientOutput of every
// call: the API's answers reach the session, the core's packets reach the gateway link, and the
// supervisor's decisions (connect, register, authenticate, reconnect, refresh) come out in order.

#include <client/client.hpp>

#include <gateway/client_session.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <map>

namespace nym::client {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
namespace wg = wire::gateway;

constexpr std::int64_t NOW = 1'700'000'000;

class MapRegistry final : public gateway::ClientRegistry {
public:
    Expected<std::optional<gateway::RegisteredClient>> find_client(const gateway::ClientAddress& address) override {
        auto it = clients.find(address.bytes);
        if (it == clients.end()) return std::optional<gateway::RegisteredClient>{};
        return std::optional<gateway::RegisteredClient>{it->second};
    }
    void apply(const gateway::SessionOutput& out) {
        for (const auto& a : out.actions)
            if (const auto* s = std::get_if<gateway::StoreSharedKey>(&a))
                clients.insert_or_assign(s->client.address.bytes, s->client);
    }
    std::map<std::array<std::uint8_t, 32>, gateway::RegisteredClient> clients;
};

class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "nym-client-core-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) std::abort();
        m_path = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const noexcept { return m_path; }

private:
    std::filesystem::path m_path;
};

class ClientJoin : public ::testing::Test {
protected:
    crypto::DeterministicRng rng{21};
    TempDir dir;
    crypto::Ed25519SecretKey gateway_key = crypto::Ed25519SecretKey::generate(rng);
    crypto::X25519SecretKey gateway_sphinx = crypto::X25519SecretKey::generate(rng);
    crypto::Ed25519SecretKey identity = crypto::Ed25519SecretKey::generate(rng);
    MapRegistry registry;
    gateway::NonceCache nonces;
    TimePoint now = TimePoint{} + 100h;

    Config config() {
        Config c = default_config(dir.path(), "alice");
        c.gateway_identity = gateway_key.public_key();
        c.gateway_listener = "ws://127.0.0.1:9000";
        c.traffic.disable_main_poisson = true;
        c.traffic.disable_loop_cover = true;
        return c;
    }

    std::unique_ptr<Client> make_client(std::optional<wg::SharedKey> key = std::nullopt) {
        ClientSettings settings;
        settings.config = config();
        settings.config_file = config_path(dir.path(), "alice");
        return std::make_unique<Client>(settings, ClientKeys{identity, identity.public_key()}, std::move(key), rng, now,
                                        [] { return static_cast<std::uint64_t>(NOW); });
    }

    wire::directory::Topology topology() {
        wire::directory::Topology t;
        for (std::uint8_t layer = 1; layer <= 3; ++layer) {
            wire::directory::TopologyMixNode m;
            m.host = "127.0.0.1:" + std::to_string(1800 + layer);
            m.pub_key = crypto::X25519SecretKey::generate(rng).public_key();
            m.layer = layer;
            t.mix_nodes.push_back(m);
        }
        wire::directory::TopologyGateway g;
        g.host = "127.0.0.1:1790";
        g.pub_key = gateway_sphinx.public_key();
        g.identity_key = gateway_key.public_key();
        g.client_listener = "ws://127.0.0.1:9000";
        t.gateways.push_back(g);
        return t;
    }

    /// Sends every gateway frame of `out` to the gateway's session and feeds its replies back.
    ClientOutput exchange(Client& client, gateway::ClientSession& session, const ClientOutput& out) {
        ClientOutput last;
        for (const auto& frame : out.gateway) {
            const auto reply = session.on_frame(frame, gateway::UnixSeconds(std::chrono::seconds(NOW)));
            registry.apply(reply);
            for (const auto& r : reply.replies) last = client.on_gateway_message(r, true, now);
        }
        return last;
    }

    static json answer(const ClientOutput& out, ApiSessionId session) {
        EXPECT_EQ(out.api.size(), 1u);
        if (out.api.empty()) return json();
        EXPECT_EQ(out.api[0].session, session);
        return json::parse(out.api[0].frame.text());
    }
    static Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }
};

TEST_F(ClientJoin, StartsRegistersAndServesTheApiThroughTheCore) {
    auto client = make_client();
    auto out = client->start(now);
    EXPECT_TRUE(out.fetch_topology);
    EXPECT_FALSE(out.connect);

    // The API answers before the gateway link is up.
    client->api_open(7);
    out = client->on_api_message(7, text(R"({"type":"ownDetails"})"), false, now);
    EXPECT_EQ(answer(out, 7), json({{"type", "ownDetails"}, {"address", client->address()}}));

    out = client->on_topology(topology(), now);
    ASSERT_TRUE(out.connect);
    EXPECT_EQ(out.connect->host, "127.0.0.1");
    EXPECT_EQ(out.connect->port, 9000);
    out = client->on_gateway_connected(now);
    ASSERT_EQ(out.gateway.size(), 1u) << "the registration request";
    gateway::ClientSession session(gateway_key, registry, nonces, rng);
    out = exchange(*client, session, out);
    EXPECT_TRUE(out.ready);
    EXPECT_FALSE(out.startup_failed);
    EXPECT_EQ(registry.clients.size(), 1u);
    // The shared key went to its file (0600) for the next run.
    auto stored = load_shared_key(client->config());
    ASSERT_TRUE(stored) << stored.error().message();
    EXPECT_TRUE(stored->ct_equals(registry.clients.begin()->second.shared_key));

    // A send to ourselves leaves at once (no Poisson stream): answer to the session, packet to the gateway.
    out = client->on_api_message(
        7, text(json{{"type", "send"}, {"message", "hi"}, {"recipient_address", client->address()}}.dump()), false, now);
    EXPECT_EQ(answer(out, 7), json({{"type", "send"}}));
    ASSERT_EQ(out.gateway.size(), 1u);
    auto forwarded = session.on_frame(out.gateway[0], gateway::UnixSeconds(std::chrono::seconds(NOW)));
    ASSERT_EQ(forwarded.actions.size(), 1u);
    EXPECT_TRUE(std::holds_alternative<gateway::ForwardPacket>(forwarded.actions[0]));
    EXPECT_EQ(client->stats().real_sent, 1u);
}

TEST_F(ClientJoin, ALostLinkReconnectsAndAuthenticatesWithTheStoredKey) {
    auto client = make_client();
    (void)client->start(now);
    (void)client->on_topology(topology(), now);
    gateway::ClientSession first(gateway_key, registry, nonces, rng);
    ASSERT_TRUE(exchange(*client, first, client->on_gateway_connected(now)).ready);

    auto out = client->on_gateway_closed("the gateway closed the connection: end of stream", now);
    EXPECT_FALSE(out.startup_failed);
    EXPECT_FALSE(out.connect) << "after a back-off";
    EXPECT_EQ(client->next_wakeup(), now + 250ms);
    now += 250ms;
    out = client->tick(now);
    ASSERT_TRUE(out.connect);
    out = client->on_gateway_connected(now);
    ASSERT_EQ(out.gateway.size(), 1u);
    gateway::ClientSession second(gateway_key, registry, nonces, rng);
    out = exchange(*client, second, out);
    EXPECT_FALSE(out.ready) << "ready is reported once, at start-up";
    EXPECT_EQ(second.state(), gateway::ClientSession::State::authenticated);
}

TEST_F(ClientJoin, AForgottenKeyIsReplacedByANewRegistration) {
    wg::SharedKey stale;
    stale.mutable_bytes()[0] = 1;
    auto client = make_client(stale);
    (void)client->start(now);
    (void)client->on_topology(topology(), now);
    gateway::ClientSession session(gateway_key, registry, nonces, rng);
    auto out = exchange(*client, session, client->on_gateway_connected(now)); // authenticate: unknown client
    EXPECT_TRUE(out.close_gateway);
    ASSERT_TRUE(out.connect) << "registers again at once";
    EXPECT_FALSE(out.startup_failed);
    gateway::ClientSession again(gateway_key, registry, nonces, rng);
    out = exchange(*client, again, client->on_gateway_connected(now));
    EXPECT_TRUE(out.ready);
    EXPECT_EQ(registry.clients.size(), 1u);
}

TEST_F(ClientJoin, StartUpFailuresAreReported) {
    auto client = make_client();
    (void)client->start(now);
    auto out = client->on_topology_failed("cannot reach the directory at http://127.0.0.1:1: refused", now);
    ASSERT_TRUE(out.startup_failed);
    EXPECT_EQ(*out.startup_failed, "cannot reach the directory at http://127.0.0.1:1: refused");

    auto other = make_client();
    (void)other->start(now);
    (void)other->on_topology(topology(), now);
    out = other->on_gateway_connect_failed("Connection refused", now);
    ASSERT_TRUE(out.startup_failed);
    EXPECT_EQ(*out.startup_failed, "cannot reach the gateway at 127.0.0.1:9000: Connection refused");
}

TEST_F(ClientJoin, ASendToAnUnknownRecipientAsksForAFreshTopology) {
    auto client = make_client();
    (void)client->start(now);
    (void)client->on_topology(topology(), now);
    const auto stranger = crypto::Ed25519SecretKey::generate(rng).public_key();
    const std::string address =
        to_string(Address{stranger, crypto::Ed25519SecretKey::generate(rng).public_key()}); // unknown gateway
    client->api_open(1);
    auto out = client->on_api_message(
        1, text(json{{"type", "send"}, {"message", "x"}, {"recipient_address", address}}.dump()), false, now);
    EXPECT_EQ(answer(out, 1)["type"], "error");
    EXPECT_TRUE(out.fetch_topology);
    // Not again within the second.
    out = client->on_api_message(
        1, text(json{{"type", "send"}, {"message", "x"}, {"recipient_address", address}}.dump()), false, now + 10ms);
    EXPECT_FALSE(out.fetch_topology);
}

} // namespace
} // namespace nym::client
