#include <directory/chain_proxy.hpp>
#include <directory/errors.hpp>

#include <algorithm>
#include <cstdint>

namespace nym::directory {
namespace {

std::array<std::string_view, 3> params_of(std::string_view method) {
    if (method == "validators") return {"height", "page", "per_page"};
    if (method == "blockchain") return {"minHeight", "maxHeight", ""};
    if (method == "block_results") return {"height", "", ""};
    return {"", "", ""};
}

bool positive_int64(std::string_view value) {
    if (value.empty() || value.size() > 19 || value.front() == '0') return false;
    std::uint64_t n = 0;
    for (char c : value) {
        if (c < '0' || c > '9') return false;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return n <= static_cast<std::uint64_t>(INT64_MAX);
}

} // namespace

Expected<std::string> chain_rpc_target(std::string_view method, std::string_view query) {
    const auto allowed = params_of(method);
    std::string target = "/" + std::string(method);
    char separator = '?';
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        const auto key = pair.substr(0, eq);
        if (eq == std::string_view::npos || key.empty() ||
            std::find(allowed.begin(), allowed.end(), key) == allowed.end())
            return Unexpected(make_error_code(Errc::chain_param_unknown));
        const auto value = pair.substr(eq + 1);
        if (!positive_int64(value)) return Unexpected(make_error_code(Errc::chain_param_invalid));
        target += separator;
        target.append(key).append("=").append(value);
        separator = '&';
    }
    return target;
}

} // namespace nym::directory
