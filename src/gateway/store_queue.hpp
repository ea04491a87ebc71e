#pragma once
// The work waiting for the gateway's store: Sphinx packets from the mix port (bounded) and
// acknowledged message ids to delete. One batch at a time is "in hand" (being unwrapped and
// committed on the store serial); what arrives meanwhile waits and goes into the next batch, so
// under load each commit (one fsync) carries up to max_batch messages.
//
// Single owner: the daemon's I/O thread. No clock, no thread.

#include <gateway/client_session.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace nym::gateway {

inline constexpr std::size_t DEFAULT_INGRESS_LIMIT = 4096; ///< packets waiting for the store
inline constexpr std::size_t DEFAULT_MAX_BATCH = 100;      ///< packets per group commit

class StoreQueue {
public:
    struct Work {
        std::vector<std::vector<std::uint8_t>> packets; ///< at most max_batch
        std::vector<DeleteMessages> deletes;
    };

    explicit StoreQueue(std::size_t packet_limit = DEFAULT_INGRESS_LIMIT, std::size_t max_batch = DEFAULT_MAX_BATCH);

    /// False when `packet_limit` packets are already waiting, or after close() (the caller counts the drop).
    [[nodiscard]] bool push_packet(std::vector<std::uint8_t> packet);
    void push_delete(DeleteMessages deletes);
    /// The next batch — up to max_batch packets and every pending deletion — when none is in hand
    /// and something waits; it is then in hand until finish_batch(). std::nullopt otherwise.
    [[nodiscard]] std::optional<Work> start_batch();
    /// The batch in hand is done (committed or failed).
    void finish_batch() noexcept { m_in_hand = false; }
    /// No further batches start and nothing more is accepted; the batch in hand may still finish.
    void close() noexcept { m_closed = true; }

    [[nodiscard]] bool in_hand() const noexcept { return m_in_hand; }
    [[nodiscard]] bool closed() const noexcept { return m_closed; }
    [[nodiscard]] std::size_t pending_packets() const noexcept { return m_packets.size(); }

private:
    std::size_t m_packet_limit;
    std::size_t m_max_batch;
    std::deque<std::vector<std::uint8_t>> m_packets;
    std::vector<DeleteMessages> m_deletes;
    bool m_in_hand = false;
    bool m_closed = false;
};

} // namespace nym::gateway
