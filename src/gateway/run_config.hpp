#pragma once
// What `nym-gateway run` starts from: the config file under <root>/<id>/, overridden by the
// command's flags, checked, with the keys read and the message store opened. Every failure is one
// line for the operator.

#include <gateway/config.hpp>
#include <gateway/message_store.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace nym::gateway {

/// The flags of `nym-gateway run`; unset ones keep the config file's values.
struct RunFlags {
    std::string id;
    std::string root;                         ///< empty: $HOME/.nym/gateways
    std::optional<std::string> host;          ///< address to listen on
    std::optional<std::string> announce_host; ///< address announced to the directory
    std::optional<int> mix_port;              ///< 0 = any free port
    std::optional<int> clients_port;          ///< 0 = any free port
    std::optional<int> admin_port;            ///< enables the admin listener; 0 = any free port
    std::optional<std::string> directory;
    std::optional<std::uint64_t> max_age_secs;
    std::string heartbeat_interval = "2s";
    std::string cleanup_interval;             ///< empty: the config's
};

/// Where and how the daemon runs.
struct DaemonConfig {
    Config config;                                      ///< merged with the flags and validated
    std::string listen_host;                            ///< address both listeners bind
    std::uint16_t mix_port = 0;                         ///< 0 = any free port
    std::uint16_t clients_port = 0;                     ///< 0 = any free port
    std::optional<std::uint16_t> admin_port;            ///< the admin listener on 127.0.0.1, when enabled
    std::chrono::milliseconds heartbeat_interval{2000}; ///< presence heartbeats to the directory
};

struct PreparedRun {
    DaemonConfig daemon;
    GatewayKeys keys;
    std::unique_ptr<MessageStore> store;
};

/// Loads and checks everything `run` needs; the error is one line ("no gateway 'gw1' under ...").
[[nodiscard]] Expected<PreparedRun, std::string> prepare_run(const RunFlags& flags);

} // namespace nym::gateway
