#pragma once
// Config pieces every ledger service shares: the [ledger] section (CometBFT RPC nodes, chain id,
// poll interval) and account key files (a secp256k1 key as 64 hex digits, as go-ethereum's
// LoadECDSA reads them; mode 0600, refused when others can read it).
//
//   [ledger]
//   nodes = ["http://127.0.0.1:26657"]   # CometBFT RPC of one or more validators
//   chain_id = "nym-localnet"
//   poll_interval_ms = 100               # how often to ask for the next block at the tip

#include <coconut/scheme.hpp>
#include <crypto/rng.hpp>
#include <crypto/secp256k1.hpp>
#include <runtime/http.hpp>

#include <chrono>
#include <filesystem>
#include <node/config_file.hpp>
#include <string>
#include <vector>

namespace nym::chain {

struct LedgerConfig {
    std::vector<std::string> node_urls;
    std::vector<runtime::Url> nodes;
    std::string chain_id;
    std::chrono::milliseconds poll_interval{100};
};

/// Reads and checks the [ledger] section (errors name the field).
[[nodiscard]] node::ConfigResult<LedgerConfig> read_ledger_config(const node::ConfigDocument& doc);
/// The [ledger] section as TOML text, for init commands and tests.
[[nodiscard]] std::string ledger_config_toml(const std::vector<std::string>& node_urls, std::string_view chain_id,
                                             std::chrono::milliseconds poll_interval = std::chrono::milliseconds(100));

/// Every `threshold-verificationKey-*.pem` in `folder` (the issuerKeys/ folder of the local network's
/// layout), sorted by index. ConfigErrc::key_error naming the file that does not read.
[[nodiscard]] node::ConfigResult<std::vector<coconut::VerificationKey>>
read_issuer_keys(const std::filesystem::path& folder);

/// Reads an account key file (64 hex digits, optional 0x, surrounding whitespace ignored; 0600).
[[nodiscard]] node::ConfigResult<crypto::Secp256k1SecretKey> read_account_key(const std::filesystem::path& path);
/// Writes a key file readable by its owner only.
[[nodiscard]] node::ConfigResult<void> write_account_key(const std::filesystem::path& path,
                                                         const crypto::Secp256k1SecretKey& key);

} // namespace nym::chain
