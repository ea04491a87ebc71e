#include <client/daemon.hpp>
#include <crypto/rng.hpp>
#include <runtime/tcp_stream.hpp>

#include <spdlog/spdlog.h>

#include <map>
#include <socks5/daemon.hpp>
#include <socks5/errors.hpp>
#include <socks5/socks.hpp>

namespace nym::socks5 {
namespace {

using namespace std::chrono_literals;

constexpr auto TICK = 50ms;
constexpr auto STATS_INTERVAL = 30s;
/// Bytes queued towards the application before the receiver stops handing out more.
constexpr std::size_t APP_QUEUE_LIMIT = 64 * 1024;
/// The application socket is read in chunks of at most this (runtime::TcpStream's buffer).
constexpr std::size_t READ_CHUNK = 16 * 1024;
constexpr std::size_t OPEN_SURBS = 4;
constexpr std::size_t PING_SURBS = 2;
/// A CREDIT costs a packet of the client's own stream (which also carries the reply SURBs): besides
/// the quarter-window rule, acknowledge arrivals at most this often.
constexpr auto ACK_DELAY = 1500ms;
/// At most this many reply SURBs per request of the requester.
constexpr std::size_t MAX_SURBS_PER_REQUEST = 500;
/// Reply SURBs travel in SURBS messages of at most this many (1,214 bytes each: 40 make 31
/// fragments), apart from the messages whose latency matters (CREDIT, DATA).
constexpr std::size_t SURBS_PER_CARRIER = 40;
/// The requester's silence counts only once the mixnet client's queue has stayed shorter than this
/// (a PING stuck behind our own backlog says nothing about the requester) for half the timeout.
constexpr std::size_t CONGESTED_QUEUE = 32;

TimePoint now() {
    return Clock::now();
}

} // namespace

struct Daemon::Impl {
    enum class State { handshake, opening, open, closing };
    struct Conn {
        StreamId id = 0;
        std::unique_ptr<runtime::TcpStream> app;
        Handshake handshake;
        State state = State::handshake;
        std::uint8_t version = SOCKS5_VERSION;
        std::optional<StreamSender> sender;
        std::optional<StreamReceiver> receiver;
        TimePoint since;
        Bytes early;
        bool paused = false, app_ended = false, app_shut = false;
        std::string target;
    };

    Impl(const Daemon& d, runtime::Loop& l, ProxySettings s) : owner(d), loop(l), settings(std::move(s)) {}

    const Daemon& owner;
    runtime::Loop& loop;
    ProxySettings settings;
    ReadyCallback on_ready;
    std::unique_ptr<client::Daemon> mixnet;
    std::unique_ptr<runtime::TcpAcceptor> acceptor;
    client::ParsedAddress provider;
    std::map<StreamId, Conn> conns;
    ProxyCounters counters;
    std::uint16_t port = 0;
    TimePoint last_heard = now(), last_ping = now();
    TimePoint last_congested = now(); ///< the last tick with the mixnet client's queue long
    bool stopped = false;

    // --- to the requester -----------------------------------------------------------------------------
    /// `surbs` reply SURBs in SURBS messages of at most SURBS_PER_CARRIER; the number sent.
    std::size_t supply(std::size_t surbs) {
        std::size_t sent = 0;
        while (sent < surbs) {
            const std::size_t n = std::min(SURBS_PER_CARRIER, surbs - sent);
            if (!send(SurbRequest{0}, n)) break;
            sent += n;
        }
        return sent;
    }

    bool send(const Frame& frame, std::size_t surbs = 0) {
        const Bytes bytes = encode(frame);
        auto sent = mixnet->send(bytes, provider, surbs);
        if (!sent) {
            spdlog::debug("could not send to the requester: {}", sent.error().message());
            return false;
        }
        counters.surbs_sent += surbs;
        return true;
    }

    // --- application connections --------------------------------------------------------------------
    void accept(std::unique_ptr<runtime::TcpStream> stream) {
        if (stopped) return;
        if (conns.size() >= settings.max_streams) {
            spdlog::warn("refused a connection from {}: {} streams open", stream->remote(), conns.size());
            ++counters.refused;
            return; // closed by the destructor
        }
        StreamId id = 0;
        while (id == 0 || conns.contains(id)) id = crypto::system_rng().next_u64();
        if (conns.empty()) last_heard = now(); // the requester's silence is measured from here
        ++counters.accepted;
        Conn& c = conns[id];
        c.id = id;
        c.app = std::move(stream);
        c.since = now();
        runtime::TcpStreamHandlers h;
        h.on_data = [this, id](std::span<const std::uint8_t> bytes) { on_app_data(id, bytes); };
        h.on_end = [this, id] { on_app_end(id); };
        h.on_error = [this, id](std::error_code ec) { on_app_error(id, ec); };
        h.on_drained = [this, id] { on_app_drained(id); };
        c.app->start(std::move(h));
    }

