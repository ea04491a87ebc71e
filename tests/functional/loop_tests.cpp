// runtime::Loop and the services attached to it, in-process on loopback: the staged shutdown,
// timers, the worker pool and Serial, the asynchronous HttpClient, TcpService's inbound writes.
#include <runtime/blocking.hpp>
#include <runtime/http_client.hpp>
#include <runtime/http_server.hpp>
#include <runtime/loop.hpp>
#include <runtime/tcp.hpp>

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace nym::runtime {
namespace {

using namespace std::chrono_literals;

LoopOptions quiet(std::uint32_t workers = 1) {
    LoopOptions options;
    options.handle_signals = false;
    options.worker_threads = workers;
    return options;
}

TEST(RuntimeLoop, ShutdownHooksRunInStageOrderThenRunReturns) {
    Loop loop(quiet());
    std::vector<std::string> order;
    // Registered out of order: stages decide, then registration order within a stage.
    loop.on_shutdown(ShutdownStage::finish, [&] { order.push_back("finish"); });
    loop.on_shutdown(ShutdownStage::drain, [&] { order.push_back("drain-1"); });
    loop.on_shutdown(ShutdownStage::stop_accepting, [&] { order.push_back("stop"); });
    loop.on_shutdown(ShutdownStage::drain, [&] { order.push_back("drain-2"); });
    std::atomic<int> ticks{0};
    loop.every(5ms, [&] { ++ticks; });
    loop.after(20ms, [&] { loop.stop(); });
    const auto began = std::chrono::steady_clock::now();
    loop.run();
    EXPECT_LT(std::chrono::steady_clock::now() - began, 2s); // the periodic timer did not keep it alive
    EXPECT_EQ(order, (std::vector<std::string>{"stop", "drain-1", "drain-2", "finish"}));
    EXPECT_GE(ticks.load(), 1);
    EXPECT_TRUE(loop.stopping());
}

TEST(RuntimeLoop, StopBeforeRunEndsRunAtOnce) {
    Loop loop(quiet());
    loop.stop();
    const auto began = std::chrono::steady_clock::now();
    loop.run();
    EXPECT_LT(std::chrono::steady_clock::now() - began, 1s);
}

TEST(RuntimeLoop, AfterDoesNotRunOnceStopped) {
    Loop loop(quiet());
    std::atomic<bool> ran{false};
    loop.after(200ms, [&] { ran = true; });
    loop.after(10ms, [&] { loop.stop(); });
    loop.run();
    EXPECT_FALSE(ran.load());
}

TEST(RuntimeLoop, QueuedWorkRunsToItsEndAndPostsBackOnce) {
    Loop loop(quiet(2));
    std::atomic<int> done{0};
    std::atomic<int> posted_back{0};
    std::thread::id io_thread;
    loop.post([&] {
        io_thread = std::this_thread::get_id();
        for (int i = 0; i < 20; ++i)
            loop.post_work([&] {
                std::this_thread::sleep_for(5ms);
                ++done;
                loop.post([&] { ++posted_back; });
            });
        loop.stop(); // the work is still queued: it finishes before run() returns
    });
    loop.run();
    EXPECT_EQ(done.load(), 20);
    EXPECT_EQ(posted_back.load(), 20);
    EXPECT_NE(io_thread, std::thread::id{});
}

TEST(RuntimeLoop, SerialRunsTasksOneAtATimeInOrder) {
    Loop loop(quiet(4));
    runtime::Serial serial(loop);
    std::mutex mutex;
    std::vector<int> seen;
    std::atomic<int> inside{0};
    std::atomic<bool> overlapped{false};
    for (int i = 0; i < 200; ++i)
        serial.post([&, i] {
            if (inside.fetch_add(1) != 0) overlapped = true;
            {
                std::lock_guard lock(mutex);
                seen.push_back(i);
            }
            inside.fetch_sub(1);
        });
    loop.after(50ms, [&] { loop.stop(); });
    loop.run();
    ASSERT_EQ(seen.size(), 200u);
    for (int i = 0; i < 200; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(i)], i);
    EXPECT_FALSE(overlapped.load());
}

TEST(RuntimeLoop, TimerRearmReplacesAndCancelSilences) {
    Loop loop(quiet());
    std::vector<std::string> fired;
    Timer timer(loop);
    loop.post([&] {
        timer.arm(Loop::Clock::now() + 30ms, [&] { fired.push_back("first"); });
        timer.arm(Loop::Clock::now() + 10ms, [&] { fired.push_back("second"); }); // replaces "first"
        EXPECT_TRUE(timer.armed());
    });
    loop.after(60ms, [&] {
        EXPECT_FALSE(timer.armed());
        timer.arm(Loop::Clock::now() + 10ms, [&] { fired.push_back("cancelled"); });
        timer.cancel();
        EXPECT_FALSE(timer.armed());
    });
    loop.after(120ms, [&] { loop.stop(); });
    loop.run();
    EXPECT_EQ(fired, (std::vector<std::string>{"second"}));
}

TEST(RuntimeLoop, AThrowingTaskIsLoggedAndTheLoopGoesOn) {
    Loop loop(quiet());
    std::atomic<bool> after{false};
    loop.post([] { throw std::runtime_error("boom"); });
    loop.post_work([] { throw std::runtime_error("boom on a worker"); });
    loop.post([&] { after = true; });
    loop.after(20ms, [&] { loop.stop(); });
    loop.run();
    EXPECT_TRUE(after.load());
}

// ---- HttpClient ---------------------------------------------------------------------------------

class RuntimeHttpClientTest : public ::testing::Test {
protected:
    void SetUp() override {
        loop = std::make_unique<Loop>(quiet());
        server = std::make_unique<HttpServer>(*loop, ServerOptions{});
        server->route("GET", "/ok", [](const HttpRequest&) { return HttpResponse::json(200, R"({"ok":true})"); });
        server->route("POST", "/echo", [](const HttpRequest& r) { return HttpResponse{201, "text/plain", r.body, {}}; });
        server->route("GET", "/big", [](const HttpRequest&) { return HttpResponse::json(200, std::string(5000, 'x')); });
        auto bound = server->listen();
        ASSERT_TRUE(bound);
        port = *bound;
        thread = std::thread([this] { loop->run(); });
    }
    void TearDown() override {
        loop->stop();
        thread.join();
        server.reset();
        loop.reset();
    }
    Expected<HttpResult> call(HttpClient& client, HttpCall c) {
        std::promise<Expected<HttpResult>> result;
        client.request(std::move(c), [&](Expected<HttpResult> r) { result.set_value(std::move(r)); });
        return result.get_future().get();
    }
    std::unique_ptr<Loop> loop;
    std::unique_ptr<HttpServer> server;
    std::uint16_t port = 0;
    std::thread thread;
};

TEST_F(RuntimeHttpClientTest, GetAndPostOnTheLoop) {
    HttpClient client(*loop);
    HttpCall get{"127.0.0.1", port, "GET", "/ok", "", ""};
    auto r = call(client, get);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->status, 200u);
    EXPECT_EQ(r->body, R"({"ok":true})");
    HttpCall post{"127.0.0.1", port, "POST", "/echo", "hello", "text/plain"};
    r = call(client, post);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 201u);
    EXPECT_EQ(r->body, "hello");
}

