#pragma once
// Piping tokens into the Nym ledger, as a client does it ("Piping currency into Nym"): transfer
// Nym ERC20 tokens from the client's own Ethereum account to the pipe account, wait until the
// transfer is `confirmations` deep, then wait until the watchers' notices have credited the same
// account on the ledger (docs/protocol/ethereum.md). The client's Ethereum key is its ledger key,
// so the credit goes to the sender's address.
//
// Blocking: for command-line clients (nym-eth-pipe, and nymclient on a thread of its own). It
// reports each stage through `progress`, with the report so far and these words:
//   transferring        "transferring N Nym ERC20 token(s) to the pipe account"  (tokens_before known)
//   confirming          "waiting for confirmations"                        (the transaction sent)
//   crediting           "waiting for the watchers to credit the ledger"    (confirmed)
//   credited            "credited: balance B"                              (the whole report)

#include <crypto/secp256k1.hpp>
#include <runtime/http.hpp>

#include <chrono>
#include <cstdint>
#include <ethereum/errors.hpp>
#include <ethereum/jsonrpc.hpp>
#include <functional>
#include <string>
#include <vector>

namespace nym::ethereum {

struct PipeOptions {
    runtime::Url ethereum;                ///< the Ethereum node's JSON-RPC
    std::vector<runtime::Url> validators; ///< CometBFT RPC of one or more validators
    Address token;                        ///< the ERC20 contract
    Address pipe_account;                 ///< where the tokens go (the ledger's genesis pipe_account)
    std::uint64_t amount = 1;             ///< in ledger units (whole tokens)
    U256 unit = U256::pow10(18);          ///< ERC20 base units per ledger unit (10^decimals)
    std::uint64_t confirmations = 1;      ///< as the watchers count them (1: the block holding it)
    std::uint64_t gas_limit = 0;          ///< 0: eth_estimateGas + 25 %
    std::chrono::milliseconds poll{100};
    std::chrono::milliseconds confirmation_timeout{std::chrono::minutes(5)};
    std::chrono::milliseconds credit_timeout{std::chrono::minutes(5)};
};

struct PipeReport {
    Address account{};                               ///< the sender, and the ledger account credited
    U256 tokens_before;                              ///< its ERC20 balance before, in base units
    Hash transaction{};                              ///< the ERC20 transfer on Ethereum
    std::uint32_t log_index = 0;                     ///< its Transfer log (what the watchers vote on)
    std::uint64_t ethereum_block = 0;                ///< the block holding it
    std::uint64_t confirmed_at = 0;                  ///< the block that made it `confirmations` deep
    std::uint64_t ledger_height_at_confirmation = 0; ///< the ledger's last block when that was seen
    std::uint64_t ledger_height_credited = 0;        ///< the ledger's last block when the credit was seen
    std::uint64_t balance_before = 0;
    std::uint64_t balance = 0;
    std::chrono::steady_clock::duration confirmation_to_credit{};
};

enum class PipeStage { transferring, confirming, crediting, credited };

using PipeProgress = std::function<void(PipeStage stage, const std::string& words, const PipeReport& so_far)>;

[[nodiscard]] Expected<PipeReport, Failure> pipe_tokens(const crypto::Secp256k1SecretKey& key,
                                                        const PipeOptions& options, const PipeProgress& progress);

/// The ledger balance of `account` (abci_query /balance on the validators), for clients and tests.
[[nodiscard]] Expected<std::uint64_t, Failure> ledger_balance(const std::vector<runtime::Url>& validators,
                                                              const Address& account);

} // namespace nym::ethereum
