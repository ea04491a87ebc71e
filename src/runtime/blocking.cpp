// Blocking clients (tests and tools) over Beast: every call spawns one coroutine on a private io_context and runs it
// to completion; tcp_stream deadlines bound every step.
#include <utility> // before Asio (see reference/dependencies.md)

#include <runtime/blocking.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace nym::runtime {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::error_code to_std(const boost::system::error_code& ec) {
    if (ec == beast::error::timeout) return make_error_code(Errc::timeout);
    if (ec == websocket::error::closed || ec == http::error::end_of_stream || ec == asio::error::eof)
        return make_error_code(Errc::connection_closed);
    if (ec == http::error::body_limit) return make_error_code(Errc::response_too_large);
    return static_cast<std::error_code>(ec);
}

// Runs `task` (an awaitable returning error_code) to completion on `io`.
template <class Task>
std::error_code run_task(asio::io_context& io, Task task) {
    boost::system::error_code result = asio::error::operation_aborted;
    io.restart();
    asio::co_spawn(io, std::move(task), [&result](std::exception_ptr e, boost::system::error_code ec) {
        result = e ? boost::system::error_code(asio::error::fault) : ec;
    });
    io.run();
    return result ? to_std(result) : std::error_code{};
}

asio::awaitable<boost::system::error_code> connect(beast::tcp_stream& stream, std::string host, std::uint16_t port,
                                                   std::chrono::milliseconds timeout) {
    tcp::resolver resolver(stream.get_executor());
    auto [rec, results] = co_await resolver.async_resolve(host, std::to_string(port), use_tuple);
    if (rec) co_return rec;
    stream.expires_after(timeout);
    auto [cec, endpoint] = co_await stream.async_connect(results, use_tuple);
    if (!cec) {
        boost::system::error_code ignored;
        stream.socket().set_option(tcp::no_delay(true), ignored);
    }
    co_return cec;
}

asio::awaitable<boost::system::error_code> read_response(beast::tcp_stream& stream, std::size_t body_limit,
                                                         HttpResult& out) {
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(static_cast<std::uint64_t>(body_limit));
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (ec) co_return ec;
    auto& res = parser.get();
    out.status = res.result_int();
    out.content_type = std::string(res[http::field::content_type]);
    out.body = std::move(res.body());
    co_return boost::system::error_code{};
}

} // namespace

Expected<HttpResult> http_request(std::string_view host, std::uint16_t port, std::string_view method,
                                  std::string_view target, std::string_view body, std::string_view content_type,
                                  ClientOptions options) {
    asio::io_context io;
    beast::tcp_stream stream(io);
    HttpResult result;
    http::request<http::string_body> req(http::string_to_verb(method), std::string(target), 11);
    req.set(http::field::host, std::string(host) + ":" + std::to_string(port));
    req.set(http::field::user_agent, "nym-cpp");
    if (!body.empty() || method == "POST" || method == "PUT") {
        req.set(http::field::content_type, content_type);
        req.body() = std::string(body);
    }
    req.keep_alive(false);
    req.prepare_payload();
    auto task = [&]() -> asio::awaitable<boost::system::error_code> {
        auto ec = co_await connect(stream, std::string(host), port, options.timeout);
        if (ec) co_return ec;
        auto [wec, n] = co_await http::async_write(stream, req, use_tuple);
        if (wec) co_return wec;
        co_return co_await read_response(stream, options.body_limit, result);
    };
    if (auto ec = run_task(io, task()); ec) return Unexpected(ec);
    return result;
}

Expected<HttpResult> http_exchange_raw(std::string_view host, std::uint16_t port, std::string_view raw,
                                       ClientOptions options) {
    asio::io_context io;
    beast::tcp_stream stream(io);
    HttpResult result;
    auto task = [&]() -> asio::awaitable<boost::system::error_code> {
        auto ec = co_await connect(stream, std::string(host), port, options.timeout);
        if (ec) co_return ec;
        auto [wec, n] = co_await asio::async_write(stream, asio::buffer(raw.data(), raw.size()), use_tuple);
        // The server may answer (and close) before reading everything: still read its answer.
        (void)wec;
        co_return co_await read_response(stream, options.body_limit, result);
    };
    if (auto ec = run_task(io, task()); ec) return Unexpected(ec);
    return result;
}