    Conn* find(StreamId id) {
        auto it = conns.find(id);
        return it == conns.end() ? nullptr : &it->second;
    }

    void erase(StreamId id) {
        auto it = conns.find(id);
        if (it == conns.end()) return;
        if (it->second.sender) counters.retransmitted += it->second.sender->retransmitted();
        conns.erase(it);
    }

    /// Answers the SOCKS request with a failure and closes once written.
    void refuse(Conn& c, std::uint8_t code) {
        c.app->write(failure_reply(c.version, code));
        c.app->shutdown_write();
        c.app->pause_reading();
        c.state = State::closing;
        c.since = now();
    }

    void on_app_data(StreamId id, std::span<const std::uint8_t> bytes) {
        Conn* c = find(id);
        if (!c) return;
        switch (c->state) {
        case State::handshake: {
            auto step = c->handshake.feed(bytes);
            if (!step.reply.empty()) c->app->write(std::move(step.reply));
            if (step.error) {
                spdlog::debug("SOCKS handshake from {} refused: {}", c->app->remote(), step.error->message());
                ++counters.refused;
                c->app->shutdown_write();
                c->state = State::closing;
                c->since = now();
                return;
            }
            if (step.request) open(*c, std::move(*step.request));
            return;
        }
        case State::opening: {
            Bytes more = c->handshake.take_leftover();
            c->early.insert(c->early.end(), more.begin(), more.end());
            c->early.insert(c->early.end(), bytes.begin(), bytes.end());
            if (c->early.size() >= READ_CHUNK) c->app->pause_reading();
            return;
        }
        case State::open:
            if (auto ok = c->sender->write(bytes); !ok) { // never: reading pauses before the buffer fills
                reset(*c, ResetCode::general_failure, "send buffer overflow");
                return;
            }
            counters.bytes_up += bytes.size();
            pump(*c);
            return;
        case State::closing:
            return;
        }
    }

    void open(Conn& c, ConnectRequest request) {
        c.version = request.version;
        c.target = to_string(request.target);
        c.state = State::opening;
        c.since = now();
        c.early = c.handshake.take_leftover();
        c.app->pause_reading();
        c.receiver.emplace(c.id, ReceiverSettings{settings.window, ACK_DELAY});
        if (!send(Open{c.id, settings.window, std::move(request.target)}, OPEN_SURBS)) {
            ++counters.failed;
            refuse(c, REPLY_GENERAL_FAILURE);
            return;
        }
        spdlog::debug("stream {:016x}: opening {}", c.id, c.target);
    }

    void on_app_end(StreamId id) {
        Conn* c = find(id);
        if (!c) return;
        c->app_ended = true;
        if (c->state == State::open) {
            c->sender->finish();
            pump(*c);
            finish_if_done(*c);
        } else if (c->state != State::closing) {
            abort(*c, "the application closed before the stream opened");
        }
    }

    void on_app_error(StreamId id, std::error_code ec) {
        Conn* c = find(id);
        if (!c) return;
        spdlog::debug("stream {:016x}: application connection broke: {}", id, ec.message());
        abort(*c, "the application connection broke");
    }

    void on_app_drained(StreamId id) {
        Conn* c = find(id);
        if (!c) return;
        if (c->state == State::closing) {
            erase(id);
            return;
        }
        deliver(*c);
    }

    /// Tells the requester the stream is gone (if it knows it) and forgets it.
    void abort(Conn& c, const std::string& why) {
        if (c.state == State::opening || c.state == State::open) send(Reset{c.id, ResetCode::general_failure, why});
        ++counters.failed;
        erase(c.id);
    }

    /// The stream broke (protocol error, requester gone): reset both sides.
    void reset(Conn& c, ResetCode code, const std::string& why) {
        spdlog::info("stream {:016x} to {} reset: {}", c.id, c.target, why);
        send(Reset{c.id, code, why});
        ++counters.failed;
        if (c.state == State::opening) {
            refuse(c, socks_reply_code(code));
            return;
        }
        erase(c.id); // the application sees the connection closed
    }

    // --- the stream machinery ----------------------------------------------------------------------
    void pump(Conn& c) {
        if (c.state != State::open) return;
        const TimePoint t = now();
        for (auto& frame : c.sender->poll(t)) send(frame);
        if (c.paused && c.sender->writable() >= READ_CHUNK) {
            c.paused = false;
            c.app->resume_reading();
        } else if (!c.paused && c.sender->writable() < READ_CHUNK && !c.app_ended) {
            c.paused = true;
            c.app->pause_reading();
        }
    }

