#include <client/daemon.hpp>
#include <runtime/tcp_stream.hpp>

#include <spdlog/spdlog.h>

#include <deque>
#include <map>
#include <requester/daemon.hpp>
#include <socks5/errors.hpp>
#include <socks5/frames.hpp>

namespace nym::requester {
namespace {

using namespace std::chrono_literals;
using namespace nym::socks5;

constexpr auto TICK = 50ms;
constexpr auto STATS_INTERVAL = 30s;
constexpr std::size_t DEST_QUEUE_LIMIT = 64 * 1024;
constexpr std::size_t READ_CHUNK = 16 * 1024;
/// Reply SURBs kept back for asking for more.
constexpr std::size_t SURB_RESERVE = 1;
/// With streams open, more are asked for when fewer than this many beyond what waits (and what was
/// asked for and has not come yet) are left.
constexpr std::size_t SURB_LOW_WATER = 32;
/// SURBs asked for and not come within this long are taken as lost: asked for again.
constexpr auto SURB_REQUEST_TIMEOUT = 2s;
constexpr std::size_t MAX_SURB_REQUEST = 500;
/// A CREDIT costs a reply SURB: besides the quarter-window rule, acknowledge at most this often.
constexpr auto ACK_DELAY = 1500ms;
/// The mixnet client keeps at most 1,000 reply SURBs per sender (dropping the oldest): ask for no more.
constexpr std::size_t MAX_SURBS_HELD = 900;
/// Messages waiting for reply SURBs per client; beyond, new ones are dropped (streams retransmit).
constexpr std::size_t MAX_OUTBOX = 8192;
/// Replies are handed to the mixnet client only while its queue is shorter than this: the rest wait
/// here, in round robin over the streams (so one stream's window does not delay every other's
/// first byte), and reply SURBs are asked for at the rate the queue drains, not for the whole backlog.
constexpr std::size_t MIN_QUEUED = 16;
constexpr double QUEUED_SECONDS = 0.25; ///< the queue's bound: this much time at the measured rate
/// Reply SURBs asked for ahead: this much time's worth at the measured sending rate.
constexpr double SURB_AHEAD_SECONDS = 1.0;
constexpr auto SESSION_LINGER = 10min;

TimePoint now() {
    return Clock::now();
}

ResetCode reset_code(std::error_code ec) {
    if (ec == std::errc::connection_refused) return ResetCode::connection_refused;
    if (ec == std::errc::host_unreachable) return ResetCode::host_unreachable;
    if (ec == std::errc::network_unreachable) return ResetCode::network_unreachable;
    if (ec == std::errc::timed_out) return ResetCode::timed_out;
    return ResetCode::general_failure;
}

} // namespace

struct Daemon::Impl {
    enum class State { connecting, open };
    struct Stream {
        StreamId id = 0;
        client::SenderTag tag{};
        std::string target;
        State state = State::connecting;
        std::unique_ptr<runtime::TcpStream> dest;
        std::uint32_t client_window = 0;
        std::optional<StreamSender> sender;
        std::optional<StreamReceiver> receiver;
        TimePoint last_activity;
        bool paused = false, dest_shut = false;
    };
    /// Messages waiting for a reply SURB (or for room in the mixnet client's queue): session
    /// messages first, then the streams' in turn.
    struct Outbox {
        std::deque<Bytes> control;
        std::map<StreamId, std::deque<Bytes>> streams;
        std::deque<StreamId> turn;
        std::size_t count = 0;

