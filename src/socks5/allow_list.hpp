#pragma once
// The network requester's allow-list (docs/protocol/socks5.md "Allow-list"): one pattern a line,
//   host:port     exact host name or address, and port
//   *.domain:port any name ending in ".domain" (not "domain" itself)
//   host:*        any port;  [v6addr]:port for IPv6;  CIDR "10.0.0.0/8:443" for IPv4 ranges
// '#' starts a comment. Nothing is allowed unless a line allows it (an empty list refuses all).
// Names are compared case-insensitively and as given by the application, before resolution; an
// address literal is compared as an address.

#include <util/expected.hpp>

#include <cstdint>
#include <optional>
#include <socks5/frames.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace nym::socks5 {

struct AllowRule {
    enum class Kind { exact_host, domain_suffix, ipv4_range, ipv6_address } kind = Kind::exact_host;
    std::string host;          ///< lower-case name or literal (exact, suffix without "*.")
    std::uint32_t network = 0; ///< ipv4_range
    std::uint32_t mask = 0;
    Bytes ipv6;                        ///< ipv6_address
    std::optional<std::uint16_t> port; ///< none = any port
};

class AllowList {
public:
    /// Parses the file text. The error names the line ("line 3: ...").
    [[nodiscard]] static Expected<AllowList, std::string> parse(std::string_view text);
    [[nodiscard]] bool allows(const Target& target) const;
    [[nodiscard]] std::size_t size() const noexcept { return m_rules.size(); }

private:
    std::vector<AllowRule> m_rules;
};

} // namespace nym::socks5
