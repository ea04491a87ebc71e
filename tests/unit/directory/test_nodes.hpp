#pragma once
// Signed heartbeats and metric reports of deterministic test nodes.

#include <crypto/ed25519.hpp>
#include <crypto/rng.hpp>
#include <crypto/x25519.hpp>
#include <wire/directory.hpp>

#include <string>

namespace nym::directory::testing {

inline constexpr std::int64_t NOW_MS = 1'700'000'000'000;

struct TestNode {
    crypto::Ed25519SecretKey identity;
    crypto::X25519SecretKey sphinx;
    crypto::X25519PublicKey sphinx_key;

    explicit TestNode(std::uint64_t seed) {
        crypto::DeterministicRng rng(seed);
        identity = crypto::Ed25519SecretKey::generate(rng);
        sphinx = crypto::X25519SecretKey::generate(rng);
        sphinx_key = sphinx.public_key();
    }

    wire::directory::MixnodeHeartbeat mixnode(std::string host, std::int64_t timestamp_ms = NOW_MS, std::uint8_t layer = 1) const {
        wire::directory::MixnodeHeartbeat h;
        h.host = std::move(host);
        h.identity_key = identity.public_key();
        h.sphinx_key = sphinx_key;
        h.layer = layer;
        h.version = "0.1.0";
        h.timestamp_ms = timestamp_ms;
        wire::directory::sign(h, identity, sphinx);
        return h;
    }

    wire::directory::GatewayHeartbeat gateway(std::string host, std::int64_t timestamp_ms = NOW_MS) const {
        wire::directory::GatewayHeartbeat h;
        h.host = std::move(host);
        h.client_listener = "ws://127.0.0.1:9000";
        h.identity_key = identity.public_key();
        h.sphinx_key = sphinx_key;
        h.version = "0.1.0";
        h.timestamp_ms = timestamp_ms;
        crypto::DeterministicRng rng(99);
        crypto::X25519PublicKey client;
        rng.fill(client.bytes);
        h.registered_clients.push_back(client);
        wire::directory::sign(h, identity, sphinx);
        return h;
    }

    wire::directory::MixMetric metric(std::int64_t timestamp_ms = NOW_MS) const {
        wire::directory::MixMetric m;
        m.pub_key = sphinx_key;
        m.sent = {{"10.0.0.2:1789", 5}, {"10.0.0.1:1789", 7}};
        m.received = 12;
        m.timestamp_ms = timestamp_ms;
        wire::directory::sign(m, identity);
        return m;
    }
};

} // namespace nym::directory::testing
