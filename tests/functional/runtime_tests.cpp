// The runtime's HTTP/websocket server in-process on loopback: limits, routing, static files,
// websocket fan-out with a slow subscriber, shutdown, interactive websocket sessions, the loop's
// timers, and the asynchronous WsConnection client.
#include <runtime/blocking.hpp>
#include <runtime/http_server.hpp>
#include <runtime/loop.hpp>
#include <runtime/ws_connection.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace nym::runtime {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<Loop> test_loop() {
    LoopOptions options;
    options.handle_signals = false;
    return std::make_unique<Loop>(options);
}

/// WsConnection::connect, waited for on the calling thread (the loop runs on another).
Expected<std::unique_ptr<WsConnection>> connect_and_wait(Loop& loop, std::uint16_t port, std::string target,
                                                         WsConnectionHandlers handlers,
                                                         std::chrono::milliseconds timeout = 5s,
                                                         std::size_t max_message_size = 1u << 20) {
    std::promise<Expected<std::unique_ptr<WsConnection>>> result;
    WsConnectOptions options;
    options.timeout = timeout;
    options.max_message_size = max_message_size;
    WsConnection::connect(loop, "127.0.0.1", port, std::move(target), std::move(handlers), options,
                          [&result](Expected<std::unique_ptr<WsConnection>> c) { result.set_value(std::move(c)); });
    return result.get_future().get();
}

class RuntimeServerTest : public ::testing::Test {
protected:
    void start(ServerOptions options = {}) {
        loop = test_loop();
        server = std::make_unique<HttpServer>(*loop, options);
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
        thread = std::thread([this] { loop->run(); });
    }
    void stop_loop() {
        loop->stop();
        if (thread.joinable()) thread.join();
    }
    void TearDown() override {
        if (loop) stop_loop();
        server.reset();
        loop.reset();
        std::error_code ec;
        std::filesystem::remove_all(root, ec);
        std::filesystem::remove(root.parent_path() / "nym_runtime_secret.txt", ec);
    }
    std::unique_ptr<Loop> loop;
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
    stop_loop();
    EXPECT_LT(std::chrono::steady_clock::now() - began, 2s);
    EXPECT_FALSE(ws->read(1s));
}

TEST(RuntimeServer, AsyncRoutesAnswerLaterFromAnyThreadAndTimeOut) {
    auto loop = test_loop();
    ServerOptions options;
    options.async_timeout = 300ms;
    HttpServer server(*loop, options);
    Serial serial(*loop);
    // Answered from the worker pool after a while; answered twice (the second is ignored); never answered.
    server.route_async("GET", "/later", [&serial](const HttpRequest& r, Responder respond) {
        serial.post([query = r.query, respond = std::move(respond)] {
            std::this_thread::sleep_for(50ms);
            respond(HttpResponse::json(200, "{\"query\":" + json_quote(query) + "}"));
            respond(HttpResponse::error(500, "second answer"));
        });
    });
    server.route_async("GET", "/never", [](const HttpRequest&, Responder) {});
    server.route_async("POST", "/throws", [](const HttpRequest&, Responder) { throw std::runtime_error("boom"); });
    server.route("GET", "/sync", [](const HttpRequest&) { return HttpResponse::json(200, "{}"); });
    auto port = server.listen();
    ASSERT_TRUE(port);
    std::thread thread([&] { loop->run(); });
    // A slow asynchronous answer does not hold up other connections.
    auto slow = std::async(std::launch::async, [&] { return http_request("127.0.0.1", *port, "GET", "/never"); });
    auto r = http_request("127.0.0.1", *port, "GET", "/later?x=1");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200u);
    EXPECT_EQ(r->body, R"({"query":"x=1"})");
    EXPECT_EQ(http_request("127.0.0.1", *port, "GET", "/sync")->status, 200u);
    EXPECT_EQ(http_request("127.0.0.1", *port, "POST", "/later")->status, 405u);
    EXPECT_EQ(http_request("127.0.0.1", *port, "POST", "/throws")->status, 500u);
    auto never = slow.get();
    ASSERT_TRUE(never);
    EXPECT_EQ(never->status, 503u);
    EXPECT_EQ(never->content_type, "application/json");
    loop->stop();
    thread.join();
}

