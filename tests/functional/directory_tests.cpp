// The real nym-directory executable on loopback, driven only through its HTTP/websocket API.
#include "process.hpp"

#include <crypto/base58.hpp>
#include <crypto/ed25519.hpp>
#include <crypto/rng.hpp>
#include <runtime/blocking.hpp>
#include <runtime/http_server.hpp>
#include <runtime/loop.hpp>
#include <wire/credentials.hpp>
#include <wire/directory.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>
#include <vector>

namespace nym::functional {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

struct Node {
    crypto::Ed25519SecretKey identity;
    crypto::X25519SecretKey sphinx;
    crypto::X25519PublicKey sphinx_key;
    explicit Node(std::uint64_t seed) {
        crypto::DeterministicRng rng(seed);
        identity = crypto::Ed25519SecretKey::generate(rng);
        sphinx = crypto::X25519SecretKey::generate(rng);
        sphinx_key = sphinx.public_key();
    }
    /// Each message a node signs carries a strictly newer timestamp, as a real node's do: the
    /// directory refuses a timestamp not newer than the last one it accepted (replay), and two
    /// heartbeats can fall in the same millisecond.
    std::int64_t next_timestamp() const {
        m_last_timestamp = std::max(now_ms(), m_last_timestamp + 1);
        return m_last_timestamp;
    }
    std::string mixnode(const std::string& host, std::uint8_t layer = 1) const {
        wire::directory::MixnodeHeartbeat h{host, identity.public_key(), sphinx_key, layer, "0.1.0", next_timestamp(), {}, {}, {}, {}};
        wire::directory::sign(h, identity, sphinx);
        return wire::directory::to_json(h);
    }
    std::string gateway(const std::string& host, const crypto::X25519PublicKey& client) const {
        wire::directory::GatewayHeartbeat h{host, "ws://" + host, identity.public_key(), sphinx_key, "0.1.0", next_timestamp(), {client}, {}, {}};
        wire::directory::sign(h, identity, sphinx);
        return wire::directory::to_json(h);
    }
    std::string metric(std::uint64_t received) const {
        wire::directory::MixMetric m{sphinx_key, {{"127.0.0.1:1790", 3}}, received, next_timestamp(), {}};
        wire::directory::sign(m, identity);
        return wire::directory::to_json(m);
    }

private:
    mutable std::int64_t m_last_timestamp = 0;
};

class DirectoryTest : public ::testing::Test {
protected:
    void start(std::vector<std::string> args = {}) {
        dir.launch(std::move(args));
        ASSERT_TRUE(dir.process) << "cannot start " << NYM_DIRECTORY_BIN;
        ASSERT_NE(dir.port, 0) << "nym-directory did not print its port: " << dir.process->drain_stderr();
    }
    runtime::HttpResult get(const std::string& target) {
        auto r = runtime::http_request("127.0.0.1", dir.port, "GET", target);
        EXPECT_TRUE(r) << target << ": " << r.error().message();
        return r ? *r : runtime::HttpResult{};
    }
    runtime::HttpResult post(const std::string& target, const std::string& body,
                             const std::string& content_type = "application/json") {
        auto r = runtime::http_request("127.0.0.1", dir.port, "POST", target, body, content_type);
        EXPECT_TRUE(r) << target << ": " << r.error().message();
        return r ? *r : runtime::HttpResult{};
    }
    static bool is_json_error(const runtime::HttpResult& r) {
        auto doc = json::parse(r.body, nullptr, false);
        return r.content_type == "application/json" && doc.is_object() && doc["error"].is_string();
    }
    void expect_alive() {
        auto r = get("/api/healthcheck");
        EXPECT_EQ(r.status, 200u);
    }
    DirectoryProcess dir;
};

TEST_F(DirectoryTest, SignedHeartbeatsAppearInTheTopologyInTheSeedShape) {
    start();
    const Node mix(1), gw(2), client(3);
    ASSERT_EQ(post("/api/presence/mixnodes", mix.mixnode("127.0.0.1:1789", 2)).status, 201u);
    ASSERT_EQ(post("/api/presence/gateways", gw.gateway("127.0.0.1:1790", client.sphinx_key)).status, 201u);
    const auto before_ns = now_ms() * 1'000'000;
    auto r = get("/api/presence/topology");
    ASSERT_EQ(r.status, 200u);
    EXPECT_EQ(r.content_type, "application/json");
    const auto doc = json::parse(r.body);
    ASSERT_EQ(doc["MixNodes"].size(), 1u);
    const auto& m = doc["MixNodes"][0];
    EXPECT_EQ(m["host"], "127.0.0.1:1789");
    EXPECT_EQ(m["pubKey"], crypto::base58_encode(mix.sphinx_key.bytes));
    EXPECT_EQ(m["layer"], 2);
    EXPECT_TRUE(m["lastSeen"].is_number_integer());
    EXPECT_LE(m["lastSeen"].get<std::int64_t>(), before_ns);
    EXPECT_GT(m["lastSeen"].get<std::int64_t>(), before_ns - 10'000'000'000);
    EXPECT_EQ(m["identityKey"], crypto::base58_encode(mix.identity.public_key().bytes));
    ASSERT_EQ(doc["MixProviderNodes"].size(), 1u);
    const auto& g = doc["MixProviderNodes"][0];
    EXPECT_EQ(g["host"], "127.0.0.1:1790");
    EXPECT_EQ(g["pubKey"], crypto::base58_encode(gw.sphinx_key.bytes));
    EXPECT_EQ(g["registeredClients"][0]["pubKey"], crypto::base58_encode(client.sphinx_key.bytes));
    EXPECT_TRUE(g["lastSeen"].is_number_integer());
    // The legacy route name for gateways works too.
    EXPECT_EQ(post("/api/presence/mixproviders", gw.gateway("127.0.0.1:1790", client.sphinx_key)).status, 201u);
    EXPECT_TRUE(wire::directory::parse_topology(get("/api/presence/topology").body));
}

TEST_F(DirectoryTest, ForgedUnsignedReplayedAndTakeoverHeartbeatsAreRefused) {
    start();
    const Node mix(1), attacker(2);
    auto unsigned_doc = json::parse(mix.mixnode("127.0.0.1:1789"));
    unsigned_doc.erase("signature");
    auto r = post("/api/presence/mixnodes", unsigned_doc.dump());
    EXPECT_EQ(r.status, 401u);
    EXPECT_TRUE(is_json_error(r)) << r.body;

    auto forged = json::parse(mix.mixnode("127.0.0.1:1789"));
    forged["layer"] = 3;
    r = post("/api/presence/mixnodes", forged.dump());
    EXPECT_EQ(r.status, 401u);
    EXPECT_TRUE(is_json_error(r));

    auto stolen = json::parse(attacker.mixnode("127.0.0.1:1789"));
    stolen["identityKey"] = crypto::base58_encode(mix.identity.public_key().bytes);
    r = post("/api/presence/mixnodes", stolen.dump());
    EXPECT_EQ(r.status, 401u);

    const auto good = mix.mixnode("127.0.0.1:1789");
    ASSERT_EQ(post("/api/presence/mixnodes", good).status, 201u);
    r = post("/api/presence/mixnodes", good);
    EXPECT_EQ(r.status, 409u) << r.body; // replay
    r = post("/api/presence/mixnodes", attacker.mixnode("127.0.0.1:1789"));
    EXPECT_EQ(r.status, 409u) << r.body; // host takeover
    const auto doc = json::parse(get("/api/presence/topology").body);
    ASSERT_EQ(doc["MixNodes"].size(), 1u);
    EXPECT_EQ(doc["MixNodes"][0]["identityKey"], crypto::base58_encode(mix.identity.public_key().bytes));
}

TEST_F(DirectoryTest, SilentNodesLeaveTheTopologyAfterThePresenceTimeout) {
    start({"--presence-timeout", "1s"});
    const Node mix(1), gw(2);
    ASSERT_EQ(post("/api/presence/mixnodes", mix.mixnode("127.0.0.1:1789")).status, 201u);
    ASSERT_EQ(post("/api/presence/gateways", gw.gateway("127.0.0.1:1790", mix.sphinx_key)).status, 201u);
    auto doc = json::parse(get("/api/presence/topology").body);
    EXPECT_EQ(doc["MixNodes"].size(), 1u);
    std::this_thread::sleep_for(600ms);
    ASSERT_EQ(post("/api/presence/gateways", gw.gateway("127.0.0.1:1790", mix.sphinx_key)).status, 201u); // gw keeps beating
    std::this_thread::sleep_for(600ms);
    doc = json::parse(get("/api/presence/topology").body);
    EXPECT_TRUE(doc["MixNodes"].empty()) << doc.dump();
    EXPECT_EQ(doc["MixProviderNodes"].size(), 1u) << doc.dump();
}

TEST_F(DirectoryTest, MetricReportsArePushedToWebsocketSubscribers) {
    start();
    auto ws = runtime::WsClient::connect("127.0.0.1", dir.port, "/ws");
    ASSERT_TRUE(ws) << ws.error().message();
    auto ws2 = runtime::WsClient::connect("127.0.0.1", dir.port, "/ws");
    ASSERT_TRUE(ws2) << ws2.error().message();
    const Node mix(1), stranger(2);
    // Only registered mixes may report.
    auto r = post("/api/metrics/mixes", stranger.metric(1));
    EXPECT_EQ(r.status, 403u);
    EXPECT_TRUE(is_json_error(r));
    ASSERT_EQ(post("/api/presence/mixnodes", mix.mixnode("127.0.0.1:1789")).status, 201u);
    const auto report = mix.metric(42);
    ASSERT_EQ(post("/api/metrics/mixes", report).status, 201u);
    for (auto* client : {&*ws, &*ws2}) {
        auto message = client->read(3s);
        ASSERT_TRUE(message) << message.error().message();
        EXPECT_EQ(json::parse(*message), json::parse(report));
    }
    auto list = json::parse(get("/api/metrics/mixes").body);
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0]["received"], 42);
}

