// ClientCore: the two Loopix Poisson streams, poll() and next_wakeup().
#include <client/core_impl.hpp>

namespace nym::client {

Nanos ClientCore::Impl::poisson_gap(std::chrono::microseconds mean) {
    const auto m = sphinx::Delay::from_duration(at_least(mean, MIN_STREAM_MEAN));
    return sphinx::sample_exponential_delay(rng, m).to_duration();
}

bool ClientCore::Impl::emit_real(TimePoint now, std::vector<OutgoingPacket>& out) {
    while (!retransmit_queue.empty() && window_open()) {
        const std::uint64_t id = retransmit_queue.front();
        retransmit_queue.pop_front();
        if (auto p = emit_fragment(id, PacketKind::retransmission, now)) {
            ++(p->kind == PacketKind::real ? stats.real_sent : stats.retransmissions);
            out.push_back(std::move(*p));
            return true;
        }
    }
    while (!real_queue.empty()) {
        if (auto* ready = std::get_if<OutgoingPacket>(&real_queue.front())) {
            ++stats.replies_sent;
            out.push_back(std::move(*ready));
            real_queue.pop_front();
            return true;
        }
        if (!window_open()) return false;
        const std::uint64_t ack_id = std::get<std::uint64_t>(real_queue.front());
        real_queue.pop_front();
        if (auto p = emit_fragment(ack_id, PacketKind::real, now)) {
            ++stats.real_sent;
            out.push_back(std::move(*p));
            return true;
        }
    }
    return false;
}

void ClientCore::Impl::catch_up(TimePoint& next, std::chrono::microseconds mean, TimePoint now) const {
    const auto tolerance = std::max<Nanos>(at_least(mean, MIN_STREAM_MEAN) * LATE_TICKS, MIN_LATE_TOLERANCE);
    if (now - next > tolerance) next = now;
}

std::vector<OutgoingPacket> ClientCore::Impl::poll(TimePoint now) {
    observe(now);
    std::vector<OutgoingPacket> out;
    process_timers(now);
    if (config.disable_main_poisson) {
        while (out.size() < MAX_PACKETS_PER_POLL && emit_real(now, out)) {
        }
    } else {
        catch_up(next_main, config.message_sending_average_delay, now);
        while (next_main <= now && out.size() < MAX_PACKETS_PER_POLL) {
            if (!emit_real(now, out)) {
                if (auto cover = make_loop_cover(PacketKind::cover, now)) {
                    ++stats.cover_sent;
                    out.push_back(std::move(*cover));
                }
            }
            next_main += poisson_gap(config.message_sending_average_delay);
        }
    }
    if (!config.disable_loop_cover) {
        catch_up(next_loop, config.loop_cover_average_delay, now);
        std::size_t loops = 0;
        while (next_loop <= now && loops < MAX_PACKETS_PER_POLL) {
            if (auto cover = make_loop_cover(PacketKind::loop_cover, now)) {
                ++stats.loop_cover_sent;
                out.push_back(std::move(*cover));
            }
            ++loops;
            next_loop += poisson_gap(config.loop_cover_average_delay);
        }
    }
    collect_garbage(now);
    return out;
}

TimePoint ClientCore::Impl::next_wakeup() const {
    TimePoint t = TimePoint::max();
    if (config.disable_main_poisson) {
        const bool fragment_ready = window_open() && (!retransmit_queue.empty() || !real_queue.empty());
        const bool reply_ready = !real_queue.empty() && std::holds_alternative<OutgoingPacket>(real_queue.front());
        if (fragment_ready || reply_ready) t = now_seen;
    } else {
        t = next_main;
    }
    if (!config.disable_loop_cover) t = std::min(t, next_loop);
    if (!timers.empty()) t = std::min(t, timers.top().deadline);
    if (reassembler.partial_messages() != 0) t = std::min(t, next_gc);
    return t;
}

TimePoint ClientCore::next_wakeup() const { return m_impl->next_wakeup(); }

std::vector<OutgoingPacket> ClientCore::poll(TimePoint now) { return m_impl->poll(now); }

std::vector<Event> ClientCore::on_delivered(std::span<const std::uint8_t> message, TimePoint now) {
    Impl& s = *m_impl;
    s.observe(now);
    if (message.size() == format::ACK_PAYLOAD_SIZE) {
        if (auto ack_id = format::open_ack(s.derived, message)) {
            s.on_ack(*ack_id, now);
        } else {
            ++s.stats.undecryptable;
        }
    } else {
        s.on_block(message, now);
    }
    s.collect_garbage(now);
    return drain_events();
}

} // namespace nym::client
