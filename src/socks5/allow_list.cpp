#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <charconv>
#include <socks5/allow_list.hpp>

namespace nym::socks5 {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

std::optional<std::uint32_t> parse_ipv4(const std::string& text) {
    in_addr a{};
    if (inet_pton(AF_INET, text.c_str(), &a) != 1) return std::nullopt;
    return ntohl(a.s_addr);
}

Expected<AllowRule, std::string> parse_rule(std::string_view line) {
    const auto colon = line.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return Unexpected<std::string>("expected host:port");
    std::string_view host = line.substr(0, colon);
    const std::string_view port = line.substr(colon + 1);
    AllowRule rule;
    if (port != "*") {
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
            return Unexpected<std::string>("invalid port '" + std::string(port) + "' (1-65535 or *)");
        rule.port = static_cast<std::uint16_t>(value);
    }
    if (host.starts_with("[") && host.ends_with("]")) {
        const std::string text(host.substr(1, host.size() - 2));
        in6_addr a{};
        if (inet_pton(AF_INET6, text.c_str(), &a) != 1)
            return Unexpected<std::string>("invalid IPv6 address '" + text + "'");
        rule.kind = AllowRule::Kind::ipv6_address;
        rule.ipv6.assign(a.s6_addr, a.s6_addr + 16);
        return rule;
    }
    if (const auto slash = host.find('/'); slash != std::string_view::npos) {
        const auto base = parse_ipv4(std::string(host.substr(0, slash)));
        unsigned bits = 0;
        const auto b = host.substr(slash + 1);
        const auto [end, ec] = std::from_chars(b.data(), b.data() + b.size(), bits);
        if (!base || ec != std::errc() || end != b.data() + b.size() || bits > 32)
            return Unexpected<std::string>("invalid IPv4 range '" + std::string(host) + "'");
        rule.kind = AllowRule::Kind::ipv4_range;
        rule.mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
        rule.network = *base & rule.mask;
        return rule;
    }
    if (host.starts_with("*.")) {
        host.remove_prefix(2);
        if (host.empty()) return Unexpected<std::string>("empty domain after '*.'");
        rule.kind = AllowRule::Kind::domain_suffix;
        rule.host = lower(host);
        return rule;
    }
    if (host.empty() || host.find_first_of(" \t*/\\@[]") != std::string_view::npos)
        return Unexpected<std::string>("invalid host '" + std::string(host) + "'");
    if (const auto v4 = parse_ipv4(std::string(host))) {
        rule.kind = AllowRule::Kind::ipv4_range;
        rule.network = *v4;
        rule.mask = ~std::uint32_t{0};
        return rule;
    }
    rule.kind = AllowRule::Kind::exact_host;
    rule.host = lower(host);
    return rule;
}

} // namespace

Expected<AllowList, std::string> AllowList::parse(std::string_view text) {
    AllowList list;
    std::size_t number = 0;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        ++number;
        if (const auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
        line = trim(line);
        if (line.empty()) continue;
        auto rule = parse_rule(line);
        if (!rule) return Unexpected<std::string>("line " + std::to_string(number) + ": " + rule.error());
        list.m_rules.push_back(std::move(*rule));
    }
    return list;
}

bool AllowList::allows(const Target& target) const {
    std::optional<std::uint32_t> v4;
    std::string name;
    switch (target.type) {
    case AddressType::ipv4:
        if (target.address.size() == 4)
            v4 = (std::uint32_t{target.address[0]} << 24) | (std::uint32_t{target.address[1]} << 16) |
                 (std::uint32_t{target.address[2]} << 8) | target.address[3];
        break;
    case AddressType::domain:
        name = lower(std::string(target.address.begin(), target.address.end()));
        if (!v4) v4 = parse_ipv4(name); // "127.0.0.1" given as a name is still an address
        break;
    case AddressType::ipv6:
        break;
    }
    for (const auto& rule : m_rules) {
        if (rule.port && *rule.port != target.port) continue;
        switch (rule.kind) {
        case AllowRule::Kind::exact_host:
            if (!name.empty() && name == rule.host) return true;
            break;
        case AllowRule::Kind::domain_suffix:
            if (name.size() > rule.host.size() && name.ends_with(rule.host) &&
                name[name.size() - rule.host.size() - 1] == '.')
                return true;
            break;
        case AllowRule::Kind::ipv4_range:
            if (v4 && (*v4 & rule.mask) == rule.network) return true;
            break;
        case AllowRule::Kind::ipv6_address:
            if (target.type == AddressType::ipv6 && target.address == rule.ipv6) return true;
            break;
        }
    }
    return false;
}

} // namespace nym::socks5