TEST_F(DirectoryTest, BadRequestsGetJson4xxAndTheServerKeepsServing) {
    start();
    const Node mix(1);
    auto r = post("/api/presence/mixnodes", "{\"host\": ");
    EXPECT_EQ(r.status, 400u);
    EXPECT_TRUE(is_json_error(r));
    r = post("/api/presence/mixnodes", std::string(70 * 1024, 'x'));
    EXPECT_EQ(r.status, 413u);
    EXPECT_TRUE(is_json_error(r));
    r = post("/api/presence/mixnodes", mix.mixnode("127.0.0.1:1789"), "text/plain");
    EXPECT_EQ(r.status, 415u);
    EXPECT_TRUE(is_json_error(r));
    r = post("/api/presence/mixnodes", "[1,2,3]");
    EXPECT_EQ(r.status, 400u);
    r = post("/api/presence/mixnodes", R"({"host":"x","identityKey":5})");
    EXPECT_EQ(r.status, 400u);
    EXPECT_TRUE(is_json_error(r));
    r = get("/no/such/path");
    EXPECT_EQ(r.status, 404u);
    EXPECT_TRUE(is_json_error(r));
    r = post("/api/presence/topology", "{}");
    EXPECT_EQ(r.status, 405u);
    EXPECT_TRUE(is_json_error(r));
    r = get("/ws");
    EXPECT_EQ(r.status, 426u);
    auto raw = runtime::http_exchange_raw("127.0.0.1", dir.port, "THIS IS NOT HTTP\r\n\r\n");
    ASSERT_TRUE(raw) << raw.error().message();
    EXPECT_EQ(raw->status, 400u);
    raw = runtime::http_exchange_raw("127.0.0.1", dir.port,
                                     "GET / HTTP/1.1\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
    ASSERT_TRUE(raw) << raw.error().message();
    EXPECT_EQ(raw->status, 431u);
    raw = runtime::http_exchange_raw("127.0.0.1", dir.port, "GET /swagger/../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(raw) << raw.error().message();
    EXPECT_EQ(raw->status, 400u);
    EXPECT_EQ(raw->body.find("root:"), std::string::npos);
    expect_alive();
    EXPECT_EQ(post("/api/presence/mixnodes", mix.mixnode("127.0.0.1:1789")).status, 201u);
}

TEST_F(DirectoryTest, ServesTheOpenApiDocumentAndSwaggerUi) {
    start();
    auto r = get("/api/openapi.json");
    ASSERT_EQ(r.status, 200u);
    auto doc = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(doc.is_object());
    for (const char* path : {"/api/presence/mixnodes", "/api/presence/gateways", "/api/presence/topology",
                             "/api/metrics/mixes", "/ws", "/api/healthcheck"})
        EXPECT_TRUE(doc["paths"].contains(path)) << path;
    r = get("/swagger/");
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.content_type.rfind("text/html", 0), 0u);
    EXPECT_NE(r.body.find("swagger-ui-bundle.js"), std::string::npos);
    r = get("/swagger/swagger-ui-bundle.js");
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.content_type, "application/javascript");
    EXPECT_GT(r.body.size(), 100'000u);
    r = get("/swagger/nym-swagger.js");
    EXPECT_EQ(r.status, 200u);
    EXPECT_NE(r.body.find("/api/openapi.json"), std::string::npos);
    EXPECT_EQ(get("/swagger/swagger-ui.css").status, 200u);
}

TEST_F(DirectoryTest, ServesTheDashboardWithItsChartsFromTheNpmPackage) {
    start();
    auto r = get("/dashboard/");
    ASSERT_EQ(r.status, 200u);
    EXPECT_EQ(r.content_type.rfind("text/html", 0), 0u);
    EXPECT_NE(r.body.find("/dashboard/app.mjs"), std::string::npos);
    r = get("/dashboard/app.mjs");
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.content_type, "application/javascript");
    EXPECT_EQ(get("/dashboard/model.mjs").status, 200u);
    EXPECT_EQ(get("/dashboard/dashboard.css").status, 200u);
    r = get("/dashboard/vendor/uPlot.iife.min.js");
    EXPECT_EQ(r.status, 200u);
    EXPECT_GT(r.body.size(), 10'000u);
    EXPECT_EQ(get("/dashboard/vendor/uPlot.min.css").status, 200u);
    EXPECT_EQ(get("/dashboard/vendor/../../openapi.json").status, 400u);
    EXPECT_EQ(get("/dashboard").status, 301u);
    // Without --cometbft-rpc there is no validator network to show, and the page can ask first.
    r = get("/api/chain");
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(json::parse(r.body), json({{"configured", false}}));
    r = get("/api/chain/status");
    EXPECT_EQ(r.status, 404u);
    EXPECT_TRUE(is_json_error(r));
    EXPECT_NE(r.body.find("--cometbft-rpc"), std::string::npos);
}

/// A loopback port nobody listens on (bound, then closed).
std::uint16_t closed_loopback_port() {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    EXPECT_EQ(::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len), 0);
    ::close(s);
    return ntohs(a.sin_port);
}

