#pragma once
// The mixnet client's sans-IO core (docs/protocol/client.md): addresses, routes over the topology,
// end-to-end encryption, fragmenting and reassembly, SURB-acks and retransmission, reply SURBs and
// the two Loopix Poisson streams. Time and randomness come in as values; packets come out as bytes
// for the gateway connection (wire::gateway::SendPacket) and gateway deliveries go in as bytes.
//
// client::Client (client.hpp) does, on the loop's I/O thread:
//   core.set_topology(topology, now)                     every refresh
//   core.send(message, recipient, now)                   per API request
//   for (auto& p : core.poll(now)) gateway.send(p)       at core.next_wakeup()
//   for (auto& e : core.on_delivered(bytes, now)) ...    per gateway Deliver
//
// Not thread-safe: one thread owns a ClientCore.

#include <crypto/ed25519.hpp>
#include <crypto/rng.hpp>
#include <crypto/x25519.hpp>
#include <sphinx/types.hpp>
#include <util/expected.hpp>
#include <wire/directory.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace nym::client {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Bytes = std::vector<std::uint8_t>;

// --- Addresses ---------------------------------------------------------------------------------------

/// A client on the mixnet: its Ed25519 identity (also the Sphinx destination and the key that
/// end-to-end encryption is derived from) and the identity of the gateway it is registered at.
/// Text form: base58(identity) "@" base58(gateway identity).
struct Address {
    crypto::Ed25519PublicKey identity;
    crypto::Ed25519PublicKey gateway;
    friend bool operator==(const Address&, const Address&) = default;
};

[[nodiscard]] std::string to_string(const Address& address);
/// "identity@gateway". A bare base58 identity (the older form) is accepted too and leaves `gateway`
/// unset: ClientCore::send resolves it through the topology's registeredClients.
struct ParsedAddress {
    crypto::Ed25519PublicKey identity;
    std::optional<crypto::Ed25519PublicKey> gateway;
};
/// Errc::invalid_address (wrong shape, bad base58, wrong key length, not a valid Ed25519 point).
[[nodiscard]] Expected<ParsedAddress> parse_address(std::string_view text);

// --- Configuration -----------------------------------------------------------------------------------

struct TrafficConfig {
    std::chrono::microseconds average_packet_delay{std::chrono::milliseconds(15)};   ///< per-hop mean, Exp
    std::chrono::microseconds average_ack_delay{std::chrono::milliseconds(15)};      ///< per-hop mean of acks
    std::chrono::microseconds message_sending_average_delay{std::chrono::milliseconds(20)}; ///< real stream mean gap
    std::chrono::microseconds loop_cover_average_delay{std::chrono::milliseconds(200)};     ///< loop stream mean gap
    double ack_wait_multiplier = 1.5;
    std::chrono::microseconds ack_wait_addition{std::chrono::milliseconds(1500)};
    std::optional<std::uint32_t> max_retransmissions;  ///< none = retransmit until acknowledged
    /// Upper bound of the congestion window: fragments sent and not yet acknowledged (nor timed out).
    /// Enforced only with disable_main_poisson (docs/protocol/client.md "Congestion control");
    /// values below 8 are raised to 8.
    std::size_t max_in_flight = 256;
    bool disable_main_poisson = false;   ///< send real packets as soon as queued, no cover on the main stream
    bool disable_loop_cover = false;     ///< no independent loop-cover stream
    std::size_t max_message_size = 16 * 1024 * 1024; ///< bytes; send() refuses larger messages
    /// A partially received message silent this long is dropped (its sender gave up or died).
    std::chrono::seconds reassembly_timeout{600};
};

struct ClientKeys {
    crypto::Ed25519SecretKey identity;
    crypto::Ed25519PublicKey identity_public;
};

// --- Inputs and outputs ------------------------------------------------------------------------------

enum class PacketKind : std::uint8_t { real, retransmission, cover, loop_cover, reply };

/// One Sphinx packet for the gateway to forward to `first_hop` (a layer-1 mix node).
struct OutgoingPacket {
    sphinx::NodeAddress first_hop;
    Bytes packet;
    PacketKind kind = PacketKind::real;
};

using MessageId = std::uint64_t;
/// 16 random bytes naming an anonymous sender's reply SURBs at the recipient.
using SenderTag = std::array<std::uint8_t, 16>;