    void deliver(Conn& c) {
        if (c.state != State::open) return;
        const TimePoint t = now();
        while (c.receiver->readable() > 0 && c.app->queued_bytes() < APP_QUEUE_LIMIT) {
            Bytes chunk = c.receiver->read(READ_CHUNK, t);
            counters.bytes_down += chunk.size();
            c.app->write(std::move(chunk));
        }
        if (c.receiver->at_end() && !c.app_shut) {
            c.app_shut = true;
            c.app->shutdown_write();
        }
        if (auto credit = c.receiver->poll_credit(t)) send(*credit);
        finish_if_done(c);
    }

    void finish_if_done(Conn& c) {
        if (c.state != State::open) return;
        if (c.sender->done() && c.receiver->at_end() && c.app->queued_bytes() == 0) {
            ++counters.closed;
            spdlog::debug("stream {:016x} to {} closed", c.id, c.target);
            erase(c.id);
        }
    }

    // --- from the requester -------------------------------------------------------------------------
    void on_message(client::MessageReceived message) {
        if (stopped) return;
        last_heard = now();
        auto frame = decode(message.data);
        if (!frame) {
            ++counters.malformed;
            spdlog::debug("malformed message from the requester: {}", frame.error().message());
            return;
        }
        const TimePoint t = now();
        std::visit(
            [&](auto& f) {
                using T = std::decay_t<decltype(f)>;
                if constexpr (std::is_same_v<T, SurbRequest>) {
                    supply(std::min<std::size_t>(f.wanted, MAX_SURBS_PER_REQUEST));
                } else if constexpr (std::is_same_v<T, Pong> || std::is_same_v<T, Ping> || std::is_same_v<T, Open>) {
                    // PONG only refreshes last_heard; the others are not for this side.
                } else {
                    Conn* c = find(f.stream);
                    if (!c) return; // a stream already gone
                    on_stream_frame(*c, f, t);
                }
            },
            *frame);
    }

    template <class T>
    void on_stream_frame(Conn& c, const T& f, TimePoint t) {
        if constexpr (std::is_same_v<T, Opened>) {
            if (c.state != State::opening) return;
            c.state = State::open;
            c.sender.emplace(c.id, SenderSettings{f.credit, settings.window, 0ms}, t);
            c.app->write(success_reply(c.version));
            ++counters.opened;
            spdlog::debug("stream {:016x}: {} open", c.id, c.target);
            if (!c.early.empty()) {
                counters.bytes_up += c.early.size();
                (void)c.sender->write(c.early); // at most one read chunk: always fits
                c.early.clear();
            }
            if (c.app_ended)
                c.sender->finish();
            else
                c.app->resume_reading();
            pump(c);
        } else if constexpr (std::is_same_v<T, Data> || std::is_same_v<T, Close>) {
            if (c.state != State::open) return;
            auto ok = [&] {
                if constexpr (std::is_same_v<T, Data>)
                    return c.receiver->on_data(f, t);
                else
                    return c.receiver->on_close(f, t);
            }();
            if (!ok) {
                reset(c, ResetCode::protocol_error, ok.error().message());
                return;
            }
            deliver(c);
        } else if constexpr (std::is_same_v<T, Credit>) {
            if (c.state != State::open) return;
            if (auto ok = c.sender->on_credit(f, t); !ok) {
                reset(c, ResetCode::protocol_error, ok.error().message());
                return;
            }
            pump(c);
            finish_if_done(c);
        } else if constexpr (std::is_same_v<T, Reset>) {
            spdlog::info("stream {:016x} to {}: the requester reset it: {}", c.id, c.target, f.reason);
            if (c.state == State::opening) {
                ++(f.code == ResetCode::not_allowed ? counters.refused : counters.failed);
                refuse(c, socks_reply_code(f.code));
            } else if (c.state == State::open) {
                ++counters.failed;
                erase(c.id);
            }
        }
    }

