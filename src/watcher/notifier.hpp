#pragma once
// The watcher's notice sender, sans-IO: turns claims into signed WatcherNotice transactions for the
// ledger and settles each one (docs/protocol/ethereum.md, "Delivering notices").
//
//   start(claims)   -> QueryAccount (the committed nonce)           | Settled (nothing to send)
//   on_account      -> Broadcast(notice signed with the next nonce)  | Sleep (commit pending) | Settled
//   on_broadcast    -> Broadcast(next notice)                        | Sleep | QueryAccount
//   after Sleep     -> QueryAccount
//
// A notice is settled when the ledger has either committed it (the account nonce moved past it:
// counted, or refused in the block — either way final) or answered CheckTx with already_voted /
// already_credited (idempotence: a restart or a second report changes nothing), or refused it for
// good (not_a_watcher, invalid_pipe_account, a malformed notice: logged, never retried). A notice
// admitted to the mempool that is not committed within `commit_timeout` (a validator restarted and
// lost its mempool) is signed again from the committed nonce and broadcast again; identical bytes
// already in a mempool are answered "tx already exists in cache" and count as admitted.

#include <crypto/secp256k1.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>
#include <watcher/follower.hpp>

namespace nym::watcher {

struct NotifierConfig {
    std::string chain_id;
    Address pipe_account;
    std::chrono::milliseconds commit_poll{250};
    std::chrono::milliseconds commit_timeout{20000};
    std::chrono::milliseconds backoff_initial{500};
    std::chrono::milliseconds backoff_max{30000};
};

/// What the ledger answered to a broadcast (or why there is no answer).
struct BroadcastOutcome {
    enum class Kind { answered, unreachable, rpc_error } kind = Kind::answered;
    std::uint32_t code = 0; ///< CheckTx's code when answered
    std::string message;    ///< the log, or the error
};

namespace notify {
struct QueryAccount {};
struct Broadcast {
    std::vector<std::uint8_t> tx;
    std::size_t claim = 0; ///< index into the claims given to start()
    std::uint64_t nonce = 0;
};
struct Sleep {
    std::chrono::milliseconds delay{0};
    std::string problem; ///< empty while simply waiting for a commit
};
struct Settled {};
using Action = std::variant<QueryAccount, Broadcast, Sleep, Settled>;
} // namespace notify

/// How a claim was settled.
enum class Verdict { pending, committed, already_voted, already_credited, refused };

class Notifier {
public:
    Notifier(NotifierConfig config, crypto::Secp256k1SecretKey key);

    notify::Action start(std::vector<Claim> claims, std::chrono::steady_clock::time_point now);
    /// The committed account nonce (abci_query /account), or why it could not be read.
    notify::Action on_account(const std::optional<std::uint64_t>& nonce, std::string problem,
                              std::chrono::steady_clock::time_point now);
    notify::Action on_broadcast(const BroadcastOutcome& outcome, std::chrono::steady_clock::time_point now);
    /// After a Sleep.
    notify::Action wake() { return notify::QueryAccount{}; }

    [[nodiscard]] const Address& address() const noexcept { return m_address; }
    [[nodiscard]] const std::vector<Claim>& claims() const noexcept { return m_claims; }
    [[nodiscard]] const std::vector<Verdict>& verdicts() const noexcept { return m_verdicts; }
    /// Refusals for good since the start of the process (not_a_watcher and the like).
    [[nodiscard]] std::uint64_t refused() const noexcept { return m_refused_total; }

    /// The signed notice for one claim at one nonce (what Broadcast carries).
    [[nodiscard]] std::vector<std::uint8_t> sign(const Claim& claim, std::uint64_t nonce) const;

private:
    enum class Phase { idle, account, sending, committing };
    notify::Action send_next(std::chrono::steady_clock::time_point now);
    notify::Action problem(std::string text);

    NotifierConfig m_config;
    crypto::Secp256k1SecretKey m_key;
    Address m_address;
    Backoff m_backoff;
    Phase m_phase = Phase::idle;
    std::vector<Claim> m_claims;
    std::vector<Verdict> m_verdicts;
    std::size_t m_cursor = 0;          ///< next claim to broadcast
    std::uint64_t m_nonce = 0;         ///< nonce for the next broadcast
    std::uint64_t m_commit_target = 0; ///< the nonce that proves every admitted notice committed
    std::chrono::steady_clock::time_point m_commit_deadline{};
    std::uint64_t m_refused_total = 0;
};

} // namespace nym::watcher