/// A whole message arrived (after reassembly; each message is reported exactly once).
struct MessageReceived {
    Bytes data;
    std::optional<SenderTag> sender_tag; ///< set when the sender attached reply SURBs
    bool reply = false;                  ///< an answer that came back through our reply SURBs
};
/// Every fragment of a message we sent was acknowledged by the recipient's gateway.
struct MessageDelivered {
    MessageId id;
};
/// A message was abandoned (max_retransmissions reached).
struct MessageFailed {
    MessageId id;
    std::string reason;
};
using Event = std::variant<MessageReceived, MessageDelivered, MessageFailed>;

struct ClientStats {
    std::uint64_t real_sent = 0, retransmissions = 0, cover_sent = 0, loop_cover_sent = 0;
    std::uint64_t acks_received = 0, fragments_received = 0, duplicates = 0, cover_received = 0;
    std::uint64_t undecryptable = 0, messages_received = 0;
    std::size_t queued_packets = 0, unacknowledged_fragments = 0;
    // Added by the core: finer counters.
    std::uint64_t replies_sent = 0;        ///< packets sent through reply SURBs
    std::uint64_t cover_acks_received = 0; ///< acks of loop cover and replies (nobody waits for them)
    std::uint64_t unknown_acks = 0;        ///< valid acks of fragments already acknowledged or abandoned
    std::uint64_t malformed = 0;           ///< decrypted but not a valid fragment or message
    std::uint64_t messages_delivered = 0, messages_failed = 0;
    std::uint64_t partial_messages_expired = 0;
    std::size_t reply_surbs_stored = 0;    ///< reply SURBs held for anonymous senders
    std::size_t in_flight = 0;             ///< fragments sent, neither acknowledged nor timed out
    std::size_t congestion_window = 0;     ///< current bound on in_flight (with disable_main_poisson)
    std::uint64_t window_reductions = 0;   ///< times the window was halved after a timeout
};

// --- The core ----------------------------------------------------------------------------------------

class ClientCore {
public:
    /// `rng` must outlive the core. `self` is this client's address (identity + its gateway).
    ClientCore(ClientKeys keys, Address self, TrafficConfig config, crypto::Rng& rng, TimePoint now);
    ~ClientCore();
    ClientCore(const ClientCore&) = delete;
    ClientCore& operator=(const ClientCore&) = delete;

    /// Replaces the view of the network. Nodes marked failed stay avoided for a while.
    void set_topology(const wire::directory::Topology& topology, TimePoint now);
    /// True once the topology has at least one mix node per layer 1..3 and this client's gateway.
    [[nodiscard]] bool routable() const;

    /// Splits, encrypts and queues a message. Errc::invalid_address (recipient's gateway unknown),
    /// Errc::no_route (topology not routable), Errc::message_too_large.
    /// `reply_surbs` > 0 attaches that many reply SURBs, so the recipient can answer anonymously.
    [[nodiscard]] Expected<MessageId> send(std::span<const std::uint8_t> message, const ParsedAddress& recipient,
                                           TimePoint now, std::size_t reply_surbs = 0);
    /// Answers an anonymous sender through one of its reply SURBs (single-use, unreliable).
    /// Errc::unknown_sender_tag, Errc::no_reply_surbs, Errc::message_too_large.
    [[nodiscard]] Expected<void> reply(const SenderTag& tag, std::span<const std::uint8_t> message, TimePoint now);

    /// When poll() next has something to emit (next Poisson tick or retransmission timer).
    [[nodiscard]] TimePoint next_wakeup() const;
    /// Every packet due at `now`: main-stream ticks (real if queued, else cover), loop-cover ticks,
    /// and expired ack timers turned into retransmissions on fresh routes.
    [[nodiscard]] std::vector<OutgoingPacket> poll(TimePoint now);
    /// One message the gateway delivered (wire::gateway::Deliver::message). The result also carries
    /// every event raised since the last call (MessageFailed is raised inside poll()).
    [[nodiscard]] std::vector<Event> on_delivered(std::span<const std::uint8_t> message, TimePoint now);
    /// Events raised by poll() (MessageFailed) not yet returned by on_delivered: call after poll().
    [[nodiscard]] std::vector<Event> drain_events();
    /// Reply SURBs left for an anonymous sender (0 for an unknown tag).
    [[nodiscard]] std::size_t reply_surbs_available(const SenderTag& tag) const;
    /// The gateway refused or could not forward a packet to this first hop: avoid that node for a while.
    void mark_failed(const sphinx::NodeAddress& node, TimePoint now);

    [[nodiscard]] const Address& address() const noexcept;
    [[nodiscard]] ClientStats stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace nym::client