        [[nodiscard]] bool empty() const noexcept { return count == 0; }
        [[nodiscard]] std::size_t size() const noexcept { return count; }
        void push(StreamId stream, Bytes message) {
            ++count;
            if (stream == 0) {
                control.push_back(std::move(message));
                return;
            }
            auto& q = streams[stream];
            if (q.empty()) turn.push_back(stream);
            q.push_back(std::move(message));
        }
        [[nodiscard]] const Bytes& front() const {
            return control.empty() ? streams.at(turn.front()).front() : control.front();
        }
        void pop() {
            --count;
            if (!control.empty()) {
                control.pop_front();
                return;
            }
            const StreamId id = turn.front();
            turn.pop_front();
            auto it = streams.find(id);
            it->second.pop_front();
            if (it->second.empty())
                streams.erase(it);
            else
                turn.push_back(id);
        }
    };
    struct Session {
        Outbox outbox;
        std::size_t requested = 0;      ///< reply SURBs asked for and not come yet
        std::size_t last_available = 0; ///< reply SURBs held after the last flush
        TimePoint last_request;
        std::size_t streams = 0;
        TimePoint last_seen;
    };

    Impl(const Daemon& d, runtime::Loop& l, RequesterSettings s) : owner(d), loop(l), settings(std::move(s)) {}

    const Daemon& owner;
    runtime::Loop& loop;
    RequesterSettings settings;
    ReadyCallback on_ready;
    std::unique_ptr<client::Daemon> mixnet;
    std::map<StreamId, Stream> streams;
    std::map<client::SenderTag, Session> sessions;
    RequesterCounters counters;
    double reply_rate = 0;          ///< replies leaving per second (smoothed over ~1 s)
    std::uint64_t replies_seen = 0; ///< the mixnet client's replies_sent at the last tick
    bool stopped = false;

    // --- to the client, through its reply SURBs --------------------------------------------------------
    void reply(const client::SenderTag& tag, const Frame& frame) {
        Session& s = sessions[tag];
        if (s.outbox.size() >= MAX_OUTBOX) {
            spdlog::warn("dropping a reply: {} messages wait for reply SURBs", s.outbox.size());
            return; // the stream's sender sends it again
        }
        s.outbox.push(stream_of(frame), encode(frame));
        flush(tag, s);
    }

    void flush(const client::SenderTag& tag, Session& s) {
        const TimePoint t = now();
        const std::size_t arrived = mixnet->reply_surbs_available(tag);
        if (arrived > s.last_available) s.requested -= std::min(s.requested, arrived - s.last_available);
        std::size_t queued = mixnet->stats().queued_packets;
        const std::size_t max_queued = std::max(MIN_QUEUED, static_cast<std::size_t>(reply_rate * QUEUED_SECONDS));
        while (!s.outbox.empty() && queued < max_queued && mixnet->reply_surbs_available(tag) > SURB_RESERVE) {
            auto sent = mixnet->reply(tag, s.outbox.front());
            if (!sent) {
                spdlog::debug("reply failed: {}", sent.error().message());
                break;
            }
            s.outbox.pop();
            ++queued;
        }
        s.last_available = mixnet->reply_surbs_available(tag);
        if (s.outbox.empty() && s.streams == 0) return;
        if (s.requested > 0 && t - s.last_request > SURB_REQUEST_TIMEOUT) s.requested = 0; // lost: ask again
        const std::size_t have = s.last_available + s.requested;
        // What will leave within SURB_AHEAD_SECONDS at the measured rate (the queue's worth at least).
        const auto ahead = std::max(4 * MIN_QUEUED, static_cast<std::size_t>(reply_rate * SURB_AHEAD_SECONDS));
        const std::size_t need = std::min(std::min(s.outbox.size(), ahead) + SURB_LOW_WATER, MAX_SURBS_HELD);
        if (have >= need || s.last_available == 0) return;
        const std::size_t wanted = std::min(MAX_SURB_REQUEST, std::min(need + SURB_LOW_WATER, MAX_SURBS_HELD) - have);
        if (mixnet->reply(tag, encode(SurbRequest{static_cast<std::uint16_t>(wanted)}))) {
            ++counters.surb_requests;
            s.requested += wanted;
            s.last_request = t;
            s.last_available = mixnet->reply_surbs_available(tag);
        }
    }

