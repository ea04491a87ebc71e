#pragma once
// The running gateway (docs/protocol/gateway.md "Running the gateway") on the process's one
// runtime::Loop:
//
//   I/O thread     mix port (TcpService): frames from layer 3 → StoreQueue; EgressQueues → persistent
//                  connections to layer-1 mix nodes (client packets and SURB-acks, ClearedFrames only)
//                  client port (HttpServer): websocket "/" (ClientHub) and GET /api/stats (aggregate);
//                  admin port on 127.0.0.1 when enabled: GET /api/stats with per-client detail
//                  timers: heartbeats and topology refreshes (DirectoryClient → FirstHops), expiry,
//                  counters
//   store serial   one batch at a time: final hop + ONE group commit (MixStage), THEN the batch's
//                  SURB-acks are released back to the I/O thread; deletions; expiry; the hub's
//                  handshakes and fetches. Every SQLite call runs here, never on the I/O thread.
//
// Shutdown: stop accepting (listeners close, no new batch starts) → the store finishes the batch in
// hand (its acks are not sent: their senders retransmit) → the final counters are logged.

#include <gateway/client_hub.hpp>
#include <gateway/config.hpp>
#include <gateway/counters.hpp>
#include <gateway/first_hops.hpp>
#include <gateway/message_store.hpp>
#include <gateway/mix_stage.hpp>
#include <gateway/run_config.hpp>
#include <gateway/store_queue.hpp>

#include <mixnet/egress.hpp>
#include <node/directory_client.hpp>
#include <node/logging.hpp>
#include <runtime/http_server.hpp>
#include <runtime/loop.hpp>
#include <runtime/tcp.hpp>
#include <util/expected.hpp>
#include <wire/framing.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace nym::gateway {

/// Where the gateway can be reached, as announced to the directory.
struct Listening {
    std::string mix_address;          ///< "host:port"
    std::string client_listener;      ///< "ws://host:port"
    std::optional<std::string> admin; ///< "http://127.0.0.1:port" when the admin listener is on
};

/// The admin listener binds here only: per-client detail is for the operator of this machine.
inline constexpr std::string_view ADMIN_HOST = "127.0.0.1";

class Daemon {
public:
    /// `loop` must outlive the daemon; destroy the daemon once loop.run() has returned.
    Daemon(runtime::Loop& loop, DaemonConfig config, GatewayKeys keys, std::unique_ptr<MessageStore> store);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    /// Binds the mix and client ports, then fetches the first topology (so clients that connect
    /// right away find their first hops allowed) and calls `on_ready` on the I/O thread before the
    /// first heartbeat. The error is one line naming the port ("cannot listen on mix port ...").
    [[nodiscard]] Expected<void, std::string> start(std::function<void(const Listening&)> on_ready);

    [[nodiscard]] const GatewayCounters& counters() const noexcept { return m_counters; }

private:
    // I/O thread
    bool on_mix_data(runtime::ConnectionId id, std::span<const std::uint8_t> bytes);
    void on_mix_closed(runtime::ConnectionId id);
    void forward(ClearedFrame frame);
    void apply(HubEffects fx);
    void run_on_store(StoreRequest request);
    void kick_store();
    void on_batch_done(StageOutput out);
    void ready();
    void refresh_topology();
    void on_topology(Expected<wire::directory::Topology, node::DirectoryError> topology);
    void request_early_refresh();
    void announce();
    void send_heartbeat(const Expected<std::vector<ClientAddress>>& clients);
    void expire();
    void housekeeping();
    void log_final();

    runtime::Loop& m_loop;
    DaemonConfig m_config;
    GatewayKeys m_keys;
    std::unique_ptr<MessageStore> m_store; // store serial only
    GatewayCounters m_counters;
    NonceCache m_nonces;
    ReplayCache m_replays;
    MixStage m_stage; // store serial only
    // I/O thread only:
    FirstHops m_first_hops;
    mixnet::EgressQueues m_egress;
    StoreQueue m_queue;
    ClientHub m_hub;
    std::map<runtime::ConnectionId, wire::FrameDecoder> m_decoders;
    std::map<runtime::PeerAddress, sphinx::IpEndpoint> m_endpoints;
    std::function<void(const Listening&)> m_on_ready;
    Listening m_listening;
    std::chrono::milliseconds m_topology_interval;
    runtime::Loop::TimePoint m_last_topology{};
    bool m_topology_in_flight = false;
    node::FailureLog m_topology_failures{"directory topology fetch"};
    bool m_stopping = false;
    bool m_final_pending = false;
    std::uint64_t m_reported_store_failures = 0;

    runtime::Serial m_serial;
    runtime::TcpService m_mix;
    runtime::HttpServer m_server;
    std::optional<runtime::HttpServer> m_admin;
    node::DirectoryClient m_directory;
    runtime::Timer m_refresh_timer;
};

} // namespace nym::gateway