TEST(RuntimeServer, ListenReportsAPortInUse) {
    auto loop = test_loop();
    ServerOptions options;
    HttpServer first(*loop, options);
    auto port = first.listen();
    ASSERT_TRUE(port);
    options.port = *port;
    HttpServer second(*loop, options);
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
    u = parse_url("https://directory.example/api");
    ASSERT_TRUE(u);
    EXPECT_TRUE(u->tls());
    EXPECT_EQ(u->port, 443);
    EXPECT_FALSE(parse_url("ftp://x"));
    EXPECT_FALSE(parse_url("http://x:0"));
    EXPECT_FALSE(parse_url("http://:80"));
    EXPECT_FALSE(parse_url("x:80"));
}


// ---- interactive websocket sessions ---------------------------------------------------------------

std::vector<std::uint8_t> bytes(std::string_view text) { return {text.begin(), text.end()}; }

template <class Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds limit = 5s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!predicate()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

constexpr std::string_view UPGRADE_HEADERS = "Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                             "Sec-WebSocket-Version: 13\r\n\r\n";

// Endpoints: /echo answers every message with itself, /small does the same with a 1 KiB message
// limit and a 4-message send queue, /refuse refuses every session, /push never answers.
class RuntimeWsSessionTest : public ::testing::Test {
protected:
    void start(ServerOptions options = {}, WsSessionOptions echo_options = {}) {
        loop = test_loop();
        server = std::make_unique<HttpServer>(*loop, options);
        auto handlers = [this](bool echo) {
            WsSessionHandlers h;
            h.on_open = [this](WsSessionId id, const WsPeerInfo& peer) {
                std::lock_guard lock(mutex);
                opened.push_back(id);
                peers[id] = peer;
                server_thread = std::this_thread::get_id();
                return true;
            };
            h.on_message = [this, echo](WsSessionId id, std::span<const std::uint8_t> data, bool binary) {
                {
                    std::lock_guard lock(mutex);
                    if (closes.count(id) != 0) message_after_close = true;
                    ++received[id];
                }
                if (echo) server->ws_send(id, std::vector<std::uint8_t>(data.begin(), data.end()), binary);
            };
            h.on_close = [this](WsSessionId id) {
                std::lock_guard lock(mutex);
                ++closes[id];
            };
            return h;
        };
        server->websocket_sessions("/echo", handlers(true), echo_options);
        WsSessionOptions small;
        small.max_message_size = 1024;
        small.send_queue_limit = 4;
        small.close_timeout = 300ms;
        server->websocket_sessions("/small", handlers(true), small);
        server->websocket_sessions("/push", handlers(false));
        WsSessionHandlers greet = handlers(true);
        greet.on_open = [this](WsSessionId id, const WsPeerInfo&) {
            return server->ws_send(id, bytes("welcome"), false); // queued before the upgrade finishes
        };
        server->websocket_sessions("/greet", greet);
        WsSessionHandlers refuse;
        refuse.on_open = [this](WsSessionId, const WsPeerInfo&) {
            ++refused;
            return false;
        };
        refuse.on_close = [this](WsSessionId) { ++refused_closes; };
        server->websocket_sessions("/refuse", refuse);
        server->websocket("/feed");
        auto bound = server->listen();
        ASSERT_TRUE(bound) << bound.error().message();
        port = *bound;
        thread = std::thread([this] { loop->run(); });
    }
    void stop_loop() {
        loop->stop();
        if (thread.joinable()) thread.join();
    }
    void TearDown() override {
        if (loop) stop_loop();
        server.reset();
        loop.reset();
    }
    std::size_t opened_count() {
        std::lock_guard lock(mutex);
        return opened.size();
    }
    WsSessionId opened_at(std::size_t i) {
        std::lock_guard lock(mutex);
        return opened.at(i);
    }
    int close_count(WsSessionId id) {
        std::lock_guard lock(mutex);
        auto it = closes.find(id);
        return it == closes.end() ? 0 : it->second;
    }
    WsClient connect_ws(std::string_view target) {
        auto c = WsClient::connect("127.0.0.1", port, target);
        if (!c) ADD_FAILURE() << "connect " << target << ": " << c.error().message();
        return std::move(c).value();
    }

