// WsConnection: the handshake, then one reader and one writer coroutine, all on the loop's I/O
// thread. The send queue is the only state other threads touch (under a mutex).
#include <utility> // before Asio (see reference/dependencies.md)

#include <runtime/loop_core.hpp>
#include <runtime/ws_connection.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <spdlog/spdlog.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

namespace nym::runtime {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::error_code to_std(const boost::system::error_code& ec) {
    if (ec == beast::error::timeout) return make_error_code(Errc::timeout);
    if (ec == websocket::error::closed || ec == asio::error::eof) return make_error_code(Errc::connection_closed);
    return static_cast<std::error_code>(ec);
}

struct Outgoing {
    std::vector<std::uint8_t> data;
    bool binary = false;
};

} // namespace

struct WsConnection::State {
    explicit State(asio::io_context& context) : io(context), ws(context), wakeup(context), deadline(context) {}
    asio::io_context& io;
    websocket::stream<beast::tcp_stream> ws;
    asio::steady_timer wakeup;   // cancelled to wake the writer
    asio::steady_timer deadline; // bounds close()
    WsConnectionHandlers handlers;
    WsConnectOptions options;
    std::atomic<bool> open{false};
    std::atomic<std::uint16_t> close_code{0};
    std::atomic<bool> owner_gone{false}; // the WsConnection was destroyed: run no further handlers
    // guarded by mutex
    std::mutex mutex;
    std::deque<Outgoing> queue;
    bool close_requested = false;
    bool ended = false;
    bool wake_posted = false;
    // I/O thread only
    bool established = false;
    bool reader_done = false;
    bool deadline_armed = false;

    void wake() {
        {
            std::lock_guard lock(mutex);
            wake_posted = false;
        }
        wakeup.cancel();
    }
    void arm_deadline() {
        if (deadline_armed) return;
        deadline_armed = true;
        deadline.expires_after(options.close_timeout);
        deadline.async_wait([this](const boost::system::error_code& ec) {
            if (ec) return;
            boost::system::error_code ignored;
            beast::get_lowest_layer(ws).socket().close(ignored);
        });
    }
};

namespace {

using State = WsConnection::State;

asio::awaitable<void> reader(State& s, boost::system::error_code& result) {
    beast::flat_buffer buffer;
    while (true) {
        auto [ec, n] = co_await s.ws.async_read(buffer, use_tuple);
        if (ec) {
            result = ec;
            s.close_code = static_cast<std::uint16_t>(s.ws.reason().code);
            break;
        }
        if (s.handlers.on_message && !s.owner_gone.load()) {
            const auto data = buffer.cdata();
            try {
                s.handlers.on_message(
                    std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(data.data()), data.size()),
                    s.ws.got_binary());
            } catch (const std::exception& ex) {
                spdlog::error("runtime: websocket connection on_message failed: {}", ex.what());
            }
        }
        buffer.consume(buffer.size());
    }
    s.open = false;
    {
        std::lock_guard lock(s.mutex);
        s.ended = true;
        s.queue.clear();
    }
    s.reader_done = true;
    s.wakeup.cancel();
}

asio::awaitable<void> writer(State& s) {
    while (!s.reader_done) {
        std::optional<Outgoing> message;
        bool close = false;
        {
            std::lock_guard lock(s.mutex);
            if (!s.queue.empty()) {
                message = std::move(s.queue.front());
                s.queue.pop_front();
            } else {
                close = s.close_requested;
            }
        }
        if (message) {
            s.ws.binary(message->binary);
            auto [ec, n] = co_await s.ws.async_write(asio::buffer(message->data), use_tuple);
            if (ec) break;
            continue;
        }
        if (close) {
            // The reader receives the answering close frame and ends the connection.
            (void)co_await s.ws.async_close(websocket::close_code::normal, use_tuple);
            co_return;
        }
        s.wakeup.expires_at(asio::steady_timer::time_point::max());
        co_await s.wakeup.async_wait(use_tuple);
    }
    if (s.reader_done) co_return;
    boost::system::error_code ignored; // a failed write: make the reader notice
    beast::get_lowest_layer(s.ws).socket().close(ignored);
}

asio::awaitable<void> run_connection(std::shared_ptr<State> state) {
    State& s = *state;
    boost::system::error_code result;
    try {
        co_await (reader(s, result) && writer(s));
    } catch (const std::exception& ex) {
        spdlog::error("runtime: websocket connection failed: {}", ex.what());
    }
    s.open = false;
    s.deadline.cancel();
    boost::system::error_code ignored;
    beast::get_lowest_layer(s.ws).socket().close(ignored);
    bool closed_by_us = false;
    {
        std::lock_guard lock(s.mutex);
        s.ended = true;
        s.queue.clear();
        closed_by_us = s.close_requested;
    }
    std::error_code reason = to_std(result);
    // The answer to our own close frame (or the hard close after the grace time) is no error.
    if (closed_by_us && (reason == Errc::connection_closed || result == asio::error::operation_aborted ||
                         result == asio::error::bad_descriptor))
        reason = {};
    if (s.handlers.on_closed && !s.owner_gone.load()) {
        try {
            s.handlers.on_closed(reason);
        } catch (const std::exception& ex) {
            spdlog::error("runtime: websocket connection on_closed failed: {}", ex.what());
        }
    }
}

} // namespace

