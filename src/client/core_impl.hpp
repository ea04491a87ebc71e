#pragma once
// The state of ClientCore (core.hpp), shared by the files that implement it, one concern each:
//   core.cpp          addresses, construction, the public entry points that need no other file
//   core_routes.cpp   the topology, routes and node health (avoiding failed mixes)
//   core_packets.cpp  building Sphinx packets: SURB-acks, regular packets, loop cover
//   core_send.cpp     sending: splitting a message into fragments, emitting a fragment
//   core_acks.cpp     acknowledgements, ack timers and retransmission
//   core_window.cpp   the congestion window
//   core_replies.cpp  reply SURBs: attaching them, storing them, answering through them
//   core_streams.cpp  the Poisson streams and poll()/next_wakeup()
//   core_receive.cpp  deliveries: acks, fragments, reassembly, message decoding
// Internal to the client library: nothing outside src/client includes it.

#include <client/core.hpp>
#include <client/errors.hpp>
#include <client/packet_format.hpp>
#include <client/reassembly.hpp>

#include <sphinx/builder.hpp>
#include <sphinx/delays.hpp>
#include <sphinx/node_address.hpp>
#include <sphinx/surb.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <functional>
#include <limits>
#include <optional>
#include <queue>
#include <unordered_map>
#include <variant>
#include <vector>

namespace nym::client {
namespace core_detail {

inline constexpr std::size_t MIX_LAYERS = 3;
inline constexpr std::size_t ROUTE_LENGTH = MIX_LAYERS + 1; ///< three mixes, then a gateway
/// Packets one poll() emits at most; the rest is due at once (next_wakeup() ≤ now), so the glue gets
/// to read its sockets between batches.
inline constexpr std::size_t MAX_PACKETS_PER_POLL = 64;
/// A stream whose next tick is overdue by more than max(LATE_TICKS × mean, MIN_LATE_TOLERANCE)
/// restarts at `now` instead of emitting its whole backlog (see docs/protocol/client.md).
inline constexpr int LATE_TICKS = 4;
inline constexpr auto MIN_LATE_TOLERANCE = std::chrono::milliseconds(50);
/// Poisson means below this are raised to it (a zero mean would be an infinite rate).
inline constexpr auto MIN_STREAM_MEAN = std::chrono::microseconds(100);
/// Node health (docs/protocol/client.md "Avoiding failed nodes"): a mix is avoided after
/// STRIKES_TO_AVOID timeouts in a row on routes through it with no acknowledged packet through it for
/// SUCCESS_MEMORY; the first avoidance lasts AVOID_DURATION, each further one in a row twice as long.
inline constexpr std::uint32_t STRIKES_TO_AVOID = 3;
inline constexpr auto SUCCESS_MEMORY = std::chrono::seconds(10);
inline constexpr auto AVOID_DURATION = std::chrono::seconds(60);
inline constexpr std::uint32_t MAX_AVOID_DOUBLINGS = 4; ///< at most 16 minutes
/// Retransmission back-off (docs/protocol/client.md "Acknowledgements and retransmission"): the n-th
/// retransmission of a fragment waits base × 2^n, at most max(base, MAX_ACK_TIMEOUT), so a congested
/// path that delays acks beyond the base timeout is not flooded with copies of the same fragments.
inline constexpr auto MAX_ACK_TIMEOUT = std::chrono::seconds(60);
inline constexpr std::uint32_t MAX_BACKOFF_SHIFT = 16; ///< far past the cap for any sane base; bounds the loop
/// Congestion window floor (docs/protocol/client.md "Congestion control").
inline constexpr std::size_t MIN_WINDOW = 8;
/// A packet that could not be built (no route, recipient's gateway gone) is retried after this.
inline constexpr auto PARK_DURATION = std::chrono::seconds(1);
/// Reply SURB store bounds.
inline constexpr std::size_t MAX_SENDER_TAGS = 1000;
inline constexpr std::size_t MAX_SURBS_PER_TAG = 1000;
inline constexpr auto GC_INTERVAL = std::chrono::seconds(1);
/// Largest delivered message we try to open (a regular packet's block is 1643 bytes).
inline constexpr std::size_t MAX_DELIVERED_SIZE = 64 * 1024;

struct NodeAddressHash {
    std::size_t operator()(const sphinx::NodeAddress& a) const noexcept {
        std::uint64_t h = 1469598103934665603ull; // FNV-1a: the bytes are structured, not random
        for (std::uint8_t b : a.bytes) h = (h ^ b) * 1099511628211ull;
        return static_cast<std::size_t>(h);
    }
};
/// Keys and tags are uniformly random bytes: their first 8 bytes are a good hash.
template <class T>
struct RandomBytesHash {
    std::size_t operator()(const T& v) const noexcept {
        std::size_t h = 0;
        std::memcpy(&h, v.bytes.data(), sizeof h);
        return h;
    }
};
struct SenderTagHash {
    std::size_t operator()(const SenderTag& t) const noexcept {
        std::size_t h = 0;
        std::memcpy(&h, t.data(), sizeof h);
        return h;
    }
};
using KeyHash = RandomBytesHash<crypto::Ed25519PublicKey>;

using Nanos = std::chrono::nanoseconds;

inline sphinx::DestinationAddress destination_of(const crypto::Ed25519PublicKey& identity) {
    sphinx::DestinationAddress d;
    std::copy(identity.bytes.begin(), identity.bytes.end(), d.bytes.begin());
    return d;
}

struct NodeHealth {
    std::uint32_t strikes = 0; ///< timeouts since the last acknowledged packet through the node
    std::uint32_t bans = 0;    ///< avoidances in a row without an acknowledged packet in between
    std::optional<TimePoint> last_success;
    TimePoint avoid_until{};

