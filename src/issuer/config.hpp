#pragma once
// The issuer's config.toml (docs/protocol/credentials.md §3), laid out as in the local network's folders:
//
//   issuers/issuerN/config.toml
//   issuers/issuerN/coconutkeys/threshold-secretKey-id=N-attrs=5-n=5-t=3.pem        (0600)
//   issuers/issuerN/coconutkeys/threshold-verificationKey-id=N-attrs=5-n=5-t=3.pem
//
//   [issuer]
//   listen_host = "127.0.0.1"
//   listen_port = 4000
//   secret_key = "coconutkeys/threshold-secretKey-id=1-attrs=5-n=5-t=3.pem"     # relative to this file
//   verification_key = "coconutkeys/threshold-verificationKey-id=1-attrs=5-n=5-t=3.pem"
//   data_dir = "data"                   # the partial-credential database
//   workers = 1                         # threads that blind-sign
//   [ledger] ...                        # chain/config.hpp

#include <coconut/scheme.hpp>

#include <chain/config.hpp>
#include <cstdint>
#include <filesystem>
#include <node/config_file.hpp>
#include <string>

namespace nym::issuer {

inline constexpr std::uint16_t DEFAULT_PORT = 4000;

struct Config {
    std::string listen_host = "127.0.0.1";
    std::uint16_t listen_port = DEFAULT_PORT;
    std::filesystem::path secret_key_file;
    std::filesystem::path verification_key_file;
    std::filesystem::path data_dir;
    std::uint32_t workers = 1;
    chain::LedgerConfig ledger;
};

/// Reads config.toml; relative paths are relative to its folder.
[[nodiscard]] node::ConfigResult<Config> load_config(const std::filesystem::path& file);
/// A commented config.toml for these values (paths written as given).
[[nodiscard]] std::string config_toml(const Config& config);

struct Keys {
    coconut::SecretKey secret;
    coconut::VerificationKey verification;
};
/// Reads both key files and checks that they are one signer's pair of CREDENTIAL_ATTRIBUTES
/// attributes (ConfigErrc::key_error naming the file otherwise).
[[nodiscard]] node::ConfigResult<Keys> load_keys(const Config& config);

} // namespace nym::issuer
