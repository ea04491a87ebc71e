// The only translation unit of the server that includes Beast (it takes ~30 s to compile).
#include <utility> // before Asio (see reference/dependencies.md)

#include <runtime/http_server.hpp>
#include <runtime/loop_core.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <cerrno>
#include <unordered_map>
#include <unordered_set>

namespace nym::runtime {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t DRAIN_LIMIT = 1024 * 1024;          // bytes read and discarded before closing after an error
constexpr std::chrono::milliseconds DRAIN_TIME{500};
constexpr std::size_t WS_MAX_INCOMING_MESSAGE = 4 * 1024; // subscribers only listen
constexpr std::chrono::milliseconds WS_SHUTDOWN_GRACE{1000}; // flush + close handshake of sessions at stop()

std::string mime_type(const std::filesystem::path& path) {
    static const std::map<std::string, std::string> TYPES = {
        {".html", "text/html; charset=utf-8"}, {".htm", "text/html; charset=utf-8"},
        {".js", "application/javascript"},     {".mjs", "application/javascript"},
        {".css", "text/css"},                  {".json", "application/json"},
        {".map", "application/json"},          {".png", "image/png"},
        {".svg", "image/svg+xml"},             {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"}, {".md", "text/plain; charset=utf-8"},
    };
    auto it = TYPES.find(path.extension().string());
    return it == TYPES.end() ? "application/octet-stream" : it->second;
}

bool safe_relative_path(std::string_view rel) {
    if (rel.find("..") != std::string_view::npos) return false;
    for (char c : rel) {
        if (c == '%' || c == '\\' || c == '\0' || static_cast<unsigned char>(c) < 0x20) return false;
    }
    return rel.empty() || rel.front() != '/';
}

struct Subscriber {
    explicit Subscriber(asio::any_io_executor executor) : wakeup(std::move(executor)) {
        wakeup.expires_at(asio::steady_timer::time_point::max());
    }
    std::deque<std::shared_ptr<const std::string>> queue; // one immutable buffer shared by every subscriber
    std::size_t queued_bytes = 0;
    asio::steady_timer wakeup; // cancelled to wake the writer
    bool closed = false;
    bool dropped = false;
};

using WsStream = websocket::stream<beast::tcp_stream>;

struct WsEndpoint {
    WsSessionHandlers handlers;
    WsSessionOptions options;
};

struct WsOutgoing {
    std::vector<std::uint8_t> data;
    bool binary = false;
};

struct WsCloseRequest {
    std::uint16_t code = 1000;
    std::string reason;
};

// One interactive websocket session. The queue and the close request are shared with other threads
// (ws_send/ws_close) under HttpServer::Impl::ws_mutex; everything else belongs to the server thread.
struct WsSession {
    WsSession(asio::any_io_executor executor, WsSessionId session_id, const WsEndpoint& ep)
        : id(session_id), endpoint(ep), wakeup(executor), deadline(std::move(executor)) {
        wakeup.expires_at(asio::steady_timer::time_point::max());
    }
    const WsSessionId id;
    const WsEndpoint& endpoint;
    // guarded by ws_mutex
    std::deque<WsOutgoing> queue;
    std::optional<WsCloseRequest> close_request; // set once: no more sends accepted
    bool ended = false;                          // the connection is over: no more sends accepted
    bool wake_posted = false;
    // server thread only
    asio::steady_timer wakeup;   // cancelled to wake the writer
    asio::steady_timer deadline; // bounds the flush + close handshake once a close was requested
    bool deadline_armed = false;
    bool reader_done = false;
    bool finished = false;       // on_close has been (or is being) called
    WsStream* ws = nullptr;      // while the session runs, for a hard close
};

struct StaticMount {
    std::string prefix;
    std::filesystem::path root;
};

/// A warning that repeats at most every ten seconds, counting what it swallowed in between.
class RateLimitedLog {
public:
    explicit RateLimitedLog(const char* what) : m_what(what) {}
    void warn(const std::string& detail) {
        const auto now = std::chrono::steady_clock::now();
        if (m_last.time_since_epoch().count() != 0 && now - m_last < std::chrono::seconds(10)) {
            ++m_suppressed;
            return;
        }
        if (m_suppressed != 0) spdlog::warn("{}: {} ({} more since the last report)", m_what, detail, m_suppressed);
        else spdlog::warn("{}: {}", m_what, detail);
        m_last = now;
        m_suppressed = 0;
    }

private:
    const char* m_what;
    std::chrono::steady_clock::time_point m_last{};
    std::uint64_t m_suppressed = 0;
};

bool out_of_descriptors(const boost::system::error_code& ec) {
    return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space || ec == asio::error::no_memory ||
           ec.value() == ENFILE;
}

/// One route's handler: answers at once, or later through a Responder.
struct Route {
    Handler sync;
    AsyncHandler async;
};

/// The answer an asynchronous handler gives later; the connection's coroutine waits on `wakeup`.
struct AsyncAnswer {
    explicit AsyncAnswer(asio::any_io_executor executor) : wakeup(std::move(executor)) {}
    asio::steady_timer wakeup;
    std::optional<HttpResponse> response;
};

struct Connection {
    beast::tcp_stream* stream = nullptr;
    bool idle = false; // waiting for a request: safe to close on shutdown
};

} // namespace

struct HttpServer::Impl {
    Impl(Loop& l, ServerOptions o) : loop(l), io(l.core().io), options(std::move(o)), acceptor(io) {}

