#include <client/daemon_init.hpp>

#include <client/gateway_link.hpp>

#include <node/directory_client.hpp>
#include <runtime/loop.hpp>
#include <runtime/ws_connection.hpp>

#include <memory>
#include <optional>

namespace nym::client {
namespace {

Unexpected<ConfigError> gateway_error(std::string detail) {
    return Unexpected(ConfigError(make_error_code(Errc::gateway_error), std::move(detail)));
}

} // namespace

ConfigResult<wire::directory::Topology> fetch_topology(const std::string& directory_url,
                                                       std::chrono::milliseconds timeout) {
    auto topology = node::fetch_topology_once(directory_url, timeout);
    if (!topology) return Unexpected(ConfigError(make_error_code(Errc::directory_error), topology.error().message));
    return std::move(*topology);
}

ConfigResult<wire::gateway::SharedKey> register_at(const wire::directory::TopologyGateway& gateway,
                                                   const crypto::Ed25519SecretKey& identity, crypto::Rng& rng,
                                                   std::chrono::milliseconds timeout) {
    const auto endpoint = parse_listener(gateway.client_listener);
    if (!endpoint) return gateway_error("no usable client listener");
    const std::string where = gateway.client_listener;

    runtime::LoopOptions loop_options;
    loop_options.handle_signals = false;
    runtime::Loop loop(loop_options);
    GatewayLink link(identity, gateway.identity_key);
    std::unique_ptr<runtime::WsConnection> connection;
    std::optional<ConfigResult<wire::gateway::SharedKey>> result;
    const auto finish = [&](ConfigResult<wire::gateway::SharedKey> r) {
        if (result) return;
        result = std::move(r);
        loop.stop();
    };

    runtime::WsConnectionHandlers handlers;
    handlers.on_message = [&](std::span<const std::uint8_t> data, bool binary) {
        if (!binary) return finish(gateway_error("the gateway sent a text frame"));
        LinkOutput out = link.on_frame(data);
        if (connection)
            for (auto& f : out.frames) connection->send(std::move(f), true);
        for (auto& e : out.events) {
            if (auto* r = std::get_if<LinkRegistered>(&e)) finish(std::move(r->shared_key));
            else if (auto* x = std::get_if<LinkRefused>(&e)) finish(gateway_error("the gateway refused: " + x->reason));
        }
    };
    handlers.on_closed = [&](std::error_code ec) {
        finish(gateway_error("the gateway at " + where + " closed the connection" +
                             (ec ? ": " + ec.message() : std::string())));
    };
    runtime::WsConnectOptions options;
    options.timeout = timeout;
    options.max_message_size = 64 * 1024;
    runtime::WsConnection::connect(loop, endpoint->host, endpoint->port, endpoint->target, std::move(handlers), options,
                                   [&](Expected<std::unique_ptr<runtime::WsConnection>> opened) {
                                       if (!opened)
                                           return finish(gateway_error("cannot reach the gateway at " + where + ": " +
                                                                       opened.error().message()));
                                       connection = std::move(*opened);
                                       connection->send(link.begin_register(rng, unix_seconds()), true);
                                   });
    // The handshake's deadline (the connect has its own).
    loop.after(timeout * 2, [&] { finish(gateway_error("no registration answer from " + where)); });
    loop.run();
    connection.reset();
    if (!result) return gateway_error("no registration answer from " + where);
    return std::move(*result);
}

Expected<Initialised, std::string> initialise(Config config, const std::filesystem::path& config_file,
                                              const std::optional<crypto::Ed25519PublicKey>& wanted, bool force,
                                              crypto::Rng& rng) {
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    std::error_code ec;
    if (!force && std::filesystem::exists(config_file, ec))
        return Unexpected("client '" + config.id + "' already exists at " +
                          config_file.parent_path().parent_path().string() + " (use --force to replace it)");
    const auto identity = crypto::Ed25519SecretKey::generate(rng);
    auto topology = fetch_topology(config.directory_url, duration_cast<milliseconds>(config.topology_resolution_timeout));
    if (!topology) return Unexpected(topology.error().message());
    auto gateway = choose_gateway(*topology, wanted, rng);
    if (!gateway) return Unexpected(gateway.error().message());
    config.gateway_identity = gateway->identity_key;
    config.gateway_listener = gateway->client_listener;
    if (auto valid = validate(config); !valid) return Unexpected(valid.error().message());
    auto key = register_at(*gateway, identity, rng, duration_cast<milliseconds>(config.gateway_connection_timeout));
    if (!key) return Unexpected(key.error().message());
    if (auto written = write_client(config, config_file, identity, *key, force); !written)
        return Unexpected(written.error().message());
    return Initialised{std::move(config), Address{identity.public_key(), gateway->identity_key}};
}

std::string init_report(const Initialised& done, const std::filesystem::path& config_file) {
    const Config& c = done.config;
    return "Initialised client '" + c.id + "'\n" + "identity key (ed25519): " + short_key(done.address.identity) +
           "\n" + "private key: " + c.private_identity_key_file.string() + "\n" + "gateway: " +
           short_key(done.address.gateway) + " at " + c.gateway_listener + " (registered, shared key in " +
           c.gateway_shared_key_file.string() + ")\n" + "config: " + config_file.string() + "\n" +
           "address: " + to_string(done.address) + "\n";
}

} // namespace nym::client
