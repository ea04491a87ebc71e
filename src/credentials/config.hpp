#pragma once
// nymclient's config.toml (docs/protocol/credentials.md §6), laid out as the seed's
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

#include <crypto/secp256k1.hpp>
#include <runtime/http.hpp>

#include <chain/config.hpp>
#include <chrono>
#include <filesystem>
#include <node/config_file.hpp>
#include <optional>
#include <string>
#include <vector>

namespace nym::credentials {

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
};

[[nodiscard]] node::ConfigResult<Config> load_config(const std::filesystem::path& file);

} // namespace nym::credentials
