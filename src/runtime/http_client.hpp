#pragma once
// An asynchronous HTTP/1.1 client on a runtime::Loop: every request runs on the loop's I/O thread
// on a fresh connection, bounded by one deadline for the whole exchange, and its callback runs on
// the I/O thread. http:// and https:// (TLS 1.2+ through OpenSSL, the server's certificate checked
// against the system's trust store, or `ca_file`, and against the host name; SNI sent).

#include <runtime/errors.hpp>
#include <runtime/http.hpp>
#include <runtime/loop.hpp>
#include <util/expected.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace nym::runtime {

struct HttpResult {
    unsigned status = 0;
    std::string content_type;
    std::string body;
};

struct ClientOptions {
    std::chrono::milliseconds timeout{5000}; ///< for the whole exchange, connect included
    std::size_t body_limit = 16 * 1024 * 1024;
    std::string ca_file;                     ///< PEM bundle to trust for https instead of the system's
};

/// One outgoing request.
struct HttpCall {
    std::string host;
    std::uint16_t port = 80;
    std::string method = "GET";
    std::string target = "/";
    std::string body;
    std::string content_type{CONTENT_TYPE_JSON};
    bool tls = false; ///< https: TLS with certificate and host name verification
};

class HttpClient {
public:
    /// Network failures come back as the socket's error code, Errc::timeout when the deadline passes,
    /// Errc::response_too_large beyond the body limit.
    using Callback = std::function<void(Expected<HttpResult>)>;

    HttpClient(Loop& loop, ClientOptions options = {});
    /// Requests in flight are abandoned: their callbacks never run.
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    /// Starts a request. Thread-safe; `done` runs on the I/O thread (never inside this call).
    void request(HttpCall call, Callback done);
    /// GET/POST helpers on a parsed base URL (http://host:port).
    void get(const Url& base, std::string target, Callback done);
    void post_json(const Url& base, std::string target, std::string body, Callback done);

    /// Requests started and not yet answered (I/O thread).
    [[nodiscard]] std::size_t in_flight() const noexcept;

private:
    struct Impl;
    std::shared_ptr<Impl> m_impl;
};

} // namespace nym::runtime
