#pragma once
// A real validator network for functional tests: tools/validators.py builds it (cometbft testnet +
// our genesis) in a temporary folder; the test starts, kills and restarts the 4 nym-validator apps
// and 4 CometBFT validators itself and talks to them over CometBFT's JSON-RPC on loopback.

#include <crypto/secp256k1.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "process.hpp"

namespace nym::functional {

/// What `status` says of one validator.
struct NodeStatus {
    std::uint64_t height = 0;
    std::string app_hash; ///< hex, uppercase (CometBFT's form)
};

/// An abci_query answer, its value decoded.
struct QueryAnswer {
    std::uint32_t code = 0;
    std::string log;
    std::string value;
    std::int64_t height = 0;
};

class ValidatorNet {
public:
    static constexpr int NODES = 4;

    /// A folder under the temporary directory named after `test` (removed by the destructor).
    explicit ValidatorNet(const std::string& test);
    ~ValidatorNet();
    ValidatorNet(const ValidatorNet&) = delete;
    ValidatorNet& operator=(const ValidatorNet&) = delete;

    /// Why the network cannot run here (no cometbft binary, no python3), or "" when it can.
    static std::string unavailable();

    /// Runs the tool's build with a free block of ports; extra arguments go to `build`.
    [[nodiscard]] bool build(std::string& why, const std::vector<std::string>& extra = {});
    /// Starts app k and waits for its "listening" line.
    [[nodiscard]] bool start_app(int k);
    /// Starts CometBFT validator k (its output goes to logs/nodeK.log).
    [[nodiscard]] bool start_node(int k);
    /// Every app, then every CometBFT; waits until all four committed `min_height` blocks.
    [[nodiscard]] bool start_all(std::uint64_t min_height = 2);
    /// Signals and reaps app k / validator k (SIGKILL: a crash).
    void stop_app(int k, int signal);
    void stop_node(int k, int signal);

    [[nodiscard]] std::optional<NodeStatus> status(int k) const;
    /// Waits until validator k reports at least `height`.
    [[nodiscard]] bool wait_height(int k, std::uint64_t height, std::chrono::seconds timeout) const;
    /// Waits until app k has committed at least `height` (abci_info's last_block_height): its
    /// queries answer from that state or a later one.
    [[nodiscard]] bool wait_app_height(int k, std::uint64_t height, std::chrono::seconds timeout) const;
    /// The app hash in the header of block `height + 1`: the state after block `height`, as node k
    /// has it ("" if it has no such block yet).
    [[nodiscard]] std::string app_hash_after(int k, std::uint64_t height) const;

    /// A JSON-RPC call (POST) to node k: the "result", or null with `error` set.
    nlohmann::json rpc(int k, const std::string& method, const nlohmann::json& params, std::string* error = nullptr,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
    /// broadcast_tx_sync / _async / _commit of raw transaction bytes.
    nlohmann::json broadcast(int k, const std::vector<std::uint8_t>& tx,
                             const std::string& method = "broadcast_tx_sync", std::string* error = nullptr) const;
    [[nodiscard]] QueryAnswer query(int k, const std::string& path, const std::vector<std::uint8_t>& data,
                                    std::int64_t height = 0) const;
    /// /account of an address: balance and nonce (0, 0 if the query fails).
    [[nodiscard]] std::pair<std::uint64_t, std::uint64_t> account(int k, const crypto::EthereumAddress& a) const;

    /// A test account's key and address ("faucet", "alice", "watcher1", "verifier2", ...).
    [[nodiscard]] crypto::Secp256k1SecretKey key(const std::string& name) const;
    [[nodiscard]] crypto::EthereumAddress address(const std::string& name) const;

    [[nodiscard]] const nlohmann::json& manifest() const { return m_manifest; }
    [[nodiscard]] std::string chain_id() const { return m_manifest.at("chain_id"); }
    [[nodiscard]] std::uint16_t rpc_port(int k) const;
    [[nodiscard]] const std::filesystem::path& dir() const { return m_dir; }
    /// Leaves the folder (logs, databases) in place when the net is destroyed.
    void keep() { m_keep = true; }
    /// The last lines of a process's log, for failure messages.
    [[nodiscard]] std::string log_tail(const std::string& name, std::size_t lines = 20) const;

private:
    std::filesystem::path m_dir;
    nlohmann::json m_manifest;
    bool m_keep = false;
    std::vector<std::optional<Process>> m_apps;
    std::vector<std::optional<Process>> m_nodes;
};

std::string base64_encode(const std::vector<std::uint8_t>& bytes);
std::string base64_decode(const std::string& text);

} // namespace nym::functional
