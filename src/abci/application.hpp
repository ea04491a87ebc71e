#pragma once
// The ledger as an ABCI 2.0 application (CometBFT v0.38, package tendermint.abci): one Request in,
// one Response out. Sans-IO; Connection (connection.hpp) adds the framing of one socket.
//
// Thread safety: handle() may be called from the four connections CometBFT opens (consensus,
// mempool, query/info, snapshot) on different threads at once. The Application holds no mutable
// state of its own; the Ledger serialises consensus calls, runs CheckTx against its separate check
// state under its own lock, and answers Info/Query from committed state (ledger/ledger.hpp). The
// Go reference server instead takes one global lock per request; this design lets CheckTx and
// Query proceed while a block executes.

#include <ledger/ledger.hpp>

#include <tendermint/abci/types.pb.h>

#include <array>
#include <atomic>
#include <string>

namespace nym::abci {

namespace pb = ::tendermint::abci;

/// The query path of the application's own counters (not the ledger's state).
inline constexpr std::string_view STATS_QUERY_PATH = "/stats";

struct ApplicationOptions {
    std::string name = "nym-validator"; ///< ResponseInfo.data
    std::string version = "0.1.0";      ///< ResponseInfo.version (the software version)
    std::uint64_t app_version = 1;      ///< ResponseInfo.app_version (the protocol version)
};

/// The application's own cost, by request kind: how many requests, and the CPU time of the calling
/// thread spent answering them (CLOCK_THREAD_CPUTIME_ID; decoding and framing are the Connection's
/// and not counted). Reading that clock is a system call (~1 µs on a VM, as much as a small request
/// costs), so requests of the frequent kinds (CheckTx, Query, Echo/Flush/Info) are timed one in
/// STAT_SAMPLE_EVERY and their total is estimated from the sample; block requests are all timed.
/// Served as JSON by the `/stats` query (docs/protocol/ledger.md, "Queries"); not part of
/// consensus: each validator counts its own.
enum class StatKind : std::size_t {
    check_tx_new,
    check_tx_recheck,
    prepare_proposal,
    process_proposal,
    finalize_block,
    commit,
    query,
    other,
    count_
};

inline constexpr std::uint64_t STAT_SAMPLE_EVERY = 16;

struct StatCounter {
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> timed{0};  ///< requests whose CPU time was measured
    std::atomic<std::uint64_t> cpu_ns{0}; ///< of the timed requests
};

class Application {
public:
    explicit Application(ledger::Ledger& ledger, ApplicationOptions options = {});

    /// Answers any request; never throws. Transaction and query problems are non-zero codes in the
    /// response; a request the ledger cannot serve at all (misuse of the block lifecycle, a storage
    /// failure, an unknown request) is answered with a ResponseException, after which CometBFT
    /// stops, as it does with its own server.
    [[nodiscard]] pb::Response handle(const pb::Request& request);

    /// The transactions of a proposal that fit in `max_tx_bytes`, counted as CometBFT counts them
    /// (each with its protobuf field overhead), in mempool order; stops at the first that does not fit.
    [[nodiscard]] static std::vector<std::string>
    select_proposal(const google::protobuf::RepeatedPtrField<std::string>& txs, std::int64_t max_tx_bytes);

    [[nodiscard]] ledger::Ledger& ledger() noexcept { return m_ledger; }

    /// The counters as JSON: {"check_tx_new": {"requests", "cpu_us"}, ..., "finalized_txs"}.
    [[nodiscard]] std::string stats_json() const;

private:
    pb::Response dispatch(const pb::Request& request);
    pb::Response finalize_block(const pb::RequestFinalizeBlock& req);
    ledger::Ledger& m_ledger;
    ApplicationOptions m_options;
    std::array<StatCounter, static_cast<std::size_t>(StatKind::count_)> m_stats;
    std::atomic<std::uint64_t> m_finalized_txs{0};
};

} // namespace nym::abci
