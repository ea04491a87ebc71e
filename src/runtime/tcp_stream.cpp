#include <runtime/loop_core.hpp>
#include <runtime/tcp_stream.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <deque>

namespace nym::runtime {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct TcpStream::Impl : std::enable_shared_from_this<TcpStream::Impl> {
    explicit Impl(asio::io_context& io) : socket(io) {}

    tcp::socket socket;
    TcpStreamHandlers handlers;
    std::array<std::uint8_t, 16 * 1024> buffer{};
    std::deque<std::vector<std::uint8_t>> queue;
    std::size_t queued = 0;
    bool reading = false, paused = false, writing = false, shutdown_pending = false, closed = false, ended = false;
    std::string remote;

    void read() {
        if (closed || paused || reading || ended) return;
        reading = true;
        socket.async_read_some(
            asio::buffer(buffer), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                self->reading = false;
                if (self->closed) return;
                if (n > 0 && self->handlers.on_data) {
                    auto on_data = self->handlers.on_data; // the handler may close (and clear) the stream
                    detail::guarded("tcp stream data", [&] { on_data(std::span(self->buffer).first(n)); });
                }
                if (self->closed) return;
                if (ec == asio::error::eof) {
                    self->ended = true;
                    if (auto on_end = self->handlers.on_end) detail::guarded("tcp stream end", on_end);
                    return;
                }
                if (ec) {
                    self->fail(ec);
                    return;
                }
                self->read();
            });
    }

    void fail(boost::system::error_code ec) {
        if (closed) return;
        closed = true;
        boost::system::error_code ignored;
        socket.close(ignored);
        auto on_error = std::move(handlers.on_error);
        handlers = {};
        if (on_error)
            detail::guarded("tcp stream error", [&] { on_error(std::error_code(ec.value(), std::system_category())); });
    }

    void flush() {
        if (closed || writing) return;
        if (queue.empty()) {
            if (shutdown_pending) {
                shutdown_pending = false;
                boost::system::error_code ignored;
                socket.shutdown(tcp::socket::shutdown_send, ignored);
            }
            return;
        }
        writing = true;
        std::vector<asio::const_buffer> buffers;
        for (std::size_t i = 0; i < queue.size() && i < 64; ++i) buffers.emplace_back(asio::buffer(queue[i]));
        const std::size_t count = buffers.size();
        asio::async_write(socket, buffers,
                          [self = shared_from_this(), count](boost::system::error_code ec, std::size_t) {
                              self->writing = false;
                              if (self->closed) return;
                              if (ec) {
                                  self->fail(ec);
                                  return;
                              }
                              for (std::size_t i = 0; i < count; ++i) {
                                  self->queued -= self->queue.front().size();
                                  self->queue.pop_front();
                              }
                              if (self->queue.empty() && self->handlers.on_drained) {
                                  auto on_drained = self->handlers.on_drained;
                                  detail::guarded("tcp stream drained", on_drained);
                              }
                              self->flush();
                          });
    }

    void close() {
        if (closed) return;
        closed = true;
        handlers = {};
        boost::system::error_code ignored;
        socket.close(ignored);
    }
};

TcpStream::TcpStream(std::shared_ptr<Impl> impl) : m_impl(std::move(impl)) {}
TcpStream::~TcpStream() {
    if (m_impl) m_impl->close();
}

void TcpStream::start(TcpStreamHandlers handlers) {
    m_impl->handlers = std::move(handlers);
    m_impl->read();
}
void TcpStream::pause_reading() {
    m_impl->paused = true;
}
void TcpStream::resume_reading() {
    m_impl->paused = false;
    m_impl->read();
}
void TcpStream::write(std::vector<std::uint8_t> bytes) {
    if (m_impl->closed || bytes.empty()) return;
    m_impl->queued += bytes.size();
    m_impl->queue.push_back(std::move(bytes));
    m_impl->flush();
}
std::size_t TcpStream::queued_bytes() const noexcept {
    return m_impl->queued;
}
void TcpStream::shutdown_write() {
    m_impl->shutdown_pending = true;
    m_impl->flush();
}
void TcpStream::close() {
    m_impl->close();
}
const std::string& TcpStream::remote() const noexcept {
    return m_impl->remote;
}

namespace {

struct Connecting : std::enable_shared_from_this<Connecting> {
    Connecting(asio::io_context& io) : resolver(io), timer(io), impl(std::make_shared<TcpStream::Impl>(io)) {}
    tcp::resolver resolver;
    asio::steady_timer timer;
    std::shared_ptr<TcpStream::Impl> impl;
    TcpStream::ConnectDone done;
    bool finished = false;

