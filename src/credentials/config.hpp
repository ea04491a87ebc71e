#pragma once
// nymclient's config.toml (docs/protocol/credentials.md §6), laid out as in the local network's
// localnetdata/localclient/:
//
//   localnetdata/localclient/config.toml
//   localnetdata/localclient/clientAccount.key     secp256k1, 64 hex digits (0600): the ledger account
//
//   [client]
//   account_key = "clientAccount.key"      # relative to this file
//   wallet = "wallet.json"                 # the client's credentials and their secrets (0600)
//   value = 1                              # what one credential is worth
//   issuers = ["http://127.0.0.1:4000", "http://127.0.0.1:4001", "http://127.0.0.1:4002"]
//   issuer_timeout_ms = 3000               # one request to one issuer
//   fetch_timeout_ms = 30000               # collecting enough partial credentials
//   provider = "http://127.0.0.1:4100"
//   provider_address = "0x…"               # optional: refuse a provider that announces another address
//   spend_timeout_ms = 30000               # waiting for the provider's final answer
//   [ledger] ...                           # chain/config.hpp
//
// Optional, the Ethereum pipe ("Piping currency into Nym"): with this section nymclient transfers
// Nym ERC20 tokens from the Ethereum account of clientAccount.key (the same key, the same address
// as the ledger account: the watchers credit the sender) to the pipe account, and waits for the
// confirmations and the ledger's credit. Without it the balance comes from the genesis.
//   [ethereum]
//   rpc_url = "http://127.0.0.1:8545"      # JSON-RPC of an Ethereum node
//   token = "0x…"                          # the Nym ERC20 contract
//   pipe_account = "0x…"                   # the genesis' pipe_account
//   confirmations = 2                      # as the watchers count them (1: the block holding it)
//   token_unit = "1000000000000000000"     # ERC20 base units per ledger unit (10^decimals)
//   poll_interval_ms = 250
//   confirmation_timeout_ms = 300000       # the transfer mined and `confirmations` deep
//   credit_timeout_ms = 300000             # then the watchers' credit on the ledger

#include <crypto/secp256k1.hpp>
#include <runtime/http.hpp>

#include <chain/config.hpp>
#include <chrono>
#include <ethereum/u256.hpp>
#include <filesystem>
#include <node/config_file.hpp>
#include <optional>
#include <string>
#include <vector>

namespace nym::credentials {

/// The [ethereum] section: where nymclient pipes tokens from.
struct EthereumConfig {
    std::string rpc_url;
    runtime::Url rpc;
    crypto::EthereumAddress token;
    crypto::EthereumAddress pipe_account;
    std::uint64_t confirmations = 2;
    ethereum::U256 token_unit = ethereum::U256::pow10(18);
    std::chrono::milliseconds poll{250};
    std::chrono::milliseconds confirmation_timeout{300000};
    std::chrono::milliseconds credit_timeout{300000};
};

struct Config {
    std::filesystem::path account_key_file;
    std::filesystem::path wallet_file;
    std::uint64_t value = 1;
    std::vector<std::string> issuer_urls;
    std::vector<runtime::Url> issuers;
    std::chrono::milliseconds issuer_timeout{3000};
    std::chrono::milliseconds fetch_timeout{30000};
    std::string provider_url;
    runtime::Url provider;
    std::optional<crypto::EthereumAddress> provider_address;
    std::chrono::milliseconds spend_timeout{30000};
    chain::LedgerConfig ledger;
    std::optional<EthereumConfig> ethereum; ///< unset: no pipe, the balance comes from the genesis
};

[[nodiscard]] node::ConfigResult<Config> load_config(const std::filesystem::path& file);

} // namespace nym::credentials
