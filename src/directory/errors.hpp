#pragma once
// Errors of the directory's registries: well-formed, correctly signed messages that are still refused.

#include <system_error>
#include <type_traits>

namespace nym::directory {

enum class Errc {
    clock_skew = 1,      ///< timestamp further than max_clock_skew from the directory's clock
    replayed,            ///< timestamp not newer than the last one accepted from this identity
    identity_conflict,   ///< host or Sphinx key already held by another identity
    role_conflict,       ///< a mix node's identity announcing a gateway, or the reverse
    registry_full,       ///< max_nodes distinct identities already registered
    unknown_node,        ///< a metric report from a Sphinx key no registered mix node holds
    rate_limited,        ///< too many new identities from one address within the window
    foreign_host,        ///< the announced IP address is not the one the heartbeat came from
    chain_param_unknown, ///< a query parameter GET /api/chain/<method> does not take
    chain_param_invalid, ///< a query parameter that is not a decimal number 1..2^63-1
    service_url_invalid, ///< a --issuer / --provider value that is not an http(s):// base URL
};

const std::error_category& directory_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), directory_category()}; }

} // namespace nym::directory

template <>
struct std::is_error_code_enum<nym::directory::Errc> : std::true_type {};
