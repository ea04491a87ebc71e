#pragma once
// Wire types of the directory API (docs/protocol/directory.md), shared by the directory server and
// the nodes and clients that talk to it. Pure: JSON text in and out, no sockets, no clock.
//
// The JSON shapes follow the 2019-2020 nym-directory (reference nym-mixnet.md section 6): topology
// members "MixNodes" / "MixProviderNodes", "pubKey" = the node's Sphinx (X25519) key in base58,
// "lastSeen" = Unix nanoseconds. Heartbeats and metric reports are additionally signed with the
// node's Ed25519 identity key over a canonical byte encoding (never over JSON text).

#include <crypto/ed25519.hpp>
#include <crypto/x25519.hpp>
#include <util/expected.hpp>
#include <wire/errors.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nym::wire::directory {

inline constexpr std::size_t MAX_DIRECTORY_MESSAGE_SIZE = 64 * 1024; ///< bytes of JSON text
inline constexpr std::size_t MAX_HOST_LENGTH = 255;
inline constexpr std::size_t MAX_VERSION_LENGTH = 64;
inline constexpr std::size_t MAX_REGISTERED_CLIENTS = 1000;
inline constexpr std::size_t MAX_METRIC_PEERS = 1000;
inline constexpr std::size_t MAX_TOPOLOGY_NODES = 10000;
inline constexpr std::uint8_t MIN_LAYER = 1;
inline constexpr std::uint8_t MAX_LAYER = 3;

/// Domain tags that start every signed encoding, so a signature of one message kind can never be
/// replayed as another.
inline constexpr std::string_view MIXNODE_HEARTBEAT_TAG = "nym-cpp/directory/mixnode-heartbeat/v1";
inline constexpr std::string_view GATEWAY_HEARTBEAT_TAG = "nym-cpp/directory/gateway-heartbeat/v1";
inline constexpr std::string_view MIX_METRIC_TAG = "nym-cpp/directory/mix-metric/v1";
/// Domain tag of the proof that a node holds the Sphinx key it announces: an XEdDSA signature by
/// the Sphinx key over tag ‖ identity key ‖ Sphinx key (docs/protocol/directory.md).
inline constexpr std::string_view SPHINX_KEY_PROOF_TAG = "nym-cpp/directory/sphinx-key-proof/v1";

using Bytes = std::vector<std::uint8_t>;

struct MixnodeHeartbeat {
    std::string host;                        ///< mixnet listener "ip:port"
    crypto::Ed25519PublicKey identity_key;
    crypto::X25519PublicKey sphinx_key;
    std::uint8_t layer = 1;                  ///< 1..3
    std::string version;
    std::int64_t timestamp_ms = 0;           ///< Unix milliseconds, set by the node when signing
    /// Optional: the Sphinx key that becomes current at `next_sphinx_key_from_ms` (Unix ms), when the
    /// node's key epoch rotates; sphinx_key stays accepted for one more epoch after that. Both or
    /// neither; signed when present, so heartbeats without them sign exactly as before.
    std::optional<crypto::X25519PublicKey> next_sphinx_key;
    std::optional<std::int64_t> next_sphinx_key_from_ms;
    crypto::Ed25519Signature signature;
    std::optional<crypto::Ed25519Signature> sphinx_key_proof; ///< "sphinxKeyProof"; the directory requires it
    friend bool operator==(const MixnodeHeartbeat&, const MixnodeHeartbeat&) = default;
};

struct GatewayHeartbeat {
    std::string host;                        ///< mixnet listener "ip:port"
    std::string client_listener;             ///< where clients connect ("ws://ip:port" or "ip:port")
    crypto::Ed25519PublicKey identity_key;
    crypto::X25519PublicKey sphinx_key;
    std::string version;
    std::int64_t timestamp_ms = 0;
    std::vector<crypto::X25519PublicKey> registered_clients;
    crypto::Ed25519Signature signature;
    std::optional<crypto::Ed25519Signature> sphinx_key_proof; ///< "sphinxKeyProof"; the directory requires it
    friend bool operator==(const GatewayHeartbeat&, const GatewayHeartbeat&) = default;
};

/// Packets a mix sent to each next hop ("ip:port" -> count) and received, over its last interval.
struct MixMetric {
    crypto::X25519PublicKey pub_key;         ///< the mix's Sphinx key, as in the topology
    std::map<std::string, std::uint64_t> sent;
    std::uint64_t received = 0;
    std::int64_t timestamp_ms = 0;
    crypto::Ed25519Signature signature;      ///< by the identity key the mix registered with
    friend bool operator==(const MixMetric&, const MixMetric&) = default;
};