    void ban(TimePoint now) {
        avoid_until = now + AVOID_DURATION * (1 << std::min(bans, MAX_AVOID_DOUBLINGS));
        ++bans;
    }
};

struct OutMessage {
    MessageId id = 0;
    std::uint64_t wire_id = 0;
    crypto::Ed25519PublicKey recipient;
    crypto::Ed25519PublicKey recipient_gateway;
    crypto::X25519PublicKey recipient_key;
    Bytes encoded;
    std::uint32_t total = 0;
    std::uint32_t unacked = 0;
    std::vector<std::uint64_t> ack_ids;
};

/// The mixes a transmission used (forward route then ack route), blamed on timeout, cleared on ack.
using RouteMixes = std::array<sphinx::NodeAddress, 2 * MIX_LAYERS>;

struct PendingFragment {
    MessageId message = 0;
    std::uint32_t index = 0;
    std::uint32_t retransmissions = 0;
    std::uint64_t timer_generation = 0;
    bool timer_armed = false;
    bool parked = false; ///< the timer is a retry of a packet that could not be built, not a lost one
    bool has_route = false; ///< sent at least once; `route` is the latest transmission's
    bool in_flight = false; ///< counted in Impl::in_flight: sent, neither acknowledged nor timed out
    RouteMixes route{};
};

struct Timer {
    TimePoint deadline;
    std::uint64_t ack_id = 0;
    std::uint64_t generation = 0;
    friend bool operator>(const Timer& a, const Timer& b) noexcept { return a.deadline > b.deadline; }
};

struct StoredSurb {
    std::array<std::uint8_t, format::REPLY_KEY_ID_SIZE> key_id{};
    crypto::SecretBytes<format::REPLY_KEY_SIZE> key;
    sphinx::Surb surb;
};

struct SurbBucket {
    std::deque<StoredSurb> surbs;
    TimePoint last_used{};
};

/// An item of the real-traffic queue: a fragment (by ack id, built when it leaves) or a ready packet
/// (a reply: its route is fixed by the SURB, so it is built at once).
using QueueItem = std::variant<std::uint64_t, OutgoingPacket>;

template <class Rep, class Period>
std::chrono::microseconds at_least(std::chrono::duration<Rep, Period> d, std::chrono::microseconds floor) {
    return std::max(std::chrono::duration_cast<std::chrono::microseconds>(d), floor);
}

} // namespace core_detail

using namespace core_detail; // NOLINT: the core's own files

struct ClientCore::Impl {
    ClientKeys keys;
    format::DerivedKeys derived;
    Address self;
    TrafficConfig config;
    crypto::Rng& rng;
    TimePoint now_seen;

