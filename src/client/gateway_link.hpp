#pragma once
// The client's side of the gateway protocol (docs/protocol/gateway.md) as a sans-IO state machine:
// frames in, frames and events out. client::Client drives it (the daemon owns the websocket); this
// class decides what to send.
//
//   idle ──begin_register──▶ registering ──RegisterResponse (verified)──▶ ready  (event Registered)
//   idle ──begin_authenticate──▶ authenticating ──AuthenticateResponse{ok}──▶ ready (event Authenticated)
//   any ──Error / refusal / protocol violation──▶ closed (event Refused, close = true)
//   ready: Deliver → event Delivered (client::Client hands it to the core, then calls ack()), Ping → Pong.
//
// Once ready, every frame both ways carries the session MAC (wire::gateway::SessionChannel): the
// frames this class hands out are sealed, and a gateway frame that fails its MAC ends the link.
// Authentication timestamps grow strictly (the gateway refuses one not newer than the last it
// accepted), also across reconnects within a second.
//
// One GatewayLink per connection attempt state; reset() returns it to idle after a disconnect.
// Not thread-safe: used on the client's loop thread only.

#include <client/core.hpp>

#include <crypto/ed25519.hpp>
#include <crypto/rng.hpp>
#include <crypto/x25519.hpp>
#include <util/expected.hpp>
#include <wire/gateway_protocol.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace nym::client {

enum class LinkState { idle, registering, authenticating, ready, closed };
[[nodiscard]] std::string_view to_string(LinkState state) noexcept;

/// Registration finished: client::Client stores the key (0600) for later authentications.
struct LinkRegistered {
    wire::gateway::SharedKey shared_key;
};
struct LinkAuthenticated {};
/// A stored message pushed by the gateway. Acknowledge it with ack() once it has been handled.
struct LinkDelivered {
    std::uint64_t id = 0;
    Bytes message;
};
/// The gateway refused us or broke the protocol; the connection must be closed.
struct LinkRefused {
    /// The gateway's code when it sent an Error; none for local failures (bad signature, bad frame).
    std::optional<wire::gateway::ErrorCode> code;
    /// True when the refusal was of an authentication (the stored key may be unknown to the gateway).
    bool during_authentication = false;
    std::string reason;
};
using LinkEvent = std::variant<LinkRegistered, LinkAuthenticated, LinkDelivered, LinkRefused>;

struct LinkOutput {
    std::vector<Bytes> frames;   ///< binary websocket frames to send, in order
    std::vector<LinkEvent> events;
    bool close = false;          ///< close the connection after sending `frames`
};

class GatewayLink {
public:
    GatewayLink(crypto::Ed25519SecretKey identity, crypto::Ed25519PublicKey gateway_identity);

    /// The RegisterRequest frame (fresh ephemeral key from `rng`, `unix_seconds` timestamp). idle → registering.
    [[nodiscard]] Bytes begin_register(crypto::Rng& rng, std::uint64_t unix_seconds);
    /// The AuthenticateRequest frame for a stored key. idle → authenticating.
    [[nodiscard]] Bytes begin_authenticate(const wire::gateway::SharedKey& key, crypto::Rng& rng,
                                           std::uint64_t unix_seconds);

    /// One binary frame from the gateway.
    [[nodiscard]] LinkOutput on_frame(std::span<const std::uint8_t> frame);

    /// A SendPacket frame; std::nullopt unless `ready`. Send the frames in the order they are made.
    [[nodiscard]] std::optional<Bytes> send_packet(const OutgoingPacket& packet);
    /// Ack frames for these delivered ids (at most MAX_ACK_IDS per frame); empty when not ready.
    [[nodiscard]] std::vector<Bytes> ack(std::span<const std::uint64_t> ids);
    /// A Ping frame (keep-alive); std::nullopt when not ready.
    [[nodiscard]] std::optional<Bytes> ping(std::uint64_t nonce);

    /// After a disconnect: back to idle (pending handshake state is wiped).
    void reset() noexcept;

    [[nodiscard]] LinkState state() const noexcept { return m_state; }
    [[nodiscard]] const crypto::Ed25519PublicKey& gateway_identity() const noexcept { return m_gateway; }
    [[nodiscard]] const crypto::Ed25519PublicKey& client_identity() const noexcept { return m_client; }

private:
    LinkOutput refuse(std::optional<wire::gateway::ErrorCode> code, std::string reason, bool send_error);
    Bytes sealed(const wire::gateway::Message& message);
    void forget_handshake() noexcept;

    crypto::Ed25519SecretKey m_identity;
    crypto::Ed25519PublicKey m_client;
    crypto::Ed25519PublicKey m_gateway;
    LinkState m_state = LinkState::idle;
    std::optional<wire::gateway::RegisterRequest> m_pending_register;
    std::optional<crypto::X25519SecretKey> m_ephemeral;
    std::optional<wire::gateway::AuthenticateRequest> m_pending_auth;
    std::optional<wire::gateway::SharedKey> m_auth_key;
    std::optional<wire::gateway::SessionChannel> m_channel; ///< while ready
    std::uint64_t m_last_auth_timestamp = 0;
    bool m_auth_refused = false; ///< AuthenticateResponse{refused} seen; the Error with the reason follows
};

} // namespace nym::client
