#include <node/net.hpp>

#include <chrono>

namespace nym::node {

runtime::PeerAddress to_peer(const sphinx::IpEndpoint& endpoint) {
    std::string text = endpoint.to_string();
    const auto colon = text.rfind(':');
    std::string ip = text.substr(0, colon);
    if (ip.size() >= 2 && ip.front() == '[') ip = ip.substr(1, ip.size() - 2);
    return runtime::PeerAddress{ip, endpoint.port};
}

std::string host_port(std::string_view host, std::uint16_t port) {
    std::string h(host);
    if (h.find(':') != std::string::npos && h.front() != '[') return "[" + h + "]:" + std::to_string(port);
    return h + ":" + std::to_string(port);
}

std::int64_t unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::int64_t unix_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace nym::node
