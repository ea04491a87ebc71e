#pragma once
// nymclient's Ethereum pipe ("Piping currency into Nym"): ethereum::pipe_tokens, which blocks, on a
// thread of its own, its stages reported as the client's steps on the loop's thread:
//   "connect to Ethereum"          the node answers; the account's Nym ERC20 balance
//   "transfer to the pipe account" the ERC20 transfer signed with clientAccount.key and sent
//   "confirmations"                mined, and `confirmations` deep (as the watchers count them)
//   "watchers notify the ledger"   a threshold of watchers' notices credited the ledger
// after which the client checks its balance ("pipe tokens into Nym").

#include <runtime/loop.hpp>

#include <credentials/config.hpp>
#include <credentials/daemon.hpp>

namespace nym::credentials {

/// The pipe hook for `config.ethereum` (which must be set), sending from `key` (clientAccount.key:
/// the ledger account is the same address, and the watchers credit the sender). One pipe at a time;
/// the hook's thread is joined when the last copy of the hook is destroyed.
[[nodiscard]] PipeTokens ethereum_pipe(runtime::Loop& loop, const Config& config, crypto::Secp256k1SecretKey key);

} // namespace nym::credentials
