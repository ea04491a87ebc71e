// WsConnection: the handshake runs on the caller's thread (on the connection's io_context, before
// its thread exists); afterwards one reader and one writer coroutine share that io_context on the
// connection's own thread. The send queue is the only state other threads touch (under a mutex).
#include <utility> // before Asio (see reference/dependencies.md)

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
#include <thread>

namespace nym::runtime {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// How long close() may take to flush and finish the close handshake before the socket is closed hard.
constexpr std::chrono::milliseconds CLOSE_GRACE{1000};
// A quiet gateway is pinged at half this time and dropped when nothing at all comes back.
constexpr std::chrono::seconds IDLE_TIMEOUT{60};

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
    asio::io_context io{1};
    websocket::stream<beast::tcp_stream> ws{io};
    asio::steady_timer wakeup{io};   // cancelled to wake the writer
    asio::steady_timer deadline{io}; // bounds close()
    WsConnectionHandlers handlers;
    std::thread thread;
    std::atomic<bool> open{false};
    std::atomic<std::uint16_t> close_code{0};
    std::atomic<bool> owner_gone{false}; // destroyed from inside a handler: run no further handlers
    // guarded by mutex
    std::mutex mutex;
    std::deque<Outgoing> queue;
    bool close_requested = false;
    bool ended = false;
    bool wake_posted = false;
    // connection thread only
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
        deadline.expires_after(CLOSE_GRACE);
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

asio::awaitable<void> run_connection(State& s) {
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

Expected<std::unique_ptr<WsConnection>> WsConnection::connect(std::string_view host, std::uint16_t port,
                                                              std::string_view target, WsConnectionHandlers handlers,
                                                              std::chrono::milliseconds timeout,
                                                              std::size_t max_message_size) {
    auto state = std::make_shared<State>();
    state->handlers = std::move(handlers);
    auto& ws = state->ws;
    const std::string host_text(host);
    const std::string host_header = host_text + ":" + std::to_string(port);
    const std::string target_text(target);
    boost::system::error_code result = asio::error::operation_aborted;
    auto handshake = [&]() -> asio::awaitable<boost::system::error_code> {
        auto& stream = beast::get_lowest_layer(ws);
        tcp::resolver resolver(state->io);
        // The resolver has no deadline of its own; numeric hosts (the usual case) resolve at once.
        auto [rec, results] = co_await resolver.async_resolve(host_text, std::to_string(port), use_tuple);
        if (rec) co_return rec;
        stream.expires_after(timeout);
        auto [cec, endpoint] = co_await stream.async_connect(results, use_tuple);
        if (cec) co_return cec;
        boost::system::error_code ignored;
        stream.socket().set_option(tcp::no_delay(true), ignored);
        auto [hec] = co_await ws.async_handshake(host_header, target_text, use_tuple);
        co_return hec;
    };
    asio::co_spawn(state->io, handshake(), [&result](std::exception_ptr e, boost::system::error_code ec) {
        result = e ? boost::system::error_code(asio::error::fault) : ec;
    });
    state->io.run();
    if (result) return Unexpected(to_std(result));

    beast::get_lowest_layer(ws).expires_never(); // Beast's own websocket timeouts from here on
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = CLOSE_GRACE;
    timeouts.idle_timeout = IDLE_TIMEOUT;
    timeouts.keep_alive_pings = true;
    ws.set_option(timeouts);
    ws.read_message_max(static_cast<std::uint64_t>(max_message_size));
    state->open = true;
    state->io.restart();
    asio::co_spawn(state->io, run_connection(*state), asio::detached);
    // The thread keeps the state alive: after a destruction from inside a handler it runs on alone.
    state->thread = std::thread([state] { state->io.run(); });
    return std::unique_ptr<WsConnection>(new WsConnection(std::move(state)));
}

WsConnection::~WsConnection() {
    if (!m_state) return;
    close();
    if (m_state->thread.get_id() == std::this_thread::get_id()) {
        m_state->owner_gone = true;
        m_state->thread.detach();
        return;
    }
    if (m_state->thread.joinable()) m_state->thread.join();
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
