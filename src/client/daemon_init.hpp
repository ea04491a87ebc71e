#pragma once
// The blocking network steps of `nym-client init`, each on a small private runtime::Loop that runs
// until the answer: the topology from the directory, and the registration at the chosen gateway.

#include <client/config.hpp>
#include <client/network.hpp>

#include <crypto/ed25519.hpp>
#include <crypto/rng.hpp>
#include <wire/directory.hpp>
#include <wire/gateway_protocol.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

namespace nym::client {

/// GET <directory>/api/presence/topology. Errc::directory_error with the reason.
[[nodiscard]] ConfigResult<wire::directory::Topology> fetch_topology(const std::string& directory_url,
                                                                     std::chrono::milliseconds timeout);

/// Registers `identity` at the gateway (full handshake) and returns the shared key.
/// Errc::gateway_error when it cannot be reached, refuses, or answers something unverifiable.
[[nodiscard]] ConfigResult<wire::gateway::SharedKey> register_at(const wire::directory::TopologyGateway& gateway,
                                                                 const crypto::Ed25519SecretKey& identity,
                                                                 crypto::Rng& rng, std::chrono::milliseconds timeout);

struct Initialised {
    Config config;   ///< as written
    Address address; ///< identity@gateway
};
/// `nym-client init`: a new identity, registered at `wanted` (or a random gateway with a client
/// listener) from the directory's topology, then the keys and the config written to `config_file`.
/// Network first, files last: a failed init leaves nothing behind. The error in words.
[[nodiscard]] Expected<Initialised, std::string> initialise(Config config, const std::filesystem::path& config_file,
                                                            const std::optional<crypto::Ed25519PublicKey>& wanted,
                                                            bool force, crypto::Rng& rng);

/// What `init` prints on stdout, the address last ("address: <identity>@<gateway>").
[[nodiscard]] std::string init_report(const Initialised& done, const std::filesystem::path& config_file);

} // namespace nym::client
