#include <client/network.hpp>

#include <crypto/base58.hpp>
#include <runtime/http.hpp>

#include <chrono>
#include <vector>

namespace nym::client {
namespace {

Unexpected<ConfigError> gateway_error(std::string detail) {
    return Unexpected(ConfigError(make_error_code(Errc::gateway_error), std::move(detail)));
}

} // namespace

std::uint64_t unix_seconds() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

std::string short_key(const crypto::Ed25519PublicKey& key) { return crypto::base58_encode(key.bytes); }

std::optional<Endpoint> parse_listener(const std::string& listener) {
    if (listener.empty()) return std::nullopt;
    const std::string full = listener.find("://") == std::string::npos ? "ws://" + listener : listener;
    auto url = runtime::parse_url(full);
    if (!url || url->scheme != "ws" || full.find(':', 5) == std::string::npos) return std::nullopt;
    return Endpoint{url->host, url->port, url->target};
}

ConfigResult<wire::directory::TopologyGateway> choose_gateway(const wire::directory::Topology& topology,
                                                              const std::optional<crypto::Ed25519PublicKey>& wanted,
                                                              crypto::Rng& rng) {
    if (wanted) {
        for (const auto& g : topology.gateways)
            if (g.identity_key == *wanted) {
                if (!parse_listener(g.client_listener))
                    return gateway_error("gateway " + short_key(*wanted) + " announces no usable client listener");
                return g;
            }
        return gateway_error("gateway " + short_key(*wanted) + " is not in the directory's topology");
    }
    std::vector<const wire::directory::TopologyGateway*> usable;
    for (const auto& g : topology.gateways)
        if (parse_listener(g.client_listener)) usable.push_back(&g);
    if (usable.empty()) return gateway_error("the directory lists no gateway with a client listener");
    return *usable[static_cast<std::size_t>(rng.next_u64() % usable.size())];
}

} // namespace nym::client
