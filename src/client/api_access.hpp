#pragma once
// Who may open a session on the client's API. The API listens on loopback only, but a web page in a
// browser on the same machine can still open a websocket to 127.0.0.1 from any site ("cross-site
// websocket hijacking") and, through DNS rebinding, under a name of the attacker's. Browsers send
// the page's Origin and the name they connected to as Host, so the upgrade is refused unless
//   - the peer is a loopback address,
//   - Host names the loopback interface with the API port: 127.0.0.1:P, localhost:P or [::1]:P,
//   - Origin is absent (a program, not a page) or one of the configured allowed origins; the opaque
//     origin "null" (sandboxed frames, file:// pages) is never allowed.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nym::client {

enum class ApiRefusal : std::uint8_t { none, not_loopback, bad_host, bad_origin };
[[nodiscard]] std::string_view to_string(ApiRefusal refusal) noexcept;

[[nodiscard]] bool is_loopback(std::string_view ip) noexcept;

/// ApiRefusal::none when the upgrade may go ahead (see above); `port` is the API's port.
[[nodiscard]] ApiRefusal check_api_upgrade(std::string_view remote_ip, std::string_view host,
                                           const std::optional<std::string>& origin, std::uint16_t port,
                                           const std::vector<std::string>& allowed_origins);

/// An allowed_origins entry as compared: lower case, without a trailing '/'. std::nullopt for a value
/// that can never be an origin ("null", empty, spaces or control characters, over 256 characters).
[[nodiscard]] std::optional<std::string> normalise_origin(std::string_view origin);

} // namespace nym::client
