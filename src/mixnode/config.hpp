#pragma once
// The mix node's on-disk state (docs/protocol/framing.md "Node configuration"), laid out as Nym's
// 0.7-era nodes did:
//   <root>/<id>/config/config.toml        commented TOML, written by `nym-mixnode init`
//   <root>/<id>/data/private_identity.pem Ed25519 identity (0600)   public_identity.pem
//   <root>/<id>/data/private_sphinx.pem   X25519 Sphinx key (0600)  public_sphinx.pem
// where <root> is $HOME/.nym/mixnodes unless overridden (--root, for tests).
//
// Loading validates every field and reports the first problem as a node::ConfigError naming the
// field. Command-line flags override file values through ConfigOverrides + merge(), then validate()
// again. Folders, key files and atomic writes are the node layer's (node/config_file.hpp).

#include <crypto/ed25519.hpp>
#include <crypto/rng.hpp>
#include <crypto/x25519.hpp>
#include <mixnode/replay_filter.hpp>
#include <node/config_file.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace nym::mixnode {

inline constexpr int DEFAULT_MIX_PORT = 1789; ///< nym network-defaults
inline constexpr int MIN_LAYER = 1;
inline constexpr int MAX_LAYER = 3;
inline constexpr std::string_view ROLE_FOLDER = "mixnodes"; ///< $HOME/.nym/mixnodes

inline constexpr std::string_view IDENTITY_SECRET_PEM_LABEL = "ED25519 PRIVATE KEY";
inline constexpr std::string_view IDENTITY_PUBLIC_PEM_LABEL = "ED25519 PUBLIC KEY";
inline constexpr std::string_view SPHINX_SECRET_PEM_LABEL = "X25519 PRIVATE KEY";
inline constexpr std::string_view SPHINX_PUBLIC_PEM_LABEL = "X25519 PUBLIC KEY";

using node::ConfigErrc;
using node::ConfigError;
template <class T>
using ConfigResult = node::ConfigResult<T>;

struct Config {
    std::string id;
    int layer = MIN_LAYER;
    std::string listen_host = "0.0.0.0";
    int listen_port = DEFAULT_MIX_PORT;
    std::string announce_host;   ///< the address other nodes and clients connect to
    std::string directory_url = "http://127.0.0.1:8080";

    std::filesystem::path private_identity_key_file;
    std::filesystem::path public_identity_key_file;
    std::filesystem::path private_sphinx_key_file;
    std::filesystem::path public_sphinx_key_file;
    /// The Sphinx key epochs and replay filters (replay_state.hpp); absent in older files: beside
    /// the private Sphinx key.
    std::filesystem::path replay_state_file;
    /// The config file predates key epochs (it names no replay_state_file): its node has never saved
    /// a replay state, and its first run starts one from the init key (open_replay_state).
    bool replay_state_predates = false;

    std::chrono::milliseconds max_delay{10'000};            ///< clamp of the per-hop delay (nym: 10 s)
    std::uint64_t egress_queue_length = 2000;                 ///< packets per neighbour (nym: 2000)
    std::uint32_t worker_threads = 1;                         ///< Sphinx worker pool size

    double replay_fp_rate = DEFAULT_REPLAY_FP_RATE;           ///< nym: 1e-5
    std::uint64_t replay_expected_packets_per_second = 100;   ///< nym sizes for 2000
    std::chrono::seconds replay_epoch{25 * 3600};             ///< key lifetime + overlap (nym: 24 h + 1 h)

    std::chrono::milliseconds metrics_interval{1000};         ///< 0.7-era nodes: 1 s
    std::chrono::milliseconds heartbeat_interval{1500};       ///< 0.7-era presence: 1.5 s

    /// Budgets of the mix port ([limits]; absent in older files: these defaults).
    std::chrono::seconds inbound_idle_timeout{120};           ///< a connection silent this long is closed; 0 = never
    std::uint64_t max_inbound_connections = 4096;
    std::uint64_t max_inbound_per_ip = 64;                    ///< 0 = no per-IP cap

    [[nodiscard]] ReplayFilterConfig replay_filter_config() const noexcept;
};

/// Flag values that take precedence over the file; unset fields keep the file's value.
struct ConfigOverrides {
    std::optional<int> layer;
    std::optional<std::string> listen_host;
    std::optional<int> listen_port;
    std::optional<std::string> announce_host;
    std::optional<std::string> directory_url;
    std::optional<std::chrono::milliseconds> max_delay;
    std::optional<std::uint64_t> egress_queue_length;
    std::optional<std::uint32_t> worker_threads;
    std::optional<double> replay_fp_rate;
    std::optional<std::uint64_t> replay_expected_packets_per_second;
    std::optional<std::chrono::milliseconds> metrics_interval;
    std::optional<std::chrono::milliseconds> heartbeat_interval;
};

[[nodiscard]] Config merge(Config base, const ConfigOverrides& overrides);
[[nodiscard]] ConfigResult<void> validate(const Config& config);

/// The commented TOML text of a config.
[[nodiscard]] std::string render_config(const Config& config);
/// Parses and validates config text. Unknown keys are ignored (forward compatibility).
[[nodiscard]] ConfigResult<Config> parse_config(std::string_view text);
[[nodiscard]] ConfigResult<Config> load_config(const std::filesystem::path& path);
/// Writes atomically (node::write_file_atomically).
[[nodiscard]] ConfigResult<void> save_config(const Config& config, const std::filesystem::path& path);

struct NodeKeys {
    crypto::Ed25519SecretKey identity;
    crypto::Ed25519PublicKey identity_public;
    crypto::X25519SecretKey sphinx;
    crypto::X25519PublicKey sphinx_public;
};

/// Reads the four key files named in the config; checks that each public file matches its secret.
[[nodiscard]] ConfigResult<NodeKeys> load_keys(const Config& config);

struct InitOptions {
    std::filesystem::path root; ///< e.g. node::default_root(ROLE_FOLDER)
    std::string id;
    int layer = MIN_LAYER;
    std::string host = "0.0.0.0";             ///< listen host
    int port = DEFAULT_MIX_PORT;
    std::optional<std::string> announce_host; ///< defaults to host
    std::string directory_url = "http://127.0.0.1:8080";
    bool force = false;                       ///< replace an existing id's keys and config
};

struct InitResult {
    Config config;
    std::filesystem::path config_file;
    crypto::Ed25519PublicKey identity_public;
    crypto::X25519PublicKey sphinx_public;
};

/// Creates <root>/<id>/ with fresh keys, a config and the replay state (key epoch 0 from now, with
/// the new Sphinx key). ConfigErrc::already_exists unless force.
[[nodiscard]] ConfigResult<InitResult> init_node(const InitOptions& options, crypto::Rng& rng);
/// What `nym-mixnode init` prints: id and layer, both public keys (base58; scripts read the line
/// "sphinx key (x25519):    <key>"), the config file and the replay filter's size.
[[nodiscard]] std::string describe(const InitResult& result);

} // namespace nym::mixnode
