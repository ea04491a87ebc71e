#pragma once
// Blocking network steps of nym-client shared by `init` and `run`: fetching the topology from the
// directory, choosing a gateway, and registering at it over its client websocket.

#include <client/config.hpp>
#include <client/core.hpp>

#include <crypto/rng.hpp>
#include <wire/directory.hpp>
#include <wire/gateway_protocol.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace nym::client::app {

/// GET <directory>/api/presence/topology. Errc::directory_error with the reason.
[[nodiscard]] ConfigResult<wire::directory::Topology> fetch_topology(const std::string& directory_url,
                                                          std::chrono::milliseconds timeout);

struct Endpoint {
    std::string host;
    std::uint16_t port = 0;
    std::string target = "/";
};
/// A gateway's client listener, "ws://ip:port[/path]" or "ip:port".
[[nodiscard]] std::optional<Endpoint> parse_listener(const std::string& listener);

/// The gateway with this identity, or a random one that announces a client listener.
/// Errc::gateway_error when there is none.
[[nodiscard]] ConfigResult<wire::directory::TopologyGateway> choose_gateway(const wire::directory::Topology& topology,
                                                                 const std::optional<crypto::Ed25519PublicKey>& wanted,
                                                                 crypto::Rng& rng);

/// Registers `identity` at the gateway (full handshake) and returns the shared key.
/// Errc::gateway_error when it cannot be reached, refuses, or answers something unverifiable.
[[nodiscard]] ConfigResult<wire::gateway::SharedKey> register_at(const wire::directory::TopologyGateway& gateway,
                                                                 const crypto::Ed25519SecretKey& identity,
                                                                 crypto::Rng& rng, std::chrono::milliseconds timeout);

[[nodiscard]] std::uint64_t unix_seconds();
[[nodiscard]] std::string short_key(const crypto::Ed25519PublicKey& key);

} // namespace nym::client::app