    Stream* find(StreamId id) {
        auto it = streams.find(id);
        return it == streams.end() ? nullptr : &it->second;
    }

    void erase(StreamId id) {
        auto it = streams.find(id);
        if (it == streams.end()) return;
        if (auto s = sessions.find(it->second.tag); s != sessions.end() && s->second.streams > 0) --s->second.streams;
        if (it->second.sender) counters.retransmitted += it->second.sender->retransmitted();
        streams.erase(it);
    }

    void reset(Stream& s, ResetCode code, const std::string& why) {
        spdlog::info("stream {:016x} to {} reset: {}", s.id, s.target, why);
        reply(s.tag, Reset{s.id, code, why});
        erase(s.id);
    }

    // --- from clients -----------------------------------------------------------------------------------
    void on_message(client::MessageReceived message) {
        if (stopped) return;
        auto frame = decode(message.data);
        if (!frame) {
            ++counters.malformed;
            spdlog::debug("malformed message: {}", frame.error().message());
            return;
        }
        const TimePoint t = now();
        if (message.sender_tag) sessions[*message.sender_tag].last_seen = t;
        std::visit(
            [&](auto& f) {
                using T = std::decay_t<decltype(f)>;
                if constexpr (std::is_same_v<T, Open>) {
                    if (message.sender_tag) open(*message.sender_tag, f, t);
                } else if constexpr (std::is_same_v<T, Ping>) {
                    if (message.sender_tag) reply(*message.sender_tag, Pong{f.nonce});
                } else if constexpr (std::is_same_v<T, SurbRequest> || std::is_same_v<T, Pong> ||
                                     std::is_same_v<T, Opened>) {
                    // SURBS from a client only carries reply SURBs (counted in flush).
                } else {
                    Stream* s = find(f.stream);
                    if (!s) return;
                    s->last_activity = t;
                    on_stream_frame(*s, f, t);
                }
            },
            *frame);
        if (message.sender_tag)
            if (auto s = sessions.find(*message.sender_tag); s != sessions.end()) flush(s->first, s->second);
    }

    void open(const client::SenderTag& tag, const Open& o, TimePoint t) {
        if (streams.contains(o.stream)) return; // a duplicate OPEN
        const std::string target = to_string(o.target);
        Session& session = sessions[tag];
        if (streams.size() >= settings.max_streams || session.streams >= settings.max_streams_per_client) {
            ++counters.limited;
            spdlog::info("refused {}: stream limit reached", target);
            reply(tag, Reset{o.stream, ResetCode::limit_reached, "the network requester's stream limit is reached"});
            return;
        }
        if (!settings.allow.allows(o.target)) {
            ++counters.refused;
            spdlog::info("refused {}: not in the allow-list", target);
            reply(tag, Reset{o.stream, ResetCode::not_allowed, target + " is not allowed by this network requester"});
            return;
        }
        Stream& s = streams[o.stream];
        s.id = o.stream;
        s.tag = tag;
        s.target = target;
        s.client_window = o.credit;
        s.last_activity = t;
        ++session.streams;
        const StreamId id = o.stream;
        spdlog::debug("stream {:016x}: connecting to {}", id, target);
        runtime::TcpStream::connect(
            loop, host_text(o.target), o.target.port, settings.connect_timeout,
            [this, id](Expected<std::unique_ptr<runtime::TcpStream>> result) { connected(id, std::move(result)); });
    }