    std::unique_ptr<Loop> loop;
    std::unique_ptr<HttpServer> server;
    std::uint16_t port = 0;
    std::thread thread;
    std::mutex mutex;
    std::vector<WsSessionId> opened;
    std::map<WsSessionId, WsPeerInfo> peers;
    std::map<WsSessionId, int> closes;
    std::map<WsSessionId, int> received;
    bool message_after_close = false;
    std::thread::id server_thread;
    std::atomic<int> refused{0};
    std::atomic<int> refused_closes{0};
};

TEST_F(RuntimeWsSessionTest, EchoesTextAndBinaryInOrder) {
    start();
    auto ws = connect_ws("/echo?k=v");
    ASSERT_TRUE(ws.send("hello", 2s));
    const std::vector<std::uint8_t> blob = {0, 1, 2, 0xff, 0x80, 0};
    ASSERT_TRUE(ws.send_binary(blob, 2s));
    ASSERT_TRUE(ws.send("", 2s));
    auto m = ws.read_message(2s);
    ASSERT_TRUE(m) << m.error().message();
    EXPECT_EQ(m->data, "hello");
    EXPECT_FALSE(m->binary);
    m = ws.read_message(2s);
    ASSERT_TRUE(m);
    EXPECT_TRUE(m->binary);
    EXPECT_EQ(std::vector<std::uint8_t>(m->data.begin(), m->data.end()), blob);
    m = ws.read_message(2s);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->data, "");
    for (int i = 0; i < 200; ++i) ASSERT_TRUE(ws.send(std::to_string(i), 2s));
    for (int i = 0; i < 200; ++i) {
        auto r = ws.read(2s);
        ASSERT_TRUE(r);
        ASSERT_EQ(*r, std::to_string(i));
    }
    ASSERT_EQ(opened_count(), 1u);
    std::lock_guard lock(mutex);
    const auto& peer = peers[opened[0]];
    EXPECT_EQ(peer.remote_ip, "127.0.0.1");
    EXPECT_NE(peer.remote_port, 0);
    EXPECT_EQ(peer.target, "/echo?k=v");
}

TEST_F(RuntimeWsSessionTest, OnOpenMayQueueAGreeting) {
    start();
    auto ws = connect_ws("/greet");
    auto m = ws.read(2s);
    ASSERT_TRUE(m);
    EXPECT_EQ(*m, "welcome");
    ASSERT_TRUE(ws.send("echo", 2s));
    m = ws.read(2s);
    ASSERT_TRUE(m);
    EXPECT_EQ(*m, "echo");
}

TEST_F(RuntimeWsSessionTest, RefusedOpenGives403AndNoSession) {
    start();
    auto raw = http_exchange_raw("127.0.0.1", port, "GET /refuse HTTP/1.1\r\n" + std::string(UPGRADE_HEADERS));
    ASSERT_TRUE(raw) << raw.error().message();
    EXPECT_EQ(raw->status, 403u);
    EXPECT_EQ(raw->content_type, "application/json");
    EXPECT_EQ(raw->body, R"({"error":"websocket connection refused"})");
    EXPECT_FALSE(WsClient::connect("127.0.0.1", port, "/refuse"));
    EXPECT_EQ(refused.load(), 2);
    // A plain GET on a websocket path asks for the upgrade.
    auto r = http_request("127.0.0.1", port, "GET", "/echo");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 426u);
    stop_loop();
    EXPECT_EQ(refused_closes.load(), 0);
}

TEST_F(RuntimeWsSessionTest, OversizedMessageCloses1009AndOthersKeepWorking) {
    start();
    auto big = connect_ws("/small");
    auto other = connect_ws("/small");
    ASSERT_TRUE(big.send(std::string(1024, 'a'), 2s)); // exactly the limit is fine
    auto m = big.read(2s);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->size(), 1024u);
    ASSERT_TRUE(big.send(std::string(1025, 'a'), 2s));
    auto closed = big.read_message(2s);
    ASSERT_FALSE(closed);
    EXPECT_EQ(closed.error(), Errc::connection_closed);
    EXPECT_EQ(big.close_code(), 1009);
    ASSERT_TRUE(other.send("still here", 2s));
    m = other.read(2s);
    ASSERT_TRUE(m);
    EXPECT_EQ(*m, "still here");
    EXPECT_TRUE(eventually([&] { return close_count(opened_at(0)) == 1; }));
    EXPECT_EQ(close_count(opened_at(1)), 0);
    auto third = connect_ws("/small");
    ASSERT_TRUE(third.send("new", 2s));
    EXPECT_TRUE(third.read(2s));
}

