#pragma once
// The verifier's config.toml (docs/protocol/credentials.md §4):
//
//   verifiers/verifierN/config.toml
//   verifiers/verifierN/accountKey/verifier.key        secp256k1, 64 hex digits (0600); a genesis verifier
//   verifiers/verifierN/issuerKeys/threshold-verificationKey-id=1..5-attrs=5-n=5-t=3.pem
//
//   [verifier]
//   account_key = "accountKey/verifier.key"   # relative to this file
//   issuer_keys = "issuerKeys"
//   issuer_threshold = 3
//   data_dir = "data"                         # progress (the last height finished)
//   vote_timeout_ms = 30000                   # a vote not committed by then is sent again
//   [ledger] ...                              # chain/config.hpp

#include <coconut/scheme.hpp>
#include <crypto/secp256k1.hpp>

#include <chain/config.hpp>
#include <chrono>
#include <filesystem>
#include <node/config_file.hpp>

namespace nym::verifier {

struct Config {
    std::filesystem::path account_key_file;
    std::filesystem::path issuer_keys_dir;
    std::uint32_t issuer_threshold = 3;
    std::filesystem::path data_dir;
    std::chrono::milliseconds vote_timeout{30000};
    std::uint32_t workers = 1;
    chain::LedgerConfig ledger;
};

[[nodiscard]] node::ConfigResult<Config> load_config(const std::filesystem::path& file);

struct Keys {
    crypto::Secp256k1SecretKey account;
    coconut::VerificationKey aggregate; ///< the issuers' aggregate verification key
    std::size_t issuers = 0;            ///< keys it was aggregated from
};
/// The account key and the issuers' aggregate key (every threshold subset of the configured keys
/// must agree, see chain::aggregate_issuer_keys).
[[nodiscard]] node::ConfigResult<Keys> load_keys(const Config& config);

} // namespace nym::verifier
