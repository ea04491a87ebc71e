#pragma once
// An HTTP/1.1 + websocket server on C++20 coroutines (Boost.Beast), hidden behind a pimpl so that
// no Asio/Beast header leaks to the role libraries.
//
// Threading: the server attaches to a runtime::Loop; everything (accepting, parsing, handlers,
// websocket fan-out and sessions) runs on the loop's I/O thread. stop(), broadcast(), ws_send() and
// ws_close() may be called from any thread. The loop's shutdown closes the listener (stage
// stop_accepting), then flushes and closes every connection (stage drain).
//
// Limits: every connection has a request timeout (time to receive one whole request, also the
// keep-alive idle time), a header limit (431) and a body limit (413). Bad HTTP gets a 400 and the
// connection is closed; the server keeps serving everybody else. Every error body is JSON
// {"error": "..."}. Connections are budgeted in all and per remote address, and broadcast
// subscribers have a budget of their own (503 beyond it), so neither idle connections from one
// address nor a crowd of listeners can take the server away from everybody else. When the process
// runs out of file descriptors the server pauses accepting briefly instead of spinning, and says so
// at most once every ten seconds.

#include <runtime/http.hpp>
#include <runtime/loop.hpp>
#include <util/expected.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nym::runtime {

struct ServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;                          ///< 0 = any free port (see listen())
    std::size_t body_limit = 64 * 1024;              ///< bytes; larger bodies get 413
    std::uint32_t header_limit = 8 * 1024;           ///< bytes; larger headers get 431
    std::chrono::milliseconds request_timeout{15000};///< per request, and keep-alive idle time
    std::size_t max_connections = 1024;              ///< further connections are closed at once
    std::size_t max_connections_per_ip = 64;         ///< per remote address (HTTP + websocket)
    std::size_t max_subscribers = 256;               ///< broadcast (websocket()) subscribers in all; more get 503
    std::size_t max_subscribers_per_ip = 16;         ///< broadcast subscribers per remote address
    std::chrono::milliseconds subscriber_idle_timeout{30000}; ///< pinged at half; dropped when silent
    std::size_t ws_queue_limit = 256;                ///< messages queued per subscriber before it is dropped
    std::size_t ws_queue_bytes_limit = 4 * 1024 * 1024; ///< ... or bytes queued (messages are shared, not copied)
    std::size_t max_static_file_size = 32 * 1024 * 1024;
    /// An asynchronous handler (route_async) that has not answered within this time gets 503.
    std::chrono::milliseconds async_timeout{60000};
    std::string server_name = "nym-cpp";
    /// `Access-Control-Allow-Origin: *` on every response (public read-only APIs a web page may
    /// read); off for listeners no web page should read (an operator's admin port).
    bool allow_any_origin = true;
};

/// Identifies one interactive websocket session of a server; never reused within one server.
using WsSessionId = std::uint64_t;

struct WsPeerInfo {
    std::string remote_ip;
    std::uint16_t remote_port = 0;
    std::string target; ///< the upgrade request's target, with the query
    std::string host;   ///< the upgrade request's Host header as sent (empty when absent)
    /// The Origin header as sent, when there is one (browsers always send it; "null" for opaque
    /// origins); lets an endpoint refuse cross-site pages (websocket hijacking).
    std::optional<std::string> origin;
};

struct WsSessionOptions {
    std::size_t max_message_size = 1u << 20; ///< bytes; a larger incoming message closes the session (1009)
    std::size_t send_queue_limit = 1024;     ///< queued outgoing messages; overflow closes the session (1008)
    /// A peer that sends nothing (pongs included) for this long is dropped; the server pings it at
    /// half this time, so a live but quiet peer stays connected for ever.
    std::chrono::milliseconds idle_timeout{60000};
    /// After ws_close(), an overflow or stop(): how long the flush and the close handshake may take
    /// before the socket is closed hard.
    std::chrono::milliseconds close_timeout{5000};
};

/// Callbacks of an interactive websocket endpoint. All run on the server thread.
struct WsSessionHandlers {
    /// Before the upgrade. false refuses it: HTTP 403 with a JSON error body, no session (and no
    /// on_close). May be empty (accept everybody). ws_send()/ws_close() already work here (a
    /// greeting goes out right after the handshake; a refusal discards it).
    std::function<bool(WsSessionId, const WsPeerInfo&)> on_open;
    /// One whole message; messages of one session arrive in order, never after its on_close.
    std::function<void(WsSessionId, std::span<const std::uint8_t> data, bool binary)> on_message;
    /// Exactly once for every session whose on_open returned true (or that had no on_open), also
    /// when the server stops.
    std::function<void(WsSessionId)> on_close;
};

class HttpServer {
public:
    /// Destroy the server before `loop`, and not while the loop runs with this server's connections open.
    HttpServer(Loop& loop, ServerOptions options);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    /// Exact-path route. A path known under other methods answers 405 to the rest.
    void route(std::string method, std::string path, Handler handler);
    /// Exact-path route whose handler answers later through its Responder (same 405 rule). The
    /// connection waits for the answer (at most ServerOptions::async_timeout, then 503); the
    /// request timeout applies to receiving the request and writing the answer only.
    void route_async(std::string method, std::string path, AsyncHandler handler);
    /// GET <prefix><relative> serves <root>/<relative>; <prefix> alone serves <root>/index.html.
    /// Paths with "..", "%", "\\" or NUL are refused; files outside <root> are never served.
    void serve_static(std::string prefix, std::filesystem::path root);
    /// A websocket endpoint whose subscribers receive every broadcast(path, ...) as a text frame.
    /// Each subscriber has its own bounded queue: a subscriber that falls behind is disconnected,
    /// never slowing the others.
    void websocket(std::string path);
    /// An interactive websocket endpoint: every connection is a session with its own id, its own
    /// bounded send queue and its own reader, so a slow peer only ever fills its own queue.
    /// The HTTP request_timeout does not apply once upgraded (sessions may idle for hours); dead
    /// peers are found by websocket pings (Beast's suggested server timeouts).
    void websocket_sessions(std::string path, WsSessionHandlers handlers, WsSessionOptions options = {});

    /// Binds and listens; returns the bound port (useful with port 0). The system error on failure
    /// (e.g. std::errc::address_in_use). Serving starts when the loop runs.
    [[nodiscard]] Expected<std::uint16_t> listen();
    /// Stops accepting, closes idle connections and websocket subscribers, and closes sessions
    /// after flushing what they queued. Thread-safe; the loop's shutdown does the same.
    void stop();
    /// Queues `text` for every subscriber of the websocket endpoint `path`. Thread-safe.
    void broadcast(std::string path, std::string text);

    /// Queues one message for session `id`. Thread-safe. false when the session is gone or closing,
    /// or when this message overflowed its queue (which closes the session with 1008).
    bool ws_send(WsSessionId id, std::vector<std::uint8_t> data, bool binary);
    /// Sends what is queued, then a close frame with `code`/`reason`, then closes. Thread-safe;
    /// a no-op for unknown or already closing sessions. Codes a peer must reject (e.g. 1005/1006)
    /// are sent as 1000; the reason is cut to 123 bytes.
    void ws_close(WsSessionId id, std::uint16_t code = 1000, std::string reason = {});

private:
    struct Impl;
    std::shared_ptr<bool> m_alive = std::make_shared<bool>(true); ///< lets the loop's hooks see a destroyed server
    std::unique_ptr<Impl> m_impl;
};

} // namespace nym::runtime
