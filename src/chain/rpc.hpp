#pragma once
// CometBFT v0.38's JSON-RPC, as the ledger's services use it: the request targets and the parsing
// of the answers, without I/O (chain/rpc_client.hpp sends them). Every parser takes the whole HTTP
// body and returns a value or an Errc; none throws.
//
// CometBFT encodes int64 as JSON strings and omits zero values (a code of 0 is absent), byte
// fields of ABCI results are base64, hashes are hex. Errors come as {"error": {"code", "message",
// "data"}} with HTTP status 500 (or 200 for some).

#include <ledger/types.hpp>
#include <util/expected.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nym::chain {

using ledger::Bytes;
using ledger::ByteSpan;
using ledger::Event;
using ledger::Hash32;

// --- request targets (GET, URI style) and bodies (POST, JSON-RPC) ---------------------------------

[[nodiscard]] std::string status_target();
[[nodiscard]] std::string block_results_target(std::uint64_t height);
/// abci_query with path (e.g. "/zeta") and raw data (sent as 0x-hex).
[[nodiscard]] std::string abci_query_target(std::string_view path, ByteSpan data);
[[nodiscard]] std::string tx_target(const Hash32& hash);
/// The JSON-RPC body of broadcast_tx_sync (the transaction in base64).
[[nodiscard]] std::string broadcast_tx_sync_body(ByteSpan tx);

// --- answers -------------------------------------------------------------------------------------

/// What a JSON-RPC error said, for logs and for telling "not yet" from real failures.
struct RpcFailure {
    std::string message;
};

struct Status {
    std::string chain_id; ///< node_info.network
    std::uint64_t latest_height = 0;
    bool catching_up = false;
};

struct TxResult {
    std::uint32_t code = 0;
    std::string codespace;
    std::string log;
    std::vector<Event> events;
    [[nodiscard]] bool ok() const noexcept { return code == 0; }
};

struct BlockResults {
    std::uint64_t height = 0;
    std::vector<TxResult> txs; ///< in block order
};

struct QueryAnswer {
    std::uint32_t code = 0;
    std::string log;
    std::string value; ///< the ledger's answers are JSON text
    std::uint64_t height = 0;
};

struct BroadcastAnswer {
    std::uint32_t code = 0; ///< CheckTx's code: 0 admitted to the mempool
    std::string codespace;
    std::string log;
    Hash32 hash{};
};

struct TxLookup {
    std::uint64_t height = 0;
    std::uint32_t index = 0;
    TxResult result;
};

/// The parsed answer or the error; `failure` carries the RPC error message when there is one.
template <class T>
struct Parsed {
    Expected<T> value;
    RpcFailure failure;
};

[[nodiscard]] Parsed<Status> parse_status(std::string_view body);
/// Errc::not_yet when the node has not committed that height.
[[nodiscard]] Parsed<BlockResults> parse_block_results(std::string_view body);
[[nodiscard]] Parsed<QueryAnswer> parse_abci_query(std::string_view body);
[[nodiscard]] Parsed<BroadcastAnswer> parse_broadcast(std::string_view body);
/// Errc::not_found when the node does not know the transaction (yet).
[[nodiscard]] Parsed<TxLookup> parse_tx(std::string_view body);

// --- helpers -------------------------------------------------------------------------------------

[[nodiscard]] std::string base64_encode(ByteSpan bytes);
[[nodiscard]] std::optional<Bytes> base64_decode(std::string_view text);
/// A u64 written as a decimal string or a JSON number (CometBFT writes int64 as strings).
[[nodiscard]] std::optional<std::uint64_t> parse_u64(std::string_view text);

} // namespace nym::chain
