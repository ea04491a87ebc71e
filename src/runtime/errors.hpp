#pragma once
// Errors of the runtime library that are not plain socket errors (those come back as the
// std::error_code of the system / Beast category unchanged).

#include <system_error>
#include <type_traits>

namespace nym::runtime {

enum class Errc {
    timeout = 1,        ///< the peer did not answer within the configured time
    invalid_url,        ///< a URL this runtime cannot reach (only http:// and ws:// without TLS)
    connection_closed,  ///< the peer closed the connection (websocket close frame or EOF)
    response_too_large, ///< an HTTP response body beyond the client's limit
};

const std::error_category& runtime_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), runtime_category()}; }

} // namespace nym::runtime

template <>
struct std::is_error_code_enum<nym::runtime::Errc> : std::true_type {};