TEST_F(RuntimeWsSessionTest, PushFromAnotherThreadAndCloseAfterFlush) {
    start();
    auto ws = connect_ws("/push");
    ASSERT_TRUE(eventually([&] { return opened_count() == 1; }));
    const WsSessionId id = opened_at(0);
    EXPECT_FALSE(server->ws_send(id + 1000, bytes("nobody"), false));
    constexpr int MESSAGES = 300;
    std::thread pusher([&] {
        for (int i = 0; i < MESSAGES; ++i) EXPECT_TRUE(server->ws_send(id, bytes(std::to_string(i)), i % 2 == 0));
        server->ws_close(id, 4000, "bye");
        EXPECT_FALSE(server->ws_send(id, bytes("too late"), false)); // closing: nothing more is queued
    });
    for (int i = 0; i < MESSAGES; ++i) {
        auto m = ws.read_message(3s);
        ASSERT_TRUE(m) << "message " << i << ": " << m.error().message();
        ASSERT_EQ(m->data, std::to_string(i));
        ASSERT_EQ(m->binary, i % 2 == 0);
    }
    pusher.join();
    auto end = ws.read_message(3s);
    ASSERT_FALSE(end);
    EXPECT_EQ(end.error(), Errc::connection_closed);
    EXPECT_EQ(ws.close_code(), 4000);
    EXPECT_TRUE(eventually([&] { return close_count(id) == 1; }));
    EXPECT_FALSE(server->ws_send(id, bytes("gone"), false));
    server->ws_close(id); // unknown by now: a no-op
}

TEST_F(RuntimeWsSessionTest, OnCloseExactlyOnceIncludingAtStop) {
    start();
    std::vector<WsClient> clients;
    for (int i = 0; i < 4; ++i) clients.push_back(connect_ws("/echo"));
    ASSERT_TRUE(eventually([&] { return opened_count() == 4; }));
    clients[0].close();                    // the client leaves
    server->ws_close(opened_at(1), 1000); // the server ends one
    auto ended = clients[1].read_message(2s);
    ASSERT_FALSE(ended);
    EXPECT_EQ(clients[1].close_code(), 1000);
    ASSERT_TRUE(eventually([&] { return close_count(opened_at(0)) == 1 && close_count(opened_at(1)) == 1; }));
    // Sessions 2 and 3 stay open until stop(); one has messages in flight.
    ASSERT_TRUE(clients[2].send("x", 2s));
    const auto began = std::chrono::steady_clock::now();
    stop_loop();
    EXPECT_LT(std::chrono::steady_clock::now() - began, 2s); // peers that do not answer are cut off
    for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(close_count(opened_at(i)), 1) << i;
    {
        std::lock_guard lock(mutex);
        EXPECT_EQ(closes.size(), 4u);
        EXPECT_FALSE(message_after_close);
    }
    // The remaining clients saw a close frame "going away".
    auto m = clients[3].read_message(2s);
    ASSERT_FALSE(m);
    EXPECT_EQ(clients[3].close_code(), 1001);
}

TEST_F(RuntimeWsSessionTest, ManyConcurrentSessions) {
    start();
    constexpr int CLIENTS = 40;
    constexpr int MESSAGES = 25;
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int c = 0; c < CLIENTS; ++c) {
        threads.emplace_back([&, c] {
            auto ws = WsClient::connect("127.0.0.1", port, "/echo");
            if (!ws) return;
            for (int i = 0; i < MESSAGES; ++i) {
                const std::string text = std::to_string(c) + ":" + std::to_string(i);
                if (!ws->send(text, 5s)) return;
                auto m = ws->read(5s);
                if (!m || *m != text) return;
            }
            ++ok;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), CLIENTS);
    EXPECT_TRUE(eventually([&] {
        std::lock_guard lock(mutex);
        return closes.size() == static_cast<std::size_t>(CLIENTS);
    }));
}

