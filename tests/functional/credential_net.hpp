#pragma once
// A whole credential network on loopback from real executables, laid out as the seed's localnet:
// the ledger (one CometBFT validator with nym-validator, or the 4 of tools/validators.py through
// ValidatorNet, with the issuers' keys, the verifiers and the clients' balances in its genesis),
// issuers/issuerN, verifiers/verifierN, providers/providerN and localnetdata/localclient, all in
// one temporary folder. Keys are made in-process (a 5-of-n Coconut key set from one dealer,
// deterministic secp256k1 account keys); the daemons, CometBFT and nymclient are separate
// processes driven only through their command lines, configs and public APIs.

#include <coconut/scheme.hpp>
#include <crypto/secp256k1.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ethereum_net.hpp"
#include "process.hpp"
#include "validator_net.hpp"

namespace nym::functional {

struct NetOptions {
    std::string chain_id = "nym-localnet";
    /// 1: one CometBFT validator set up here; 4: the network of tools/validators.py (ValidatorNet),
    /// whose verifier and provider accounts are then used (at most 3 verifiers, 2 providers).
    int validators = 1;
    std::size_t issuer_keys = 5;         ///< n of the dealer's key set
    std::size_t threshold = 3;           ///< t
    std::size_t verifiers = 2;           ///< verifier daemons
    std::size_t extra_verifier_keys = 0; ///< registered in genesis, not started (the test votes with them)
    std::size_t verifier_threshold = 2;
    std::size_t providers = 2;
    std::uint64_t client_balance = 1000;
    std::size_t extra_clients = 0;                 ///< more funded accounts (client2...)
    std::chrono::milliseconds block_interval{500}; ///< CometBFT's timeout_commit
    std::chrono::milliseconds spend_timeout{15000};
    std::string issuer_cpus; ///< e.g. "1": issuers run under `taskset -c` (benchmarks)
    std::uint32_t issuer_workers = 1;
    bool dead_node_first = false; ///< every config lists an unreachable ledger node before the real one
    /// > 0: the Ethereum pipe too — geth --dev with the token (each client funded with 100 tokens),
    /// this many watchers in the genesis and running, and an [ethereum] section in the clients' configs.
    std::size_t ethereum_watchers = 0;
    std::uint32_t watcher_threshold = 2;
    std::uint64_t confirmations = 2;
};

struct ClientRun {
    int exit_code = -1;
    std::string out;
    std::string err;
};

class CredentialNet {
public:
    explicit CredentialNet(NetOptions options = {});
    ~CredentialNet();
    CredentialNet(const CredentialNet&) = delete;
    CredentialNet& operator=(const CredentialNet&) = delete;

    /// Writes every folder and config; false (with why()) if something failed.
    bool prepare();
    /// Starts nym-validator and CometBFT and waits for the first blocks.
    bool start_ledger();
    bool start_issuer(std::size_t i); ///< 1-based, as the seed's issuerN
    /// An issuer with signer index `index` of another dealer's key set (not in genesis), on a port
    /// of its own; returns the port (0 on failure).
    std::uint16_t start_rogue_issuer(std::size_t index);
    bool start_verifier(std::size_t i);
    bool start_provider(std::size_t i);
    /// Stops a daemon with `signal` (SIGTERM, or SIGKILL for a crash).
    void stop_issuer(std::size_t i, int signal);
    void stop_verifier(std::size_t i, int signal);
    void stop_provider(std::size_t i, int signal);
    void stop_ledger(int signal);
    /// Validator k (0-based) of a 4-validator ledger: CometBFT and its nym-validator, stopped
    /// together (SIGKILL: a crash) and restarted; queries move to a validator that runs.
    void stop_validator(int k, int signal);
    bool start_validator(int k);
    /// A 4-validator ledger's own handle (nullptr on a single validator).
    [[nodiscard]] ValidatorNet* validator_net() noexcept { return m_valnet.get(); }
    /// With options().ethereum_watchers: geth --dev and the token, the clients funded (before
    /// prepare(), which then writes the watchers' folders and the clients' [ethereum] sections).
    bool start_ethereum();
    bool start_watcher(std::size_t i); ///< 1-based, as ethereum-watchers/watcherN
    void stop_watcher(std::size_t i, int signal);
    /// Everything the seed starts: (geth and the token,) the ledger, issuers 1..3 (or `issuers`),
    /// verifiers, providers (and the watchers).
    bool start_all(std::size_t issuers = 3);

