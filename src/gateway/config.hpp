#pragma once
// The gateway's on-disk state, laid out like every node's (node/config_file.hpp):
//   <root>/<id>/config/config.toml          commented TOML, written by `nym-gateway init`
//   <root>/<id>/data/private_identity.pem   Ed25519 identity (0600)   public_identity.pem
//   <root>/<id>/data/private_sphinx.pem     X25519 Sphinx key (0600)  public_sphinx.pem
//   <root>/<id>/data/messages.sqlite        message store + clients' shared keys (0600)
// where <root> is $HOME/.nym/gateways unless overridden (--root).
//
// Loading validates every field and reports the first problem as a node::ConfigError naming the field.
// Command-line flags override file values through ConfigOverrides + merge(), then validate() again.

#include <gateway/message_store.hpp>

#include <crypto/ed25519.hpp>
#include <crypto/rng.hpp>
#include <crypto/x25519.hpp>
#include <node/config_file.hpp>
#include <util/expected.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace nym::gateway {

inline constexpr std::string_view ROLE_FOLDER = "gateways"; ///< $HOME/.nym/gateways
inline constexpr int DEFAULT_MIX_PORT = 1789;     ///< nym network-defaults
inline constexpr int DEFAULT_CLIENTS_PORT = 9000; ///< nym network-defaults (client websocket)
inline constexpr int DEFAULT_ADMIN_PORT = 9002;   ///< the operator's listener, on 127.0.0.1 only
inline constexpr std::string_view DATABASE_FILE_NAME = "messages.sqlite";

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
    std::string host;                                   ///< announced host that mix nodes and clients reach
    int mix_port = DEFAULT_MIX_PORT;
    int clients_port = DEFAULT_CLIENTS_PORT;
    std::string directory_url = "http://127.0.0.1:8080";

    std::filesystem::path private_identity_key_file;
    std::filesystem::path public_identity_key_file;
    std::filesystem::path private_sphinx_key_file;
    std::filesystem::path public_sphinx_key_file;
    std::filesystem::path database_file;

    std::uint64_t max_messages_per_client = StoreLimits{}.max_messages_per_client;
    std::uint64_t max_bytes_per_client = StoreLimits{}.max_bytes_per_client;
    std::chrono::seconds message_max_age{24 * 3600};   ///< Nym's stale cleaner: 24 h
    std::chrono::seconds cleanup_interval{3600};       ///< Nym's stale cleaner: hourly
    std::uint32_t message_retrieval_limit = MESSAGE_RETRIEVAL_LIMIT;
    std::uint64_t min_free_bytes = StoreLimits{}.min_free_bytes; ///< free-space reserve of the store

    std::chrono::seconds authentication_timeout{10}; ///< a client connection must authenticate within this
    std::uint32_t max_connections_per_ip = 64;       ///< client connections open at once per IP address
    std::uint32_t registrations_per_minute_per_ip = 30; ///< RegisterRequests per minute from one address
    std::uint32_t registrations_per_minute = 600;       ///< RegisterRequests per minute in total
    std::chrono::seconds unused_registration_ttl{24 * 3600}; ///< a registration never authenticated since expires

    bool admin_enabled = false; ///< the admin listener (127.0.0.1 only): /api/stats with per-client detail
    int admin_port = DEFAULT_ADMIN_PORT;

    [[nodiscard]] StoreLimits store_limits() const noexcept;
};

/// Flag values that take precedence over the file; unset fields keep the file's value.
struct ConfigOverrides {
    std::optional<std::string> host;
    std::optional<int> mix_port;
    std::optional<int> clients_port;
    std::optional<std::string> directory_url;
    std::optional<std::filesystem::path> database_file;
    std::optional<std::uint64_t> max_messages_per_client;
    std::optional<std::uint64_t> max_bytes_per_client;
    std::optional<std::chrono::seconds> message_max_age;
    std::optional<std::chrono::seconds> cleanup_interval;
};

[[nodiscard]] Config merge(Config base, const ConfigOverrides& overrides);
[[nodiscard]] ConfigResult<void> validate(const Config& config);

/// The commented TOML text of a config.
[[nodiscard]] std::string render_config(const Config& config);
/// Parses and validates config text; relative paths are resolved against `base_dir`. Unknown keys are ignored.
[[nodiscard]] ConfigResult<Config> parse_config(std::string_view text, const std::filesystem::path& base_dir = {});
/// ConfigErrc::missing_file, unreadable_file, or the parse_config() errors (naming the file).
[[nodiscard]] ConfigResult<Config> load_config(const std::filesystem::path& path);
/// Writes atomically (temporary file + fsync + rename).
[[nodiscard]] ConfigResult<void> save_config(const Config& config, const std::filesystem::path& path);

/// $HOME/.nym/gateways. ConfigErrc::no_home if HOME is unset or empty.
[[nodiscard]] ConfigResult<std::filesystem::path> default_root();
/// <root>/<id>/config/config.toml
[[nodiscard]] std::filesystem::path config_path(const std::filesystem::path& root, std::string_view id);

struct GatewayKeys {
    crypto::Ed25519SecretKey identity;
    crypto::Ed25519PublicKey identity_public;
    crypto::X25519SecretKey sphinx;
    crypto::X25519PublicKey sphinx_public;
};

/// Reads the four key files named in the config; checks that each public file matches its secret.
/// ConfigErrc::key_error (missing, malformed, mismatched, or a secret readable by group/others).
[[nodiscard]] ConfigResult<GatewayKeys> load_keys(const Config& config);

struct InitOptions {
    std::filesystem::path root; ///< e.g. default_root()
    std::string id;
    std::string host;
    int mix_port = DEFAULT_MIX_PORT;
    int clients_port = DEFAULT_CLIENTS_PORT;
    std::string directory_url = "http://127.0.0.1:8080";
    bool force = false;         ///< replace an existing gateway's keys and config
};

struct InitResult {
    Config config;
    std::filesystem::path config_file;
    crypto::Ed25519PublicKey identity_public;
    crypto::X25519PublicKey sphinx_public;
};

/// Creates <root>/<id>/ with fresh keys and a config. ConfigErrc::already_exists unless force.
[[nodiscard]] ConfigResult<InitResult> init_gateway(const InitOptions& options, crypto::Rng& rng);

} // namespace nym::gateway
