#pragma once
// The running gateway's state, sans-IO (docs/protocol/gateway.md "Running the gateway"): what the
// daemon's three threads share, with no socket, no thread and no clock of its own.
//
//   websocket thread:  ClientHub — one ClientSession per client connection, delivery windows, pushes
//   mix I/O thread:    frames in → IngressQueue;  EgressQueues → frames out to layer-1 mixes
//   store thread:      IngressQueue → MixStage::process (final hop + ONE group commit) → SURB-acks to
//                      EgressQueues, "new messages" to the hub; acknowledged ids deleted
//
// Counters are atomics (GatewayCounters) so any thread may bump them and /api/stats may read them.
// The queues between threads are bounded; what they refuse is counted, never silently lost.

#include <gateway/client_session.hpp>
#include <gateway/final_hop.hpp>
#include <gateway/message_store.hpp>

#include <sphinx/node_address.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace nym::gateway {

/// Why a packet or frame was dropped (the keys of "dropped" in /api/stats).
enum class DropReason : std::uint8_t {
    bad_mac,          ///< mix port: header MAC does not verify
    replayed,         ///< mix port: replay tag seen before
    invalid_packet,   ///< mix port: not a usable Sphinx packet (size, α, payload, ack prefix)
    forward_hop,      ///< mix port: packet routed onwards (a gateway is the last hop)
    unknown_client,   ///< mix port: destination is not a registered client
    over_quota,       ///< mix port: the client's quota is full
    storage_error,    ///< mix port: the database failed
    ingress_overflow, ///< mix port: the store thread's queue was full
    egress_overflow,  ///< a first hop's outgoing queue was full
    client_protocol,  ///< client websocket: a frame the session refused (malformed, unexpected, ...)
    unknown_first_hop, ///< a SendPacket (or SURB-ack) naming a first hop that is not a layer-1 mix node
    count_,
};
inline constexpr std::size_t DROP_REASON_COUNT = static_cast<std::size_t>(DropReason::count_);
[[nodiscard]] std::string_view to_string(DropReason reason) noexcept;
[[nodiscard]] DropReason drop_reason_for(FinalHopOutcome outcome) noexcept;

struct GatewayCounters {
    std::atomic<std::uint64_t> packets_from_clients{0}; ///< SendPacket frames accepted from clients
    std::atomic<std::uint64_t> packets_forwarded{0};    ///< frames written to first hops (client packets + acks)
    std::atomic<std::uint64_t> acks_forwarded{0};       ///< of which SURB-acks
    std::atomic<std::uint64_t> packets_received{0};     ///< frames received on the mix port
    std::atomic<std::uint64_t> stored{0};               ///< messages committed to the store
    std::atomic<std::uint64_t> delivered{0};            ///< Deliver frames sent to clients
    std::atomic<std::uint64_t> acked{0};                ///< messages deleted after a client's Ack
    std::atomic<std::uint64_t> expired{0};              ///< messages deleted for age
    std::atomic<std::uint64_t> framing_errors{0};       ///< mix connections closed on a framing error
    std::atomic<std::uint64_t> client_errors{0};        ///< client connections closed on a protocol error
    std::atomic<std::uint64_t> clients_connected{0};    ///< currently authenticated connections
    std::array<std::atomic<std::uint64_t>, DROP_REASON_COUNT> dropped{};