    void connected(StreamId id, Expected<std::unique_ptr<runtime::TcpStream>> result) {
        Stream* s = find(id);
        if (!s || stopped) return; // reset meanwhile: the connection (if any) closes here
        if (!result) {
            ++counters.failed;
            reset(*s, reset_code(result.error()), "cannot connect to " + s->target + ": " + result.error().message());
            return;
        }
        const TimePoint t = now();
        s->dest = std::move(*result);
        s->state = State::open;
        s->sender.emplace(id, SenderSettings{s->client_window, settings.window, settings.retransmit_after}, t);
        s->receiver.emplace(id, ReceiverSettings{settings.window, ACK_DELAY});
        s->last_activity = t;
        ++counters.opened;
        runtime::TcpStreamHandlers h;
        h.on_data = [this, id](std::span<const std::uint8_t> bytes) { on_dest_data(id, bytes); };
        h.on_end = [this, id] {
            if (Stream* st = find(id)) {
                st->sender->finish();
                pump(*st);
            }
        };
        h.on_error = [this, id](std::error_code ec) {
            if (Stream* st = find(id)) {
                ++counters.failed;
                reset(*st, ResetCode::general_failure, "the connection to " + st->target + " broke: " + ec.message());
            }
        };
        h.on_drained = [this, id] {
            if (Stream* st = find(id)) deliver(*st);
        };
        s->dest->start(std::move(h));
        reply(s->tag, Opened{id, settings.window});
    }

    void on_dest_data(StreamId id, std::span<const std::uint8_t> bytes) {
        Stream* s = find(id);
        if (!s) return;
        s->last_activity = now();
        if (!s->sender->write(bytes)) {
            reset(*s, ResetCode::general_failure, "send buffer overflow");
            return;
        }
        counters.bytes_down += bytes.size();
        pump(*s);
    }

    template <class T>
    void on_stream_frame(Stream& s, const T& f, TimePoint t) {
        if constexpr (std::is_same_v<T, Reset>) {
            spdlog::debug("stream {:016x} to {}: the client reset it: {}", s.id, s.target, f.reason);
            erase(s.id);
        } else if (s.state != State::open) {
            return; // nothing else is sent before OPENED
        } else if constexpr (std::is_same_v<T, Data> || std::is_same_v<T, Close>) {
            auto ok = [&] {
                if constexpr (std::is_same_v<T, Data>)
                    return s.receiver->on_data(f, t);
                else
                    return s.receiver->on_close(f, t);
            }();
            if (!ok) {
                reset(s, ResetCode::protocol_error, ok.error().message());
                return;
            }
            deliver(s);
        } else if constexpr (std::is_same_v<T, Credit>) {
            if (auto ok = s.sender->on_credit(f, t); !ok) {
                reset(s, ResetCode::protocol_error, ok.error().message());
                return;
            }
            pump(s);
            finish_if_done(s);
        }
    }

    void pump(Stream& s) {
        if (s.state != State::open) return;
        for (auto& frame : s.sender->poll(now())) reply(s.tag, frame);
        if (s.paused && s.sender->writable() >= READ_CHUNK) {
            s.paused = false;
            s.dest->resume_reading();
        } else if (!s.paused && s.sender->writable() < READ_CHUNK && !s.sender->finishing()) {
            s.paused = true;
            s.dest->pause_reading();
        }
    }

    void deliver(Stream& s) {
        if (s.state != State::open) return;
        const TimePoint t = now();
        while (s.receiver->readable() > 0 && s.dest->queued_bytes() < DEST_QUEUE_LIMIT) {
            Bytes chunk = s.receiver->read(READ_CHUNK, t);
            counters.bytes_up += chunk.size();
            s.dest->write(std::move(chunk));
        }
        if (s.receiver->at_end() && !s.dest_shut) {
            s.dest_shut = true;
            s.dest->shutdown_write();
        }
        if (auto credit = s.receiver->poll_credit(t)) reply(s.tag, *credit);
        finish_if_done(s);
    }

    void finish_if_done(Stream& s) {
        if (s.sender->done() && s.receiver->at_end() && s.dest->queued_bytes() == 0) {
            ++counters.closed;
            spdlog::debug("stream {:016x} to {} closed", s.id, s.target);
            erase(s.id);
        }
    }