TEST_F(RuntimeWsSessionTest, ASlowReaderOnlyFillsItsOwnQueue) {
    start();
    auto slow = connect_ws("/small"); // never reads; send queue of 4
    auto fast = connect_ws("/echo");
    ASSERT_TRUE(eventually([&] { return opened_count() == 2; }));
    const WsSessionId slow_id = opened_at(0);
    const std::vector<std::uint8_t> payload(1000, 0x42);
    bool refused_once = false;
    for (int i = 0; i < 20000 && !refused_once; ++i) refused_once = !server->ws_send(slow_id, payload, true);
    EXPECT_TRUE(refused_once); // the socket buffers filled, then the 4-message queue overflowed
    const auto began = std::chrono::steady_clock::now();
    ASSERT_TRUE(fast.send("ping", 2s));
    auto m = fast.read(2s);
    ASSERT_TRUE(m);
    EXPECT_EQ(*m, "ping");
    EXPECT_LT(std::chrono::steady_clock::now() - began, 1s);
    // The overflowing session ends (close 1008, or a hard close after close_timeout).
    EXPECT_TRUE(eventually([&] { return close_count(slow_id) == 1; }, 10s));
    EXPECT_FALSE(server->ws_send(slow_id, payload, true));
}

TEST_F(RuntimeWsSessionTest, IdleSessionOutlivesTheRequestTimeout) {
    ServerOptions options;
    options.request_timeout = 200ms;
    WsSessionOptions ws_options;
    ws_options.idle_timeout = 400ms; // pings at 200 ms keep a reading peer alive
    start(options, ws_options);
    auto ws = connect_ws("/echo");
    ASSERT_TRUE(eventually([&] { return opened_count() == 1; }));
    const WsSessionId id = opened_at(0);
    std::thread later([&] {
        std::this_thread::sleep_for(1200ms);
        server->ws_send(id, bytes("after a long silence"), false);
    });
    auto m = ws.read(5s); // answers the server's pings while it waits
    later.join();
    ASSERT_TRUE(m) << m.error().message();
    EXPECT_EQ(*m, "after a long silence");
    ASSERT_TRUE(ws.send("and back", 2s));
    m = ws.read(2s);
    ASSERT_TRUE(m);
    EXPECT_EQ(*m, "and back");
    EXPECT_EQ(close_count(id), 0);
}

TEST_F(RuntimeWsSessionTest, PostAndEveryRunOnTheLoopThread) {
    start();
    std::atomic<int> ticks{0};
    std::promise<std::thread::id> posted;
    loop->post([&] { posted.set_value(std::this_thread::get_id()); });
    const auto server_id = posted.get_future().get();
    EXPECT_NE(server_id, std::this_thread::get_id());
    std::atomic<bool> wrong_thread{false};
    loop->post([&] {
        loop->every(10ms, [&] {
            if (std::this_thread::get_id() != server_id) wrong_thread = true;
            ++ticks;
        });
    });
    EXPECT_TRUE(eventually([&] { return ticks.load() >= 5; }, 3s));
    stop_loop();
    const int after_stop = ticks.load();
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(ticks.load(), after_stop);
    EXPECT_FALSE(wrong_thread.load());
}

// ---- the asynchronous client --------------------------------------------------------------------

struct Inbox {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::pair<std::string, bool>> messages;
    std::vector<std::error_code> closed;
    std::thread::id handler_thread;

    WsConnectionHandlers handlers() {
        WsConnectionHandlers h;
        h.on_message = [this](std::span<const std::uint8_t> data, bool binary) {
            std::lock_guard lock(mutex);
            handler_thread = std::this_thread::get_id();
            if (!closed.empty()) messages.emplace_back("AFTER CLOSE", false);
            messages.emplace_back(std::string(data.begin(), data.end()), binary);
            changed.notify_all();
        };
        h.on_closed = [this](std::error_code ec) {
            std::lock_guard lock(mutex);
            closed.push_back(ec);
            changed.notify_all();
        };
        return h;
    }
    template <class Predicate>
    bool wait(Predicate p, std::chrono::milliseconds limit = 5s) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, limit, p);
    }
};