    void drop(DropReason reason, std::uint64_t n = 1) noexcept {
        dropped[static_cast<std::size_t>(reason)].fetch_add(n, std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t dropped_by(DropReason reason) const noexcept {
        return dropped[static_cast<std::size_t>(reason)].load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t dropped_total() const noexcept;
};

/// Orders client addresses (their key bytes) for maps.
struct AddressOrder {
    bool operator()(const ClientAddress& a, const ClientAddress& b) const noexcept { return a.bytes < b.bytes; }
};

/// Per-client counters kept by the hub (websocket thread).
struct ClientCounters {
    std::uint64_t packets_sent = 0; ///< SendPacket frames from this client (real and cover traffic alike)
};

/// The /api/stats JSON document (docs/protocol/gateway.md "Stats").
[[nodiscard]] std::string stats_json(const GatewayCounters& counters,
                                     const std::map<ClientAddress, ClientCounters, AddressOrder>& clients);

// --- Egress: per-first-hop bounded queues ------------------------------------------------------------

struct EndpointOrder {
    bool operator()(const sphinx::IpEndpoint& a, const sphinx::IpEndpoint& b) const noexcept;
};

inline constexpr std::size_t DEFAULT_EGRESS_QUEUE_LENGTH = 2000; ///< frames per first hop
inline constexpr std::size_t DEFAULT_MAX_FIRST_HOPS = 1024;

/// One bounded FIFO of framed packets per first hop, filled from any thread (client packets from the
/// websocket thread, SURB-acks from the store thread) and drained by the mix I/O thread. Thread-safe.
class EgressQueues {
public:
    enum class Result {
        queued_wake, ///< queued into an empty queue: the I/O side must be woken for this hop
        queued,      ///< queued behind others (a wake is already pending)
        dropped,     ///< the hop's queue is full, or too many distinct hops: counted, not queued
    };

    explicit EgressQueues(std::size_t queue_length = DEFAULT_EGRESS_QUEUE_LENGTH,
                          std::size_t max_hops = DEFAULT_MAX_FIRST_HOPS);

    [[nodiscard]] Result enqueue(const sphinx::IpEndpoint& hop, std::vector<std::uint8_t> frame);
    /// The next frame for `hop`, or std::nullopt when its queue is empty.
    [[nodiscard]] std::optional<std::vector<std::uint8_t>> next(const sphinx::IpEndpoint& hop);
    /// A frame could not be written: it goes back to the front (dropped, counted, if that overflows).
    void requeue(const sphinx::IpEndpoint& hop, std::vector<std::uint8_t> frame);
    [[nodiscard]] std::uint64_t dropped() const;
    [[nodiscard]] std::size_t queued() const;

private:
    std::size_t m_queue_length;
    std::size_t m_max_hops;
    mutable std::mutex m_mutex;
    std::map<sphinx::IpEndpoint, std::deque<std::vector<std::uint8_t>>, EndpointOrder> m_queues;
    std::uint64_t m_dropped = 0;
};

// --- First hops: the layer-1 mix nodes a packet may be sent to --------------------------------------

/// How long a node that left the topology stays allowed: a directory blip (a late heartbeat, a
/// restart) must not drop traffic. Well above the directory's default presence timeout (10 s).
inline constexpr std::chrono::seconds DEFAULT_FIRST_HOP_GRACE{60};

/// The layer-1 mix nodes the gateway forwards client packets to. Without it, a registered client
/// could make the gateway open (and keep re-opening) a TCP connection to any address it names.
/// Updated from the directory's topology by a background thread, read by the websocket thread for
/// every SendPacket. Before the first update nothing is allowed. Thread-safe.
class FirstHops {
public:
    explicit FirstHops(std::chrono::seconds grace = DEFAULT_FIRST_HOP_GRACE) : m_grace(grace) {}

    /// The current layer-1 nodes, as of `now`. Nodes no longer listed stay allowed for the grace
    /// period from `now`; nodes listed again are current again. Returns true on the first update.
    bool update(const std::vector<sphinx::IpEndpoint>& layer1, UnixSeconds now);
    /// True when `hop` is a current layer-1 node, or left the topology at most `grace` before `now`.
    [[nodiscard]] bool allowed(const sphinx::IpEndpoint& hop, UnixSeconds now) const;
    /// Whether any topology was ever applied.
    [[nodiscard]] bool known() const;
    /// Current nodes plus those in their grace period (tests, logs).
    [[nodiscard]] std::size_t size() const;

    /// A hop was refused: ask the fetching thread for an early refresh (the client may have seen a
    /// newer topology than ours). take_refresh_request() returns and clears the request.
    void request_refresh() noexcept { m_refresh.store(true, std::memory_order_relaxed); }
    [[nodiscard]] bool take_refresh_request() noexcept { return m_refresh.exchange(false, std::memory_order_relaxed); }

private:
    struct Entry {
        bool current = true;
        UnixSeconds left_at{}; ///< when it stopped being listed (meaningful when !current)
    };
    std::chrono::seconds m_grace;
    mutable std::mutex m_mutex;
    std::map<sphinx::IpEndpoint, Entry, EndpointOrder> m_nodes;
    bool m_known = false;
    std::atomic<bool> m_refresh{false};
};

// --- Ingress: mix frames and ack deletions for the store thread -------------------------------------

inline constexpr std::size_t DEFAULT_INGRESS_LIMIT = 4096;  ///< packets waiting for the store thread
inline constexpr std::size_t DEFAULT_MAX_BATCH = 100;       ///< packets per group commit

/// The store thread's work queue: Sphinx packets from the mix port (bounded) and acknowledged ids to
/// delete. Thread-safe; one consumer.
class StoreQueue {
public:
    struct Work {
        std::vector<std::vector<std::uint8_t>> packets; ///< at most max_batch
        std::vector<DeleteMessages> deletes;
    };

    explicit StoreQueue(std::size_t packet_limit = DEFAULT_INGRESS_LIMIT, std::size_t max_batch = DEFAULT_MAX_BATCH);

    /// False when `packet_limit` packets are already waiting (the caller counts the drop).
    [[nodiscard]] bool push_packet(std::vector<std::uint8_t> packet);
    void push_delete(DeleteMessages deletes);
    /// Waits until there is work, `deadline` passes or close() was called; takes up to max_batch
    /// packets and every pending deletion. Empty work after close() means: stop.
    [[nodiscard]] Work take(std::chrono::steady_clock::time_point deadline);
    void close();
    [[nodiscard]] bool closed() const;
    [[nodiscard]] std::size_t pending_packets() const;

private:
    std::size_t m_packet_limit;
    std::size_t m_max_batch;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::vector<std::uint8_t>> m_packets;
    std::vector<DeleteMessages> m_deletes;
    bool m_closed = false;
};

/// A framed packet for a first hop.
struct OutboundFrame {
    sphinx::IpEndpoint hop;
    std::vector<std::uint8_t> frame;
};

/// What one store-thread round produced, to hand to the other threads.
struct StageOutput {
    std::vector<OutboundFrame> acks;           ///< SURB-acks of committed messages, framed
    std::set<ClientAddress, AddressOrder> clients_with_new_messages;
};

/// The store thread's logic: final-hop processing of a batch with one group commit, then deletions.
class MixStage {
public:
    MixStage(const crypto::X25519SecretKey& sphinx_key, MessageStore& store, ReplayCache& replays,
             GatewayCounters& counters);
    /// Processes the packets (one commit for all their messages) and performs the deletions. The acks
    /// returned belong to committed messages only.
    [[nodiscard]] StageOutput process(StoreQueue::Work work, UnixSeconds now);
    /// Deletes messages received before `older_than`; how many.
    std::size_t expire(UnixSeconds older_than);

private:
    MessageStore& m_store;
    GatewayCounters& m_counters;
    FinalHopProcessor m_final_hop;
};

// --- Client connections ------------------------------------------------------------------------------

using ConnectionId = std::uint64_t;

struct HubConfig {
    std::size_t delivery_window = MESSAGE_RETRIEVAL_LIMIT; ///< Deliver frames awaiting an Ack per connection
    std::size_t retrieval_limit = MESSAGE_RETRIEVAL_LIMIT; ///< messages per fetch_batch
    std::size_t max_tracked_clients = 100'000;             ///< per-client counters kept at most
    SessionConfig session;
};

/// What the websocket glue must do after a hub call, in this order: send `frames`, hand `forwards`
/// to the egress queues, hand `deletes` to the store thread, close `closes`.
struct HubEffects {
    std::vector<std::pair<ConnectionId, std::vector<std::uint8_t>>> frames;
    std::vector<OutboundFrame> forwards;
    std::vector<DeleteMessages> deletes;
    std::vector<std::pair<ConnectionId, CloseReason>> closes;
};

/// Every client connection of the gateway (one thread: the websocket server's). Runs each
/// connection's ClientSession, performs registration on the store, and pushes stored messages with a
/// bounded in-flight window per connection: after ClientReady it sends up to `delivery_window`
/// messages, and fetches more as Acks drain the window or new messages are stored.
class ClientHub {
public:
    /// The references must outlive the hub. A SendPacket whose first hop `first_hops` does not allow
    /// is refused with Error{invalid_packet} and counted (unknown_first_hop); the session stays open.
    ClientHub(const crypto::Ed25519SecretKey& identity, MessageStore& store, NonceCache& nonces, crypto::Rng& rng,
              GatewayCounters& counters, FirstHops& first_hops, HubConfig config = {});

    void open(ConnectionId id);
    /// One binary frame from a connection at gateway time `now`.
    [[nodiscard]] HubEffects on_frame(ConnectionId id, ByteSpan frame, UnixSeconds now);
    /// A text frame (the protocol is binary only): Error + close.
    [[nodiscard]] HubEffects on_text(ConnectionId id);
    /// The connection is gone; forget it.
    void closed(ConnectionId id);
    /// New messages were committed for `client`: push them to its connections.
    [[nodiscard]] HubEffects on_stored(const ClientAddress& client);

    [[nodiscard]] std::size_t connections() const noexcept { return m_connections.size(); }
    [[nodiscard]] const std::map<ClientAddress, ClientCounters, AddressOrder>& client_counters() const noexcept {
        return m_client_counters;
    }
    /// Deliver frames sent on a connection and not yet acknowledged (tests).
    [[nodiscard]] std::size_t in_flight(ConnectionId id) const;

private:
    struct Connection {
        explicit Connection(ClientSession s) : session(std::move(s)) {}
        ClientSession session;
        std::uint64_t last_sent = 0; ///< highest message id delivered on this connection
        bool counted = false;        ///< in counters.clients_connected and m_by_client
        bool closing = false;        ///< a close was requested: ignore further frames
    };
    void perform(ConnectionId id, Connection& c, SessionOutput out, UnixSeconds now, HubEffects& fx);
    void pump(ConnectionId id, Connection& c, HubEffects& fx);
    void close_with(ConnectionId id, Connection& c, SessionOutput out, HubEffects& fx);
    void detach(ConnectionId id, Connection& c);

    const crypto::Ed25519SecretKey& m_identity;
    MessageStore& m_store;
    NonceCache& m_nonces;
    crypto::Rng& m_rng;
    GatewayCounters& m_counters;
    FirstHops& m_first_hops;
    HubConfig m_config;
    std::map<ConnectionId, Connection> m_connections;
    std::multimap<ClientAddress, ConnectionId, AddressOrder> m_by_client;
    std::map<ClientAddress, ClientCounters, AddressOrder> m_client_counters;
};

} // namespace nym::gateway
