#pragma once
// Plain HTTP request/response values exchanged between the runtime's server and the role libraries'
// handlers. No Asio or Beast type appears here, so role libraries include only this.

#include <util/expected.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nym::runtime {

inline constexpr std::string_view CONTENT_TYPE_JSON = "application/json";

struct HttpRequest {
    std::string method;         ///< "GET", "POST", ...
    std::string target;         ///< as sent, with the query
    std::string path;           ///< target without "?query"
    std::string query;          ///< after '?', undecoded
    std::string content_type;   ///< the Content-Type header, or empty
    std::string body;
    std::string remote_address; ///< "ip:port" of the peer
};

struct HttpResponse {
    unsigned status = 200;
    std::string content_type{CONTENT_TYPE_JSON};
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers; ///< extra headers (Location, Cache-Control, ...)

    static HttpResponse json(unsigned status, std::string body) {
        return HttpResponse{status, std::string(CONTENT_TYPE_JSON), std::move(body), {}};
    }
    /// {"error": message} with the given status.
    static HttpResponse error(unsigned status, std::string_view message);
};

/// Handlers run on the server's I/O thread: keep them short (no blocking I/O).
using Handler = std::function<HttpResponse(const HttpRequest&)>;
/// Completes an asynchronous request. Call it once, from any thread, while the loop lives; later
/// calls are ignored.
using Responder = std::function<void(HttpResponse)>;
/// A handler that answers later (after a database read on a Serial, a call to another service): it
/// runs on the I/O thread and must see that `respond` is called once.
using AsyncHandler = std::function<void(const HttpRequest&, Responder respond)>;

/// "http://host:port/path", "https://...", "ws://..." or "wss://...". Port defaults to 80 (443 with TLS).
struct Url {
    std::string scheme;
    std::string host;
    std::uint16_t port = 80;
    std::string target = "/";
    [[nodiscard]] bool tls() const noexcept { return scheme == "https" || scheme == "wss"; }
};
[[nodiscard]] Expected<Url> parse_url(std::string_view text);

/// A JSON string literal (quoted and escaped) for callers that build tiny bodies by hand.
[[nodiscard]] std::string json_quote(std::string_view text);

} // namespace nym::runtime
