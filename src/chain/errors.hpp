#pragma once
// Errors of talking to the ledger through CometBFT's RPC (nym::chain).

#include <system_error>
#include <type_traits>

namespace nym::chain {

enum class Errc {
    unavailable = 1,          ///< no RPC node answered (connection refused, timeout, HTTP error)
    rpc_error,                ///< the node answered with a JSON-RPC error
    malformed_response,       ///< the answer is not the JSON CometBFT sends
    not_found,                ///< the transaction or block is not (yet) known to the node
    not_yet,                  ///< the height has not been committed yet
    tx_rejected,              ///< CheckTx refused the transaction (its code is in the result)
    timeout,                  ///< the awaited transaction or outcome did not come in time
    query_failed,             ///< an ABCI query answered a non-zero code
    credential_mismatch,      ///< a credential's disclosed value, kind or chain is not the expected one
    inconsistent_issuer_keys, ///< issuer verification keys that are not shares of one key set
};

const std::error_category& chain_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), chain_category()};
}

} // namespace nym::chain

template <>
struct std::is_error_code_enum<nym::chain::Errc> : std::true_type {};
