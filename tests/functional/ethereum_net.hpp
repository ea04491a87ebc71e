#pragma once
// The Ethereum side of the functional tests, shared by the pipe tests (ethereum_tests.cpp) and the
// credential network (credential_net.*): geth --dev on a free loopback port, the NymToken contract
// deployed by `nym-eth-pipe dev-setup` with accounts funded, and nym-ethereum-watcher folders and
// processes. Binaries: NYM_GETH_BIN, NYM_ETH_PIPE_BIN, NYM_WATCHER_BIN, NYM_TOKEN_ARTIFACT.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "process.hpp"

namespace nym::functional {

/// Runs a command to its end; its stdout (and its stderr when it fails).
std::string run_command(const std::string& path, const std::vector<std::string>& args, int* status = nullptr,
                        std::chrono::milliseconds timeout = std::chrono::seconds(120));
/// "value" of a "key=value" line.
std::string line_value(const std::string& out, const std::string& key);

/// geth --dev (a block a second) and the token.
class DevChain {
public:
    DevChain() = default;
    ~DevChain();
    DevChain(const DevChain&) = delete;
    DevChain& operator=(const DevChain&) = delete;

    /// Starts geth with its data in `dir`/geth and its log in `log`; waits until it answers.
    bool start(const std::filesystem::path& dir, const std::filesystem::path& log);
    /// Deploys the token (deployer key `dir`/deployer.key) and gives each of `accounts` (0x
    /// addresses) 10 ether and `tokens_each` whole tokens.
    bool deploy(const std::vector<std::string>& accounts, std::uint64_t tokens_each = 100);
    void stop();

    /// eth_blockNumber.
    [[nodiscard]] std::optional<std::uint64_t> head() const;
    [[nodiscard]] const std::string& url() const noexcept { return m_url; }
    [[nodiscard]] const std::string& token() const noexcept { return m_token; }
    [[nodiscard]] const std::string& start_block() const noexcept { return m_start_block; }
    [[nodiscard]] const std::string& why() const noexcept { return m_why; }

private:
    std::filesystem::path m_dir;
    std::optional<Process> m_process;
    std::uint16_t m_port = 0;
    std::string m_url, m_token, m_start_block, m_why;
};

struct WatcherSetup {
    std::string pipe_account;
    std::vector<std::string> validators; ///< CometBFT RPC URLs
    std::string chain_id;
    std::uint64_t confirmations = 2;
};

/// `nym-ethereum-watcher init` in `dir`, with quicker polls, commits and retries than the defaults;
/// the watcher's address ("" on failure, with the tool's output in `out`).
std::string init_watcher(const std::filesystem::path& dir, const DevChain& chain, const WatcherSetup& setup,
                         std::string* out = nullptr);
/// `nym-ethereum-watcher run --dir`, its stderr into `log`; waits for its "following" line.
std::optional<Process> start_watcher(const std::filesystem::path& dir, const std::filesystem::path& log);

} // namespace nym::functional