    void tick() {
        if (stopped) return;
        const TimePoint t = now();
        const std::uint64_t replies = mixnet->stats().replies_sent;
        const double instant =
            static_cast<double>(replies - replies_seen) / std::chrono::duration<double>(TICK).count();
        replies_seen = replies;
        reply_rate = 0.95 * reply_rate + 0.05 * instant; // ~1 s at 50 ms ticks
        std::vector<StreamId> ids;
        ids.reserve(streams.size());
        for (auto& [id, s] : streams) ids.push_back(id);
        for (StreamId id : ids) {
            Stream* s = find(id);
            if (!s || s->state != State::open) continue;
            if (t - s->last_activity > settings.idle_timeout) {
                ++counters.timed_out;
                reset(*s, ResetCode::timed_out, "idle for " + std::to_string(settings.idle_timeout.count()) + " ms");
                continue;
            }
            pump(*s);
            if ((s = find(id))) deliver(*s);
        }
        for (auto it = sessions.begin(); it != sessions.end();) {
            flush(it->first, it->second);
            if (it->second.streams == 0 && t - it->second.last_seen > SESSION_LINGER)
                it = sessions.erase(it);
            else
                ++it;
        }
    }

    RequesterCounters snapshot() const {
        RequesterCounters c = counters;
        c.active = streams.size();
        c.clients = sessions.size();
        c.waiting_for_surbs = 0;
        for (const auto& [tag, s] : sessions) c.waiting_for_surbs += s.outbox.size();
        return c;
    }

    void log_stats(bool final) const {
        const auto k = snapshot();
        spdlog::log(final ? spdlog::level::info : spdlog::level::debug,
                    "requester streams: opened {} refused {} limited {} failed {} closed {} idle {} active {}; clients "
                    "{}; bytes up {} down {}; SURB requests {}; waiting for SURBs {}; retransmitted {}; malformed {}",
                    k.opened, k.refused, k.limited, k.failed, k.closed, k.timed_out, k.active, k.clients, k.bytes_up,
                    k.bytes_down, k.surb_requests, k.waiting_for_surbs, k.retransmitted, k.malformed);
    }

    void stop() {
        if (stopped) return;
        stopped = true;
        streams.clear();
    }
};

Daemon::Daemon(runtime::Loop& loop, RequesterSettings settings)
    : m_impl(std::make_unique<Impl>(*this, loop, std::move(settings))) {}

Daemon::~Daemon() {
    if (m_impl) m_impl->stop();
}

Expected<void, std::string> Daemon::start(ReadyCallback on_ready) {
    Impl& d = *m_impl;
    d.on_ready = std::move(on_ready);
    d.settings.client.config.socket_type = client::SocketType::none;
    d.mixnet = std::make_unique<client::Daemon>(d.loop, d.settings.client);
    d.mixnet->set_message_handler([&d](client::MessageReceived m) { d.on_message(std::move(m)); });
    auto started = d.mixnet->start([this, &d](const client::Daemon&) {
        if (d.on_ready) d.on_ready(*this);
    });
    if (!started) return started;
    d.loop.every(TICK, [&d] { d.tick(); });
    d.loop.every(STATS_INTERVAL, [&d] { d.log_stats(false); });
    d.loop.on_shutdown(runtime::ShutdownStage::drain, [&d] { d.stop(); });
    d.loop.on_shutdown(runtime::ShutdownStage::finish, [&d] { d.log_stats(true); });
    return {};
}

const std::optional<std::string>& Daemon::failure() const noexcept {
    return m_impl->mixnet->failure();
}
const std::string& Daemon::address() const noexcept {
    return m_impl->mixnet->address();
}
RequesterCounters Daemon::counters() const {
    return m_impl->snapshot();
}

std::string Daemon::ready_line() const {
    return "nym-network-requester running, address " + address() + ", " +
           std::to_string(m_impl->settings.allow.size()) + " allow-list rules";
}

} // namespace nym::requester