TEST_F(RuntimeWsSessionTest, WsConnectionSendsAndReceivesBothWays) {
    start();
    Inbox inbox;
    auto conn = connect_and_wait(*loop, port, "/echo", inbox.handlers());
    ASSERT_TRUE(conn) << conn.error().message();
    EXPECT_TRUE((*conn)->is_open());
    constexpr int MESSAGES = 500;
    std::thread sender([&] {
        for (int i = 0; i < MESSAGES; ++i) EXPECT_TRUE((*conn)->send(bytes(std::to_string(i)), i % 3 == 0));
    });
    ASSERT_TRUE(inbox.wait([&] { return inbox.messages.size() >= static_cast<std::size_t>(MESSAGES); }));
    sender.join();
    {
        std::lock_guard lock(inbox.mutex);
        for (int i = 0; i < MESSAGES; ++i) {
            ASSERT_EQ(inbox.messages[static_cast<std::size_t>(i)].first, std::to_string(i));
            ASSERT_EQ(inbox.messages[static_cast<std::size_t>(i)].second, i % 3 == 0);
        }
        EXPECT_NE(inbox.handler_thread, std::this_thread::get_id());
    }
    ASSERT_TRUE(server->ws_send(opened_at(0), bytes("pushed"), false));
    ASSERT_TRUE(inbox.wait([&] { return inbox.messages.size() == MESSAGES + 1; }));
    EXPECT_EQ(inbox.messages.back().first, "pushed");
    // Our own close: on_closed without an error, and the server's on_close.
    (*conn)->close();
    (*conn)->close();
    ASSERT_TRUE(inbox.wait([&] { return !inbox.closed.empty(); }));
    EXPECT_FALSE(inbox.closed[0]) << inbox.closed[0].message();
    EXPECT_FALSE((*conn)->is_open());
    EXPECT_FALSE((*conn)->send(bytes("x"), false));
    EXPECT_TRUE(eventually([&] { return close_count(opened_at(0)) == 1; }));
    conn->reset();
    EXPECT_EQ(inbox.closed.size(), 1u);
}

TEST_F(RuntimeWsSessionTest, WsConnectionReportsTheServerClosing) {
    start();
    Inbox inbox;
    auto conn = connect_and_wait(*loop, port, "/push", inbox.handlers());
    ASSERT_TRUE(conn) << conn.error().message();
    ASSERT_TRUE(eventually([&] { return opened_count() == 1; }));
    ASSERT_TRUE(server->ws_send(opened_at(0), bytes("last words"), true));
    server->ws_close(opened_at(0), 4002, "go away");
    ASSERT_TRUE(inbox.wait([&] { return !inbox.closed.empty(); }));
    std::lock_guard lock(inbox.mutex);
    ASSERT_EQ(inbox.messages.size(), 1u);
    EXPECT_EQ(inbox.messages[0].first, "last words");
    EXPECT_EQ(inbox.closed[0], Errc::connection_closed);
    EXPECT_EQ((*conn)->close_code(), 4002);
    EXPECT_FALSE((*conn)->is_open());
    EXPECT_FALSE((*conn)->send(bytes("x"), false));
}

TEST_F(RuntimeWsSessionTest, WsConnectionEndsWhenTheServerStops) {
    start();
    // The client runs in a process (loop) of its own, as it would against a real server.
    auto client_loop = test_loop();
    std::thread client_thread([&] { client_loop->run(); });
    Inbox inbox;
    auto conn = connect_and_wait(*client_loop, port, "/echo", inbox.handlers());
    ASSERT_TRUE(conn);
    stop_loop();
    ASSERT_TRUE(inbox.wait([&] { return !inbox.closed.empty(); }));
    EXPECT_EQ(inbox.closed.size(), 1u);
    EXPECT_TRUE(inbox.closed[0]);
    EXPECT_EQ((*conn)->close_code(), 1001); // "going away"
    conn->reset();
    client_loop->stop();
    client_thread.join();
}

