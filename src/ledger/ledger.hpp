#pragma once
// The Nym ledger: a deterministic state machine driven by ABCI 2.0's block lifecycle, sans-IO (no
// sockets, no clock, no storage engine: state goes through a Store). docs/protocol/ledger.md is
// its specification; docs/architecture.md shows where it sits.
//
// Lifecycle (one call per ABCI request of the same name):
//   init_chain      genesis app_state -> state written to the pending block, app hash returned
//   check_tx        the mempool's admission check against the check state (see below)
//   finalize_block  executes a block's transactions on the pending state -> results, events, app hash
//   commit          writes the pending state and the commit point to the store in one atomic batch
//   info / query    read the last committed state
//
// Concurrency. CometBFT calls the app on four connections; this class may be called from any
// number of threads:
//   - init_chain, finalize_block and commit (the consensus connection) serialise on one mutex and
//     are the only writers of the pending state and the app hash;
//   - check_tx runs against the check state, a separate overlay over the committed store holding the
//     effects of the transactions admitted since the last commit (so a sender's next nonces and a
//     zeta deposited in the mempool are seen), under its own mutex. Decoding and signature recovery
//     happen before that mutex is taken, so they overlap with consensus work. commit() takes the
//     check mutex while it writes the batch and then clears the check state; CometBFT re-checks the
//     remaining mempool transactions after every commit, which rebuilds it on the new state;
//   - info and query read the store and the last commit point; they never wait for a block.
// A signature recovered in check_tx is remembered by transaction hash (SHA-256 of the bytes), so
// finalize_block does not recover it again; the result does not depend on that cache.

#include <ledger/errors.hpp>
#include <ledger/params.hpp>
#include <ledger/state.hpp>
#include <ledger/state_hash.hpp>
#include <ledger/store.hpp>
#include <ledger/tx.hpp>
#include <ledger/types.hpp>
#include <util/expected.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nym::ledger {

namespace detail {
class Committed;
class View;
class SignatureCache;
struct Pending;
} // namespace detail

struct TxResult {
    std::uint32_t code = 0; ///< 0 or an Errc value
    std::string log;        ///< human-readable reason when code != 0 (not part of consensus)
    std::vector<Event> events;
    [[nodiscard]] bool ok() const noexcept { return code == 0; }
};

struct BlockResult {
    std::uint64_t height = 0;
    std::vector<TxResult> tx_results; ///< one per transaction, in block order
    Hash32 app_hash{};
};

struct QueryResult {
    std::uint32_t code = 0;
    std::string log;
    Bytes value; ///< JSON text (docs/protocol/ledger.md, "Queries")
    std::uint64_t height = 0;
};

enum class CheckMode { new_tx, recheck };

struct LedgerOptions {
    /// Verified transaction hashes remembered between check_tx and finalize_block.
    std::size_t signature_cache_entries = 1 << 17;
    /// Committed state entries kept in memory (0: every read goes to the store).
    std::size_t read_cache_entries = 1 << 18;
};

class Ledger {
public:
    /// Opens the ledger over `store` (which must outlive it): loads the parameters, rebuilds the app
    /// hash from the whole state and checks it against the stored commit point (state_corrupt if they
    /// differ). A store with nothing committed gives a ledger that waits for init_chain.
    static Expected<std::unique_ptr<Ledger>> open(Store& store, LedgerOptions options = {});
    ~Ledger();
    Ledger(const Ledger&) = delete;
    Ledger& operator=(const Ledger&) = delete;

    /// Validates app_state (parse_genesis), checks its chain id against `chain_id`, and puts the
    /// genesis state in the pending block (persisted by the first commit); returns the genesis app
    /// hash. Calling it again before the first commit starts over; after one, already_initialized.
    Expected<Hash32> init_chain(std::string_view chain_id, ByteSpan app_state, std::uint64_t initial_height);

    /// Executes `txs` in order at `height` (the next height) on the pending state. Invalid
    /// transactions get a non-zero code and change nothing, or only their signer's nonce (see
    /// Errc); the block itself fails only on misuse (wrong height, no init_chain, a pending block).
    Expected<BlockResult> finalize_block(std::uint64_t height, std::span<const ByteSpan> txs);

    /// Writes the pending block to the store (one atomic batch with its commit point) and resets the
    /// check state. Errc::nothing_to_commit without a finalized block.
    Expected<CommitPoint> commit();

    /// The mempool's admission check: stateless checks, signature, then the transaction's rules
    /// against the check state, whose effects it keeps on success.
    TxResult check_tx(ByteSpan tx, CheckMode mode = CheckMode::new_tx);

    /// The last committed height and app hash (height 0 and an empty hash before the first commit).
    [[nodiscard]] CommitPoint info() const;

    /// Queries of docs/protocol/ledger.md on the last committed state; `height` 0 means the last.
    [[nodiscard]] QueryResult query(std::string_view path, ByteSpan data, std::uint64_t height = 0) const;

    /// The chain's parameters (null before init_chain).
    [[nodiscard]] std::shared_ptr<const Params> params() const;

    /// The SHA-256 of transaction bytes (CometBFT's transaction hash).
    [[nodiscard]] static Hash32 tx_hash(ByteSpan tx);

private:
    Ledger(Store& store, LedgerOptions options);
    Expected<void> load();
    Expected<void> authenticate(const SignedTx& tx, ByteSpan raw, const Params& params);
    [[nodiscard]] Expected<void> usable() const;

    Store& m_store;
    LedgerOptions m_options;
    std::unique_ptr<detail::SignatureCache> m_sig_cache;
    std::unique_ptr<detail::Committed> m_state;

    std::mutex m_consensus_mutex; // init_chain, finalize_block, commit
    std::unique_ptr<detail::Pending> m_pending;
    StateHash m_state_hash;
    std::uint64_t m_initial_height = 1;

    std::mutex m_check_mutex;
    std::unique_ptr<detail::View> m_check;

    mutable std::mutex m_info_mutex;
    CommitPoint m_committed;
    std::shared_ptr<const Params> m_params;

    std::atomic<bool> m_failed{false};
};

} // namespace nym::ledger
