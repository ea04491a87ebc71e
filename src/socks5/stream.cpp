#include <algorithm>
#include <socks5/errors.hpp>
#include <socks5/stream.hpp>

namespace nym::socks5 {

// --- StreamSender -----------------------------------------------------------------------------------

StreamSender::StreamSender(StreamId stream, SenderSettings settings, TimePoint now)
    : m_stream(stream), m_settings(settings), m_last_progress(now), m_interval(settings.retransmit_after) {}

std::size_t StreamSender::writable() const noexcept {
    if (m_finishing) return 0;
    return m_pending.size() >= m_settings.buffer_limit ? 0 : m_settings.buffer_limit - m_pending.size();
}

Expected<void> StreamSender::write(std::span<const std::uint8_t> bytes) {
    if (bytes.size() > writable()) return fail(Errc::window_exceeded);
    m_pending.insert(m_pending.end(), bytes.begin(), bytes.end());
    return {};
}

bool StreamSender::can_send_data() const noexcept {
    return !m_pending.empty() && m_sent_bytes < m_peer_consumed + m_settings.peer_window;
}

std::vector<Frame> StreamSender::poll(TimePoint now) {
    std::vector<Frame> out;
    if (m_settings.retransmit_after.count() > 0 && !m_unacked.empty() && now >= m_last_progress + m_interval) {
        // The oldest only: if more were lost, the next timeout (or the peer's acknowledgement of a
        // duplicate) shows it; resending the whole window on a late acknowledgement wastes it.
        out.push_back(m_unacked.front());
        ++m_retransmitted;
        m_last_progress = now;
        m_interval = std::min(m_interval * 2, MAX_RETRANSMIT_INTERVAL);
    }
    if (m_unacked.empty()) m_last_progress = now; // the timer runs from the oldest unacknowledged message
    while (can_send_data()) {
        const std::uint64_t room = m_peer_consumed + m_settings.peer_window - m_sent_bytes;
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>({MAX_DATA, m_pending.size(), room}));
        Data d{m_stream, m_next_sequence++,
               Bytes(m_pending.begin(), m_pending.begin() + static_cast<std::ptrdiff_t>(n))};
        m_pending.erase(m_pending.begin(), m_pending.begin() + static_cast<std::ptrdiff_t>(n));
        m_sent_bytes += n;
        m_unacked.emplace_back(d);
        out.emplace_back(std::move(d));
    }
    if (m_finishing && !m_close_sent && m_pending.empty()) {
        Close c{m_stream, m_next_sequence++};
        m_close_sent = true;
        m_unacked.emplace_back(c);
        out.emplace_back(c);
    }
    return out;
}

Expected<void> StreamSender::on_credit(const Credit& credit, TimePoint now) {
    if (credit.acknowledged >= m_next_sequence || credit.consumed > m_sent_bytes)
        return fail(Errc::sequence_out_of_range);
    if (credit.acknowledged > m_acknowledged) {
        m_acknowledged = credit.acknowledged;
        while (!m_unacked.empty()) {
            const auto& f = m_unacked.front();
            const std::uint64_t seq =
                std::holds_alternative<Data>(f) ? std::get<Data>(f).sequence : std::get<Close>(f).sequence;
            if (seq > m_acknowledged) break;
            m_unacked.pop_front();
        }
        m_last_progress = now;
        m_interval = m_settings.retransmit_after;
    }
    m_peer_consumed = std::max(m_peer_consumed, credit.consumed);
    return {};
}

TimePoint StreamSender::next_wakeup() const noexcept {
    if (can_send_data() || (m_finishing && !m_close_sent && m_pending.empty())) return TimePoint::min();
    if (m_settings.retransmit_after.count() > 0 && !m_unacked.empty()) return m_last_progress + m_interval;
    return TimePoint::max();
}

// --- StreamReceiver ---------------------------------------------------------------------------------

StreamReceiver::StreamReceiver(StreamId stream, ReceiverSettings settings) : m_stream(stream), m_settings(settings) {}

Expected<void> StreamReceiver::on_data(const Data& data, TimePoint now) {
    return accept(data.sequence, Pending{data.bytes, false}, now);
}

Expected<void> StreamReceiver::on_close(const Close& close, TimePoint now) {
    return accept(close.sequence, Pending{{}, true}, now);
}

Expected<void> StreamReceiver::accept(std::uint64_t sequence, Pending frame, TimePoint now) {
    if (sequence < m_expected || m_out_of_order.contains(sequence)) {
        ++m_duplicates;
        m_ack_now = true; // the peer did not hear our CREDIT: say it again
        return {};
    }
    if (m_close_sequence && (sequence > *m_close_sequence || (frame.close && sequence != *m_close_sequence)))
        return fail(Errc::sequence_out_of_range);
    // At least one byte per DATA: no more messages can be in flight than the window holds bytes.
    if (sequence - m_expected > m_settings.window + 1) return fail(Errc::sequence_out_of_range);
    const std::size_t buffered = m_ready.size() + m_out_of_order_bytes;
    if (buffered + frame.bytes.size() > m_settings.window) return fail(Errc::window_exceeded);
    if (frame.close) {
        if (!m_out_of_order.empty() && m_out_of_order.rbegin()->first > sequence)
            return fail(Errc::sequence_out_of_range);
        m_close_sequence = sequence;
    }
    m_out_of_order_bytes += frame.bytes.size();
    m_out_of_order.emplace(sequence, std::move(frame));
    while (!m_out_of_order.empty() && m_out_of_order.begin()->first == m_expected) {
        const auto first = m_out_of_order.begin();
        const std::size_t size = first->second.bytes.size();
        m_out_of_order_bytes -= size;
        m_ready.insert(m_ready.end(), first->second.bytes.begin(), first->second.bytes.end());
        m_received_bytes += size;
        if (first->second.close) {
            m_closed = true;
            m_ack_now = true;
        }
        m_out_of_order.erase(first);
        ++m_expected;
    }
    if (!m_ack_due) m_ack_due = now + m_settings.ack_delay;
    return {};
}

Bytes StreamReceiver::read(std::size_t max, TimePoint now) {
    const std::size_t n = std::min(max, m_ready.size());
    Bytes out(m_ready.begin(), m_ready.begin() + static_cast<std::ptrdiff_t>(n));
    m_ready.erase(m_ready.begin(), m_ready.begin() + static_cast<std::ptrdiff_t>(n));
    m_consumed += n;
    if (n != 0 && !m_ack_due) m_ack_due = now + m_settings.ack_delay;
    return out;
}

std::optional<Credit> StreamReceiver::poll_credit(TimePoint now) {
    const std::uint64_t acknowledged = m_expected - 1;
    const bool news = acknowledged != m_advertised_ack || m_consumed != m_advertised_consumed;
    const bool big = m_consumed - m_advertised_consumed >= m_settings.window / 4;
    const bool timely = m_ack_due && now >= *m_ack_due;
    if (!(m_ack_now || big || (news && timely))) {
        if (!news) m_ack_due.reset();
        return std::nullopt;
    }
    m_ack_now = false;
    m_ack_due.reset();
    m_advertised_ack = acknowledged;
    m_advertised_consumed = m_consumed;
    return Credit{m_stream, acknowledged, m_consumed};
}

TimePoint StreamReceiver::next_wakeup() const noexcept {
    if (m_ack_now || m_consumed - m_advertised_consumed >= m_settings.window / 4) return TimePoint::min();
    return m_ack_due.value_or(TimePoint::max());
}

} // namespace nym::socks5