    Loop& loop;
    asio::io_context& io;
    ServerOptions options;
    tcp::acceptor acceptor;
    bool stopping = false;
    std::map<std::string, std::map<std::string, Route>> routes; // path -> method -> handler
    std::vector<StaticMount> mounts;
    std::map<std::string, std::set<std::shared_ptr<Subscriber>>> hubs; // ws path -> subscribers
    std::unordered_set<Connection*> connections; // HTTP connections (closed at shutdown when idle)
    std::size_t active = 0;                      // HTTP + websocket connections (max_connections)
    std::unordered_map<std::string, std::size_t> per_ip;     // connections per remote address
    std::unordered_map<std::string, std::size_t> subscribers_per_ip;
    std::size_t subscribers = 0;
    RateLimitedLog refusals{"runtime: refused connections"};
    RateLimitedLog accept_failures{"runtime: accept failed"};
    std::map<std::string, WsEndpoint> ws_endpoints; // interactive websocket paths (fixed before run())
    WsSessionId next_ws_id = 1;
    std::mutex ws_mutex; // guards ws_sessions and every WsSession's queue/close_request/wake_posted
    std::unordered_map<WsSessionId, std::shared_ptr<WsSession>> ws_sessions;

    HttpResponse dispatch(const HttpRequest& request) const;
    [[nodiscard]] const AsyncHandler* async_route(const HttpRequest& request) const;
    asio::awaitable<HttpResponse> answer_async(const AsyncHandler& handler, const HttpRequest& request);
    HttpResponse serve_file(const StaticMount& mount, std::string_view rel) const;

    asio::awaitable<void> accept_loop();
    asio::awaitable<void> session(tcp::socket socket);
    asio::awaitable<void> websocket_session(beast::tcp_stream stream, http::request<http::string_body> request,
                                            std::set<std::shared_ptr<Subscriber>>& hub);
    asio::awaitable<void> interactive_session(beast::tcp_stream stream, http::request<http::string_body> request,
                                              std::shared_ptr<WsSession> session);
    asio::awaitable<void> session_reader(WsStream& ws, WsSession& session);
    asio::awaitable<void> session_writer(WsStream& ws, WsSession& session);
    void request_close(const std::shared_ptr<WsSession>& session, WsCloseRequest request,
                       std::chrono::milliseconds within);
    void arm_deadline(const std::shared_ptr<WsSession>& session, std::chrono::milliseconds within);
    void wake(const std::shared_ptr<WsSession>& session);
    static asio::awaitable<void> ws_reader(websocket::stream<beast::tcp_stream>& ws, Subscriber& sub);
    static asio::awaitable<void> ws_writer(websocket::stream<beast::tcp_stream>& ws, Subscriber& sub);
    asio::awaitable<void> send_error_and_close(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                               unsigned status, std::string_view message);
    http::response<http::string_body> to_beast(HttpResponse response, unsigned version, bool keep_alive) const;
    void shutdown();
};

namespace {

void log_exception(std::exception_ptr e) {
    if (!e) return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        spdlog::error("runtime: connection task failed: {}", ex.what());
    }
}

} // namespace

HttpServer::HttpServer(Loop& loop, ServerOptions options)
    : m_impl(std::make_unique<Impl>(loop, std::move(options))) {
    // The loop outlives the server (documented), but a server destroyed before the loop stops must
    // not be reached by the hooks: they hold a weak reference.
    std::weak_ptr<bool> alive = m_alive;
    loop.on_shutdown(ShutdownStage::stop_accepting, [impl = m_impl.get(), alive] {
        if (alive.expired()) return;
        boost::system::error_code ec;
        impl->acceptor.close(ec);
    });
    loop.on_shutdown(ShutdownStage::drain, [impl = m_impl.get(), alive] {
        if (!alive.expired()) impl->shutdown();
    });
}
HttpServer::~HttpServer() = default;

