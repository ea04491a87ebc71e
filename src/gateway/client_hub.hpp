#pragma once
// Every client connection of the gateway (docs/protocol/gateway.md "Running the gateway"): runs each
// connection's ClientSession, lets a client's packets leave only for layer-1 first hops (FirstHops),
// and pushes stored messages with a bounded in-flight window per connection: after ClientReady it
// sends up to `delivery_window` messages, and fetches more as Acks drain the window or new messages
// are stored.
//
// Sans-IO and single-owner (the daemon's I/O thread). The hub never calls the message store: what
// needs it — a handshake (the session reads the registered clients, a registration is written) and
// fetching the next messages to push — leaves as a StoreRequest, which the glue runs where the store
// lives (run_store_request() on the store serial) and hands back as a StoreReply.

#include <gateway/client_session.hpp>
#include <gateway/counters.hpp>
#include <gateway/first_hops.hpp>
#include <gateway/message_store.hpp>
#include <gateway/rate_limit.hpp>
#include <gateway/store_health.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <map>
#include <memory>
#include <utility>
#include <variant>
#include <vector>

namespace nym::gateway {

using ConnectionId = std::uint64_t;

struct HubConfig {
    std::size_t delivery_window = MESSAGE_RETRIEVAL_LIMIT; ///< Deliver frames awaiting an Ack per connection
    std::size_t retrieval_limit = MESSAGE_RETRIEVAL_LIMIT; ///< messages per fetch
    std::size_t max_tracked_clients = 100'000;             ///< per-client counters kept at most
    SessionConfig session;
    /// Frames a connection may send while its handshake is with the store; more close it (busy).
    std::size_t max_queued_frames = 64;
    /// A connection that has not registered or authenticated this long after it opened is closed
    /// (Error{not_authenticated}): idle sockets cannot pile up.
    std::chrono::seconds authentication_timeout{10};
    /// Client connections open at once from one IP address; more are refused at the upgrade.
    std::size_t max_connections_per_ip = 64;
    /// RegisterRequests accepted per minute from one IP address, and in total (bursts up to that
    /// many); more are answered Error{busy} and closed before any work is done for them.
    std::uint32_t registrations_per_minute_per_ip = 30;
    std::uint32_t registrations_per_minute = 600;
};

/// A handshake frame, with the session that answers it (handed over for the duration).
struct HandshakeRequest {
    ConnectionId id = 0;
    std::unique_ptr<ClientSession> session;
    Bytes frame;
    UnixSeconds now{};
};
/// Up to `limit` of the client's messages after `after_id`.
struct FetchRequest {
    ConnectionId id = 0;
    ClientAddress client;
    std::uint64_t after_id = 0;
    std::size_t limit = 0;
};
using StoreRequest = std::variant<HandshakeRequest, FetchRequest>;

struct HandshakeReply {
    ConnectionId id = 0;
    std::unique_ptr<ClientSession> session;
    SessionOutput output; ///< the session's answer; a StoreSharedKey in it is already stored
};
struct FetchReply {
    ConnectionId id = 0;
    Expected<std::vector<StoredMessage>> messages;
    std::size_t limit = 0;
};
using StoreReply = std::variant<HandshakeReply, FetchReply>;

/// Runs a hub request against the store (the gateway's store serial). A handshake's registration is
/// written before the reply exists, so a client never hears "registered" for a key the gateway did
/// not keep: if the write fails, the reply is the session's internal_error instead. Store failures
/// are reported to `health` when given.
[[nodiscard]] StoreReply run_store_request(StoreRequest request, MessageStore& store, StoreHealth* health = nullptr);

/// What the glue must do after a hub call, in this order: send `frames`, hand `forwards` to the
/// egress queues, hand `deletes` to the store queue, close `closes`, run `store` requests.
struct HubEffects {
    std::vector<std::pair<ConnectionId, Bytes>> frames;
    std::vector<ClearedFrame> forwards;
    std::vector<DeleteMessages> deletes;
    std::vector<std::pair<ConnectionId, CloseReason>> closes;
    std::vector<StoreRequest> store;
};

class ClientHub {
public:
    /// The references must outlive the hub. `registry` is only handed to the sessions (read in
    /// handshakes, where the glue runs them). A SendPacket whose first hop `first_hops` does not
    /// allow is refused with Error{invalid_packet} and counted (unknown_first_hop); the session stays open.
    ClientHub(const crypto::Ed25519SecretKey& identity, ClientRegistry& registry, NonceCache& nonces, crypto::Rng& rng,
              GatewayCounters& counters, FirstHops& first_hops, HubConfig config = {});

