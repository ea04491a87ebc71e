// The runtime's HTTP/websocket server in-process on loopback: limits, routing, static files,
// websocket fan-out with a slow subscriber, and shutdown.
#include <runtime/http_client.hpp>
#include <runtime/http_server.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace nym::runtime {
namespace {

using namespace std::chrono_literals;

class RuntimeServerTest : public ::testing::Test {
protected:
    void start(ServerOptions options = {}) {
        options.handle_signals = false;
        server = std::make_unique<HttpServer>(options);
        server->route("GET", "/hello", [](const HttpRequest& r) {
            return HttpResponse::json(200, "{\"query\":" + json_quote(r.query) + "}");
        });
        server->route("POST", "/echo", [](const HttpRequest& r) { return HttpResponse{200, "text/plain", r.body, {}}; });
        server->route("GET", "/throws", [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
        root = std::filesystem::temp_directory_path() / ("nym_runtime_test_" + std::to_string(::getpid()));
        std::filesystem::create_directories(root / "sub");
        std::ofstream(root / "index.html") << "<html>index</html>";
        std::ofstream(root / "sub" / "app.js") << "console.log(1);";
        std::ofstream(root.parent_path() / "nym_runtime_secret.txt") << "secret";
        std::error_code ec;
        std::filesystem::create_symlink(root.parent_path() / "nym_runtime_secret.txt", root / "escape.txt", ec);
        server->serve_static("/static/", root);
        server->websocket("/feed");
        auto bound = server->listen();
        ASSERT_TRUE(bound) << bound.error().message();
        port = *bound;
        thread = std::thread([this] { server->run(); });
    }
    void TearDown() override {
        if (server) server->stop();
        if (thread.joinable()) thread.join();
        std::error_code ec;
        std::filesystem::remove_all(root, ec);
        std::filesystem::remove(root.parent_path() / "nym_runtime_secret.txt", ec);
    }
    std::unique_ptr<HttpServer> server;
    std::filesystem::path root;
    std::uint16_t port = 0;
    std::thread thread;
};

TEST_F(RuntimeServerTest, RoutesMethodsAndErrorsAreJson) {
    start();
    auto r = http_request("127.0.0.1", port, "GET", "/hello?x=1");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200u);
    EXPECT_EQ(r->body, R"({"query":"x=1"})");
    r = http_request("127.0.0.1", port, "DELETE", "/hello");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 405u);
    EXPECT_EQ(r->body, R"({"error":"method not allowed"})");
    r = http_request("127.0.0.1", port, "GET", "/nothing");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404u);
    r = http_request("127.0.0.1", port, "GET", "/throws");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 500u);
    EXPECT_EQ(r->content_type, "application/json");
}

TEST_F(RuntimeServerTest, BodyAndHeaderLimits) {
    ServerOptions options;
    options.body_limit = 1000;
    start(options);
    auto r = http_request("127.0.0.1", port, "POST", "/echo", std::string(1000, 'a'));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200u);
    EXPECT_EQ(r->body.size(), 1000u);
    r = http_request("127.0.0.1", port, "POST", "/echo", std::string(1001, 'a'));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413u);
    // A chunked body past the limit is refused too.
    auto raw = http_exchange_raw("127.0.0.1", port,
                                 "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n" +
                                     std::string(2000, 'b') + "\r\n0\r\n\r\n");
    ASSERT_TRUE(raw);
    EXPECT_EQ(raw->status, 413u);
    raw = http_exchange_raw("127.0.0.1", port, "GET /hello HTTP/1.1\r\nA: " + std::string(9000, 'h') + "\r\n\r\n");
    ASSERT_TRUE(raw);
    EXPECT_EQ(raw->status, 431u);
    EXPECT_EQ(http_request("127.0.0.1", port, "GET", "/hello")->status, 200u);
}

