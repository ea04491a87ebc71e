// The asynchronous HttpClient (see http_client.hpp): one coroutine per request on the loop's
// io_context; a beast::tcp_stream deadline bounds the whole exchange.
#include <runtime/http_client.hpp>
#include <runtime/loop_core.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace nym::runtime {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
namespace ssl = asio::ssl;

std::error_code to_std(const boost::system::error_code& ec) {
    if (ec == beast::error::timeout) return make_error_code(Errc::timeout);
    if (ec == http::error::end_of_stream || ec == asio::error::eof) return make_error_code(Errc::connection_closed);
    if (ec == http::error::body_limit) return make_error_code(Errc::response_too_large);
    return static_cast<std::error_code>(ec);
}

} // namespace

struct HttpClient::Impl : std::enable_shared_from_this<HttpClient::Impl> {
    Impl(Loop& l, ClientOptions o) : core(l.core()), options(std::move(o)), tls(ssl::context::tls_client) {
        tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                        ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
        boost::system::error_code ec;
        if (options.ca_file.empty()) tls.set_default_verify_paths(ec);
        else tls.load_verify_file(options.ca_file, ec);
        if (ec) tls_setup_error = ec;
        tls.set_verify_mode(ssl::verify_peer);
    }
    detail::LoopCore& core;
    ClientOptions options;
    ssl::context tls;
    boost::system::error_code tls_setup_error;
    std::size_t in_flight = 0;
    std::atomic<bool> alive{true}; // false once the HttpClient is destroyed: callbacks are not run

    asio::awaitable<void> exchange(HttpCall call, Callback done);
};

namespace {

template <class Stream>
asio::awaitable<boost::system::error_code> talk(Stream& stream, HttpCall& call, std::size_t body_limit,
                                                std::chrono::steady_clock::time_point deadline, HttpResult& out) {
    http::request<http::string_body> req(http::string_to_verb(call.method), call.target, 11);
    req.set(http::field::host, call.host + ":" + std::to_string(call.port));
    req.set(http::field::user_agent, "nym-cpp");
    if (!call.body.empty() || call.method == "POST" || call.method == "PUT") {
        req.set(http::field::content_type, call.content_type);
        req.body() = std::move(call.body);
    }
    req.keep_alive(false);
    req.prepare_payload();
    beast::get_lowest_layer(stream).expires_at(deadline);
    auto [wec, n] = co_await http::async_write(stream, req, use_tuple);
    if (wec) co_return wec;
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(static_cast<std::uint64_t>(body_limit));
    beast::get_lowest_layer(stream).expires_at(deadline);
    auto [rec, m] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (rec) co_return rec;
    auto& res = parser.get();
    out.status = res.result_int();
    out.content_type = std::string(res[http::field::content_type]);
    out.body = std::move(res.body());
    co_return boost::system::error_code{};
}

} // namespace

asio::awaitable<void> HttpClient::Impl::exchange(HttpCall call, Callback done) {
    auto self = shared_from_this();
    ++in_flight;
    beast::tcp_stream stream(core.io);
    HttpResult out;
    boost::system::error_code failure;
    const auto deadline = std::chrono::steady_clock::now() + options.timeout;
    if (call.tls && tls_setup_error) failure = tls_setup_error;
    if (!failure) {
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
        if (call.tls) {
            beast::ssl_stream<beast::tcp_stream> secure(std::move(stream), tls);
            // SNI, and the certificate must name the host we asked for.
            // SSL_set_tlsext_host_name without the macro's C cast.
            if (SSL_ctrl(secure.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                         const_cast<char*>(call.host.c_str())) != 1)
                failure = boost::system::error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
            secure.set_verify_callback(ssl::host_name_verification(call.host));
            if (!failure) {
                beast::get_lowest_layer(secure).expires_at(deadline);
                auto [hec] = co_await secure.async_handshake(ssl::stream_base::client, use_tuple);
                failure = hec;
            }
            if (!failure) failure = co_await talk(secure, call, options.body_limit, deadline, out);
            if (!failure) {
                beast::get_lowest_layer(secure).expires_after(std::chrono::milliseconds(500));
                (void)co_await secure.async_shutdown(use_tuple); // close_notify; a peer that just closes is fine
            }
            beast::get_lowest_layer(secure).socket().close(ignored);
        } else {
            failure = co_await talk(stream, call, options.body_limit, deadline, out);
            stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
            stream.socket().close(ignored);
        }
    }
    --in_flight;
    if (!alive || core.stopping) co_return;
    detail::guarded("http client callback", [&] {
        if (failure) done(Unexpected(to_std(failure)));
        else done(std::move(out));
    });
}

HttpClient::HttpClient(Loop& loop, ClientOptions options) : m_impl(std::make_shared<Impl>(loop, std::move(options))) {}

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
    call.tls = base.tls();
    request(std::move(call), std::move(done));
}

void HttpClient::post_json(const Url& base, std::string target, std::string body, Callback done) {
    HttpCall call;
    call.host = base.host;
    call.port = base.port;
    call.method = "POST";
    call.target = std::move(target);
    call.body = std::move(body);
    call.tls = base.tls();
    request(std::move(call), std::move(done));
}

std::size_t HttpClient::in_flight() const noexcept { return m_impl->in_flight; }

} // namespace nym::runtime
