#pragma once
// What the gateway knows about a registered client, and the lookup the client session uses. The
// message store implements it on SQLite; tests and the fuzzer use an in-memory map.

#include <crypto/secret.hpp>
#include <util/expected.hpp>
#include <wire/gateway_protocol.hpp>

#include <chrono>
#include <optional>

namespace nym::gateway {

using ClientAddress = wire::gateway::ClientAddress;
using SharedKey = wire::gateway::SharedKey;
using UnixSeconds = std::chrono::sys_seconds;

struct RegisteredClient {
    ClientAddress address;
    SharedKey shared_key;         ///< secret: derived in the registration handshake
    UnixSeconds registered_at{};  ///< the client-signed timestamp of the registration that set the key
    /// The client-signed timestamp of the last accepted authentication with this key (epoch: never);
    /// an authentication must be newer, so a recorded one cannot be replayed, even after a restart.
    UnixSeconds last_authenticated_at{};
};

class ClientRegistry {
public:
    virtual ~ClientRegistry() = default;
    /// The registered client with this address, std::nullopt when there is none; an error only when
    /// the lookup itself failed (database error).
    [[nodiscard]] virtual Expected<std::optional<RegisteredClient>> find_client(const ClientAddress& address) = 0;
};

} // namespace nym::gateway
