#pragma once
// One mixnet client without any I/O: the core (routes, encryption, acks, Poisson streams), the
// gateway link (handshake and protocol), the application API handler and the link supervisor
// (reconnect and re-registration policy), joined here so that an API request reaches the core and
// the core's packets reach the gateway link without leaving the library.
//
// The daemon (client/daemon.hpp) feeds it what happens — API messages, gateway frames, connection
// results, topologies, the time — and carries out the ClientOutput of every call, in the order the
// fields are listed. Everything runs on one thread (the loop's I/O thread); nothing here blocks
// except the small config and key writes after a registration.

#include <client/api.hpp>
#include <client/config.hpp>
#include <client/core.hpp>
#include <client/gateway_link.hpp>
#include <client/network.hpp>
#include <client/supervisor.hpp>

#include <crypto/rng.hpp>
#include <wire/client_api.hpp>
#include <wire/directory.hpp>
#include <wire/gateway_protocol.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace nym::client {

/// What the daemon does after a call, in this order.
struct ClientOutput {
    std::vector<ApiPush> api;              ///< frames for API sessions (answers and pushed messages)
    std::vector<Bytes> gateway;            ///< binary frames for the current gateway connection
    bool close_gateway = false;            ///< then close that connection
    std::optional<Endpoint> connect;       ///< then open a new one (answer with on_gateway_connected/..._failed)
    bool fetch_topology = false;           ///< ask the directory (answer with on_topology/..._failed)
    bool ready = false;                    ///< the gateway link is up for the first time
    std::optional<std::string> startup_failed; ///< the start-up failed: stop, reporting this
    /// Messages for the in-process application (with attach_application(); then not for API sessions).
    std::vector<MessageReceived> received;
};

class Client final : private ApiBackend {
public:
    using WallClock = std::function<std::uint64_t()>; ///< Unix seconds (handshake timestamps)

    /// `rng` must outlive the client. `shared_key`: the stored key for the configured gateway.
    Client(ClientSettings settings, ClientKeys keys, std::optional<wire::gateway::SharedKey> shared_key,
           crypto::Rng& rng, TimePoint now, WallClock wall_clock = unix_seconds);
    ~Client() override;
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    [[nodiscard]] ClientOutput start(TimePoint now);
    [[nodiscard]] ClientOutput on_topology(wire::directory::Topology topology, TimePoint now);
    [[nodiscard]] ClientOutput on_topology_failed(const std::string& reason, TimePoint now);

    [[nodiscard]] ClientOutput on_gateway_connected(TimePoint now);
    [[nodiscard]] ClientOutput on_gateway_connect_failed(const std::string& error, TimePoint now);
    [[nodiscard]] ClientOutput on_gateway_message(std::span<const std::uint8_t> data, bool binary, TimePoint now);
    /// The connection ended; `why` e.g. "the gateway closed the connection: end of stream".
    [[nodiscard]] ClientOutput on_gateway_closed(const std::string& why, TimePoint now);

    void api_open(ApiSessionId session);
    void api_close(ApiSessionId session);
    /// One websocket message from an API session; the answers are pushes to that session.
    [[nodiscard]] ClientOutput on_api_message(ApiSessionId session, std::span<const std::uint8_t> data, bool binary,
                                              TimePoint now);
    /// One request in another framing (the TCP socket): its responses; other effects in `out`.
    [[nodiscard]] std::vector<wire::client_api::Response> on_api_request(ApiSessionId session,
                                                                         const wire::client_api::Request& request,
                                                                         TimePoint now, ClientOutput& out);
    /// An error answer to a request refused before it could be handled (counted in the API's stats).
    [[nodiscard]] wire::client_api::Response api_error(std::string message);

    /// An application in the same process (nym-socks5-client, nym-network-requester): received
    /// messages go to ClientOutput::received instead of the API sessions.
    void attach_application() noexcept { m_application = true; }
    /// The in-process application's send and reply (as the API's); their packets are in `out`.
    [[nodiscard]] Expected<void> send_message(std::span<const std::uint8_t> message, const ParsedAddress& recipient,
                                              std::size_t reply_surbs, TimePoint now, ClientOutput& out);
    [[nodiscard]] Expected<void> send_reply(const SenderTag& tag, std::span<const std::uint8_t> message, TimePoint now,
                                            ClientOutput& out);
    [[nodiscard]] std::size_t reply_surbs_available(const SenderTag& tag) const { return m_core.reply_surbs_available(tag); }

    /// Packets, reconnections and topology refreshes that are due.
    [[nodiscard]] ClientOutput tick(TimePoint now);
    /// When tick() next has something to do.
    [[nodiscard]] TimePoint next_wakeup() const;

    [[nodiscard]] const std::string& address() const noexcept { return m_address; }
    [[nodiscard]] ClientStats stats() const { return m_core.stats(); }
    [[nodiscard]] const ApiHandler& api() const noexcept { return m_api; }
    [[nodiscard]] const Supervisor& supervisor() const noexcept { return m_supervisor; }
    [[nodiscard]] const Config& config() const noexcept { return m_config; }

private:
    // ApiBackend
    Expected<void> send(std::span<const std::uint8_t> message, const ParsedAddress& recipient,
                        std::size_t reply_surbs) override;
    Expected<void> reply(const SenderTag& tag, std::span<const std::uint8_t> message) override;
    std::vector<std::string> clients() override;
    std::string own_address() override;

    void apply(SupervisorActions actions);
    void ready(std::optional<wire::gateway::SharedKey> new_key);
    void deliver(const LinkDelivered& delivered);
    void pump();
    ClientOutput take();

    Config m_config;
    std::filesystem::path m_config_file;
    bool m_save_config;
    bool m_application = false;
    std::optional<wire::gateway::SharedKey> m_shared_key;
    crypto::Rng& m_rng;
    WallClock m_wall_clock;
    ClientCore m_core;
    GatewayLink m_link;
    ApiHandler m_api;
    Supervisor m_supervisor;
    std::string m_address;
    wire::directory::Topology m_topology;
    std::optional<Endpoint> m_gateway_endpoint;
    std::optional<Endpoint> m_connecting;
    std::vector<std::uint64_t> m_pending_acks;
    TimePoint m_now;
    ClientOutput m_out;
};

} // namespace nym::client