TEST_F(DirectoryTest, ChainRoutesRefuseBadParametersAndReportAnUnreachableValidator) {
    const auto closed_port = closed_loopback_port();
    start({"--cometbft-rpc", "http://127.0.0.1:" + std::to_string(closed_port)});
    auto r = get("/api/chain");
    EXPECT_EQ(json::parse(r.body), json({{"configured", true}}));
    r = get("/api/chain/status");
    EXPECT_EQ(r.status, 502u);
    EXPECT_TRUE(is_json_error(r));
    EXPECT_NE(r.body.find("validator RPC unreachable"), std::string::npos) << r.body;
    r = get("/api/chain/block_results?height=abc");
    EXPECT_EQ(r.status, 400u);
    EXPECT_TRUE(is_json_error(r));
    r = get("/api/chain/status?height=1");
    EXPECT_EQ(r.status, 400u);
    EXPECT_EQ(get("/api/chain/broadcast_tx_commit?tx=0x00").status, 404u); // never forwarded
    EXPECT_EQ(post("/api/chain/status", "{}").status, 405u);
    expect_alive();
}

/// A small HTTP server on loopback answering GET /api/status with an issuer's status JSON
/// (wire::credentials, the bytes nym-issuer writes); its processed height is the test's to move.
/// The browser test (dashboard_test.mjs) watches real nym-issuer and nym-provider processes.
struct StatusServer {
    StatusServer() {
        runtime::LoopOptions loop_options;
        loop_options.handle_signals = false;
        loop = std::make_unique<runtime::Loop>(loop_options);
        runtime::ServerOptions options;
        options.host = "127.0.0.1";
        options.port = 0;
        server = std::make_unique<runtime::HttpServer>(*loop, options);
        server->route("GET", "/api/status", [this](const runtime::HttpRequest&) {
            return runtime::HttpResponse::json(
                200, wire::credentials::to_json(wire::credentials::IssuerStatus{3, "dir-test", height.load(), 2, 1}));
        });
        auto bound = server->listen();
        EXPECT_TRUE(bound);
        port = bound ? *bound : 0;
        thread = std::thread([this] { loop->run(); });
    }
    void stop() {
        if (!thread.joinable()) return;
        loop->stop();
        thread.join();
        server.reset();
    }
    ~StatusServer() { stop(); }
    std::atomic<std::uint64_t> height{5};
    std::unique_ptr<runtime::Loop> loop;
    std::unique_ptr<runtime::HttpServer> server;
    std::uint16_t port = 0;
    std::thread thread;
};

