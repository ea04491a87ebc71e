#pragma once
// The client's view of its gateway in the topology: where its client websocket listens, and which
// gateway a new client registers at. Pure helpers shared by `init` and the daemon.

#include <client/config.hpp>
#include <client/core.hpp>

#include <crypto/rng.hpp>
#include <wire/directory.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace nym::client {

struct Endpoint {
    std::string host;
    std::uint16_t port = 0;
    std::string target = "/";
};
/// A gateway's client listener, "ws://ip:port[/path]" or "ip:port".
[[nodiscard]] std::optional<Endpoint> parse_listener(const std::string& listener);

/// The gateway with this identity, or a random one that announces a client listener.
/// Errc::gateway_error (in a node::ConfigError) when there is none.
[[nodiscard]] ConfigResult<wire::directory::TopologyGateway> choose_gateway(
    const wire::directory::Topology& topology, const std::optional<crypto::Ed25519PublicKey>& wanted, crypto::Rng& rng);

/// Seconds since the Unix epoch (registration and authentication timestamps).
[[nodiscard]] std::uint64_t unix_seconds();
[[nodiscard]] std::string short_key(const crypto::Ed25519PublicKey& key);

} // namespace nym::client
