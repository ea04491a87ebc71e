#pragma once
// The dummy service provider's config.toml (docs/protocol/credentials.md §5), laid out as in the
// local network's folders:
//
//   providers/providerN/config.toml
//   providers/providerN/accountKey/provider.key      secp256k1, 64 hex digits (0600)
//   providers/providerN/issuerKeys/threshold-verificationKey-id=1..5-attrs=5-n=5-t=3.pem
//
//   [provider]
//   listen_host = "127.0.0.1"
//   listen_port = 4100
//   account_key = "accountKey/provider.key"   # relative to this file
//   issuer_keys = "issuerKeys"
//   issuer_threshold = 3
//   spend_timeout_ms = 10000                  # longest wait for the verifiers' decision
//   nonce_lifetime_ms = 60000                 # a spend nonce must be used within this time
//   [ledger] ...                              # chain/config.hpp

#include <coconut/scheme.hpp>
#include <crypto/secp256k1.hpp>

#include <chain/config.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <node/config_file.hpp>
#include <string>

namespace nym::provider {

inline constexpr std::uint16_t DEFAULT_PORT = 4100;

struct Config {
    std::string listen_host = "127.0.0.1";
    std::uint16_t listen_port = DEFAULT_PORT;
    std::filesystem::path account_key_file;
    std::filesystem::path issuer_keys_dir;
    std::uint32_t issuer_threshold = 3;
    std::chrono::milliseconds spend_timeout{10000};
    std::chrono::milliseconds nonce_lifetime{60000};
    std::uint32_t workers = 1;
    chain::LedgerConfig ledger;
};

[[nodiscard]] node::ConfigResult<Config> load_config(const std::filesystem::path& file);

struct Keys {
    crypto::Secp256k1SecretKey account;
    coconut::VerificationKey aggregate;
};
[[nodiscard]] node::ConfigResult<Keys> load_keys(const Config& config);

} // namespace nym::provider
