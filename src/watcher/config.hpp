#pragma once
// A watcher's folder (the local network's layout, ethereum-watchers/watcherN/):
//   <dir>/config.toml     commented TOML, written by `nym-ethereum-watcher init`
//   <dir>/watcher.key     its secp256k1 key, 64 hex digits, mode 0600 (its address is in the genesis)
//   <dir>/progress.toml   the last Ethereum block processed, rewritten atomically after each range
// Files named in the config are relative to the folder unless absolute. Loading validates every
// field and reports the first problem as a node::ConfigError naming the field.

#include <chrono>
#include <cstdint>
#include <crypto/rng.hpp>
#include <ethereum/u256.hpp>
#include <filesystem>
#include <node/config_file.hpp>
#include <optional>
#include <string>
#include <vector>
#include <watcher/follower.hpp>
#include <watcher/notifier.hpp>

namespace nym::watcher {

inline constexpr std::string_view KEY_FILE_NAME = "watcher.key";
inline constexpr std::string_view PROGRESS_FILE_NAME = "progress.toml";

struct Config {
    std::string ethereum_url = "http://127.0.0.1:8545";
    Address token;
    Address pipe_account;
    std::uint64_t confirmations = 2;
    std::uint64_t start_block = 0;
    std::uint64_t max_blocks_per_query = 1000;
    ethereum::U256 token_unit = ethereum::U256::pow10(18); ///< ERC20 base units per ledger unit (fits 64 bits)
    std::chrono::milliseconds ethereum_poll{1000};

    std::string chain_id = "nym-localnet";
    std::vector<std::string> validators{"http://127.0.0.1:26657"}; ///< CometBFT RPC, tried in turn
    std::chrono::milliseconds commit_poll{250};
    std::chrono::milliseconds commit_timeout{20000};

    std::chrono::milliseconds backoff_initial{500};
    std::chrono::milliseconds backoff_max{30000};

    std::filesystem::path key_file{KEY_FILE_NAME};           ///< resolved against the folder on load
    std::filesystem::path progress_file{PROGRESS_FILE_NAME}; ///< resolved against the folder on load

    [[nodiscard]] FollowerConfig follower() const;
    [[nodiscard]] NotifierConfig notifier() const;
};

/// Reads and validates <dir>/config.toml (paths resolved against `dir`).
[[nodiscard]] node::ConfigResult<Config> load_config(const std::filesystem::path& dir);
/// The commented TOML of a config (paths written as given).
[[nodiscard]] std::string render_config(const Config& config);
/// Checks the values a file or the command line gave (URLs, ranges, the unit).
[[nodiscard]] node::ConfigResult<void> validate(const Config& config);

/// `nym-ethereum-watcher init`: writes <dir>/config.toml (refused when present unless `force`) and,
/// unless one exists, a new <dir>/watcher.key (0600). The watcher's address (for the genesis).
[[nodiscard]] node::ConfigResult<Address> init_folder(const std::filesystem::path& dir, Config config, bool force,
                                                      crypto::Rng& rng);

/// The last processed block in a progress file; nullopt when the file does not exist yet.
[[nodiscard]] node::ConfigResult<std::optional<std::uint64_t>> read_progress(const std::filesystem::path& path);
[[nodiscard]] node::ConfigResult<void> write_progress(const std::filesystem::path& path, std::uint64_t last_block);

} // namespace nym::watcher
