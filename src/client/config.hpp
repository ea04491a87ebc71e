#pragma once
// The client's on-disk state, laid out like the nodes' (src/gateway/config.hpp):
//   <root>/<id>/config/config.toml              commented TOML, written by `nym-client init`
//   <root>/<id>/data/private_identity.pem       Ed25519 identity (0600) — the client's address
//   <root>/<id>/data/public_identity.pem
//   <root>/<id>/data/gateway_shared_key.pem     key agreed with the gateway at registration (0600)
// where <root> is $HOME/.nym/clients unless overridden (--root).
//
// Loading validates every field and reports the first problem as a node::ConfigError naming the field.
// Command-line flags override file values through ConfigOverrides + merge(), then validate() again.
// Durations are written as "<integer><unit>" strings with unit us, ms, s, m or h ("15ms", "30s").

#include <client/core.hpp>
#include <client/errors.hpp>
#include <node/config_file.hpp>

#include <crypto/ed25519.hpp>
#include <util/expected.hpp>
#include <wire/gateway_protocol.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nym::client {

inline constexpr int DEFAULT_API_PORT = 9001;     ///< the API at ws://localhost:9001/mix
inline constexpr std::string_view ROLE_FOLDER = "clients"; ///< $HOME/.nym/clients
inline constexpr std::string_view DEFAULT_DIRECTORY_URL = "http://127.0.0.1:8080";

inline constexpr std::string_view IDENTITY_SECRET_PEM_LABEL = "ED25519 PRIVATE KEY";
inline constexpr std::string_view IDENTITY_PUBLIC_PEM_LABEL = "ED25519 PUBLIC KEY";
inline constexpr std::string_view SHARED_KEY_PEM_LABEL = "NYM GATEWAY SHARED KEY";

/// Largest websocket API request the handler reads (larger frames are answered with an error).
inline constexpr std::size_t DEFAULT_MAX_REQUEST_SIZE = 32u * 1024 * 1024;

/// How applications talk to the client: the websocket API, the TCP socket API (protobuf, as the
/// original client's) or none.
enum class SocketType { websocket, tcp, none };
[[nodiscard]] std::string_view to_string(SocketType type) noexcept;
/// "websocket" / "tcp" / "none", case-insensitive (older configs write 'WebSocket', 'TCP', 'None').
[[nodiscard]] std::optional<SocketType> parse_socket_type(std::string_view text) noexcept;

/// "15ms", "2s", "500us", "5m", "1h"; a bare integer means milliseconds. Non-negative, at most a year.
[[nodiscard]] std::optional<std::chrono::microseconds> parse_duration(std::string_view text) noexcept;
/// The shortest exact form with the largest unit: 15000us → "15ms", 30000000us → "30s".
[[nodiscard]] std::string format_duration(std::chrono::microseconds d);

using node::ConfigErrc;
using node::ConfigError;
using node::ConfigResult;
using node::valid_id;

struct Config {
    std::string id;
    std::string directory_url{DEFAULT_DIRECTORY_URL};

    crypto::Ed25519PublicKey gateway_identity;  ///< the gateway this client registered at
    std::string gateway_listener;               ///< its client websocket ("ws://ip:port") when last seen

    std::filesystem::path private_identity_key_file;
    std::filesystem::path public_identity_key_file;
    std::filesystem::path gateway_shared_key_file;

    SocketType socket_type = SocketType::websocket;
    int listening_port = DEFAULT_API_PORT;      ///< 0 = any free port (printed at start)
    std::size_t max_request_size = DEFAULT_MAX_REQUEST_SIZE;
    /// Web origins ("https://app.example") whose pages may use the API; empty: none (programs,
    /// which send no Origin, always may). See client/api_access.hpp.
    std::vector<std::string> allowed_origins;

    TrafficConfig traffic;                      ///< the core's Loopix parameters

    std::chrono::microseconds topology_refresh_rate{std::chrono::seconds(30)};
    std::chrono::microseconds topology_resolution_timeout{std::chrono::seconds(5)};
    std::chrono::microseconds gateway_connection_timeout{std::chrono::seconds(5)};
};

/// What `run` needs: the config with the flags applied, where it lives, and whether to register anew.
struct ClientSettings {
    Config config;                     ///< file values with the flags applied
    std::filesystem::path config_file; ///< rewritten once registered when the gateway changed
    bool register_again = false;       ///< another gateway than the stored key's: register there first
};

