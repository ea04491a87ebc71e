#pragma once
// One client connection's protocol state machine, sans-IO (docs/protocol/gateway.md "Session"):
// a websocket binary frame and the current time go in; frames to send, actions for the gateway and
// possibly a close come out. The registration handshake and reconnect authentication run here; the
// glue owns the socket, the message store and the forwarding to layer 1.
//
//   fresh ──RegisterRequest ok──────┐
//         ──AuthenticateRequest ok──┴→ authenticated ──SendPacket/Ack/Ping/Pong──→ authenticated
//   any state ──malformed / refused / request before auth──→ closed (Error sent first)
//
// After the handshake's response, every frame both ways carries the session MAC
// (wire::gateway::SessionChannel): a frame that fails it closes the session (Error{invalid_mac}).
//
// The glue performs `actions` in order, then sends `replies` in order, then closes if `close` is set.
// If an action fails (the key could not be stored, say), it calls action_failed() and sends that
// output instead, so a client never hears "registered" for a key the gateway did not keep.

#include <gateway/client_registry.hpp>
#include <wire/gateway_protocol.hpp>

#include <crypto/ed25519.hpp>
#include <crypto/rng.hpp>
#include <sphinx/node_address.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <variant>
#include <vector>

namespace nym::gateway {

using wire::gateway::Bytes;
using wire::gateway::ByteSpan;
using wire::gateway::ErrorCode;

/// Nonces of accepted authentications, remembered for twice the timestamp skew (a request older than
/// that is refused as stale anyway), shared by every session of one gateway. Thread-safe.
class NonceCache {
public:
    enum class Result { fresh, replayed, full };

    explicit NonceCache(std::size_t max_entries = 1u << 20,
                        std::chrono::seconds window = std::chrono::seconds(2 * wire::gateway::MAX_TIMESTAMP_SKEW_SECONDS));
    /// Records (client, nonce) at `now`. `full` (nothing recorded) when the cache is at capacity after
    /// dropping expired entries: refusing is safer than forgetting a nonce that is still replayable.
    Result check_and_insert(const ClientAddress& client,
                            std::span<const std::uint8_t, wire::gateway::AUTH_NONCE_SIZE> nonce, UnixSeconds now);
    std::size_t size() const;

private:
    using Key = std::string; // client ‖ nonce
    std::size_t m_max_entries;
    std::chrono::seconds m_window;
    mutable std::mutex m_mutex;
    std::unordered_set<Key> m_seen;
    std::deque<std::pair<UnixSeconds, Key>> m_order;
};

/// The registration handshake produced a key: store it durably (MessageStore::register_client).
struct StoreSharedKey {
    RegisteredClient client;
};
/// The client is registered or authenticated on this connection: push its stored messages.
struct ClientReady {
    ClientAddress client;
};
/// Send `packet` to the mix node at `first_hop` (parsed from the SendPacket's node address; the
/// glue still checks that it is a layer-1 node).
struct ForwardPacket {
    sphinx::IpEndpoint first_hop;
    Bytes packet;
};
/// The client acknowledged these ids: delete them (MessageStore::ack deletes only the client's own).
struct DeleteMessages {
    ClientAddress client;
    std::vector<std::uint64_t> ids;
};
/// An authentication was accepted at this (client-signed) time: store it durably before the
/// AuthenticateResponse leaves (MessageStore::record_authentication); later ones must be newer.
struct RecordAuthentication {
    ClientAddress client;
    UnixSeconds at{};
};
using Action = std::variant<StoreSharedKey, ClientReady, ForwardPacket, DeleteMessages, RecordAuthentication>;

/// Why a session ends, and who ended it: the gateway, refusing something the client sent (its Error
/// went out first), or the client, with an Error message of its own.
struct CloseReason {
    enum class By : std::uint8_t { gateway, client };
    By by = By::gateway;
    ErrorCode code = ErrorCode::malformed_message;
    std::string text;
};

/// Websocket close reasons must fit a control frame (125 bytes including the 2-byte code).
inline constexpr std::size_t MAX_CLOSE_REASON = 120;

/// The websocket close for a CloseReason: 1008 "policy violation" with the gateway's error text
/// when the gateway refused something, 1000 with "client error: <text>" when the client ended it;
/// the reason cut to MAX_CLOSE_REASON bytes.
struct WebsocketClose {
    std::uint16_t code = 1000;
    std::string reason;
};
[[nodiscard]] WebsocketClose websocket_close(const CloseReason& reason);

struct SessionOutput {
    std::vector<Action> actions;
    std::vector<Bytes> replies;
    std::optional<CloseReason> close;
};

struct SessionConfig {
    std::chrono::seconds max_timestamp_skew{wire::gateway::MAX_TIMESTAMP_SKEW_SECONDS};
};

class ClientSession {
public:
    enum class State { fresh, authenticated, closed };

    /// The references must outlive the session. `registry` is only read (find_client).
    ClientSession(const crypto::Ed25519SecretKey& gateway_identity, ClientRegistry& registry, NonceCache& nonces,
                  crypto::Rng& rng, SessionConfig config = {});

    /// One binary frame from the client, at gateway time `now`.
    [[nodiscard]] SessionOutput on_frame(ByteSpan frame, UnixSeconds now);
    /// A Deliver frame for a stored message; std::nullopt unless authenticated. Remembers the id as
    /// awaiting an ack.
    [[nodiscard]] std::optional<Bytes> deliver(std::uint64_t id, ByteSpan message);
    /// The glue could not perform an action of the last output: Error{internal_error} and close.
    [[nodiscard]] SessionOutput action_failed(std::string_view what);
    /// The same for a handshake's action (storing the key or the authentication time): its response
    /// is not sent, so neither is the session bound; the Error goes out plain.
    [[nodiscard]] SessionOutput handshake_failed(std::string_view what);
    /// A frame for the client: after the handshake, sealed with the session MAC (the glue's own
    /// messages on this connection go through here).
    [[nodiscard]] Bytes frame_for(const wire::gateway::Message& message);
    /// Whether on_frame(frame) would read the registry (a handshake request on a fresh session):
    /// the glue then runs it where the registry lives (the gateway's store serial). Every other
    /// frame is answered from the session's own state.
    [[nodiscard]] bool needs_registry(ByteSpan frame) const noexcept;

    State state() const noexcept { return m_state; }
    const std::optional<ClientAddress>& client() const noexcept { return m_client; }
    /// Delivered ids not yet acknowledged (the glue fetches the next batch when this drains).
    std::size_t unacknowledged() const noexcept { return m_in_flight.size(); }

private:
    SessionOutput on_register(const wire::gateway::RegisterRequest& request, UnixSeconds now);
    SessionOutput on_authenticate(const wire::gateway::AuthenticateRequest& request, UnixSeconds now);
    SessionOutput on_authenticated_message(wire::gateway::Message&& message);
    SessionOutput refuse(ErrorCode code, std::string_view text, bool auth_refused = false);
    bool timestamp_fresh(std::uint64_t timestamp, UnixSeconds now) const noexcept;

    const crypto::Ed25519SecretKey& m_identity;
    crypto::Ed25519PublicKey m_identity_public;
    ClientRegistry& m_registry;
    NonceCache& m_nonces;
    crypto::Rng& m_rng;
    SessionConfig m_config;
    State m_state = State::fresh;
    std::optional<ClientAddress> m_client;
    std::set<std::uint64_t> m_in_flight;
    std::optional<wire::gateway::SessionChannel> m_channel; ///< set by a successful handshake
};

} // namespace nym::gateway