TEST_F(DirectoryTest, ServicesReportAnAnsweringIssuerUpAndAClosedPortOrAWrongKindDown) {
    StatusServer issuer;
    ASSERT_NE(issuer.port, 0);
    const auto closed_port = closed_loopback_port();
    const std::string issuer_url = "http://127.0.0.1:" + std::to_string(issuer.port);
    start({"--issuer", issuer_url, "--provider", "http://127.0.0.1:" + std::to_string(closed_port), "--provider",
           issuer_url});
    // Polled on the directory's loop: wait (generously) until every service was checked once.
    const auto services = [this] {
        auto r = get("/api/services");
        EXPECT_EQ(r.status, 200u);
        return json::parse(r.body, nullptr, false)["services"];
    };
    const auto wait_until = [&](auto&& done) {
        json list;
        for (int i = 0; i < 300; ++i) {
            list = services();
            if (done(list)) return list;
            std::this_thread::sleep_for(100ms);
        }
        ADD_FAILURE() << "timed out; last /api/services: " << list.dump();
        return list;
    };
    auto list = wait_until([](const json& l) {
        return l.size() == 3 && l[0]["up"] == true && l[1]["checked"] == true && l[2]["checked"] == true;
    });
    ASSERT_EQ(list.size(), 3u);
    EXPECT_EQ(list[0]["kind"], "issuer");
    EXPECT_EQ(list[0]["url"], issuer_url);
    EXPECT_EQ(
        list[0]["detail"],
        json({{"index", "3"}, {"chain_id", "dir-test"}, {"processed_height", "5"}, {"issued", "2"}, {"refused", "1"}}));
    EXPECT_TRUE(list[0]["last_ok_ms"].is_number());
    EXPECT_EQ(list[1]["kind"], "provider");
    EXPECT_EQ(list[1]["up"], false);
    EXPECT_TRUE(list[1]["last_ok_ms"].is_null());
    EXPECT_NE(list[1]["error"].get<std::string>().find("unreachable"), std::string::npos) << list[1];
    // An issuer given as a provider answers 404 to GET /api/info: down, saying so.
    EXPECT_EQ(list[2]["up"], false);
    EXPECT_EQ(list[2]["error"], "answered HTTP 404");

    // Refreshed: the issuer's new height shows up without asking the directory anything else.
    issuer.height = 9;
    list = wait_until([](const json& l) { return l[0]["detail"]["processed_height"] == "9"; });
    const auto last_ok = list[0]["last_ok_ms"].get<std::int64_t>();

    // The issuer gone: down, its last good answer and when it came kept.
    issuer.stop();
    list = wait_until([](const json& l) { return l[0]["up"] == false; });
    EXPECT_NE(list[0]["error"].get<std::string>().find("unreachable"), std::string::npos) << list[0];
    EXPECT_EQ(list[0]["detail"]["processed_height"], "9");
    EXPECT_GE(list[0]["last_ok_ms"].get<std::int64_t>(), last_ok);
    expect_alive();
}