    // Topology.
    std::array<std::vector<sphinx::RouteNode>, MIX_LAYERS> layers;
    std::unordered_map<crypto::Ed25519PublicKey, sphinx::RouteNode, KeyHash> gateways;
    std::unordered_map<crypto::Ed25519PublicKey, crypto::Ed25519PublicKey, KeyHash> client_gateways;
    std::optional<sphinx::RouteNode> own_gateway;
    std::unordered_map<sphinx::NodeAddress, NodeHealth, NodeAddressHash> health;

    // Sending.
    MessageId next_message_id = 1;
    std::uint64_t next_ack_id = 1;
    std::unordered_map<MessageId, OutMessage> outgoing;
    std::unordered_map<std::uint64_t, PendingFragment> pending;
    std::deque<std::uint64_t> retransmit_queue;
    std::deque<QueueItem> real_queue;
    std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers;
    TimePoint next_main;
    TimePoint next_loop;
    // Congestion control: a window on fragments in flight, halved on timeout, +1 per ack.
    std::size_t in_flight = 0;
    std::size_t window = MIN_WINDOW;
    std::unordered_map<crypto::Ed25519PublicKey, SenderTag, KeyHash> own_tags; ///< per recipient

    // Receiving.
    Reassembler reassembler;
    TimePoint next_gc;
    std::unordered_map<SenderTag, SurbBucket, SenderTagHash> surb_store;
    std::size_t surbs_stored = 0;

    std::vector<Event> events;
    ClientStats stats;

    // --- construction --------------------------------------------------------------------------------

    Impl(ClientKeys keys_in, Address self_in, TrafficConfig config_in, crypto::Rng& rng_in, TimePoint now);

    static ReassemblyLimits reassembly_limits(const TrafficConfig& config);

    void observe(TimePoint now) { now_seen = std::max(now_seen, now); }

    // --- core_routes.cpp: routes and node health -----------------------------------------------------

    [[nodiscard]] bool routable() const;

    [[nodiscard]] bool avoided(const sphinx::NodeAddress& node, TimePoint now) const;

    /// One mix per layer, uniformly among the nodes not avoided (among all when every node of a layer is).
    std::optional<std::array<sphinx::RouteNode, MIX_LAYERS>> choose_mixes(TimePoint now);

    /// A timeout blames every mix of the forward and ack routes: one of them (or a link) lost the
    /// packet. A node that recently carried an acknowledged packet is given the benefit of the doubt,
    /// so the innocent nodes of a route through a dead one are not avoided with it.
    void strike(const RouteMixes& route, TimePoint now);

    void credit(const RouteMixes& route, TimePoint now);

    // --- core_packets.cpp: building packets ----------------------------------------------------------

    struct BuiltAck {
        sphinx::NodeAddress first_hop;
        Bytes packet;
        Nanos delay{0};
        std::array<sphinx::RouteNode, MIX_LAYERS> mixes;
    };

    /// The SURB-ack: an ack-size packet over [L1, L2, L3, own gateway] to our own identity.
    Expected<BuiltAck> build_ack(std::uint64_t ack_id, TimePoint now);

    /// ack first hop (19) ‖ ack packet (386) into the first 405 bytes of a regular plaintext.
    static void write_ack_prefix(const BuiltAck& ack, std::span<std::uint8_t> plaintext);

