// The asynchronous HttpClient (see http_client.hpp): one coroutine per request on the loop's
// io_context; a beast::tcp_stream deadline bounds the whole exchange.
#include <runtime/http_client.hpp>
#include <runtime/loop_core.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace nym::runtime {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::error_code to_std(const boost::system::error_code& ec) {
    if (ec == beast::error::timeout) return make_error_code(Errc::timeout);
    if (ec == http::error::end_of_stream || ec == asio::error::eof) return make_error_code(Errc::connection_closed);
    if (ec == http::error::body_limit) return make_error_code(Errc::response_too_large);
    return static_cast<std::error_code>(ec);
}

} // namespace

struct HttpClient::Impl : std::enable_shared_from_this<HttpClient::Impl> {
    Impl(Loop& l, ClientOptions o) : core(l.core()), options(o) {}
    detail::LoopCore& core;
    ClientOptions options;
    std::size_t in_flight = 0;
    std::atomic<bool> alive{true}; // false once the HttpClient is destroyed: callbacks are not run

    asio::awaitable<void> exchange(HttpCall call, Callback done);
};

asio::awaitable<void> HttpClient::Impl::exchange(HttpCall call, Callback done) {
    auto self = shared_from_this();
    ++in_flight;
    beast::tcp_stream stream(core.io);
    HttpResult out;
    boost::system::error_code failure;
    const auto deadline = std::chrono::steady_clock::now() + options.timeout;
    {
        tcp::resolver resolver(core.io);
        // Numeric hosts (the usual case) resolve at once; names use the system resolver.
        auto [rec, results] = co_await resolver.async_resolve(call.host, std::to_string(call.port), use_tuple);
        if (rec) failure = rec;
        if (!failure) {
            stream.expires_at(deadline);
            auto [cec, endpoint] = co_await stream.async_connect(results, use_tuple);
            failure = cec;
        }
    }
    if (!failure) {
        boost::system::error_code ignored;
        stream.socket().set_option(tcp::no_delay(true), ignored);
        http::request<http::string_body> req(http::string_to_verb(call.method), call.target, 11);
        req.set(http::field::host, call.host + ":" + std::to_string(call.port));
        req.set(http::field::user_agent, "nym-cpp");
        if (!call.body.empty() || call.method == "POST" || call.method == "PUT") {
            req.set(http::field::content_type, call.content_type);
            req.body() = std::move(call.body);
        }
        req.keep_alive(false);
        req.prepare_payload();
        stream.expires_at(deadline);
        auto [wec, n] = co_await http::async_write(stream, req, use_tuple);
        failure = wec;
    }
    if (!failure) {
        beast::flat_buffer buffer;
        http::response_parser<http::string_body> parser;
        parser.body_limit(static_cast<std::uint64_t>(options.body_limit));
        stream.expires_at(deadline);
        auto [rec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
        failure = rec;
        if (!rec) {
            auto& res = parser.get();
            out.status = res.result_int();
            out.content_type = std::string(res[http::field::content_type]);
            out.body = std::move(res.body());
        }
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.socket().close(ignored);
    --in_flight;
    if (!alive || core.stopping) co_return;
    detail::guarded("http client callback", [&] {
        if (failure) done(Unexpected(to_std(failure)));
        else done(std::move(out));
    });
}

HttpClient::HttpClient(Loop& loop, ClientOptions options) : m_impl(std::make_shared<Impl>(loop, options)) {}

HttpClient::~HttpClient() {
    // Callbacks never run after this (destroy the client on the I/O thread, or once the loop has
    // stopped); the coroutines still in flight end within their deadline.
    m_impl->alive = false;
}

void HttpClient::request(HttpCall call, Callback done) {
    auto impl = m_impl;
    asio::post(impl->core.io, [impl, call = std::move(call), done = std::move(done)]() mutable {
        if (!impl->alive || impl->core.stopping) return;
        asio::co_spawn(impl->core.io, impl->exchange(std::move(call), std::move(done)),
                       [](std::exception_ptr e) { detail::log_exception("http request", e); });
    });
}

void HttpClient::get(const Url& base, std::string target, Callback done) {
    HttpCall call;
    call.host = base.host;
    call.port = base.port;
    call.method = "GET";
    call.target = std::move(target);
    call.content_type.clear();
    request(std::move(call), std::move(done));
}

void HttpClient::post_json(const Url& base, std::string target, std::string body, Callback done) {
    HttpCall call;
    call.host = base.host;
    call.port = base.port;
    call.method = "POST";
    call.target = std::move(target);
    call.body = std::move(body);
    request(std::move(call), std::move(done));
}

std::size_t HttpClient::in_flight() const noexcept { return m_impl->in_flight; }

} // namespace nym::runtime
