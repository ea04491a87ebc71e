#pragma once
// One stream's two halves, sans-IO (docs/protocol/socks5.md "Streams"): the sender cuts what the
// application writes into DATA messages within the peer's credit, ends with CLOSE, and sends again
// what the peer has not acknowledged after a timeout; the receiver puts DATA and CLOSE back in order,
// drops duplicates (exactly once), bounds what it buffers by its window, and says with CREDIT what
// arrived and what the application has consumed. Time comes in as a value.
//
// Back-pressure: the sender holds at most `buffer_limit` bytes the peer has no credit for (the
// daemon stops reading its socket while writable() is 0); the receiver holds at most `window` bytes
// (the peer may not send more until CREDIT says they were consumed).

#include <util/expected.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <socks5/frames.hpp>
#include <span>
#include <vector>

namespace nym::socks5 {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

inline constexpr std::uint32_t DEFAULT_WINDOW = 128 * 1024;
inline constexpr std::chrono::milliseconds MAX_RETRANSMIT_INTERVAL{30000};

struct SenderSettings {
    std::uint32_t peer_window = DEFAULT_WINDOW; ///< the credit the peer announced (OPEN / OPENED)
    std::size_t buffer_limit = DEFAULT_WINDOW;  ///< bytes held beyond the peer's credit
    /// Send unacknowledged messages again after this long without progress (doubling, at most
    /// MAX_RETRANSMIT_INTERVAL); zero: never (the carrier retransmits by itself).
    std::chrono::milliseconds retransmit_after{0};
};

class StreamSender {
public:
    StreamSender(StreamId stream, SenderSettings settings, TimePoint now);

    /// Bytes the application may still write before the sender's buffer is full.
    [[nodiscard]] std::size_t writable() const noexcept;
    /// Queues application bytes (at most writable(); more is refused with Errc::window_exceeded).
    [[nodiscard]] Expected<void> write(std::span<const std::uint8_t> bytes);
    /// The application will write no more: CLOSE follows the queued bytes.
    void finish() noexcept { m_finishing = true; }

    /// New DATA (within credit) and CLOSE, and the oldest unacknowledged message again when the
    /// timeout has passed without progress.
    [[nodiscard]] std::vector<Frame> poll(TimePoint now);
    /// The peer's CREDIT. Errc::sequence_out_of_range when it acknowledges what was never sent.
    [[nodiscard]] Expected<void> on_credit(const Credit& credit, TimePoint now);

    /// When poll() next has something to do (TimePoint::max() when nothing).
    [[nodiscard]] TimePoint next_wakeup() const noexcept;
    /// CLOSE sent and everything acknowledged.
    [[nodiscard]] bool done() const noexcept { return m_close_sent && m_unacked.empty(); }
    [[nodiscard]] bool finishing() const noexcept { return m_finishing; }
    [[nodiscard]] std::size_t buffered() const noexcept { return m_pending.size(); }
    [[nodiscard]] std::size_t unacknowledged() const noexcept { return m_unacked.size(); }
    [[nodiscard]] std::uint64_t retransmitted() const noexcept { return m_retransmitted; }
    [[nodiscard]] std::uint64_t bytes_sent() const noexcept { return m_sent_bytes; }

private:
    [[nodiscard]] bool can_send_data() const noexcept;

    StreamId m_stream;
    SenderSettings m_settings;
    std::deque<std::uint8_t> m_pending;
    std::deque<Frame> m_unacked; ///< DATA and CLOSE, in sequence order
    std::uint64_t m_next_sequence = 1;
    std::uint64_t m_sent_bytes = 0;
    std::uint64_t m_peer_consumed = 0;
    std::uint64_t m_acknowledged = 0;
    bool m_finishing = false;
    bool m_close_sent = false;
    TimePoint m_last_progress;
    std::chrono::milliseconds m_interval;
    std::uint64_t m_retransmitted = 0;
};

struct ReceiverSettings {
    std::uint32_t window = DEFAULT_WINDOW;    ///< bytes buffered here at most (announced in OPEN / OPENED)
    std::chrono::milliseconds ack_delay{100}; ///< acknowledge arrivals at least this often
};

class StreamReceiver {
public:
    StreamReceiver(StreamId stream, ReceiverSettings settings);

    /// A DATA or CLOSE message. Duplicates are dropped (and acknowledged again). Errc::window_exceeded,
    /// Errc::sequence_out_of_range: the peer broke the protocol (reset the stream).
    [[nodiscard]] Expected<void> on_data(const Data& data, TimePoint now);
    [[nodiscard]] Expected<void> on_close(const Close& close, TimePoint now);

    /// In-order bytes ready for the application.
    [[nodiscard]] std::size_t readable() const noexcept { return m_ready.size(); }
    /// Takes up to `max` ready bytes (they count as consumed: the peer gets credit for them).
    [[nodiscard]] Bytes read(std::size_t max, TimePoint now);
    /// The peer's CLOSE has been reached and every byte before it read.
    [[nodiscard]] bool at_end() const noexcept { return m_closed && m_ready.empty(); }

    /// A CREDIT to send now, if one is due.
    [[nodiscard]] std::optional<Credit> poll_credit(TimePoint now);
    [[nodiscard]] TimePoint next_wakeup() const noexcept;
    [[nodiscard]] std::uint64_t duplicates() const noexcept { return m_duplicates; }
    [[nodiscard]] std::uint64_t bytes_received() const noexcept { return m_received_bytes; }

private:
    struct Pending {
        Bytes bytes;
        bool close = false;
    };
    Expected<void> accept(std::uint64_t sequence, Pending frame, TimePoint now);

    StreamId m_stream;
    ReceiverSettings m_settings;
    std::uint64_t m_expected = 1;
    std::map<std::uint64_t, Pending> m_out_of_order;
    std::size_t m_out_of_order_bytes = 0;
    std::deque<std::uint8_t> m_ready;
    std::uint64_t m_received_bytes = 0;
    std::uint64_t m_consumed = 0;
    std::optional<std::uint64_t> m_close_sequence;
    bool m_closed = false;
    std::uint64_t m_advertised_ack = 0;
    std::uint64_t m_advertised_consumed = 0;
    bool m_ack_now = false;
    std::optional<TimePoint> m_ack_due;
    std::uint64_t m_duplicates = 0;
};

} // namespace nym::socks5