void HttpServer::route(std::string method, std::string path, Handler handler) {
    m_impl->routes[std::move(path)][std::move(method)] = Route{std::move(handler), {}};
}

void HttpServer::route_async(std::string method, std::string path, AsyncHandler handler) {
    m_impl->routes[std::move(path)][std::move(method)] = Route{{}, std::move(handler)};
}

void HttpServer::serve_static(std::string prefix, std::filesystem::path root) {
    m_impl->mounts.push_back(StaticMount{std::move(prefix), std::move(root)});
}

void HttpServer::websocket(std::string path) { m_impl->hubs[std::move(path)]; }

Expected<std::uint16_t> HttpServer::listen() {
    auto& impl = *m_impl;
    boost::system::error_code ec;
    auto address = asio::ip::make_address(impl.options.host, ec);
    if (ec) {
        tcp::resolver resolver(impl.io);
        auto results = resolver.resolve(impl.options.host, std::to_string(impl.options.port), ec);
        if (ec || results.empty()) return Unexpected(std::error_code(ec.value(), std::system_category()));
        address = results.begin()->endpoint().address();
    }
    const tcp::endpoint endpoint(address, impl.options.port);
    impl.acceptor.open(endpoint.protocol(), ec);
    if (!ec) impl.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) impl.acceptor.bind(endpoint, ec);
    if (!ec) impl.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        boost::system::error_code ignored;
        impl.acceptor.close(ignored);
        return Unexpected(static_cast<std::error_code>(ec));
    }
    const auto port = impl.acceptor.local_endpoint(ec).port();
    asio::co_spawn(impl.io, impl.accept_loop(), log_exception);
    return port;
}

void HttpServer::stop() {
    asio::post(m_impl->io, [impl = m_impl.get()] { impl->shutdown(); });
}

void HttpServer::broadcast(std::string path, std::string text) {
    auto shared = std::make_shared<const std::string>(std::move(text));
    asio::post(m_impl->io, [impl = m_impl.get(), path = std::move(path), shared = std::move(shared)] {
        auto it = impl->hubs.find(path);
        if (it == impl->hubs.end()) return;
        for (const auto& sub : it->second) {
            if (sub->closed) continue;
            if (sub->queue.size() >= impl->options.ws_queue_limit ||
                sub->queued_bytes + shared->size() > impl->options.ws_queue_bytes_limit) {
                sub->closed = true;
                sub->dropped = true;
            } else {
                sub->queue.push_back(shared);
                sub->queued_bytes += shared->size();
            }
            sub->wakeup.cancel();
        }
    });
}

void HttpServer::websocket_sessions(std::string path, WsSessionHandlers handlers, WsSessionOptions options) {
    m_impl->ws_endpoints[std::move(path)] = WsEndpoint{std::move(handlers), options};
}

bool HttpServer::ws_send(WsSessionId id, std::vector<std::uint8_t> data, bool binary) {
    auto& impl = *m_impl;
    std::shared_ptr<WsSession> session;
    {
        std::lock_guard lock(impl.ws_mutex);
        auto it = impl.ws_sessions.find(id);
        if (it == impl.ws_sessions.end() || it->second->close_request || it->second->ended) return false;
        session = it->second;
        if (session->queue.size() >= session->endpoint.options.send_queue_limit) {
            // The peer does not keep up: dropping it protects the server's memory. What is still
            // queued is discarded; the close frame goes out once the write in progress (if any) ends.
            session->queue.clear();
            session->close_request = WsCloseRequest{1008, "send queue overflow"};
        } else {
            session->queue.push_back(WsOutgoing{std::move(data), binary});
            if (session->wake_posted) return true;
            session->wake_posted = true;
            asio::post(impl.io, [&impl, session] { impl.wake(session); });
            return true;
        }
    }
    spdlog::warn("runtime: websocket session {} fell behind ({} queued messages), closing it", id,
                 session->endpoint.options.send_queue_limit);
    asio::post(impl.io, [&impl, session] {
        impl.arm_deadline(session, session->endpoint.options.close_timeout);
        impl.wake(session);
    });
    return false;
}

