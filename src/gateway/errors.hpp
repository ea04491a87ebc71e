#pragma once
// Errors of the gateway library: storage, configuration and key files, final-hop processing. Every one
// is returned as a value to the caller that handles it (the daemon's connection or start-up code).

#include <system_error>
#include <type_traits>

namespace nym::gateway {

enum class Errc {
    database_error = 1,     ///< SQLite refused an open, prepare or step (disk full, I/O error, locked, corrupt)
    insecure_permissions,   ///< the database file could not be made private (0600)
    quota_exceeded_count,   ///< storing would take the client past its message-count quota; nothing stored
    quota_exceeded_bytes,   ///< storing would take the client past its byte quota; nothing stored
    message_too_large,      ///< a single message larger than the store accepts
    unknown_client,         ///< no registered client has this address
    config_missing,         ///< no config.toml where one was expected
    config_exists,          ///< init would overwrite an existing gateway (use --force)
    invalid_config,         ///< config.toml is not TOML, or a value is missing, of the wrong type or out of range
    key_file_error,         ///< a key file could not be written or read (see the crypto error logged with it)
    io_error,               ///< a folder or file could not be created or written
    no_home,                ///< $HOME is unset or empty and no --root was given
};

const std::error_category& gateway_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), gateway_category()}; }

} // namespace nym::gateway

template <>
struct std::is_error_code_enum<nym::gateway::Errc> : std::true_type {};
