#pragma once
// The presence registry: which mix nodes and gateways are alive, and under which keys. Sans-IO:
// the current time (Unix milliseconds) is passed in by the caller.
//
// Rules (docs/protocol/directory.md, "Presence"):
// - a heartbeat must carry a valid signature by its identity key;
// - its timestamp must be within max_clock_skew of now, and newer than the last one accepted from
//   that identity (replays refused);
// - it must prove possession of the Sphinx key it announces (an XEdDSA signature by that key), so
//   nobody can announce, and so block, somebody else's key;
// - an identity keeps one role; a host or Sphinx key held by an established identity cannot be
//   announced by another until the holder has been silent for claim_hold (then it is forgotten).
//   An identity is established once it has been present for establish_time or has reported
//   traffic; one that falls silent before that is forgotten after presence_timeout, so a flood of
//   one-shot identities does not occupy the registry;
// - one address may introduce at most new_identities_per_window new identities per
//   identity_window (the caller passes the sender's address; an empty one is not limited);
// - a node announcing an IP address must send its heartbeats from that address (unless
//   host_must_match_sender is off, for nodes behind a proxy), so nobody can point the mixnet's
//   traffic at a third party's address;
// - the topology at time t lists the nodes heard from within presence_timeout.

#include <directory/errors.hpp>
#include <wire/directory.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace nym::directory {

struct RegistryConfig {
    std::chrono::milliseconds presence_timeout{10'000}; ///< as the 2019 nym-directory
    std::chrono::milliseconds max_clock_skew{60'000};
    std::chrono::milliseconds claim_hold{300'000};      ///< must be >= max_clock_skew (replay safety)
    std::chrono::milliseconds establish_time{60'000};   ///< presence after which a claim is held
    std::size_t max_nodes = 10'000;
    bool require_key_proof = true;                      ///< heartbeats must prove the Sphinx key
    std::size_t topology_clients_per_gateway = 100;     ///< registered clients listed per gateway
    std::size_t topology_clients_total = 5'000;         ///< ... and in the whole topology
    std::size_t new_identities_per_window = 32;         ///< per sender address
    std::chrono::milliseconds identity_window{60'000};
    bool host_must_match_sender = true;
};

class PresenceRegistry {
public:
    explicit PresenceRegistry(RegistryConfig config = {});

    /// `peer` is the sender's address (for the per-address limit of new identities).
    [[nodiscard]] Expected<void> accept(const wire::directory::MixnodeHeartbeat& heartbeat, std::int64_t now_ms,
                                        std::string_view peer = {});
    [[nodiscard]] Expected<void> accept(const wire::directory::GatewayHeartbeat& heartbeat, std::int64_t now_ms,
                                        std::string_view peer = {});
    /// A registered node carried traffic (its metric report counted packets): it is established.
    void note_traffic(const crypto::Ed25519PublicKey& identity);

    /// Nodes heard from within presence_timeout of now_ms, mix nodes by (layer, host), gateways by host.
    /// Registered clients are listed up to topology_clients_per_gateway per gateway and
    /// topology_clients_total in all (the rest: registered_clients()).
    [[nodiscard]] wire::directory::Topology topology(std::int64_t now_ms) const;
    /// Every client a present gateway registered, or std::nullopt for an unknown or silent gateway.
    [[nodiscard]] std::optional<std::vector<crypto::X25519PublicKey>> registered_clients(
        const crypto::Ed25519PublicKey& gateway, std::int64_t now_ms) const;
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
        std::int64_t first_seen_ms = 0;
        bool carried_traffic = false;
    };

    template <class Heartbeat>
    Expected<void> admit(const Heartbeat& heartbeat, std::int64_t now_ms, std::string_view peer);
    [[nodiscard]] bool established(const Node& node) const noexcept;
    [[nodiscard]] bool allow_new_identity(std::string_view peer, std::int64_t now_ms);
    void unindex(const IdentityBytes& identity, const Node& node);

    RegistryConfig m_config;
    std::map<IdentityBytes, Node> m_nodes;
    std::map<std::string, IdentityBytes> m_hosts;
    std::map<SphinxBytes, IdentityBytes> m_sphinx_keys;
    std::map<std::string, std::vector<std::int64_t>, std::less<>> m_new_identities; ///< per peer: times admitted
};

} // namespace nym::directory