TEST_F(RuntimeHttpClientTest, ErrorsComeBackAsValues) {
    ClientOptions options;
    options.body_limit = 1000;
    options.timeout = 500ms;
    HttpClient client(*loop, options);
    auto r = call(client, HttpCall{"127.0.0.1", port, "GET", "/big", "", ""});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), Errc::response_too_large);
    // A listener that never answers: the deadline ends the exchange.
    const int silent = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(silent, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::listen(silent, 8), 0);
    socklen_t length = sizeof address;
    ASSERT_EQ(::getsockname(silent, reinterpret_cast<sockaddr*>(&address), &length), 0);
    const auto began = std::chrono::steady_clock::now();
    r = call(client, HttpCall{"127.0.0.1", ntohs(address.sin_port), "GET", "/", "", ""});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), Errc::timeout);
    EXPECT_LT(std::chrono::steady_clock::now() - began, 2s);
    ::close(silent);
    // Nobody listening.
    r = call(client, HttpCall{"127.0.0.1", ntohs(address.sin_port), "GET", "/", "", ""});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), std::errc::connection_refused);
}

TEST_F(RuntimeHttpClientTest, NoCallbackAfterTheClientIsGone) {
    std::atomic<int> called{0};
    {
        auto client = std::make_unique<HttpClient>(*loop);
        std::promise<void> destroyed;
        loop->post([&] {
            client->request(HttpCall{"127.0.0.1", port, "GET", "/ok", "", ""}, [&](Expected<HttpResult>) { ++called; });
            client.reset(); // on the loop thread, before the exchange could finish
            destroyed.set_value();
        });
        destroyed.get_future().get();
    }
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(called.load(), 0);
}

// ---- TcpService ---------------------------------------------------------------------------------

TEST(RuntimeTcpService, InboundSendWritesBackInOrderAndCloseFlushesFirst) {
    Loop loop(quiet());
    TcpService tcp(loop);
    // An upper-casing echo that closes the connection after the byte '.'.
    InboundHandlers handlers;
    handlers.on_data = [&](ConnectionId id, std::span<const std::uint8_t> bytes) {
        std::vector<std::uint8_t> out(bytes.begin(), bytes.end());
        bool close = false;
        for (auto& b : out) {
            if (b >= 'a' && b <= 'z') b = static_cast<std::uint8_t>(b - 32);
            if (b == '.') close = true;
        }
        EXPECT_TRUE(tcp.send(id, std::move(out)));
        if (close) tcp.close(id);
        return true;
    };
    std::atomic<int> closed{0};
    handlers.on_closed = [&](ConnectionId) { ++closed; };
    auto bound = tcp.listen("127.0.0.1", 0, handlers);
    ASSERT_TRUE(bound);
    std::thread thread([&] { loop.run(); });

    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(*bound);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    const std::string sent = std::string(100000, 'a') + "bc.";
    ASSERT_EQ(::send(fd, sent.data(), sent.size(), 0), static_cast<ssize_t>(sent.size()));
    std::string got;
    char buffer[65536];
    for (;;) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) break; // the server closed after flushing
        got.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    EXPECT_EQ(got, std::string(100000, 'A') + "BC.");
    loop.stop();
    thread.join();
    EXPECT_EQ(closed.load(), 1);
}