    struct Built {
        OutgoingPacket packet;
        Nanos expected_delay{0};
        RouteMixes mixes{};
    };

    /// A regular packet to `identity` at `gateway` carrying `fragment` (FRAGMENT_PLAINTEXT_SIZE bytes).
    Expected<Built> build_regular(const sphinx::RouteNode& gateway, const crypto::Ed25519PublicKey& identity,
                                  const crypto::X25519PublicKey& identity_key, std::span<const std::uint8_t> fragment,
                                  std::uint64_t ack_id, PacketKind kind, TimePoint now);

    std::optional<OutgoingPacket> make_loop_cover(PacketKind kind, TimePoint now);

    // --- core_send.cpp: sending ----------------------------------------------------------------------

    /// Builds the packet of one fragment on a fresh route and starts its ack timer. std::nullopt when
    /// the fragment is gone (acknowledged or abandoned) or cannot be built now (then it is parked).
    std::optional<OutgoingPacket> emit_fragment(std::uint64_t ack_id, PacketKind kind, TimePoint now);

    Expected<MessageId> send(std::span<const std::uint8_t> message, const ParsedAddress& recipient, TimePoint now,
                             std::size_t reply_surbs);

    // --- core_acks.cpp: acknowledgements and retransmission ------------------------------------------

    /// base × 2^retransmissions, capped at max(base, MAX_ACK_TIMEOUT).
    static Nanos backed_off(Nanos base, std::uint32_t retransmissions);

    void arm_timer(std::uint64_t ack_id, PendingFragment& f, TimePoint deadline);

    void fail_message(MessageId id, std::string reason);

    void process_timers(TimePoint now);

    void on_ack(std::uint64_t ack_id, TimePoint now);

    std::uint64_t allocate_ack_id();

    // --- core_window.cpp: the congestion window ------------------------------------------------------

    [[nodiscard]] std::size_t max_window() const { return std::max(config.max_in_flight, MIN_WINDOW); }

    /// With the Poisson stream its rate bounds the sending, so the window only gates the
    /// send-at-once mode (disable_main_poisson), where nothing else would.
    [[nodiscard]] bool window_open() const { return !config.disable_main_poisson || in_flight < window; }

    void leave_flight(PendingFragment& f);

    /// A timeout halves the window, every timeout: a burst of them (a queue that overflowed or
    /// delays packets past the timeout) shrinks it to the floor at once, and acks (+1 each) grow it
    /// back about twice per round trip once packets get through again.
    void on_loss();

    // --- core_replies.cpp: reply SURBs ---------------------------------------------------------------

    [[gnu::noinline]] void evict_stalest_tag();

    void store_surbs(const SenderTag& tag, std::vector<StoredSurb> surbs, TimePoint now);

    Expected<Bytes> encode_with_surbs(std::span<const std::uint8_t> message, const crypto::Ed25519PublicKey& recipient,
                                      std::size_t reply_surbs, TimePoint now);

    Expected<void> reply(const SenderTag& tag, std::span<const std::uint8_t> message, TimePoint now);

    // --- core_streams.cpp: the Poisson streams -------------------------------------------------------

    Nanos poisson_gap(std::chrono::microseconds mean);

    /// Appends the next real packet (retransmissions first); false when none is queued or the
    /// congestion window holds the queued fragments back (prepared replies are not held).
    bool emit_real(TimePoint now, std::vector<OutgoingPacket>& out);

    void catch_up(TimePoint& next, std::chrono::microseconds mean, TimePoint now) const;

    std::vector<OutgoingPacket> poll(TimePoint now);

    TimePoint next_wakeup() const;

    // --- core_receive.cpp: deliveries ----------------------------------------------------------------

    void collect_garbage(TimePoint now);

    /// A reassembled message: flags ‖ [sender tag ‖ count ‖ SURB entries] ‖ data.
    void on_message(Bytes encoded, TimePoint now);

    void on_block(std::span<const std::uint8_t> block, TimePoint now);
};

} // namespace nym::client