void HttpServer::ws_close(WsSessionId id, std::uint16_t code, std::string reason) {
    auto& impl = *m_impl;
    std::shared_ptr<WsSession> session;
    {
        std::lock_guard lock(impl.ws_mutex);
        auto it = impl.ws_sessions.find(id);
        if (it == impl.ws_sessions.end() || it->second->close_request || it->second->ended) return;
        session = it->second;
        // Codes a peer would reject as a protocol error (0-999, 1004-1006, 1014-2999, 5000+) become 1000.
        if (!(code >= 3000 && code <= 4999) && !(code >= 1000 && code <= 1013 && code != 1004 && code != 1005 &&
                                                 code != 1006))
            code = 1000;
        // A close reason is at most 123 bytes (the control frame payload limit minus the code).
        if (reason.size() > 123) reason.resize(123);
        session->close_request = WsCloseRequest{code, std::move(reason)};
    }
    asio::post(impl.io, [&impl, session] {
        impl.arm_deadline(session, session->endpoint.options.close_timeout);
        impl.wake(session);
    });
}

void HttpServer::Impl::wake(const std::shared_ptr<WsSession>& session) {
    {
        std::lock_guard lock(ws_mutex);
        session->wake_posted = false;
    }
    session->wakeup.cancel();
}

void HttpServer::Impl::arm_deadline(const std::shared_ptr<WsSession>& session, std::chrono::milliseconds within) {
    // A request that raced with the session's end must not leave a timer keeping run() busy.
    if (session->finished) return;
    const auto when = asio::steady_timer::clock_type::now() + within;
    if (session->deadline_armed && session->deadline.expiry() <= when) return;
    session->deadline_armed = true;
    session->deadline.expires_at(when); // an earlier deadline replaces a later one
    session->deadline.async_wait([session](const boost::system::error_code& ec) {
        if (ec || session->ws == nullptr) return;
        // The flush or the close handshake took too long: closing the socket ends every operation.
        boost::system::error_code ignored;
        beast::get_lowest_layer(*session->ws).socket().close(ignored);
    });
}

void HttpServer::Impl::request_close(const std::shared_ptr<WsSession>& session, WsCloseRequest request,
                                     std::chrono::milliseconds within) {
    {
        std::lock_guard lock(ws_mutex);
        if (!session->close_request) session->close_request = std::move(request);
    }
    arm_deadline(session, within);
    session->wakeup.cancel();
}

void HttpServer::Impl::shutdown() {
    if (stopping) return;
    stopping = true;
    boost::system::error_code ec;
    acceptor.close(ec);
    for (auto& [path, subs] : hubs) {
        for (const auto& sub : subs) {
            sub->closed = true;
            sub->wakeup.cancel();
        }
    }
    for (Connection* c : connections) {
        if (c->idle) c->stream->socket().close(ec);
    }
    std::vector<std::shared_ptr<WsSession>> sessions;
    {
        std::lock_guard lock(ws_mutex);
        for (const auto& [id, session] : ws_sessions) sessions.push_back(session);
    }
    // Already queued messages still go out, then 1001 "going away"; a peer that does not answer
    // within WS_SHUTDOWN_GRACE is cut off so that run() returns promptly.
    for (const auto& session : sessions) {
        request_close(session, WsCloseRequest{1001, "server shutting down"},
                      std::min<std::chrono::milliseconds>(WS_SHUTDOWN_GRACE, session->endpoint.options.close_timeout));
    }
}

asio::awaitable<void> HttpServer::Impl::accept_loop() {
    spdlog::info("runtime: listening on {}:{}", acceptor.local_endpoint().address().to_string(),
                 acceptor.local_endpoint().port());
    asio::steady_timer pause(io);
    while (!stopping) {
        auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
        if (ec) {
            if (stopping || ec == asio::error::operation_aborted || !acceptor.is_open()) break;
            accept_failures.warn(ec.message());
            if (out_of_descriptors(ec)) {
                // Out of file descriptors: accepting again at once would spin. Wait for some to free up.
                pause.expires_after(std::chrono::milliseconds(100));
                co_await pause.async_wait(use_tuple);
            }
            continue;
        }
        boost::system::error_code rec;
        const std::string ip = socket.remote_endpoint(rec).address().to_string();
        const char* refusal = nullptr;
        if (active >= options.max_connections) refusal = "connection limit reached";
        else if (per_ip[ip] >= options.max_connections_per_ip) refusal = "per-address connection limit reached";
        if (refusal != nullptr) {
            if (per_ip[ip] == 0) per_ip.erase(ip);
            refusals.warn(std::string(refusal) + " (" + ip + ")");
            boost::system::error_code ignored;
            socket.close(ignored);
            continue;
        }
        asio::co_spawn(io, session(std::move(socket)), log_exception);
    }
}