TEST(RuntimeTcpService, SendToAnUnknownConnectionFails) {
    Loop loop(quiet());
    TcpService tcp(loop);
    EXPECT_FALSE(tcp.send(12345, {1, 2, 3}));
    tcp.close(12345); // no-op
}

} // namespace
} // namespace nym::runtime

namespace nym::runtime {
namespace {

/// A TCP connection from a chosen loopback address (127.0.0.2, ...) to 127.0.0.1:port; -1 on failure.
int connect_from(const char* source_ip, std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in source{};
    source.sin_family = AF_INET;
    ::inet_pton(AF_INET, source_ip, &source.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof source) != 0) {
        ::close(fd);
        return -1;
    }
    sockaddr_in target{};
    target.sin_family = AF_INET;
    target.sin_port = htons(port);
    target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

/// True when the server closed the connection (EOF) within `limit`.
bool closed_by_server(int fd, std::chrono::milliseconds limit) {
    timeval tv{};
    tv.tv_sec = static_cast<decltype(tv.tv_sec)>(limit.count() / 1000);
    tv.tv_usec = static_cast<decltype(tv.tv_usec)>((limit.count() % 1000) * 1000);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char byte = 0;
    return ::recv(fd, &byte, 1, 0) == 0;
}

TEST(RuntimeServerBudgets, IdleConnectionsFromOneAddressCannotStarveOthers) {
    LoopOptions loop_options;
    loop_options.handle_signals = false;
    Loop loop(loop_options);
    ServerOptions options;
    options.max_connections_per_ip = 8;
    HttpServer server(loop, options);
    server.route("GET", "/ok", [](const HttpRequest&) { return HttpResponse::json(200, "{}"); });
    auto port = server.listen();
    ASSERT_TRUE(port);
    std::thread thread([&] { loop.run(); });

    std::vector<int> idle;
    for (int i = 0; i < 8; ++i) {
        const int fd = connect_from("127.0.0.2", *port);
        ASSERT_GE(fd, 0) << "binding to 127.0.0.2 failed";
        idle.push_back(fd);
    }
    std::this_thread::sleep_for(100ms); // accepted and counted
    // The ninth from the same address is closed at once; another address is served.
    const int ninth = connect_from("127.0.0.2", *port);
    ASSERT_GE(ninth, 0);
    EXPECT_TRUE(closed_by_server(ninth, 2s));
    ::close(ninth);
    auto r = http_request("127.0.0.1", *port, "GET", "/ok");
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->status, 200u);
    // Once the idle ones leave, the address may connect again.
    for (int fd : idle) ::close(fd);
    std::this_thread::sleep_for(100ms);
    const int again = connect_from("127.0.0.2", *port);
    ASSERT_GE(again, 0);
    EXPECT_FALSE(closed_by_server(again, 300ms));
    ::close(again);
    loop.stop();
    thread.join();
}

TEST(RuntimeServerBudgets, SubscribersHaveABudgetOfTheirOwn) {
    LoopOptions loop_options;
    loop_options.handle_signals = false;
    Loop loop(loop_options);
    ServerOptions options;
    options.max_subscribers_per_ip = 3;
    options.max_subscribers = 5;
    HttpServer server(loop, options);
    server.websocket("/feed");
    server.route("GET", "/ok", [](const HttpRequest&) { return HttpResponse::json(200, "{}"); });
    auto port = server.listen();
    ASSERT_TRUE(port);
    std::thread thread([&] { loop.run(); });

    std::vector<WsClient> subscribers;
    for (int i = 0; i < 3; ++i) {
        auto ws = WsClient::connect("127.0.0.1", *port, "/feed");
        ASSERT_TRUE(ws) << i;
        subscribers.push_back(std::move(*ws));
    }
    // A fourth from the same address is refused with 503; plain HTTP still works.
    constexpr std::string_view upgrade = "GET /feed HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    auto refused = http_exchange_raw("127.0.0.1", *port, upgrade);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 503u);
    EXPECT_EQ(http_request("127.0.0.1", *port, "GET", "/ok")->status, 200u);
    // One leaves: a place is free again.
    subscribers.pop_back();
    std::this_thread::sleep_for(100ms);
    auto ws = WsClient::connect("127.0.0.1", *port, "/feed");
    EXPECT_TRUE(ws);
    loop.stop();
    thread.join();
}

} // namespace
} // namespace nym::runtime