    /// nymclient -f <client config> [args...] (the client of account `client`, 0 = the seed's).
    ClientRun run_client(const std::vector<std::string>& args, std::size_t client = 0,
                         std::chrono::milliseconds timeout = std::chrono::seconds(120));
    /// Rewrites the client's config with these issuer indices (1-based) and provider.
    void configure_client(const std::vector<std::size_t>& issuers, std::size_t provider, std::size_t client = 0,
                          const std::vector<std::uint16_t>& extra_issuer_ports = {});

    // --- the ledger, through CometBFT's RPC ---
    [[nodiscard]] std::uint64_t height();
    [[nodiscard]] std::optional<std::uint64_t> balance(const crypto::EthereumAddress& address);
    [[nodiscard]] std::optional<nlohmann::json> zeta(const std::string& zeta_hex);
    /// Waits until the chain is past `height`.
    bool wait_height(std::uint64_t height, std::chrono::milliseconds timeout = std::chrono::seconds(30));
    /// The raw transactions of block `height`, as CometBFT stored them (empty if it has none).
    [[nodiscard]] std::vector<std::vector<std::uint8_t>> block_txs(std::uint64_t height);
    /// Broadcasts raw transaction bytes (broadcast_tx_sync); CheckTx's code, or nullopt.
    std::optional<std::uint32_t> broadcast(const std::vector<std::uint8_t>& tx);

    [[nodiscard]] const NetOptions& options() const noexcept { return m_options; }
    /// The Ethereum chain (after start_ethereum()).
    [[nodiscard]] const DevChain& ethereum() const noexcept { return m_ethereum; }
    [[nodiscard]] const std::filesystem::path& dir() const noexcept { return m_dir; }
    [[nodiscard]] std::uint16_t rpc_port() const noexcept { return m_rpc_port; }
    [[nodiscard]] std::uint16_t issuer_port(std::size_t i) const { return m_issuer_ports.at(i - 1); }
    [[nodiscard]] std::uint16_t provider_port(std::size_t i) const { return m_provider_ports.at(i - 1); }
    [[nodiscard]] const std::string& why() const noexcept { return m_why; }
    [[nodiscard]] const std::vector<coconut::KeyPair>& issuer_keys() const noexcept { return m_issuer_keys; }
    [[nodiscard]] const crypto::Secp256k1SecretKey& client_key(std::size_t client = 0) const {
        return m_client_keys.at(client);
    }
    [[nodiscard]] const crypto::Secp256k1SecretKey& provider_key(std::size_t i) const {
        return m_provider_keys.at(i - 1);
    }
    [[nodiscard]] const crypto::Secp256k1SecretKey& verifier_key(std::size_t i) const {
        return m_verifier_keys.at(i - 1);
    }
    [[nodiscard]] std::filesystem::path client_dir(std::size_t client = 0) const;
    /// The process id of a running daemon ("issuer1", ...), or -1.
    [[nodiscard]] int pid(const std::string& name) const;
    /// The tail of a daemon's log ("issuer1", "provider2", "validator", "cometbft", ...).
    [[nodiscard]] std::string log(const std::string& name) const;

private:
    bool start_daemon(const std::string& name, const std::string& binary, const std::filesystem::path& config,
                      std::vector<std::string> extra = {});
    void stop(const std::string& name, int signal);
    bool fail(std::string why);
    bool build_validator_net();
    std::string node_url() const;
    std::string ledger_toml() const;
    std::string ethereum_toml() const; ///< the clients' [ethereum] section ("" without the pipe)
    bool write_watchers();             ///< ethereum-watchers/watcherN/{watcher.key,config.toml}

    NetOptions m_options;
    std::filesystem::path m_dir;
    std::string m_why;
    std::vector<coconut::KeyPair> m_issuer_keys;
    std::vector<crypto::Secp256k1SecretKey> m_verifier_keys;
    std::vector<crypto::Secp256k1SecretKey> m_provider_keys;
    std::vector<crypto::Secp256k1SecretKey> m_client_keys;
    std::unique_ptr<ValidatorNet> m_valnet;
    int m_query_node = 0;
    std::uint16_t m_rpc_port = 0, m_p2p_port = 0, m_abci_port = 0;
    std::vector<std::uint16_t> m_issuer_ports, m_provider_ports;
    std::map<std::string, Process> m_processes;
    DevChain m_ethereum;
    std::vector<crypto::Secp256k1SecretKey> m_watcher_keys; ///< ethereum-watchers/watcherN/watcher.key
};

/// A free TCP port on 127.0.0.1 (bound and released).
[[nodiscard]] std::uint16_t free_port();

} // namespace nym::functional
