#include <sphinx/errors.hpp>
#include <sphinx/node_address.hpp>

#include <arpa/inet.h> // inet_pton / inet_ntop: text conversion only, no sockets

#include <algorithm>
#include <charconv>

namespace nym::sphinx {
namespace {

constexpr std::size_t PORT_OFFSET = 1;
constexpr std::size_t IP_OFFSET = 3;

Expected<std::uint16_t> parse_port(std::string_view text) {
    if (text.empty() || text.size() > 5) return fail(Errc::invalid_node_address);
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value > 65535) return fail(Errc::invalid_node_address);
    return static_cast<std::uint16_t>(value);
}

} // namespace

IpEndpoint IpEndpoint::v4(std::array<std::uint8_t, 4> ip, std::uint16_t port) noexcept {
    IpEndpoint e;
    e.family = Family::v4;
    std::copy(ip.begin(), ip.end(), e.ip.begin());
    e.port = port;
    return e;
}

IpEndpoint IpEndpoint::v6(std::array<std::uint8_t, 16> ip, std::uint16_t port) noexcept {
    IpEndpoint e;
    e.family = Family::v6;
    e.ip = ip;
    e.port = port;
    return e;
}

Expected<IpEndpoint> IpEndpoint::parse(std::string_view text) {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return fail(Errc::invalid_node_address);
    auto port = parse_port(text.substr(colon + 1));
    if (!port) return Unexpected(port.error());
    std::string_view host = text.substr(0, colon);
    IpEndpoint e;
    e.port = *port;
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        const std::string h(host.substr(1, host.size() - 2));
        if (inet_pton(AF_INET6, h.c_str(), e.ip.data()) != 1) return fail(Errc::invalid_node_address);
        e.family = Family::v6;
        return e;
    }
    const std::string h(host);
    if (inet_pton(AF_INET, h.c_str(), e.ip.data()) != 1) return fail(Errc::invalid_node_address);
    e.family = Family::v4;
    return e;
}

std::string IpEndpoint::to_string() const {
    char buf[64] = {};
    const bool v6 = family == Family::v6;
    if (inet_ntop(v6 ? AF_INET6 : AF_INET, ip.data(), buf, sizeof buf) == nullptr) return "?";
    std::string out;
    out.reserve(64);
    if (v6) out.push_back('[');
    out.append(buf);
    if (v6) out.push_back(']');
    out.push_back(':');
    out.append(std::to_string(port));
    return out;
}

NodeAddress encode_node_address(const IpEndpoint& endpoint) noexcept {
    NodeAddress a;
    const bool v6 = endpoint.family == IpEndpoint::Family::v6;
    a.bytes[0] = v6 ? NODE_ADDRESS_TYPE_IPV6 : NODE_ADDRESS_TYPE_IPV4;
    a.bytes[PORT_OFFSET] = static_cast<std::uint8_t>(endpoint.port >> 8);
    a.bytes[PORT_OFFSET + 1] = static_cast<std::uint8_t>(endpoint.port & 0xff);
    const std::size_t ip_len = v6 ? 16 : 4;
    std::copy_n(endpoint.ip.begin(), ip_len, a.bytes.begin() + IP_OFFSET);
    return a;
}

Expected<IpEndpoint> decode_node_address(const NodeAddress& address) {
    const auto& b = address.bytes;
    std::size_t ip_len = 0;
    IpEndpoint e;
    if (b[0] == NODE_ADDRESS_TYPE_IPV4) {
        ip_len = 4;
        e.family = IpEndpoint::Family::v4;
    } else if (b[0] == NODE_ADDRESS_TYPE_IPV6) {
        ip_len = 16;
        e.family = IpEndpoint::Family::v6;
    } else {
        return fail(Errc::invalid_node_address);
    }
    const auto padding = std::span(b).subspan(IP_OFFSET + ip_len);
    if (std::any_of(padding.begin(), padding.end(), [](std::uint8_t x) { return x != 0; }))
        return fail(Errc::invalid_node_address);
    e.port = static_cast<std::uint16_t>((b[PORT_OFFSET] << 8) | b[PORT_OFFSET + 1]);
    std::copy_n(b.begin() + IP_OFFSET, ip_len, e.ip.begin());
    return e;
}

} // namespace nym::sphinx
