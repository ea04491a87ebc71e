#pragma once
// The typed client of a CometBFT validator's RPC (v0.38, the URI form of its JSON-RPC: GET
// /status, /abci_query, /broadcast_tx_sync) that the ledger's services share: the Ethereum watchers
// broadcast their notices and read their account nonce, clients wait for a credit. Asynchronous, on
// the process's runtime::Loop; callbacks run on its I/O thread. Given several validators, a call
// that cannot reach one moves the client on to the next for the following calls.
//
// The requests and answers are plain functions (no I/O) below the client, tested on their own.

#include <runtime/http.hpp>
#include <runtime/loop.hpp>
#include <util/expected.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nym::node {

struct CometError {
    enum class Kind {
        unreachable, ///< no connection, or no answer in time
        http,        ///< an HTTP status other than 200
        rpc,         ///< a JSON-RPC error object (e.g. "tx already exists in cache")
        malformed,   ///< an answer that is not what CometBFT sends
    } kind = Kind::unreachable;
    std::string message;
};

template <class T>
using CometResult = Expected<T, CometError>;

/// CheckTx's verdict on a broadcast transaction.
struct BroadcastResult {
    std::uint32_t code = 0; ///< 0: admitted to the mempool
    std::string codespace;
    std::string log;
    std::string hash; ///< the transaction's hash, upper-case hex as CometBFT prints it
};

struct AbciQueryResult {
    std::uint32_t code = 0;
    std::string codespace;
    std::string log;
    std::string value; ///< the raw bytes of the answer (base64-decoded)
    std::uint64_t height = 0;
};

struct CometStatus {
    std::string network; ///< the chain id
    std::uint64_t latest_block_height = 0;
    bool catching_up = false;
};

// --- requests and answers, without I/O ------------------------------------------------------------

/// "/broadcast_tx_sync?tx=0x<hex>"
[[nodiscard]] std::string broadcast_tx_sync_target(std::span<const std::uint8_t> tx);
/// "/abci_query?path=%22<path>%22&data=0x<hex>"
[[nodiscard]] std::string abci_query_target(std::string_view path, std::span<const std::uint8_t> data);
[[nodiscard]] CometResult<BroadcastResult> parse_broadcast_response(std::string_view body);
[[nodiscard]] CometResult<AbciQueryResult> parse_abci_query_response(std::string_view body);
[[nodiscard]] CometResult<CometStatus> parse_status_response(std::string_view body);

// --- the client -------------------------------------------------------------------------------------

class CometBftClient {
public:
    template <class T>
    using Done = std::function<void(CometResult<T>)>;

    /// At least one endpoint ("http://127.0.0.1:26657" parsed by runtime::parse_url).
    CometBftClient(runtime::Loop& loop, std::vector<runtime::Url> endpoints,
                   std::chrono::milliseconds timeout = std::chrono::seconds(5));
    ~CometBftClient();
    CometBftClient(const CometBftClient&) = delete;
    CometBftClient& operator=(const CometBftClient&) = delete;

    void status(Done<CometStatus> done);
    void abci_query(std::string path, std::vector<std::uint8_t> data, Done<AbciQueryResult> done);
    void broadcast_tx_sync(std::vector<std::uint8_t> tx, Done<BroadcastResult> done);

    /// "http://host:port" of the validator the next call goes to.
    [[nodiscard]] std::string current_endpoint() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace nym::node
