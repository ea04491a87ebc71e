#pragma once
// Errors of the ledger. The numeric value of each is the ABCI result code the application returns
// (CheckTx, FinalizeBlock's per-transaction results, Query), under the codespace LEDGER_CODESPACE;
// 0 is success. docs/protocol/ledger.md lists them with the state each leaves behind.

#include <cstdint>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace nym::ledger {

inline constexpr std::string_view LEDGER_CODESPACE = "nym";

enum class Errc : std::uint32_t {
    // Stateless: the transaction bytes alone are wrong. Nothing changes, not even the nonce.
    malformed_tx = 1,               ///< truncated, trailing bytes, or a field out of its range
    unsupported_version = 2,        ///< a format version byte other than TX_VERSION
    unknown_tx_type = 3,            ///< a type byte that names no transaction
    tx_too_large = 4,               ///< more than MAX_TX_SIZE bytes
    invalid_signature = 5,          ///< non-canonical signature, or it does not recover the declared signer
    invalid_amount = 6,             ///< an amount or value of zero
    invalid_credential_request = 7, ///< the blind-sign request fails to decode or does not bind the value
    invalid_spend = 8,              ///< the deposited spend fails to decode

    // Stateful, before authentication succeeds: nothing changes.
    wrong_nonce = 10, ///< not the signer's next nonce (a replay, or a gap)

    // Stateful, after authentication: in a block the nonce is consumed, the effect is not applied.
    insufficient_balance = 11,
    balance_overflow = 12,             ///< a credit would exceed 2^64 - 1
    not_a_watcher = 13,                ///< the signer is not a genesis-registered Ethereum watcher
    not_a_verifier = 14,               ///< the signer is not a genesis-registered credential verifier
    invalid_pipe_account = 15,         ///< a watcher notice for another pipe account than the genesis one
    already_voted = 16,                ///< this watcher or verifier already voted on this item
    already_credited = 17,             ///< the ERC20 transfer was already credited
    duplicate_credential_request = 18, ///< a second request with the same gamma in one block
    double_spend = 19,                 ///< the deposited zeta is spent
    zeta_being_verified = 20,          ///< the deposited zeta is already under verification
    zeta_not_being_verified = 21,      ///< a verifier vote for a zeta with no deposit under verification
    vote_mismatch = 22,                ///< a vote whose provider, value or deposit height is not the deposit's

    // Chain lifecycle (InitChain, FinalizeBlock, Commit); never a transaction's result.
    invalid_genesis = 30,     ///< app_state is not valid genesis JSON (docs/protocol/ledger.md)
    chain_id_mismatch = 31,   ///< app_state's chain id differs from the consensus engine's
    not_initialized = 32,     ///< a block before InitChain
    already_initialized = 33, ///< InitChain on a ledger that has committed blocks
    wrong_height = 34,        ///< a block that is not the next height
    block_pending = 35,       ///< FinalizeBlock again before Commit
    nothing_to_commit = 36,   ///< Commit without FinalizeBlock
    state_corrupt = 37,       ///< stored state that does not decode, or does not hash to the stored app hash
    ledger_failed = 38,       ///< an earlier storage failure left the ledger unusable; restart the process

    // Queries.
    unknown_query_path = 40,
    malformed_query = 41, ///< query data of the wrong length
    not_found = 42,
    height_unavailable = 43, ///< a query at another height than the last committed one
};

const std::error_category& ledger_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), ledger_category()};
}

/// The ABCI code of an error: its value in the ledger category, else internal (ledger_failed).
[[nodiscard]] std::uint32_t abci_code(const std::error_code& e) noexcept;

} // namespace nym::ledger

template <>
struct std::is_error_code_enum<nym::ledger::Errc> : std::true_type {};