    // --- time ------------------------------------------------------------------------------------------
    void tick() {
        if (stopped) return;
        const TimePoint t = now();
        std::vector<StreamId> ids;
        ids.reserve(conns.size());
        for (auto& [id, c] : conns) ids.push_back(id);
        bool active = false;
        for (StreamId id : ids) {
            Conn* c = find(id);
            if (!c) continue;
            switch (c->state) {
            case State::handshake:
                if (t - c->since > settings.open_timeout) erase(id);
                break;
            case State::opening:
                active = true;
                if (t - c->since > settings.open_timeout) {
                    spdlog::info("stream {:016x} to {}: no answer from the requester in {} ms", id, c->target,
                                 settings.open_timeout.count());
                    reset(*c, ResetCode::timed_out, "no answer from the network requester");
                }
                break;
            case State::open:
                active = true;
                pump(*c);
                if ((c = find(id))) deliver(*c);
                break;
            case State::closing:
                if (t - c->since > 5s) erase(id);
                break;
            }
        }
        if (mixnet->stats().queued_packets >= CONGESTED_QUEUE) last_congested = t;
        if (!active) return;
        if (t - last_heard > settings.requester_timeout && t - last_congested > settings.requester_timeout / 2) {
            spdlog::warn("the network requester has not answered for {} ms: resetting {} streams",
                         std::chrono::duration_cast<std::chrono::milliseconds>(t - last_heard).count(), conns.size());
            for (StreamId id : ids)
                if (Conn* c = find(id)) {
                    if (c->state == State::opening || c->state == State::open) {
                        ++counters.failed;
                        if (c->state == State::opening)
                            refuse(*c, REPLY_GENERAL_FAILURE);
                        else
                            erase(id);
                    }
                }
            last_heard = t;
            return;
        }
        // Ping while the requester is silent, at least four times within the timeout, so that a
        // PONG has time to come back before the silence counts (a stream whose application does
        // not read carries no data either way).
        const auto interval = std::min(settings.ping_interval, settings.requester_timeout / 4);
        if (t - last_ping >= interval && t - last_heard >= interval) {
            last_ping = t;
            send(Ping{crypto::system_rng().next_u64()}, PING_SURBS);
        }
    }

    void log_stats(bool final) {
        counters.active = conns.size();
        const auto& k = counters;
        spdlog::log(final ? spdlog::level::info : spdlog::level::debug,
                    "socks5 streams: accepted {} opened {} refused {} failed {} closed {} active {}; bytes up {} down "
                    "{}; reply SURBs sent {}; malformed {}",
                    k.accepted, k.opened, k.refused, k.failed, k.closed, k.active, k.bytes_up, k.bytes_down,
                    k.surbs_sent, k.malformed);
    }

    void stop() {
        if (stopped) return;
        stopped = true;
        if (acceptor) acceptor->close();
        conns.clear();
    }
};

Daemon::Daemon(runtime::Loop& loop, ProxySettings settings)
    : m_impl(std::make_unique<Impl>(*this, loop, std::move(settings))) {}

Daemon::~Daemon() {
    if (m_impl) m_impl->stop();
}

Expected<void, std::string> Daemon::start(ReadyCallback on_ready) {
    Impl& d = *m_impl;
    auto provider = client::parse_address(d.settings.provider);
    if (!provider || !provider->gateway)
        return Unexpected<std::string>("invalid --provider '" + d.settings.provider +
                                       "': expected the network requester's address <identity>@<gateway>");
    d.provider = *provider;
    d.on_ready = std::move(on_ready);
    d.settings.client.config.socket_type = client::SocketType::none;
    d.mixnet = std::make_unique<client::Daemon>(d.loop, d.settings.client);
    d.mixnet->set_message_handler([&d](client::MessageReceived m) { d.on_message(std::move(m)); });
    d.acceptor = std::make_unique<runtime::TcpAcceptor>(d.loop);
    auto bound = d.acceptor->listen(d.settings.host, d.settings.port,
                                    [&d](std::unique_ptr<runtime::TcpStream> s) { d.accept(std::move(s)); });
    if (!bound)
        return Unexpected("cannot listen on " + d.settings.host + ":" + std::to_string(d.settings.port) + ": " +
                          bound.error().message());
    d.port = *bound;
    auto started = d.mixnet->start([this, &d](const client::Daemon&) {
        if (d.on_ready) d.on_ready(*this);
    });
    if (!started) return started;
    d.loop.every(TICK, [&d] { d.tick(); });
    d.loop.every(STATS_INTERVAL, [&d] { d.log_stats(false); });
    d.loop.on_shutdown(runtime::ShutdownStage::stop_accepting, [&d] {
        if (d.acceptor) d.acceptor->close();
    });
    d.loop.on_shutdown(runtime::ShutdownStage::drain, [&d] { d.stop(); });
    d.loop.on_shutdown(runtime::ShutdownStage::finish, [&d] { d.log_stats(true); });
    return {};
}

const std::optional<std::string>& Daemon::failure() const noexcept {
    return m_impl->mixnet->failure();
}
std::uint16_t Daemon::port() const noexcept {
    return m_impl->port;
}
const std::string& Daemon::address() const noexcept {
    return m_impl->mixnet->address();
}
ProxyCounters Daemon::counters() const {
    ProxyCounters c = m_impl->counters;
    c.active = m_impl->conns.size();
    return c;
}

std::string Daemon::ready_line() const {
    return "nym-socks5-client listening on socks5://" + m_impl->settings.host + ":" + std::to_string(port()) +
           ", address " + address() + ", provider " + m_impl->settings.provider;
}

} // namespace nym::socks5
