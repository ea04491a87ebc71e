#pragma once
// The watcher's chain follower, sans-IO: what to ask the Ethereum node next, and what the answers
// mean. It walks the chain from the first block not yet processed, one range of blocks at a time,
// taking a block only once it has `confirmations` confirmations (head - number + 1 >= confirmations),
// and turns the token's Transfer logs to the pipe account into claims (docs/protocol/ethereum.md).
//
//   start()/resume() -> FetchHead
//   on_head          -> Wait (nothing confirmed beyond the progress) | FetchBlock(range end)
//   on_block         -> FetchLogs (the range end exists) | FetchBlock (next block to check) | Deliver
//   on_logs          -> FetchBlock (check the hash of each block holding a claim) | Deliver
//   on_delivered     -> FetchHead (the range is done: progress = its end)
//   any failure      -> Wait (back-off), then resume() starts again from FetchHead
//
// Nothing is trusted that the node could get wrong without being caught: the range end must exist
// (a node announcing a head it does not have is caught), every log must lie in the range, and the
// hash of every block holding a claim must be the one the node gives for that number now (a stale
// log from a fork the node left is caught). On any inconsistency the range is fetched again later;
// the progress never moves past a range whose claims were not delivered.

#include <chrono>
#include <cstdint>
#include <ethereum/jsonrpc.hpp>
#include <ethereum/u256.hpp>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace nym::watcher {

using ethereum::Address;
using ethereum::Hash;

struct FollowerConfig {
    Address token;
    Address pipe_account;
    std::uint64_t confirmations = 1;                 ///< at least 1 (the block holding the log)
    std::uint64_t start_block = 0;                   ///< first block to look at when there is no progress yet
    std::uint64_t max_range = 1000;                  ///< blocks per eth_getLogs
    ethereum::U256 unit = ethereum::U256::pow10(18); ///< ERC20 base units per ledger unit
    std::chrono::milliseconds poll_interval{1000};
    std::chrono::milliseconds backoff_initial{500};
    std::chrono::milliseconds backoff_max{30000};
};

/// A confirmed ERC20 transfer to the pipe account: what one watcher notice reports.
struct Claim {
    Hash eth_tx_hash{};
    std::uint32_t log_index = 0;
    Address recipient;        ///< the token's sender: its Ethereum key is its ledger key
    std::uint64_t amount = 0; ///< in ledger units
    std::uint64_t block = 0;
    friend bool operator==(const Claim&, const Claim&) = default;
};

/// Doubling delays between `initial` and `max`; reset on success.
class Backoff {
public:
    Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max) : m_initial(initial), m_max(max) {}
    std::chrono::milliseconds next();
    void reset() noexcept { m_failures = 0; }
    [[nodiscard]] std::uint32_t failures() const noexcept { return m_failures; }

private:
    std::chrono::milliseconds m_initial;
    std::chrono::milliseconds m_max;
    std::uint32_t m_failures = 0;
};

namespace follow {
struct FetchHead {};
struct FetchBlock {
    std::uint64_t number = 0;
};
struct FetchLogs {
    ethereum::LogFilter filter;
};
/// Send these notices; once every one is settled, record `through` as processed and call on_delivered().
struct Deliver {
    std::vector<Claim> claims;
    std::uint64_t through = 0;
};
/// Call resume() after `delay`. `problem` is empty when simply caught up.
struct Wait {
    std::chrono::milliseconds delay{0};
    std::string problem;
};
using Action = std::variant<FetchHead, FetchBlock, FetchLogs, Deliver, Wait>;
} // namespace follow

/// Why logs in a range were not claims (counted for the operator and for tests).
struct IgnoredLogs {
    std::uint64_t other_contract = 0;
    std::uint64_t other_recipient = 0; ///< a Transfer of the token to another address
    std::uint64_t not_a_transfer = 0;  ///< another event, or a Transfer of another shape
    std::uint64_t below_unit = 0;      ///< less than one ledger unit
    std::uint64_t too_large = 0;       ///< more than 2^64 - 1 ledger units
};

class Follower {
public:
    /// `last_done`: the last block already processed (from the progress file), if any.
    Follower(FollowerConfig config, std::optional<std::uint64_t> last_done);

    follow::Action start();
    follow::Action resume() { return start(); }
    follow::Action on_head(const ethereum::RpcResult<std::uint64_t>& head);
    follow::Action on_block(const ethereum::RpcResult<std::optional<ethereum::BlockHeader>>& block);
    follow::Action on_logs(const ethereum::RpcResult<std::vector<ethereum::Log>>& logs);
    follow::Action on_delivered();

    /// The first block not yet processed.
    [[nodiscard]] std::uint64_t next_block() const noexcept { return m_next; }
    [[nodiscard]] std::optional<std::uint64_t> last_done() const noexcept;
    [[nodiscard]] const IgnoredLogs& ignored() const noexcept { return m_ignored; }
    [[nodiscard]] std::uint64_t claims_found() const noexcept { return m_claims_found; }
    [[nodiscard]] std::uint64_t highest_head() const noexcept { return m_highest_head; }

private:
    enum class Phase { idle, head, range_end, logs, verify, deliver };
    follow::Action fail(std::string problem);
    follow::Action verify_next();

    FollowerConfig m_config;
    Backoff m_backoff;
    Phase m_phase = Phase::idle;
    std::uint64_t m_next = 0;      ///< first block not yet processed
    std::uint64_t m_range_end = 0; ///< the range being processed: [m_next, m_range_end]
    Hash m_range_end_hash{};
    std::vector<Claim> m_claims;
    std::vector<std::pair<std::uint64_t, Hash>> m_to_verify; ///< (block, hash the logs name)
    std::size_t m_verified = 0;
    IgnoredLogs m_ignored;
    std::uint64_t m_claims_found = 0;
    std::uint64_t m_highest_head = 0;
};

} // namespace nym::watcher