TEST_F(DirectoryTest, ServicesListIsEmptyWithoutServices) {
    start();
    auto r = get("/api/services");
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(json::parse(r.body), json::parse(R"({"services":[]})"));
}

TEST(DirectoryFlags, ABadServiceUrlIsRefusedAtStartUp) {
    for (const auto& [flag, value] : std::initializer_list<std::pair<const char*, const char*>>{
             {"--issuer", "127.0.0.1:4000"}, {"--provider", "ws://127.0.0.1:4100"}, {"--issuer", "http://h:1/?x"}}) {
        auto p = Process::start(NYM_DIRECTORY_BIN, {"--port", "0", flag, value});
        ASSERT_TRUE(p);
        const auto status = p->wait(5s);
        ASSERT_TRUE(status);
        EXPECT_EQ(*status, 2) << flag << " " << value;
        EXPECT_NE(p->drain_stderr().find(std::string("invalid ") + flag), std::string::npos) << flag << " " << value;
    }
}

TEST(DirectoryFlags, ABadCometBftRpcIsRefusedAtStartUp) {
    auto p = Process::start(NYM_DIRECTORY_BIN, {"--port", "0", "--cometbft-rpc", "localhost:26657"});
    ASSERT_TRUE(p);
    const auto status = p->wait(5s);
    ASSERT_TRUE(status);
    EXPECT_EQ(*status, 2);
    EXPECT_NE(p->drain_stderr().find("invalid --cometbft-rpc"), std::string::npos);
}