WsConnection::WsConnection(std::shared_ptr<State> state) : m_state(std::move(state)) {}

void WsConnection::connect(Loop& loop, std::string host, std::uint16_t port, std::string target,
                           WsConnectionHandlers handlers, WsConnectOptions options, ConnectCallback done) {
    auto& core = loop.core();
    auto state = std::make_shared<State>(core.io);
    state->handlers = std::move(handlers);
    state->options = options;
    auto handshake = [state, &core, host = std::move(host), port, target = std::move(target),
                      done = std::move(done)]() -> asio::awaitable<void> {
        auto& ws = state->ws;
        auto& stream = beast::get_lowest_layer(ws);
        const std::string host_header = host + ":" + std::to_string(port);
        const auto timeout = state->options.timeout;
        boost::system::error_code result;
        {
            tcp::resolver resolver(state->io);
            asio::steady_timer timer(state->io);
            timer.expires_after(timeout);
            auto resolved =
                co_await (resolver.async_resolve(host, std::to_string(port), use_tuple) || timer.async_wait(use_tuple));
            if (resolved.index() == 1) {
                result = beast::error::timeout;
            } else {
                auto [rec, results] = std::get<0>(resolved);
                if (rec) {
                    result = rec;
                } else {
                    stream.expires_after(timeout);
                    auto [cec, endpoint] = co_await stream.async_connect(results, use_tuple);
                    result = cec;
                    if (!cec) {
                        boost::system::error_code ignored;
                        stream.socket().set_option(tcp::no_delay(true), ignored);
                        auto [hec] = co_await ws.async_handshake(host_header, target, use_tuple);
                        result = hec;
                    }
                }
            }
        }
        if (core.stopping) {
            boost::system::error_code ignored;
            stream.socket().close(ignored);
            co_return;
        }
        if (result) {
            boost::system::error_code ignored;
            stream.socket().close(ignored);
            detail::guarded("websocket connect callback", [&] { done(Unexpected(to_std(result))); });
            co_return;
        }
        stream.expires_never(); // Beast's own websocket timeouts from here on
        websocket::stream_base::timeout timeouts{};
        timeouts.handshake_timeout = state->options.close_timeout;
        timeouts.idle_timeout = state->options.idle_timeout;
        timeouts.keep_alive_pings = true;
        ws.set_option(timeouts);
        ws.read_message_max(static_cast<std::uint64_t>(state->options.max_message_size));
        state->open = true;
        state->established = true;
        asio::co_spawn(state->io, run_connection(state), asio::detached);
        detail::guarded("websocket connect callback",
                        [&] { done(std::unique_ptr<WsConnection>(new WsConnection(state))); });
    };
    // The loop's shutdown closes the connection (its coroutines then end on their own).
    std::weak_ptr<State> weak = state;
    loop.on_shutdown(ShutdownStage::drain, [weak] {
        auto s = weak.lock();
        if (!s) return;
        {
            std::lock_guard lock(s->mutex);
            s->close_requested = true;
        }
        s->open = false;
        if (!s->established) {
            // Still connecting: abort the resolve/connect/handshake.
            boost::system::error_code ignored;
            beast::get_lowest_layer(s->ws).socket().close(ignored);
            return;
        }
        s->arm_deadline();
        s->wake();
    });
    asio::co_spawn(core.io, std::move(handshake), [](std::exception_ptr e) {
        detail::log_exception("websocket connect", e);
    });
}

WsConnection::~WsConnection() {
    if (!m_state) return;
    m_state->owner_gone = true;
    close();
}

bool WsConnection::send(std::vector<std::uint8_t> data, bool binary) {
    auto& s = *m_state;
    std::lock_guard lock(s.mutex);
    if (s.ended || s.close_requested) return false;
    s.queue.push_back(Outgoing{std::move(data), binary});
    if (!s.wake_posted) {
        s.wake_posted = true;
        asio::post(s.io, [state = m_state] { state->wake(); });
    }
    return true;
}

void WsConnection::close() {
    auto& s = *m_state;
    {
        std::lock_guard lock(s.mutex);
        if (s.ended || s.close_requested) return;
        s.close_requested = true;
    }
    s.open = false;
    asio::post(s.io, [state = m_state] {
        state->arm_deadline();
        state->wake();
    });
}

bool WsConnection::is_open() const noexcept { return m_state->open.load(); }

std::uint16_t WsConnection::close_code() const noexcept { return m_state->close_code.load(); }

} // namespace nym::runtime
