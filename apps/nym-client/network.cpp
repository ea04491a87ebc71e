#include "network.hpp"

#include <client/gateway_link.hpp>

#include <crypto/base58.hpp>
#include <runtime/http.hpp>
#include <runtime/http_client.hpp>
#include <runtime/ws_connection.hpp>

#include <condition_variable>
#include <memory>
#include <mutex>

namespace nym::client::app {

std::uint64_t unix_seconds() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

std::string short_key(const crypto::Ed25519PublicKey& key) { return crypto::base58_encode(key.bytes); }

ConfigResult<wire::directory::Topology> fetch_topology(const std::string& directory_url, std::chrono::milliseconds timeout) {
    auto url = runtime::parse_url(directory_url);
    if (!url) return Unexpected(ConfigError(Errc::directory_error, "unusable directory URL '" + directory_url + "'"));
    runtime::ClientOptions options;
    options.timeout = timeout;
    auto result = runtime::http_request(url->host, url->port, "GET", "/api/presence/topology", {},
                                        runtime::CONTENT_TYPE_JSON, options);
    if (!result)
        return Unexpected(ConfigError(Errc::directory_error,
                                      "cannot reach the directory at " + directory_url + ": " + result.error().message()));
    if (result->status != 200)
        return Unexpected(ConfigError(Errc::directory_error, "the directory at " + directory_url + " answered HTTP " +
                                                                 std::to_string(result->status)));
    auto topology = wire::directory::parse_topology(result->body);
    if (!topology)
        return Unexpected(ConfigError(Errc::directory_error,
                                      "the directory's topology does not parse: " + topology.error().message()));
    return std::move(*topology);
}

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
                    return Unexpected(ConfigError(Errc::gateway_error, "gateway " + short_key(*wanted) +
                                                                           " announces no usable client listener"));
                return g;
            }
        return Unexpected(ConfigError(Errc::gateway_error,
                                      "gateway " + short_key(*wanted) + " is not in the directory's topology"));
    }
    std::vector<const wire::directory::TopologyGateway*> usable;
    for (const auto& g : topology.gateways)
        if (parse_listener(g.client_listener)) usable.push_back(&g);
    if (usable.empty())
        return Unexpected(ConfigError(Errc::gateway_error, "the directory lists no gateway with a client listener"));
    return *usable[static_cast<std::size_t>(rng.next_u64() % usable.size())];
}

ConfigResult<wire::gateway::SharedKey> register_at(const wire::directory::TopologyGateway& gateway,
                                                   const crypto::Ed25519SecretKey& identity, crypto::Rng& rng,
                                                   std::chrono::milliseconds timeout) {
    const auto endpoint = parse_listener(gateway.client_listener);
    if (!endpoint) return Unexpected(ConfigError(Errc::gateway_error, "no usable client listener"));
    const std::string where = gateway.client_listener;

    // The link is driven from the connection's thread once the request is out; the result is
    // handed back through this shared state.
    struct Shared {
        explicit Shared(GatewayLink l) : link(std::move(l)) {}
        std::mutex mutex;
        std::condition_variable done;
        std::optional<ConfigResult<wire::gateway::SharedKey>> result;
        GatewayLink link;
        runtime::WsConnection* connection = nullptr;
        void finish(ConfigResult<wire::gateway::SharedKey> r) {
            if (!result) result = std::move(r);
            done.notify_all();
        }
    };
    auto shared = std::make_shared<Shared>(GatewayLink(identity, gateway.identity_key));
    const Bytes request = shared->link.begin_register(rng, unix_seconds());

    runtime::WsConnectionHandlers handlers;
    handlers.on_message = [shared](std::span<const std::uint8_t> data, bool binary) {
        std::lock_guard lock(shared->mutex);
        if (!binary) {
            shared->finish(Unexpected(ConfigError(Errc::gateway_error, "the gateway sent a text frame")));
            return;
        }
        LinkOutput out = shared->link.on_frame(data);
        if (shared->connection != nullptr)
            for (auto& f : out.frames) shared->connection->send(std::move(f), true);
        for (auto& e : out.events) {
            if (auto* r = std::get_if<LinkRegistered>(&e)) shared->finish(std::move(r->shared_key));
            else if (auto* x = std::get_if<LinkRefused>(&e))
                shared->finish(Unexpected(ConfigError(Errc::gateway_error, "the gateway refused: " + x->reason)));
        }
    };
    handlers.on_closed = [shared, where](std::error_code ec) {
        std::lock_guard lock(shared->mutex);
        shared->finish(Unexpected(ConfigError(Errc::gateway_error, "the gateway at " + where + " closed the connection" +
                                                                       (ec ? ": " + ec.message() : std::string()))));
    };
    auto connection = runtime::WsConnection::connect(endpoint->host, endpoint->port, endpoint->target,
                                                     std::move(handlers), timeout, 64 * 1024);
    if (!connection)
        return Unexpected(ConfigError(Errc::gateway_error,
                                      "cannot reach the gateway at " + where + ": " + connection.error().message()));
    {
        std::lock_guard lock(shared->mutex);
        shared->connection = connection->get();
    }
    (*connection)->send(request, true);
    ConfigResult<wire::gateway::SharedKey> result = Unexpected(ConfigError(Errc::gateway_error));
    {
        std::unique_lock lock(shared->mutex);
        if (!shared->done.wait_for(lock, timeout, [&] { return shared->result.has_value(); }))
            shared->result = Unexpected(ConfigError(Errc::gateway_error, "no registration answer from " + where));
        result = std::move(*shared->result);
        shared->connection = nullptr;
    }
    (*connection)->close();
    connection->reset(); // joins the connection's thread
    return result;
}

} // namespace nym::client::app