TEST_F(DirectoryTest, APortInUseIsAClearErrorNotACrash) {
    start();
    auto second = Process::start(NYM_DIRECTORY_BIN, {"--host", "127.0.0.1", "--port", std::to_string(dir.port)});
    ASSERT_TRUE(second);
    const auto status = second->wait(5s);
    ASSERT_TRUE(status);
    EXPECT_EQ(*status, 1);
    const auto err = second->drain_stderr();
    EXPECT_NE(err.find("cannot listen"), std::string::npos) << err;
    expect_alive();
}

TEST_F(DirectoryTest, SigtermShutsDownGracefullyWithOpenConnections) {
    start();
    auto ws = runtime::WsClient::connect("127.0.0.1", dir.port, "/ws");
    ASSERT_TRUE(ws);
    const auto began = std::chrono::steady_clock::now();
    const auto status = dir.process->stop(SIGTERM, 5s);
    ASSERT_TRUE(status) << "still running 5 s after SIGTERM";
    EXPECT_EQ(*status, 0);
    EXPECT_LT(std::chrono::steady_clock::now() - began, 2s);
    EXPECT_FALSE(ws->read(2s)); // the subscriber was disconnected
}

/// An idle TCP connection from a chosen loopback address; -1 when refused at connect time.
int idle_connection_from(const char* source_ip, std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    sockaddr_in source{};
    source.sin_family = AF_INET;
    ::inet_pton(AF_INET, source_ip, &source.sin_addr);
    sockaddr_in target{};
    target.sin_family = AF_INET;
    target.sin_port = htons(port);
    target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof source) != 0 ||
        ::connect(fd, reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// 1,100 idle connections from one address used to take the directory offline for everybody
// (a global cap of 1,024 and nothing per address).
TEST_F(DirectoryTest, IdleConnectionsFromOneAddressLeaveTheDirectoryServingOthers) {
    rlimit limit{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
    if (limit.rlim_cur < 2048 && limit.rlim_max >= 2048) {
        limit.rlim_cur = 2048;
        ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0);
    }
    if (limit.rlim_cur < 1200) GTEST_SKIP() << "needs 1,200 file descriptors, the hard limit is " << limit.rlim_max;
    start();
    std::vector<int> idle;
    for (int i = 0; i < 1100; ++i) {
        const int fd = idle_connection_from("127.0.0.2", dir.port);
        if (fd >= 0) idle.push_back(fd);
    }
    ASSERT_GT(idle.size(), 1000u); // connect() succeeds at the TCP level; the server closes the excess
    std::this_thread::sleep_for(300ms);
    const Node honest(1);
    EXPECT_EQ(post("/api/presence/mixnodes", honest.mixnode("127.0.0.1:1789")).status, 201u);
    const auto topology = get("/api/presence/topology");
    EXPECT_EQ(topology.status, 200u);
    EXPECT_NE(topology.body.find(wire::directory::key_to_base58(honest.sphinx_key)), std::string::npos);
    // A subscriber from another address still gets in.
    auto ws = runtime::WsClient::connect("127.0.0.1", dir.port, "/ws");
    EXPECT_TRUE(ws);
    for (int fd : idle) ::close(fd);
    expect_alive();
}

TEST_F(DirectoryTest, AHeartbeatWithoutProofOfTheSphinxKeyIsRefused) {
    start();
    const Node node(1);
    auto doc = json::parse(node.mixnode("127.0.0.1:1789"));
    doc.erase("sphinxKeyProof");
    auto r = post("/api/presence/mixnodes", doc.dump());
    EXPECT_EQ(r.status, 401u);
    EXPECT_TRUE(is_json_error(r));
    EXPECT_EQ(post("/api/presence/mixnodes", node.mixnode("127.0.0.1:1789")).status, 201u);
}

TEST_F(DirectoryTest, RegisteredClientsArePagedOutsideTheTopology) {
    start();
    const Node gateway(7);
    crypto::DeterministicRng rng(5);
    std::vector<crypto::X25519PublicKey> clients(250);
    for (auto& c : clients) rng.fill(c.bytes);
    wire::directory::GatewayHeartbeat h{"127.0.0.1:1789", "ws://127.0.0.1:9000", gateway.identity.public_key(),
                                        gateway.sphinx_key, "0.1.0", now_ms(), clients, {}, {}};
    wire::directory::sign(h, gateway.identity, gateway.sphinx);
    ASSERT_EQ(post("/api/presence/gateways", wire::directory::to_json(h)).status, 201u);
    auto topology = wire::directory::parse_topology(get("/api/presence/topology").body);
    ASSERT_TRUE(topology);
    ASSERT_EQ(topology->gateways.size(), 1u);
    EXPECT_EQ(topology->gateways[0].registered_clients.size(), 100u); // the per-gateway cap
    const std::string id = wire::directory::key_to_base58(gateway.identity.public_key());
    std::vector<std::string> seen;
    for (int offset = 0; offset < 300; offset += 100) {
        auto page = get("/api/presence/clients?gateway=" + id + "&offset=" + std::to_string(offset) + "&limit=100");
        ASSERT_EQ(page.status, 200u) << page.body;
        auto doc = json::parse(page.body);
        EXPECT_EQ(doc["total"], 250);
        for (const auto& c : doc["clients"]) seen.push_back(c.get<std::string>());
    }
    ASSERT_EQ(seen.size(), 250u);
    for (std::size_t i = 0; i < clients.size(); ++i) EXPECT_EQ(seen[i], wire::directory::key_to_base58(clients[i]));
    EXPECT_EQ(get("/api/presence/clients?gateway=nope").status, 400u);
    EXPECT_EQ(get("/api/presence/clients?gateway=" + id + "&limit=5000").status, 400u);
    EXPECT_EQ(get("/api/presence/clients?gateway=" + wire::directory::key_to_base58(Node(8).identity.public_key())).status,
              404u);
}

} // namespace
} // namespace nym::functional