struct WsClient::Impl {
    asio::io_context io;
    websocket::stream<beast::tcp_stream> ws{io};
    bool open = false;
    std::uint16_t close_code = 0;
};

WsClient::WsClient(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
WsClient::WsClient(WsClient&&) noexcept = default;
WsClient& WsClient::operator=(WsClient&&) noexcept = default;
WsClient::~WsClient() {
    if (m_impl) close();
}

Expected<WsClient> WsClient::connect(std::string_view host, std::uint16_t port, std::string_view target,
                                     std::chrono::milliseconds timeout) {
    auto impl = std::make_unique<Impl>();
    auto& ws = impl->ws;
    const std::string host_header = std::string(host) + ":" + std::to_string(port);
    const std::string target_text(target);
    auto task = [&]() -> asio::awaitable<boost::system::error_code> {
        auto ec = co_await runtime::connect(beast::get_lowest_layer(ws), std::string(host), port, timeout);
        if (ec) co_return ec;
        beast::get_lowest_layer(ws).expires_after(timeout);
        auto [hec] = co_await ws.async_handshake(host_header, target_text, use_tuple);
        co_return hec;
    };
    if (auto ec = run_task(impl->io, task()); ec) return Unexpected(ec);
    impl->open = true;
    return WsClient(std::move(impl));
}

Expected<std::string> WsClient::read(std::chrono::milliseconds timeout) {
    auto message = read_message(timeout);
    if (!message) return Unexpected(message.error());
    return std::move(message->data);
}

Expected<WsMessage> WsClient::read_message(std::chrono::milliseconds timeout) {
    if (!m_impl->open) return fail(Errc::connection_closed);
    auto& ws = m_impl->ws;
    beast::flat_buffer buffer;
    auto task = [&]() -> asio::awaitable<boost::system::error_code> {
        beast::get_lowest_layer(ws).expires_after(timeout);
        auto [ec, n] = co_await ws.async_read(buffer, use_tuple);
        co_return ec;
    };
    if (auto ec = run_task(m_impl->io, task()); ec) {
        m_impl->open = false;
        m_impl->close_code = static_cast<std::uint16_t>(ws.reason().code);
        boost::system::error_code ignored;
        beast::get_lowest_layer(ws).socket().close(ignored);
        return Unexpected(ec);
    }
    return WsMessage{beast::buffers_to_string(buffer.data()), ws.got_binary()};
}

std::uint16_t WsClient::close_code() const noexcept { return m_impl ? m_impl->close_code : 0; }

Expected<void> WsClient::send_binary(std::span<const std::uint8_t> data, std::chrono::milliseconds timeout) {
    if (!m_impl->open) return fail(Errc::connection_closed);
    auto& ws = m_impl->ws;
    auto task = [&]() -> asio::awaitable<boost::system::error_code> {
        beast::get_lowest_layer(ws).expires_after(timeout);
        ws.binary(true);
        auto [ec, n] = co_await ws.async_write(asio::buffer(data.data(), data.size()), use_tuple);
        co_return ec;
    };
    if (auto ec = run_task(m_impl->io, task()); ec) {
        m_impl->open = false;
        return Unexpected(ec);
    }
    return {};
}

Expected<void> WsClient::send(std::string_view text, std::chrono::milliseconds timeout) {
    if (!m_impl->open) return fail(Errc::connection_closed);
    auto& ws = m_impl->ws;
    auto task = [&]() -> asio::awaitable<boost::system::error_code> {
        beast::get_lowest_layer(ws).expires_after(timeout);
        ws.text(true);
        auto [ec, n] = co_await ws.async_write(asio::buffer(text.data(), text.size()), use_tuple);
        co_return ec;
    };
    if (auto ec = run_task(m_impl->io, task()); ec) {
        m_impl->open = false;
        return Unexpected(ec);
    }
    return {};
}

void WsClient::close() {
    if (!m_impl || !m_impl->open) return;
    m_impl->open = false;
    auto& ws = m_impl->ws;
    auto task = [&]() -> asio::awaitable<boost::system::error_code> {
        beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(1));
        auto [ec] = co_await ws.async_close(websocket::close_code::normal, use_tuple);
        co_return ec;
    };
    (void)run_task(m_impl->io, task());
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws).socket().close(ignored);
}

} // namespace nym::runtime