    void finish(Expected<std::unique_ptr<TcpStream>> result) {
        if (finished) return;
        finished = true;
        timer.cancel();
        resolver.cancel();
        auto callback = std::move(done);
        detail::guarded("tcp connect", [&] { callback(std::move(result)); });
    }
};

std::string endpoint_text(const tcp::endpoint& e) {
    const auto a = e.address();
    return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(e.port());
}

} // namespace

void TcpStream::connect(Loop& loop, const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout,
                        ConnectDone done) {
    auto c = std::make_shared<Connecting>(loop.core().io);
    c->done = std::move(done);
    c->timer.expires_after(timeout);
    c->timer.async_wait([c](boost::system::error_code ec) {
        if (ec || c->finished) return;
        boost::system::error_code ignored;
        c->impl->socket.close(ignored);
        c->finish(Unexpected(std::make_error_code(std::errc::timed_out)));
    });
    c->resolver.async_resolve(
        host, std::to_string(port), [c](boost::system::error_code ec, tcp::resolver::results_type results) {
            if (c->finished) return;
            if (ec) {
                c->finish(Unexpected(std::make_error_code(std::errc::host_unreachable)));
                return;
            }
            asio::async_connect(c->impl->socket, results,
                                [c](boost::system::error_code error, const tcp::endpoint& endpoint) {
                                    if (c->finished) return;
                                    if (error) {
                                        c->finish(Unexpected(std::error_code(error.value(), std::system_category())));
                                        return;
                                    }
                                    boost::system::error_code ignored;
                                    c->impl->socket.set_option(tcp::no_delay(true), ignored);
                                    c->impl->remote = endpoint_text(endpoint);
                                    c->finish(std::make_unique<TcpStream>(c->impl));
                                });
        });
}

struct TcpAcceptor::Impl : std::enable_shared_from_this<TcpAcceptor::Impl> {
    explicit Impl(asio::io_context& i) : io(i), acceptor(i) {}
    asio::io_context& io;
    tcp::acceptor acceptor;
    std::function<void(std::unique_ptr<TcpStream>)> on_accept;
    bool closed = false;

    void accept() {
        if (closed) return;
        auto impl = std::make_shared<TcpStream::Impl>(io);
        acceptor.async_accept(impl->socket, [self = shared_from_this(), impl](boost::system::error_code ec) {
            if (self->closed) return;
            if (!ec) {
                boost::system::error_code ignored;
                impl->socket.set_option(tcp::no_delay(true), ignored);
                const auto remote = impl->socket.remote_endpoint(ignored);
                if (!ignored) impl->remote = endpoint_text(remote);
                auto stream = std::make_unique<TcpStream>(impl);
                detail::guarded("tcp accept", [&] { self->on_accept(std::move(stream)); });
                self->accept();
                return;
            }
            if (ec == asio::error::operation_aborted) return;
            spdlog::warn("accept failed: {}", ec.message());
            // Out of descriptors and the like: try again shortly rather than spin.
            auto timer = std::make_shared<asio::steady_timer>(self->io, std::chrono::milliseconds(100));
            timer->async_wait([self, timer](boost::system::error_code) { self->accept(); });
        });
    }
};

TcpAcceptor::TcpAcceptor(Loop& loop) : m_impl(std::make_shared<Impl>(loop.core().io)) {}
TcpAcceptor::~TcpAcceptor() {
    close();
}

Expected<std::uint16_t> TcpAcceptor::listen(const std::string& host, std::uint16_t port,
                                            std::function<void(std::unique_ptr<TcpStream>)> on_accept) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (ec) return Unexpected(std::error_code(ec.value(), std::system_category()));
    const tcp::endpoint endpoint(address, port);
    auto& a = m_impl->acceptor;
    a.open(endpoint.protocol(), ec);
    if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) a.bind(endpoint, ec);
    if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Unexpected(std::error_code(ec.value(), std::system_category()));
    m_impl->on_accept = std::move(on_accept);
    m_impl->accept();
    return a.local_endpoint().port();
}

void TcpAcceptor::close() {
    if (!m_impl || m_impl->closed) return;
    m_impl->closed = true;
    boost::system::error_code ignored;
    m_impl->acceptor.close(ignored);
}

} // namespace nym::runtime