HttpResponse HttpServer::Impl::serve_file(const StaticMount& mount, std::string_view rel) const {
    if (!safe_relative_path(rel)) return HttpResponse::error(400, "invalid path");
    std::error_code ec;
    const auto root = std::filesystem::canonical(mount.root, ec);
    if (ec) return HttpResponse::error(404, "not found");
    auto path = root / std::string(rel.empty() ? "index.html" : rel);
    if (std::filesystem::is_directory(path, ec)) path /= "index.html";
    const auto resolved = std::filesystem::canonical(path, ec);
    if (ec || !std::filesystem::is_regular_file(resolved, ec)) return HttpResponse::error(404, "not found");
    // Symlinks must not lead outside the root either.
    const auto root_text = root.string() + "/";
    if (resolved.string().compare(0, root_text.size(), root_text) != 0) return HttpResponse::error(404, "not found");
    const auto size = std::filesystem::file_size(resolved, ec);
    if (ec || size > options.max_static_file_size) return HttpResponse::error(404, "not found");
    std::ifstream in(resolved, std::ios::binary);
    std::string body(static_cast<std::size_t>(size), '\0');
    if (!in.read(body.data(), static_cast<std::streamsize>(size))) return HttpResponse::error(500, "read failed");
    HttpResponse response{200, mime_type(resolved), std::move(body), {}};
    response.headers.emplace_back("Cache-Control", "public, max-age=300");
    return response;
}

HttpResponse HttpServer::Impl::dispatch(const HttpRequest& request) const {
    if (auto it = routes.find(request.path); it != routes.end()) {
        auto handler = it->second.find(request.method);
        if (handler == it->second.end()) {
            std::string allow;
            for (const auto& [method, h] : it->second) allow += (allow.empty() ? "" : ", ") + method;
            auto response = HttpResponse::error(405, "method not allowed");
            response.headers.emplace_back("Allow", allow);
            return response;
        }
        try {
            return handler->second.sync(request);
        } catch (const std::exception& ex) {
            spdlog::error("runtime: handler for {} {} failed: {}", request.method, request.path, ex.what());
            return HttpResponse::error(500, "internal error");
        }
    }
    if (hubs.count(request.path) != 0 || ws_endpoints.count(request.path) != 0)
        return HttpResponse::error(426, "websocket upgrade required");
    for (const auto& mount : mounts) {
        if (request.path.compare(0, mount.prefix.size(), mount.prefix) == 0) {
            if (request.method != "GET" && request.method != "HEAD") return HttpResponse::error(405, "method not allowed");
            return serve_file(mount, std::string_view(request.path).substr(mount.prefix.size()));
        }
    }
    return HttpResponse::error(404, "not found");
}

const AsyncHandler* HttpServer::Impl::async_route(const HttpRequest& request) const {
    const auto it = routes.find(request.path);
    if (it == routes.end()) return nullptr;
    const auto handler = it->second.find(request.method);
    if (handler == it->second.end() || !handler->second.async) return nullptr;
    return &handler->second.async;
}

asio::awaitable<HttpResponse> HttpServer::Impl::answer_async(const AsyncHandler& handler, const HttpRequest& request) {
    auto answer = std::make_shared<AsyncAnswer>(io.get_executor());
    answer->wakeup.expires_after(options.async_timeout);
    asio::io_context& context = io;
    Responder respond = [answer, &context](HttpResponse response) {
        asio::post(context, [answer, response = std::move(response)]() mutable {
            if (answer->response) return; // answered already, or timed out
            answer->response = std::move(response);
            answer->wakeup.cancel();
        });
    };
    try {
        handler(request, std::move(respond));
    } catch (const std::exception& ex) {
        spdlog::error("runtime: handler for {} {} failed: {}", request.method, request.path, ex.what());
        answer->response = HttpResponse::error(500, "internal error");
        co_return *answer->response;
    }
    while (!answer->response) {
        auto [ec] = co_await answer->wakeup.async_wait(use_tuple);
        if (!ec && !answer->response) answer->response = HttpResponse::error(503, "no answer in time, try again");
    }
    co_return *answer->response;
}

http::response<http::string_body> HttpServer::Impl::to_beast(HttpResponse response, unsigned version,
                                                             bool keep_alive) const {
    http::response<http::string_body> res(static_cast<http::status>(response.status), version);
    res.set(http::field::server, options.server_name);
    res.set(http::field::content_type, response.content_type);
    if (options.allow_any_origin) res.set(http::field::access_control_allow_origin, "*");
    for (const auto& [name, value] : response.headers) res.set(name, value);
    res.keep_alive(keep_alive);
    res.body() = std::move(response.body);
    res.prepare_payload();
    return res;
}