struct TopologyMixNode {
    std::string host;
    crypto::X25519PublicKey pub_key;
    std::uint8_t layer = 1;
    std::int64_t last_seen_ns = 0;
    crypto::Ed25519PublicKey identity_key;
    std::string version;
    friend bool operator==(const TopologyMixNode&, const TopologyMixNode&) = default;
};

struct TopologyGateway {
    std::string host;
    crypto::X25519PublicKey pub_key;
    std::vector<crypto::X25519PublicKey> registered_clients;
    std::int64_t last_seen_ns = 0;
    std::string client_listener;
    crypto::Ed25519PublicKey identity_key;
    std::string version;
    friend bool operator==(const TopologyGateway&, const TopologyGateway&) = default;
};

struct Topology {
    std::vector<TopologyMixNode> mix_nodes;
    std::vector<TopologyGateway> gateways;
    friend bool operator==(const Topology&, const Topology&) = default;
};

// ---- canonical signed encodings (docs/protocol/directory.md, "Signatures") ----
[[nodiscard]] Bytes signing_bytes(const MixnodeHeartbeat& heartbeat);
[[nodiscard]] Bytes signing_bytes(const GatewayHeartbeat& heartbeat);
[[nodiscard]] Bytes signing_bytes(const MixMetric& metric);

/// Fill in the signature and the proof of possession of the Sphinx key (the heartbeat's keys must
/// belong to `identity` and `sphinx`).
void sign(MixnodeHeartbeat& heartbeat, const crypto::Ed25519SecretKey& identity, const crypto::X25519SecretKey& sphinx);
void sign(GatewayHeartbeat& heartbeat, const crypto::Ed25519SecretKey& identity, const crypto::X25519SecretKey& sphinx);
void sign(MixMetric& metric, const crypto::Ed25519SecretKey& key);

/// The message a Sphinx key signs to prove that its holder announces it under `identity`.
[[nodiscard]] Bytes sphinx_key_proof_message(const crypto::Ed25519PublicKey& identity,
                                             const crypto::X25519PublicKey& sphinx);
/// Errc::missing_key_proof / Errc::bad_key_proof unless the heartbeat carries a valid proof.
[[nodiscard]] Expected<void> verify_key_proof(const MixnodeHeartbeat& heartbeat);
[[nodiscard]] Expected<void> verify_key_proof(const GatewayHeartbeat& heartbeat);

/// Errc::bad_signature unless the signature verifies under the heartbeat's own identity key.
[[nodiscard]] Expected<void> verify(const MixnodeHeartbeat& heartbeat);
[[nodiscard]] Expected<void> verify(const GatewayHeartbeat& heartbeat);
/// A metric names no identity key of its own: the caller supplies the one the mix registered with.
[[nodiscard]] Expected<void> verify(const MixMetric& metric, const crypto::Ed25519PublicKey& identity_key);

// ---- JSON ----
// The parsers accept any member order, ignore unknown members, and check every field; they never
// throw. A message without "signature" parses to Errc::unsigned_message.
[[nodiscard]] Expected<MixnodeHeartbeat> parse_mixnode_heartbeat(std::string_view json);
[[nodiscard]] Expected<GatewayHeartbeat> parse_gateway_heartbeat(std::string_view json);
[[nodiscard]] Expected<MixMetric> parse_mix_metric(std::string_view json);
[[nodiscard]] Expected<Topology> parse_topology(std::string_view json);
/// A JSON array of metrics (GET /api/metrics/mixes).
[[nodiscard]] Expected<std::vector<MixMetric>> parse_mix_metrics(std::string_view json);

[[nodiscard]] std::string to_json(const MixnodeHeartbeat& heartbeat);
[[nodiscard]] std::string to_json(const GatewayHeartbeat& heartbeat);
[[nodiscard]] std::string to_json(const MixMetric& metric);
[[nodiscard]] std::string to_json(const Topology& topology);
[[nodiscard]] std::string to_json(const std::vector<MixMetric>& metrics);

/// {"error": message}: the body of every 4xx/5xx answer of the directory.
[[nodiscard]] std::string error_json(std::string_view message);

// ---- helpers ----
[[nodiscard]] std::string key_to_base58(const crypto::Ed25519PublicKey& key);
[[nodiscard]] std::string key_to_base58(const crypto::X25519PublicKey& key);
[[nodiscard]] Expected<crypto::Ed25519PublicKey> ed25519_key_from_base58(std::string_view text);
[[nodiscard]] Expected<crypto::X25519PublicKey> x25519_key_from_base58(std::string_view text);
/// "host:port" with a non-empty host of printable characters and a port in 1..65535.
[[nodiscard]] Expected<void> check_host(std::string_view host);

} // namespace nym::wire::directory