TEST_F(RuntimeWsSessionTest, WsConnectionDropsAnOversizedIncomingMessage) {
    start();
    Inbox inbox;
    auto conn = connect_and_wait(*loop, port, "/push", inbox.handlers(), 5s, 100);
    ASSERT_TRUE(conn);
    ASSERT_TRUE(eventually([&] { return opened_count() == 1; }));
    ASSERT_TRUE(server->ws_send(opened_at(0), std::vector<std::uint8_t>(100, 1), true));
    ASSERT_TRUE(server->ws_send(opened_at(0), std::vector<std::uint8_t>(101, 1), true));
    ASSERT_TRUE(inbox.wait([&] { return !inbox.closed.empty(); }));
    EXPECT_EQ(inbox.messages.size(), 1u);
    EXPECT_TRUE(inbox.closed[0]);
    EXPECT_TRUE(eventually([&] { return close_count(opened_at(0)) == 1; }));
}

TEST(RuntimeWsConnection, ConnectToAClosedPortFailsQuickly) {
    std::uint16_t closed_port = 0;
    {
        auto probe_loop = test_loop();
        HttpServer probe(*probe_loop, ServerOptions{});
        auto bound = probe.listen();
        ASSERT_TRUE(bound);
        closed_port = *bound;
    }
    auto loop = test_loop();
    std::thread thread([&] { loop->run(); });
    Inbox inbox;
    const auto began = std::chrono::steady_clock::now();
    auto conn = connect_and_wait(*loop, closed_port, "/", inbox.handlers(), 2s);
    ASSERT_FALSE(conn);
    EXPECT_EQ(conn.error(), std::errc::connection_refused);
    EXPECT_LT(std::chrono::steady_clock::now() - began, 1s);
    EXPECT_TRUE(inbox.closed.empty());
    loop->stop();
    thread.join();
}

TEST_F(RuntimeWsSessionTest, WsConnectionDestroyedWhileTrafficFlows) {
    start();
    // The server pushes to every open session every millisecond.
    loop->post([this] {
        loop->every(1ms, [this] {
            std::vector<WsSessionId> ids;
            {
                std::lock_guard lock(mutex);
                ids = opened;
            }
            for (auto id : ids) server->ws_send(id, std::vector<std::uint8_t>(512, 7), true);
        });
    });
    for (int round = 0; round < 8; ++round) {
        std::atomic<int> got{0};
        WsConnectionHandlers h;
        h.on_message = [&got](std::span<const std::uint8_t>, bool) { ++got; };
        auto conn = connect_and_wait(*loop, port, "/echo", h);
        ASSERT_TRUE(conn) << conn.error().message();
        std::atomic<bool> stop_sending{false};
        std::thread sender([&] {
            while (!stop_sending) {
                (*conn)->send(std::vector<std::uint8_t>(300, 1), round % 2 == 0);
                std::this_thread::sleep_for(100us);
            }
        });
        ASSERT_TRUE(eventually([&] { return got.load() > 20; }));
        stop_sending = true;
        sender.join();
        conn->reset(); // mid-traffic: closes; no handler runs afterwards
    }
    // Destroyed from inside its own handler: the close finishes on the loop alone.
    std::mutex conn_mutex;
    std::unique_ptr<WsConnection> self;
    std::atomic<bool> destroyed{false};
    WsConnectionHandlers h;
    h.on_message = [&](std::span<const std::uint8_t>, bool) {
        std::unique_ptr<WsConnection> doomed;
        {
            std::lock_guard lock(conn_mutex);
            doomed = std::move(self);
        }
        if (doomed) {
            doomed.reset();
            destroyed = true;
        }
    };
    auto conn = connect_and_wait(*loop, port, "/echo", h);
    ASSERT_TRUE(conn);
    {
        std::lock_guard lock(conn_mutex);
        self = std::move(*conn);
    }
    ASSERT_TRUE(eventually([&] { return destroyed.load(); }));
    EXPECT_TRUE(eventually([&] {
        std::lock_guard lock(mutex);
        return closes.size() == 9u;
    }));
}

} // namespace
} // namespace nym::runtime