asio::awaitable<void> HttpServer::Impl::send_error_and_close(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                                             unsigned status, std::string_view message) {
    auto res = to_beast(HttpResponse::error(status, message), 11, false);
    stream.expires_after(options.request_timeout);
    auto [ec, n] = co_await http::async_write(stream, res, use_tuple);
    if (ec) co_return;
    // Half-close, then read what the client is still sending: closing with unread data would reset
    // the connection and the client might never see the answer.
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.expires_after(DRAIN_TIME);
    std::size_t drained = 0;
    while (drained < DRAIN_LIMIT) {
        buffer.consume(buffer.size());
        auto [rec, got] = co_await stream.async_read_some(buffer.prepare(16 * 1024), use_tuple);
        if (rec) break;
        buffer.commit(got);
        drained += got;
    }
}

asio::awaitable<void> HttpServer::Impl::session(tcp::socket socket) {
    boost::system::error_code option_ec;
    socket.set_option(tcp::no_delay(true), option_ec); // small JSON answers: no Nagle/delayed-ACK stalls
    beast::tcp_stream stream(std::move(socket));
    Connection connection{&stream, false};
    connections.insert(&connection);
    boost::system::error_code endpoint_ec;
    const auto remote = stream.socket().remote_endpoint(endpoint_ec);
    const std::string remote_ip = endpoint_ec ? std::string("?") : remote.address().to_string();
    ++active;
    ++per_ip[remote_ip];
    struct Untrack {
        Impl& impl;
        Connection* c;
        std::string ip;
        ~Untrack() {
            impl.connections.erase(c);
            --impl.active;
            auto it = impl.per_ip.find(ip);
            if (it != impl.per_ip.end() && --it->second == 0) impl.per_ip.erase(it);
        }
    } untrack{*this, &connection, remote_ip};

    const std::string remote_text =
        endpoint_ec ? std::string("?") : remote.address().to_string() + ":" + std::to_string(remote.port());

    beast::flat_buffer buffer;
    while (!stopping) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(options.header_limit);
        parser.body_limit(static_cast<std::uint64_t>(options.body_limit));
        stream.expires_after(options.request_timeout);
        connection.idle = true;
        auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
        connection.idle = false;
        if (ec) {
            if (ec == http::error::body_limit) {
                co_await send_error_and_close(stream, buffer, 413, "request body too large");
            } else if (ec == http::error::header_limit) {
                co_await send_error_and_close(stream, buffer, 431, "request header too large");
            } else if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
                       ec != http::error::end_of_stream &&
                       ec != http::error::partial_message) {
                co_await send_error_and_close(stream, buffer, 400, "malformed HTTP request");
            }
            break; // EOF, timeout, reset, shutdown
        }
        auto& beast_request = parser.get();
        HttpRequest request;
        request.method = std::string(beast_request.method_string());
        request.target = std::string(beast_request.target());
        const auto question = request.target.find('?');
        request.path = request.target.substr(0, question);
        if (question != std::string::npos) request.query = request.target.substr(question + 1);
        request.content_type = std::string(beast_request[http::field::content_type]);
        request.remote_address = remote_text;

        if (websocket::is_upgrade(beast_request) && !stopping) {
            if (auto ep = ws_endpoints.find(request.path); ep != ws_endpoints.end()) {
                const WsSessionId id = next_ws_id++;
                WsPeerInfo peer;
                if (!endpoint_ec) {
                    peer.remote_ip = remote.address().to_string();
                    peer.remote_port = remote.port();
                }
                peer.target = request.target;
                peer.host = std::string(beast_request[http::field::host]);
                if (auto origin = beast_request.find(http::field::origin); origin != beast_request.end())
                    peer.origin = std::string(origin->value());
                // Registered before on_open so that on_open may already queue a greeting.
                auto ws_session = std::make_shared<WsSession>(io.get_executor(), id, ep->second);
                {
                    std::lock_guard lock(ws_mutex);
                    ws_sessions.emplace(id, ws_session);
                }
                bool accepted = true;
                if (ep->second.handlers.on_open) {
                    try {
                        accepted = ep->second.handlers.on_open(id, peer);
                    } catch (const std::exception& ex) {
                        spdlog::error("runtime: websocket on_open for {} failed: {}", request.path, ex.what());
                        accepted = false;
                    }
                }
                if (!accepted) {
                    {
                        std::lock_guard lock(ws_mutex);
                        ws_sessions.erase(id);
                    }
                    ws_session->finished = true;
                    co_await send_error_and_close(stream, buffer, 403, "websocket connection refused");
                    break;
                }
                connections.erase(&connection); // shutdown reaches the session through ws_sessions
                co_await interactive_session(std::move(stream), parser.release(), std::move(ws_session));
                co_return;
            }
        }
        if (websocket::is_upgrade(beast_request)) {
            auto hub = hubs.find(request.path);
            if (hub != hubs.end() && !stopping) {
                if (subscribers >= options.max_subscribers ||
                    subscribers_per_ip[remote_ip] >= options.max_subscribers_per_ip) {
                    if (subscribers_per_ip[remote_ip] == 0) subscribers_per_ip.erase(remote_ip);
                    refusals.warn("subscriber limit reached (" + remote_ip + ")");
                    co_await send_error_and_close(stream, buffer, 503, "too many subscribers, try again later");
                    break;
                }
                ++subscribers;
                ++subscribers_per_ip[remote_ip];
                struct Unsubscribe {
                    Impl& impl;
                    std::string ip;
                    ~Unsubscribe() {
                        --impl.subscribers;
                        auto it = impl.subscribers_per_ip.find(ip);
                        if (it != impl.subscribers_per_ip.end() && --it->second == 0) impl.subscribers_per_ip.erase(it);
                    }
                } unsubscribe{*this, remote_ip};
                connections.erase(&connection); // the websocket session tracks itself through its hub
                co_await websocket_session(std::move(stream), parser.release(), hub->second);
                co_return;
            }
        }
        request.body = std::move(beast_request.body());
        const bool keep_alive = beast_request.keep_alive() && !stopping;
        HttpResponse answer;
        if (const AsyncHandler* async = async_route(request)) {
            answer = co_await answer_async(*async, request);
        } else {
            answer = dispatch(request);
        }
        auto res = to_beast(std::move(answer), beast_request.version(), keep_alive);
        if (request.method == "HEAD") res.body().clear();
        stream.expires_after(options.request_timeout);
        auto [wec, wn] = co_await http::async_write(stream, res, use_tuple);
        if (wec || !keep_alive) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.socket().close(ignored);
}