TEST_F(RuntimeServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
    start();
    auto raw = http_exchange_raw("127.0.0.1", port,
                                 "GET /hello?a HTTP/1.1\r\nHost: x\r\n\r\nGET /hello?b HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(raw);
    EXPECT_EQ(raw->status, 200u);
    EXPECT_EQ(raw->body, R"({"query":"a"})");
}

TEST_F(RuntimeServerTest, StaticFilesStayInsideTheirRoot) {
    start();
    auto r = http_request("127.0.0.1", port, "GET", "/static/");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200u);
    EXPECT_EQ(r->body, "<html>index</html>");
    EXPECT_EQ(r->content_type, "text/html; charset=utf-8");
    r = http_request("127.0.0.1", port, "GET", "/static/sub/app.js");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200u);
    EXPECT_EQ(r->content_type, "application/javascript");
    for (const char* bad : {"/static/../nym_runtime_secret.txt", "/static/%2e%2e/nym_runtime_secret.txt",
                            "/static/sub/../../nym_runtime_secret.txt", "/static//etc/passwd", "/static/escape.txt"}) {
        r = http_request("127.0.0.1", port, "GET", bad);
        ASSERT_TRUE(r) << bad;
        EXPECT_GE(r->status, 400u) << bad;
        EXPECT_EQ(r->body.find("secret"), std::string::npos) << bad;
    }
}

TEST_F(RuntimeServerTest, ASlowWebsocketSubscriberIsDroppedWithoutSlowingOthers) {
    ServerOptions options;
    options.ws_queue_limit = 8;
    start(options);
    auto slow = WsClient::connect("127.0.0.1", port, "/feed");
    auto fast = WsClient::connect("127.0.0.1", port, "/feed");
    ASSERT_TRUE(slow);
    ASSERT_TRUE(fast);
    std::this_thread::sleep_for(50ms); // both subscribed
    constexpr int MESSAGES = 300;
    const std::string payload(64 * 1024, 'p');
    for (int i = 0; i < MESSAGES; ++i) {
        server->broadcast("/feed", std::to_string(i) + payload);
        auto m = fast->read(5s);
        ASSERT_TRUE(m) << "message " << i << ": " << m.error().message();
        ASSERT_EQ(m->substr(0, std::to_string(i).size()), std::to_string(i));
    }
    // The slow subscriber gets what was buffered before it was dropped, then the connection ends.
    int received = 0;
    while (slow->read(2s)) ++received;
    EXPECT_LT(received, MESSAGES);
}

TEST_F(RuntimeServerTest, StopEndsRunWithOpenConnections) {
    start();
    auto ws = WsClient::connect("127.0.0.1", port, "/feed");
    ASSERT_TRUE(ws);
    const auto began = std::chrono::steady_clock::now();
    server->stop();
    thread.join();
    EXPECT_LT(std::chrono::steady_clock::now() - began, 2s);
    EXPECT_FALSE(ws->read(1s));
}

TEST(RuntimeServer, ListenReportsAPortInUse) {
    ServerOptions options;
    options.handle_signals = false;
    HttpServer first(options);
    auto port = first.listen();
    ASSERT_TRUE(port);
    options.port = *port;
    HttpServer second(options);
    auto again = second.listen();
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error(), std::errc::address_in_use);
}

TEST(RuntimeUrl, ParsesHttpAndWsUrls) {
    auto u = parse_url("http://127.0.0.1:8080/api/x");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->host, "127.0.0.1");
    EXPECT_EQ(u->port, 8080);
    EXPECT_EQ(u->target, "/api/x");
    u = parse_url("ws://example.org");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->port, 80);
    EXPECT_EQ(u->target, "/");
    EXPECT_FALSE(parse_url("https://x"));
    EXPECT_FALSE(parse_url("http://x:0"));
    EXPECT_FALSE(parse_url("http://:80"));
    EXPECT_FALSE(parse_url("x:80"));
}

} // namespace
} // namespace nym::runtime
