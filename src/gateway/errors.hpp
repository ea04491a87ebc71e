#pragma once
// Errors of the gateway's message store, returned as values to the caller that handles them (the
// final hop, the client hub, start-up). Configuration and key-file errors are node::ConfigError.

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
    database_corrupt,       ///< the database file fails PRAGMA quick_check, or is not a database
    low_disk_space,         ///< the file system is below the store's free-space reserve; nothing stored
};

const std::error_category& gateway_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), gateway_category()}; }

} // namespace nym::gateway

template <>
struct std::is_error_code_enum<nym::gateway::Errc> : std::true_type {};