asio::awaitable<void> HttpServer::Impl::websocket_session(beast::tcp_stream stream,
                                                          http::request<http::string_body> request,
                                                          std::set<std::shared_ptr<Subscriber>>& hub) {
    websocket::stream<beast::tcp_stream> ws(std::move(stream));
    beast::get_lowest_layer(ws).expires_never();
    websocket::stream_base::timeout timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
    timeouts.handshake_timeout = options.request_timeout;
    // A subscriber that stops answering pings is dropped after subscriber_idle_timeout.
    timeouts.idle_timeout = options.subscriber_idle_timeout;
    timeouts.keep_alive_pings = true;
    ws.set_option(timeouts);
    ws.read_message_max(WS_MAX_INCOMING_MESSAGE);
    auto [ec] = co_await ws.async_accept(request, use_tuple);
    // shutdown() may have run while the handshake was in flight, before this subscriber existed for
    // it to close; registering now would keep run() alive for ever. (One I/O thread: no race here.)
    if (ec || stopping) co_return;
    auto sub = std::make_shared<Subscriber>(io.get_executor());
    hub.insert(sub);
    spdlog::debug("runtime: websocket subscriber connected ({} now)", hub.size());
    co_await (ws_reader(ws, *sub) && ws_writer(ws, *sub));
    hub.erase(sub);
    if (sub->dropped) spdlog::warn("runtime: dropped a websocket subscriber that fell behind");
}

asio::awaitable<void> HttpServer::Impl::ws_reader(websocket::stream<beast::tcp_stream>& ws, Subscriber& sub) {
    beast::flat_buffer buffer;
    while (!sub.closed) {
        auto [ec, n] = co_await ws.async_read(buffer, use_tuple);
        if (ec) break;
        buffer.consume(buffer.size()); // subscribers have nothing to say; ignore what they send
    }
    sub.closed = true;
    sub.wakeup.cancel();
}

asio::awaitable<void> HttpServer::Impl::ws_writer(websocket::stream<beast::tcp_stream>& ws, Subscriber& sub) {
    ws.text(true);
    while (true) {
        while (!sub.closed && sub.queue.empty()) {
            sub.wakeup.expires_at(asio::steady_timer::time_point::max());
            co_await sub.wakeup.async_wait(use_tuple);
        }
        if (sub.closed) break;
        std::shared_ptr<const std::string> message = std::move(sub.queue.front());
        sub.queue.pop_front();
        sub.queued_bytes -= message->size();
        auto [ec, n] = co_await ws.async_write(asio::buffer(*message), use_tuple);
        if (ec) break;
    }
    sub.closed = true;
    // A hard close wakes the reader; a close handshake could wait on a subscriber that does not read.
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws).socket().close(ignored);
}