    /// A new connection from `remote_ip` at `now`; false (refused, counted) when that address
    /// already has max_connections_per_ip connections.
    [[nodiscard]] bool open(ConnectionId id, std::string_view remote_ip = {}, UnixSeconds now = {});
    /// One binary frame from a connection at gateway time `now`.
    [[nodiscard]] HubEffects on_frame(ConnectionId id, ByteSpan frame, UnixSeconds now);
    /// A text frame (the protocol is binary only): Error + close.
    [[nodiscard]] HubEffects on_text(ConnectionId id);
    /// The connection is gone; forget it.
    void closed(ConnectionId id);
    /// New messages were committed for `client`: push them to its connections.
    [[nodiscard]] HubEffects on_stored(const ClientAddress& client);
    /// A StoreRequest of an earlier call was run.
    [[nodiscard]] HubEffects on_store_reply(StoreReply reply, UnixSeconds now);
    /// Closes the connections that did not authenticate within authentication_timeout of opening
    /// (call it every second or so).
    [[nodiscard]] HubEffects expire_unauthenticated(UnixSeconds now);

    [[nodiscard]] std::size_t connections() const noexcept { return m_connections.size(); }
    /// The clients with an authenticated connection now (their registrations are in use).
    [[nodiscard]] std::vector<ClientAddress> connected_clients() const;
    [[nodiscard]] const ClientCounterMap& client_counters() const noexcept { return m_client_counters; }
    /// Deliver frames sent on a connection and not yet acknowledged (tests).
    [[nodiscard]] std::size_t in_flight(ConnectionId id) const;

private:
    struct Connection {
        std::unique_ptr<ClientSession> session; ///< null while a handshake frame is with the store
        std::deque<Bytes> queued;               ///< frames that arrived meanwhile
        std::uint64_t last_sent = 0;            ///< highest message id delivered on this connection
        bool counted = false;                   ///< in counters.clients_connected and m_by_client
        bool closing = false;                   ///< a close was requested: ignore further frames
        bool fetching = false;                  ///< a FetchRequest is out
        bool fetch_again = false;               ///< more may be pushable when it comes back
        std::string ip;                         ///< the peer's address (per-IP cap)
        UnixSeconds opened_at{};
    };
    void handle(ConnectionId id, Connection& c, ByteSpan frame, UnixSeconds now, HubEffects& fx);
    void perform(ConnectionId id, Connection& c, SessionOutput out, UnixSeconds now, HubEffects& fx);
    void forward(ConnectionId id, Connection& c, ForwardPacket& packet, UnixSeconds now, HubEffects& fx);
    void pump(ConnectionId id, Connection& c, HubEffects& fx);
    void delivered(ConnectionId id, Connection& c, FetchReply reply, HubEffects& fx);
    /// Error{code} + close. A protocol error (the default) also counts in client_errors.
    void refuse(ConnectionId id, Connection& c, ErrorCode code, std::string_view text, HubEffects& fx,
                bool protocol_error = true);
    void close_with(ConnectionId id, Connection& c, SessionOutput out, HubEffects& fx);
    void detach(ConnectionId id, Connection& c);

    const crypto::Ed25519SecretKey& m_identity;
    ClientRegistry& m_registry;
    NonceCache& m_nonces;
    crypto::Rng& m_rng;
    GatewayCounters& m_counters;
    FirstHops& m_first_hops;
    HubConfig m_config;
    std::map<ConnectionId, Connection> m_connections;
    std::multimap<ClientAddress, ConnectionId, AddressOrder> m_by_client;
    ClientCounterMap m_client_counters;
    std::map<std::string, std::size_t, std::less<>> m_per_ip;
    RateLimiter m_registrations;
};

} // namespace nym::gateway
