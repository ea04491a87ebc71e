#pragma once
// The presence registry: which mix nodes and gateways are alive, and under which keys. Sans-IO:
// the current time (Unix milliseconds) is passed in by the caller.
//
// Rules (docs/protocol/directory.md, "Presence"):
// - a heartbeat must carry a valid signature by its identity key;
// - its timestamp must be within max_clock_skew of now, and newer than the last one accepted from
//   that identity (replays refused);
// - an identity keeps one role; a host or Sphinx key held by one identity cannot be announced by
//   another until the holder has been silent for claim_hold (then it is forgotten);
// - the topology at time t lists the nodes heard from within presence_timeout.

#include <directory/errors.hpp>
#include <wire/directory.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>

namespace nym::directory {

struct RegistryConfig {
    std::chrono::milliseconds presence_timeout{10'000}; ///< as the 2019 nym-directory
    std::chrono::milliseconds max_clock_skew{60'000};
    std::chrono::milliseconds claim_hold{300'000};      ///< must be >= max_clock_skew (replay safety)
    std::size_t max_nodes = 10'000;
};

class PresenceRegistry {
public:
    explicit PresenceRegistry(RegistryConfig config = {});

    [[nodiscard]] Expected<void> accept(const wire::directory::MixnodeHeartbeat& heartbeat, std::int64_t now_ms);
    [[nodiscard]] Expected<void> accept(const wire::directory::GatewayHeartbeat& heartbeat, std::int64_t now_ms);

    /// Nodes heard from within presence_timeout of now_ms, mix nodes by (layer, host), gateways by host.
    [[nodiscard]] wire::directory::Topology topology(std::int64_t now_ms) const;
    /// The identity key of the registered (not yet forgotten) mix node with this Sphinx key.
    [[nodiscard]] std::optional<crypto::Ed25519PublicKey> mixnode_identity(const crypto::X25519PublicKey& sphinx_key) const;
    /// Forgets nodes silent for longer than claim_hold.
    void expire(std::int64_t now_ms);
    [[nodiscard]] std::size_t size() const noexcept { return m_nodes.size(); }
    [[nodiscard]] const RegistryConfig& config() const noexcept { return m_config; }

private:
    using IdentityBytes = std::array<std::uint8_t, crypto::ED25519_PUBLIC_KEY_SIZE>;
    using SphinxBytes = std::array<std::uint8_t, crypto::X25519_KEY_SIZE>;
    struct Node {
        std::variant<wire::directory::MixnodeHeartbeat, wire::directory::GatewayHeartbeat> heartbeat;
        std::int64_t last_seen_ms = 0;
    };

    template <class Heartbeat>
    Expected<void> admit(const Heartbeat& heartbeat, std::int64_t now_ms);
    void unindex(const IdentityBytes& identity, const Node& node);

    RegistryConfig m_config;
    std::map<IdentityBytes, Node> m_nodes;
    std::map<std::string, IdentityBytes> m_hosts;
    std::map<SphinxBytes, IdentityBytes> m_sphinx_keys;
};

} // namespace nym::directory