asio::awaitable<void> HttpServer::Impl::interactive_session(beast::tcp_stream stream,
                                                             http::request<http::string_body> request,
                                                             std::shared_ptr<WsSession> session) {
    WsStream ws(std::move(stream));
    const auto& ws_options = session->endpoint.options;
    // The HTTP request_timeout ends here: from now on Beast's websocket timeouts apply, which ping
    // a quiet peer instead of dropping it.
    beast::get_lowest_layer(ws).expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::min<std::chrono::milliseconds>(ws_options.close_timeout, ws_options.idle_timeout);
    timeouts.idle_timeout = ws_options.idle_timeout;
    timeouts.keep_alive_pings = true;
    ws.set_option(timeouts);
    ws.read_message_max(static_cast<std::uint64_t>(ws_options.max_message_size));
    ws.auto_fragment(false);
    session->ws = &ws;
    auto [ec] = co_await ws.async_accept(request, use_tuple);
    // A ws_close() or a shutdown while the handshake was in flight left a close request: the writer
    // sends it at once, and the deadline armed with it bounds the rest.
    if (!ec) {
        try {
            co_await (session_reader(ws, *session) && session_writer(ws, *session));
        } catch (const std::exception& ex) {
            spdlog::error("runtime: websocket session {} failed: {}", session->id, ex.what());
        }
    }
    session->ws = nullptr;
    session->finished = true;
    session->deadline.cancel();
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws).socket().close(ignored);
    {
        std::lock_guard lock(ws_mutex);
        ws_sessions.erase(session->id);
        session->queue.clear();
    }
    if (const auto& on_close = session->endpoint.handlers.on_close) {
        try {
            on_close(session->id);
        } catch (const std::exception& ex) {
            spdlog::error("runtime: websocket on_close failed: {}", ex.what());
        }
    }
}

asio::awaitable<void> HttpServer::Impl::session_reader(WsStream& ws, WsSession& session) {
    beast::flat_buffer buffer;
    const auto& on_message = session.endpoint.handlers.on_message;
    while (true) {
        auto [ec, n] = co_await ws.async_read(buffer, use_tuple);
        if (ec) {
            // Beast has already answered protocol errors and oversized messages (1009) with a close frame.
            if (ec == websocket::error::message_too_big)
                spdlog::warn("runtime: websocket session {} sent a message over {} bytes, closed", session.id,
                             session.endpoint.options.max_message_size);
            break;
        }
        if (on_message) {
            const auto data = buffer.cdata();
            try {
                on_message(session.id,
                           std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(data.data()), data.size()),
                           ws.got_binary());
            } catch (const std::exception& ex) {
                spdlog::error("runtime: websocket on_message failed: {}", ex.what());
            }
        }
        buffer.consume(buffer.size());
    }
    session.reader_done = true;
    {
        std::lock_guard lock(ws_mutex);
        session.ended = true;
        session.queue.clear();
    }
    session.wakeup.cancel();
}

asio::awaitable<void> HttpServer::Impl::session_writer(WsStream& ws, WsSession& session) {
    while (!session.reader_done) {
        std::optional<WsOutgoing> message;
        std::optional<WsCloseRequest> close;
        {
            std::lock_guard lock(ws_mutex);
            if (!session.queue.empty()) {
                message = std::move(session.queue.front());
                session.queue.pop_front();
            } else if (session.close_request) {
                close = session.close_request;
            }
        }
        if (message) {
            ws.binary(message->binary);
            auto [ec, n] = co_await ws.async_write(asio::buffer(message->data), use_tuple);
            if (ec) break;
            continue;
        }
        if (close) {
            // The reader sees the peer's answering close frame and ends the session.
            websocket::close_reason reason(static_cast<websocket::close_code>(close->code), close->reason);
            (void)co_await ws.async_close(reason, use_tuple);
            co_return;
        }
        session.wakeup.expires_at(asio::steady_timer::time_point::max());
        co_await session.wakeup.async_wait(use_tuple);
    }
    if (session.reader_done) co_return;
    // A failed write: the connection is broken, make the reader notice.
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws).socket().close(ignored);
}

} // namespace nym::runtime