/// Flag values that take precedence over the file; unset fields keep the file's value.
struct ConfigOverrides {
    std::optional<std::string> directory_url;
    std::optional<SocketType> socket_type;
    std::optional<int> listening_port;
    std::optional<std::size_t> max_request_size;
    std::optional<std::chrono::microseconds> average_packet_delay;
    std::optional<std::chrono::microseconds> average_ack_delay;
    std::optional<std::chrono::microseconds> message_sending_average_delay;
    std::optional<std::chrono::microseconds> loop_cover_average_delay;
    std::optional<std::chrono::microseconds> ack_wait_addition;
    std::optional<double> ack_wait_multiplier;
    std::optional<std::uint32_t> max_retransmissions;
    std::optional<std::size_t> max_message_size;
    std::optional<bool> disable_main_poisson;
    std::optional<bool> disable_loop_cover;
    std::optional<std::chrono::microseconds> topology_refresh_rate;
};

/// The command-line flags shared by `init` and `run`, as typed (empty or unset when not given).
struct ConfigFlags {
    std::string directory, socket_type;
    std::optional<int> port;
    std::string packet_delay, ack_delay, send_delay, loop_delay, ack_wait_addition, topology_refresh;
    std::optional<double> ack_wait_multiplier;
    std::optional<std::uint32_t> max_retransmissions;
    std::optional<std::size_t> max_message_size, max_request_size;
    bool disable_cover = false, disable_loop_cover = false, disable_main_poisson = false;
};
/// The flags as overrides; the error names the flag ("invalid --socket-type 'udp' (use ...)").
[[nodiscard]] Expected<ConfigOverrides, std::string> overrides_from(const ConfigFlags& flags);
/// --gateway: a base58 Ed25519 key, or nothing when empty.
[[nodiscard]] Expected<std::optional<crypto::Ed25519PublicKey>, std::string> parse_gateway_flag(std::string_view text);

[[nodiscard]] Config merge(Config base, const ConfigOverrides& overrides);
/// `run`'s settings: <root>/<id>'s config with the overrides; a `gateway` other than the configured
/// one is registered at first (and replaces it). The error in words ("client 'x' does not exist ...").
[[nodiscard]] Expected<ClientSettings, std::string> run_settings(const std::filesystem::path& root, std::string_view id,
                                                                 const ConfigOverrides& overrides,
                                                                 const std::optional<crypto::Ed25519PublicKey>& gateway);
[[nodiscard]] ConfigResult<void> validate(const Config& config);

/// The commented TOML text of a config.
[[nodiscard]] std::string render_config(const Config& config);
/// Parses and validates config text; relative paths are resolved against `base_dir`. Unknown keys are ignored.
[[nodiscard]] ConfigResult<Config> parse_config(std::string_view text, const std::filesystem::path& base_dir = {});
/// ConfigErrc::missing_file, unreadable_file, or the parse/validation error naming the field.
[[nodiscard]] ConfigResult<Config> load_config(const std::filesystem::path& path);
/// Writes atomically (temporary file + fsync + rename + folder fsync).
[[nodiscard]] ConfigResult<void> save_config(const Config& config, const std::filesystem::path& path);

/// $HOME/.nym/clients. ConfigErrc::no_home if HOME is unset or empty.
[[nodiscard]] ConfigResult<std::filesystem::path> default_root();
[[nodiscard]] std::filesystem::path client_directory(const std::filesystem::path& root, std::string_view id);
[[nodiscard]] std::filesystem::path config_path(const std::filesystem::path& root, std::string_view id);

/// A fresh config for <root>/<id>/ with the default key paths under data/ (not yet validated:
/// the gateway is filled in by init).
[[nodiscard]] Config default_config(const std::filesystem::path& root, std::string_view id);

/// Reads the identity key files; checks that the public file matches the secret.
/// ConfigErrc::key_error (missing, malformed, mismatched, or a secret readable by group/others).
[[nodiscard]] ConfigResult<ClientKeys> load_keys(const Config& config);
/// ConfigErrc::key_error when missing or malformed.
[[nodiscard]] ConfigResult<wire::gateway::SharedKey> load_shared_key(const Config& config);
[[nodiscard]] ConfigResult<void> save_shared_key(const Config& config, const wire::gateway::SharedKey& key);

/// Everything `init` writes: keys (0600 secrets), the gateway's shared key (0600) and config.toml.
/// ConfigErrc::already_exists when the client already exists and !force; on success the client folder
/// holds a complete, loadable client.
[[nodiscard]] ConfigResult<void> write_client(const Config& config, const std::filesystem::path& config_file,
                                              const crypto::Ed25519SecretKey& identity,
                                              const wire::gateway::SharedKey& shared_key, bool force);

} // namespace nym::client
