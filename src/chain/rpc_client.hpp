#pragma once
// Talking to the ledger through CometBFT's RPC on a runtime::Loop: the one client that issuers,
// verifiers, providers and nymclient share. Every callback runs on the loop's I/O thread, never
// inside the call, and never after the client is destroyed.
//
//   RpcClient  status, block_results, abci_query (typed: account, zeta, params), broadcast_tx_sync,
//              tx lookup, and waiting for a transaction to be committed. Several nodes may be
//              given: a node that does not answer is skipped for a while and the next one asked
//              (so a validator going down does not stop its clients).
//   TxSender   signs transactions with one account's key and broadcasts them one at a time,
//              keeping the account's nonce (read from the ledger, re-read after wrong_nonce).

#include <crypto/secp256k1.hpp>
#include <ledger/tx.hpp>
#include <runtime/http.hpp>
#include <runtime/loop.hpp>
#include <util/expected.hpp>

#include <chain/queries.hpp>
#include <chain/rpc.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace nym::chain {

struct RpcOptions {
    std::chrono::milliseconds timeout{5000};      ///< one HTTP exchange
    std::chrono::milliseconds node_penalty{2000}; ///< a node that failed is asked last for this long
};

/// Parses "http://host:port" node URLs; the first bad one is named in the error.
[[nodiscard]] Expected<std::vector<runtime::Url>, std::string> parse_node_urls(const std::vector<std::string>& urls);

class RpcClient {
public:
    template <class T>
    using Callback = std::function<void(Parsed<T>)>;
    template <class T>
    using Done = std::function<void(Expected<T>)>;

    RpcClient(runtime::Loop& loop, std::vector<runtime::Url> nodes, RpcOptions options = {});
    ~RpcClient();
    RpcClient(const RpcClient&) = delete;
    RpcClient& operator=(const RpcClient&) = delete;

    void status(Callback<Status> done);
    /// Errc::not_yet while the node has not committed `height`.
    void block_results(std::uint64_t height, Callback<BlockResults> done);
    void abci_query(std::string_view path, Bytes data, Callback<QueryAnswer> done);
    void broadcast_tx_sync(Bytes tx, Callback<BroadcastAnswer> done);
    /// Errc::not_found while the node does not know the transaction.
    void tx(const Hash32& hash, Callback<TxLookup> done);

    void account(const ledger::Address& address, Done<AccountState> done);
    void zeta(const ledger::G1Bytes& zeta, Done<ZetaState> done);
    void params(Done<ledger::Params> done);

    /// Asks for the transaction every `poll` until it is committed (its result, whatever its code)
    /// or `timeout` passes (Errc::timeout).
    void wait_for_tx(const Hash32& hash, std::chrono::milliseconds timeout, std::chrono::milliseconds poll,
                     Done<TxLookup> done);

    [[nodiscard]] runtime::Loop& loop() noexcept;

private:
    struct Impl;
    std::shared_ptr<Impl> m_impl;
};

/// A signed transaction admitted to the mempool.
struct Submitted {
    Hash32 hash{};
    std::uint64_t nonce = 0;
    Bytes tx;
};

/// Why a submission failed: the error (Errc::tx_rejected with CheckTx's code in `code`, or a
/// network error) and the node's words.
struct SubmitFailure {
    std::error_code error;
    std::uint32_t code = 0; ///< the ledger's code (ledger::Errc value) for tx_rejected
    std::string log;
};

class TxSender {
public:
    using Done = std::function<void(Expected<Submitted, SubmitFailure>)>;

    /// `client` must outlive the sender.
    TxSender(RpcClient& client, crypto::Secp256k1SecretKey key, std::string chain_id);
    ~TxSender();
    TxSender(const TxSender&) = delete;
    TxSender& operator=(const TxSender&) = delete;

    /// Queues `body` for signing with the next nonce and broadcasting (one at a time, in order).
    void submit(ledger::TxBody body, Done done);
    [[nodiscard]] const ledger::Address& address() const noexcept;

private:
    struct Impl;
    std::shared_ptr<Impl> m_impl;
};

} // namespace nym::chain
