#pragma once
// An HTTP/1.1 + websocket server on C++20 coroutines (Boost.Beast), hidden behind a pimpl so that
// no Asio/Beast header leaks to the role libraries.
//
// Threading: everything (accepting, parsing, handlers, websocket fan-out) runs on the one thread
// that calls run(). stop() and broadcast() may be called from any thread.
//
// Limits: every connection has a request timeout (time to receive one whole request, also the
// keep-alive idle time), a header limit (431) and a body limit (413). Bad HTTP gets a 400 and the
// connection is closed; the server keeps serving everybody else. Every error body is JSON
// {"error": "..."}.

#include <runtime/http.hpp>
#include <util/expected.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace nym::runtime {

struct ServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;                          ///< 0 = any free port (see listen())
    std::size_t body_limit = 64 * 1024;              ///< bytes; larger bodies get 413
    std::uint32_t header_limit = 8 * 1024;           ///< bytes; larger headers get 431
    std::chrono::milliseconds request_timeout{15000};///< per request, and keep-alive idle time
    std::size_t max_connections = 1024;              ///< further connections are closed at once
    std::size_t ws_queue_limit = 256;                ///< messages queued per subscriber before it is dropped
    std::size_t max_static_file_size = 32 * 1024 * 1024;
    bool handle_signals = true;                      ///< SIGINT/SIGTERM stop run() gracefully
    std::string server_name = "nym-cpp";
};

class HttpServer {
public:
    explicit HttpServer(ServerOptions options);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    /// Exact-path route. A path known under other methods answers 405 to the rest.
    void route(std::string method, std::string path, Handler handler);
    /// GET <prefix><relative> serves <root>/<relative>; <prefix> alone serves <root>/index.html.
    /// Paths with "..", "%", "\\" or NUL are refused; files outside <root> are never served.
    void serve_static(std::string prefix, std::filesystem::path root);
    /// A websocket endpoint whose subscribers receive every broadcast(path, ...) as a text frame.
    /// Each subscriber has its own bounded queue: a subscriber that falls behind is disconnected,
    /// never slowing the others.
    void websocket(std::string path);

    /// Binds and listens; returns the bound port (useful with port 0). The system error on failure
    /// (e.g. std::errc::address_in_use).
    [[nodiscard]] Expected<std::uint16_t> listen();
    /// Serves until stop() or SIGINT/SIGTERM; returns when every connection has been closed.
    void run();
    /// Stops accepting, closes idle connections and websocket subscribers. Thread-safe.
    void stop();
    /// Queues `text` for every subscriber of the websocket endpoint `path`. Thread-safe.
    void broadcast(std::string path, std::string text);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace nym::runtime
