#include <client/core.hpp>
#include <client/errors.hpp>
#include <client/packet_format.hpp>
#include <client/reassembly.hpp>

#include <crypto/base58.hpp>
#include <sphinx/builder.hpp>
#include <sphinx/delays.hpp>
#include <sphinx/node_address.hpp>
#include <sphinx/surb.hpp>

#include <algorithm>
#include <cstring>
#include <deque>
#include <functional>
#include <queue>
#include <unordered_map>

namespace nym::client {

// --- Addresses ---------------------------------------------------------------------------------------

std::string to_string(const Address& address) {
    return crypto::base58_encode(address.identity.bytes) + "@" + crypto::base58_encode(address.gateway.bytes);
}

namespace {

/// base58 of 32 bytes is at most 44 characters; anything much longer is refused before decoding.
constexpr std::size_t MAX_KEY_TEXT = 64;

Expected<crypto::Ed25519PublicKey> parse_identity_key(std::string_view text) {
    if (text.empty() || text.size() > MAX_KEY_TEXT) return fail(Errc::invalid_address);
    auto bytes = crypto::base58_decode(text);
    if (!bytes || bytes->size() != crypto::ED25519_PUBLIC_KEY_SIZE) return fail(Errc::invalid_address);
    crypto::Ed25519PublicKey key;
    std::copy(bytes->begin(), bytes->end(), key.bytes.begin());
    // A key that is no point (or of small order) could never be encrypted to.
    if (!crypto::ed25519_public_to_x25519(key)) return fail(Errc::invalid_address);
    return key;
}

} // namespace

Expected<ParsedAddress> parse_address(std::string_view text) {
    const auto at = text.find('@');
    ParsedAddress parsed;
    if (at == std::string_view::npos) {
        auto identity = parse_identity_key(text);
        if (!identity) return Unexpected(identity.error());
        parsed.identity = *identity;
        return parsed;
    }
    if (text.find('@', at + 1) != std::string_view::npos) return fail(Errc::invalid_address);
    auto identity = parse_identity_key(text.substr(0, at));
    if (!identity) return Unexpected(identity.error());
    auto gateway = parse_identity_key(text.substr(at + 1));
    if (!gateway) return Unexpected(gateway.error());
    parsed.identity = *identity;
    parsed.gateway = *gateway;
    return parsed;
}

// --- The core ----------------------------------------------------------------------------------------

namespace {

constexpr std::size_t MIX_LAYERS = 3;
constexpr std::size_t ROUTE_LENGTH = MIX_LAYERS + 1; ///< three mixes, then a gateway
/// Packets one poll() emits at most; the rest is due at once (next_wakeup() ≤ now), so the glue gets
/// to read its sockets between batches.
constexpr std::size_t MAX_PACKETS_PER_POLL = 64;
/// A stream whose next tick is overdue by more than max(LATE_TICKS × mean, MIN_LATE_TOLERANCE)
/// restarts at `now` instead of emitting its whole backlog (see docs/protocol/client.md).
constexpr int LATE_TICKS = 4;
constexpr auto MIN_LATE_TOLERANCE = std::chrono::milliseconds(50);
/// Poisson means below this are raised to it (a zero mean would be an infinite rate).
constexpr auto MIN_STREAM_MEAN = std::chrono::microseconds(100);
/// Node health (docs/protocol/client.md "Avoiding failed nodes"): a mix is avoided after
/// STRIKES_TO_AVOID timeouts in a row on routes through it with no acknowledged packet through it for
/// SUCCESS_MEMORY; the first avoidance lasts AVOID_DURATION, each further one in a row twice as long.
constexpr std::uint32_t STRIKES_TO_AVOID = 3;
constexpr auto SUCCESS_MEMORY = std::chrono::seconds(10);
constexpr auto AVOID_DURATION = std::chrono::seconds(60);
constexpr std::uint32_t MAX_AVOID_DOUBLINGS = 4; ///< at most 16 minutes
/// Retransmission back-off (docs/protocol/client.md "Acknowledgements and retransmission"): the n-th
/// retransmission of a fragment waits base × 2^n, at most max(base, MAX_ACK_TIMEOUT), so a congested
/// path that delays acks beyond the base timeout is not flooded with copies of the same fragments.
constexpr auto MAX_ACK_TIMEOUT = std::chrono::seconds(60);
constexpr std::uint32_t MAX_BACKOFF_SHIFT = 16; ///< far past the cap for any sane base; bounds the loop
/// Congestion window floor (docs/protocol/client.md "Congestion control").
constexpr std::size_t MIN_WINDOW = 8;
/// A packet that could not be built (no route, recipient's gateway gone) is retried after this.
constexpr auto PARK_DURATION = std::chrono::seconds(1);
/// Reply SURB store bounds.
constexpr std::size_t MAX_SENDER_TAGS = 1000;
constexpr std::size_t MAX_SURBS_PER_TAG = 1000;
constexpr auto GC_INTERVAL = std::chrono::seconds(1);
/// Largest delivered message we try to open (a regular packet's block is 1643 bytes).
constexpr std::size_t MAX_DELIVERED_SIZE = 64 * 1024;

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

sphinx::DestinationAddress destination_of(const crypto::Ed25519PublicKey& identity) {
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

} // namespace

struct ClientCore::Impl {
    Impl(ClientKeys keys_in, Address self_in, TrafficConfig config_in, crypto::Rng& rng_in, TimePoint now)
        : keys(std::move(keys_in)), derived(format::DerivedKeys::derive(keys.identity)), self(self_in),
          config(config_in), rng(rng_in), now_seen(now), reassembler(reassembly_limits(config_in)) {
        next_main = now + poisson_gap(config.message_sending_average_delay);
        next_loop = now + poisson_gap(config.loop_cover_average_delay);
        next_gc = now + GC_INTERVAL;
        window = max_window();
    }

    static ReassemblyLimits reassembly_limits(const TrafficConfig& config) {
        ReassemblyLimits limits;
        const std::size_t largest = config.max_message_size + 1 + format::SENDER_TAG_SIZE + 2 +
                                    format::MAX_REPLY_SURBS * (format::REPLY_SURB_ENTRY_OVERHEAD + format::MAX_SURB_SIZE);
        limits.max_fragments = static_cast<std::uint32_t>(
            std::min<std::size_t>(format::fragment_count(largest), std::numeric_limits<std::uint32_t>::max()));
        limits.max_buffered_bytes = std::max<std::size_t>(limits.max_buffered_bytes, 2 * largest);
        limits.partial_timeout = config.reassembly_timeout;
        return limits;
    }

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

    void observe(TimePoint now) { now_seen = std::max(now_seen, now); }

    Nanos poisson_gap(std::chrono::microseconds mean) {
        const auto m = sphinx::Delay::from_duration(at_least(mean, MIN_STREAM_MEAN));
        return sphinx::sample_exponential_delay(rng, m).to_duration();
    }

    [[nodiscard]] bool routable() const {
        return own_gateway.has_value() &&
               std::all_of(layers.begin(), layers.end(), [](const auto& layer) { return !layer.empty(); });
    }

    // --- Routes ---------------------------------------------------------------------------------------

    [[nodiscard]] bool avoided(const sphinx::NodeAddress& node, TimePoint now) const {
        auto it = health.find(node);
        return it != health.end() && it->second.avoid_until > now;
    }

    /// One mix per layer, uniformly among the nodes not avoided (among all when every node of a layer is).
    std::optional<std::array<sphinx::RouteNode, MIX_LAYERS>> choose_mixes(TimePoint now) {
        std::array<sphinx::RouteNode, MIX_LAYERS> chosen;
        for (std::size_t l = 0; l < MIX_LAYERS; ++l) {
            const auto& layer = layers[l];
            if (layer.empty()) return std::nullopt;
            std::size_t healthy = 0;
            for (const auto& node : layer)
                if (!avoided(node.address, now)) ++healthy;
            const bool any = healthy == 0;
            const std::size_t count = any ? layer.size() : healthy;
            std::size_t pick = static_cast<std::size_t>(rng.next_u64() % count);
            for (const auto& node : layer) {
                if (!any && avoided(node.address, now)) continue;
                if (pick-- == 0) {
                    chosen[l] = node;
                    break;
                }
            }
        }
        return chosen;
    }

    /// A timeout blames every mix of the forward and ack routes: one of them (or a link) lost the
    /// packet. A node that recently carried an acknowledged packet is given the benefit of the doubt,
    /// so the innocent nodes of a route through a dead one are not avoided with it.
    void strike(const RouteMixes& route, TimePoint now) {
        for (const auto& node : route) {
            NodeHealth& h = health[node];
            ++h.strikes;
            const bool recently_fine = h.last_success && now - *h.last_success < SUCCESS_MEMORY;
            if (h.strikes >= STRIKES_TO_AVOID && !recently_fine && h.avoid_until <= now) {
                h.ban(now);
                // On probation once the avoidance ends: one more timeout avoids it again, for longer.
                h.strikes = STRIKES_TO_AVOID - 1;
            }
        }
    }

    void credit(const RouteMixes& route, TimePoint now) {
        for (const auto& node : route) {
            NodeHealth& h = health[node];
            h.strikes = 0;
            h.bans = 0;
            h.last_success = now;
            h.avoid_until = TimePoint{};
        }
    }

    // --- Packet building ------------------------------------------------------------------------------

    struct BuiltAck {
        sphinx::NodeAddress first_hop;
        Bytes packet;
        Nanos delay{0};
        std::array<sphinx::RouteNode, MIX_LAYERS> mixes;
    };

    /// The SURB-ack: an ack-size packet over [L1, L2, L3, own gateway] to our own identity.
    Expected<BuiltAck> build_ack(std::uint64_t ack_id, TimePoint now) {
        auto mixes = choose_mixes(now);
        if (!mixes || !own_gateway) return fail(Errc::no_route);
        const std::array<sphinx::RouteNode, ROUTE_LENGTH> route{(*mixes)[0], (*mixes)[1], (*mixes)[2], *own_gateway};
        const auto delays = sphinx::generate_delays(rng, ROUTE_LENGTH, sphinx::Delay::from_duration(config.average_ack_delay));
        const auto payload = format::seal_ack(derived, ack_id, rng);
        auto packet = sphinx::build_packet(route, delays, destination_of(self.identity), sphinx::SurbIdentifier{}, payload,
                                           sphinx::payload_size(sphinx::PacketSize::ack), rng);
        if (!packet) return Unexpected(packet.error());
        BuiltAck ack;
        ack.first_hop = route[0].address;
        ack.packet = std::move(*packet);
        for (std::size_t i = 0; i < MIX_LAYERS; ++i) ack.delay += delays[i].to_duration();
        ack.mixes = *mixes;
        return ack;
    }

    /// ack first hop (19) ‖ ack packet (386) into the first 405 bytes of a regular plaintext.
    static void write_ack_prefix(const BuiltAck& ack, std::span<std::uint8_t> plaintext) {
        std::copy_n(ack.first_hop.bytes.begin(), format::ACK_FIRST_HOP_SIZE, plaintext.begin());
        std::copy(ack.packet.begin(), ack.packet.end(), plaintext.begin() + static_cast<std::ptrdiff_t>(format::ACK_FIRST_HOP_SIZE));
    }

    struct Built {
        OutgoingPacket packet;
        Nanos expected_delay{0};
        RouteMixes mixes{};
    };

    /// A regular packet to `identity` at `gateway` carrying `fragment` (FRAGMENT_PLAINTEXT_SIZE bytes).
    Expected<Built> build_regular(const sphinx::RouteNode& gateway, const crypto::Ed25519PublicKey& identity,
                                  const crypto::X25519PublicKey& identity_key, std::span<const std::uint8_t> fragment,
                                  std::uint64_t ack_id, PacketKind kind, TimePoint now) {
        auto mixes = choose_mixes(now);
        if (!mixes) return fail(Errc::no_route);
        auto ack = build_ack(ack_id, now);
        if (!ack) return Unexpected(ack.error());

        std::array<std::uint8_t, format::SPHINX_PLAINTEXT_SIZE> plaintext{};
        write_ack_prefix(*ack, plaintext);
        auto sealed = format::seal_forward(identity_key, fragment, std::span(plaintext).subspan(format::ACK_OVERHEAD), rng);
        if (!sealed) return Unexpected(sealed.error());

        const std::array<sphinx::RouteNode, ROUTE_LENGTH> route{(*mixes)[0], (*mixes)[1], (*mixes)[2], gateway};
        const auto delays =
            sphinx::generate_delays(rng, ROUTE_LENGTH, sphinx::Delay::from_duration(config.average_packet_delay));
        auto packet = sphinx::build_packet(route, delays, destination_of(identity), sphinx::SurbIdentifier{}, plaintext,
                                           sphinx::payload_size(sphinx::PacketSize::regular), rng);
        crypto::secure_wipe(plaintext.data(), plaintext.size());
        if (!packet) return Unexpected(packet.error());

        Built built;
        built.packet = OutgoingPacket{route[0].address, std::move(*packet), kind};
        built.expected_delay = ack->delay;
        for (std::size_t i = 0; i < MIX_LAYERS; ++i) {
            built.expected_delay += delays[i].to_duration();
            built.mixes[i] = (*mixes)[i].address;
            built.mixes[MIX_LAYERS + i] = ack->mixes[i].address;
        }
        return built;
    }

    std::optional<OutgoingPacket> make_loop_cover(PacketKind kind, TimePoint now) {
        if (!own_gateway) return std::nullopt;
        std::array<std::uint8_t, format::FRAGMENT_PLAINTEXT_SIZE> fragment{};
        format::write_fragment(format::FragmentHeader{format::FRAGMENT_KIND_COVER, 0, 0, 0, 0}, {}, fragment);
        auto built = build_regular(*own_gateway, self.identity, derived.e2e_public, fragment, format::UNTRACKED_ACK_ID,
                                   kind, now);
        if (!built) return std::nullopt;
        return std::move(built->packet);
    }

    [[nodiscard]] std::size_t max_window() const { return std::max(config.max_in_flight, MIN_WINDOW); }

    /// With the Poisson stream its rate bounds the sending, so the window only gates the
    /// send-at-once mode (disable_main_poisson), where nothing else would.
    [[nodiscard]] bool window_open() const { return !config.disable_main_poisson || in_flight < window; }

    void leave_flight(PendingFragment& f) {
        if (!f.in_flight) return;
        f.in_flight = false;
        --in_flight;
    }

    /// A timeout halves the window, every timeout: a burst of them (a queue that overflowed or
    /// delays packets past the timeout) shrinks it to the floor at once, and acks (+1 each) grow it
    /// back about twice per round trip once packets get through again.
    void on_loss() {
        window = std::max(MIN_WINDOW, window / 2);
        ++stats.window_reductions;
    }

    /// base × 2^retransmissions, capped at max(base, MAX_ACK_TIMEOUT).
    static Nanos backed_off(Nanos base, std::uint32_t retransmissions) {
        const Nanos cap = std::max<Nanos>(base, MAX_ACK_TIMEOUT);
        Nanos wait = base;
        for (std::uint32_t i = 0; i < std::min(retransmissions, MAX_BACKOFF_SHIFT) && wait < cap; ++i) wait *= 2;
        return std::min(wait, cap);
    }

    void arm_timer(std::uint64_t ack_id, PendingFragment& f, TimePoint deadline) {
        f.timer_armed = true;
        ++f.timer_generation;
        timers.push(Timer{deadline, ack_id, f.timer_generation});
    }

    /// Builds the packet of one fragment on a fresh route and starts its ack timer. std::nullopt when
    /// the fragment is gone (acknowledged or abandoned) or cannot be built now (then it is parked).
    std::optional<OutgoingPacket> emit_fragment(std::uint64_t ack_id, PacketKind kind, TimePoint now) {
        auto it = pending.find(ack_id);
        if (it == pending.end()) return std::nullopt;
        PendingFragment& f = it->second;
        auto msg_it = outgoing.find(f.message);
        if (msg_it == outgoing.end()) return std::nullopt;
        const OutMessage& m = msg_it->second;

        auto park = [&]() -> std::optional<OutgoingPacket> {
            f.parked = true;
            arm_timer(ack_id, f, now + PARK_DURATION);
            return std::nullopt;
        };
        auto gateway = gateways.find(m.recipient_gateway);
        if (gateway == gateways.end()) return park();

        const std::size_t offset = static_cast<std::size_t>(f.index) * format::FRAGMENT_PAYLOAD_SIZE;
        const std::size_t length = std::min(format::FRAGMENT_PAYLOAD_SIZE, m.encoded.size() - offset);
        std::array<std::uint8_t, format::FRAGMENT_PLAINTEXT_SIZE> fragment{};
        format::write_fragment(
            format::FragmentHeader{format::FRAGMENT_KIND_MESSAGE, m.wire_id, f.index, m.total, static_cast<std::uint16_t>(length)},
            std::span(m.encoded).subspan(offset, length), fragment);

        // A fragment parked before it ever left is still a first transmission.
        if (!f.has_route) kind = PacketKind::real;
        auto built = build_regular(gateway->second, m.recipient, m.recipient_key, fragment, ack_id, kind, now);
        if (!built) return park();

        f.parked = false;
        f.has_route = true;
        f.route = built->mixes;
        if (!f.in_flight) {
            f.in_flight = true;
            ++in_flight;
        }
        const auto base = std::chrono::duration_cast<Nanos>(
                              std::chrono::duration<double, std::nano>(static_cast<double>(built->expected_delay.count()) *
                                                                       config.ack_wait_multiplier)) +
                          std::chrono::duration_cast<Nanos>(config.ack_wait_addition);
        arm_timer(ack_id, f, now + backed_off(base, f.retransmissions));
        return std::move(built->packet);
    }

    /// Appends the next real packet (retransmissions first); false when none is queued or the
    /// congestion window holds the queued fragments back (prepared replies are not held).
    bool emit_real(TimePoint now, std::vector<OutgoingPacket>& out) {
        while (!retransmit_queue.empty() && window_open()) {
            const std::uint64_t id = retransmit_queue.front();
            retransmit_queue.pop_front();
            if (auto p = emit_fragment(id, PacketKind::retransmission, now)) {
                ++(p->kind == PacketKind::real ? stats.real_sent : stats.retransmissions);
                out.push_back(std::move(*p));
                return true;
            }
        }
        while (!real_queue.empty()) {
            if (auto* ready = std::get_if<OutgoingPacket>(&real_queue.front())) {
                ++stats.replies_sent;
                out.push_back(std::move(*ready));
                real_queue.pop_front();
                return true;
            }
            if (!window_open()) return false;
            const std::uint64_t ack_id = std::get<std::uint64_t>(real_queue.front());
            real_queue.pop_front();
            if (auto p = emit_fragment(ack_id, PacketKind::real, now)) {
                ++stats.real_sent;
                out.push_back(std::move(*p));
                return true;
            }
        }
        return false;
    }

    void catch_up(TimePoint& next, std::chrono::microseconds mean, TimePoint now) const {
        const auto tolerance = std::max<Nanos>(at_least(mean, MIN_STREAM_MEAN) * LATE_TICKS, MIN_LATE_TOLERANCE);
        if (now - next > tolerance) next = now;
    }

    void fail_message(MessageId id, std::string reason) {
        auto it = outgoing.find(id);
        if (it == outgoing.end()) return;
        for (std::uint64_t ack_id : it->second.ack_ids) {
            auto f = pending.find(ack_id);
            if (f == pending.end()) continue;
            leave_flight(f->second);
            pending.erase(f);
        }
        outgoing.erase(it);
        ++stats.messages_failed;
        events.emplace_back(MessageFailed{id, std::move(reason)});
    }

    void process_timers(TimePoint now) {
        while (!timers.empty() && timers.top().deadline <= now) {
            const Timer t = timers.top();
            timers.pop();
            auto it = pending.find(t.ack_id);
            if (it == pending.end() || !it->second.timer_armed || it->second.timer_generation != t.generation) continue;
            PendingFragment& f = it->second;
            f.timer_armed = false;
            if (f.parked) {
                retransmit_queue.push_back(t.ack_id);
                continue;
            }
            leave_flight(f);
            on_loss();
            if (f.has_route) strike(f.route, now);
            if (config.max_retransmissions && f.retransmissions >= *config.max_retransmissions) {
                fail_message(f.message, "no acknowledgement after " + std::to_string(f.retransmissions) + " retransmissions");
                continue;
            }
            ++f.retransmissions;
            retransmit_queue.push_back(t.ack_id);
        }
    }

    void collect_garbage(TimePoint now) {
        if (now < next_gc) return;
        next_gc = now + GC_INTERVAL;
        stats.partial_messages_expired += reassembler.expire(now);
    }

    // --- Receiving ------------------------------------------------------------------------------------

    void on_ack(std::uint64_t ack_id, TimePoint now) {
        if (ack_id == format::UNTRACKED_ACK_ID) {
            ++stats.cover_acks_received;
            return;
        }
        auto it = pending.find(ack_id);
        if (it == pending.end()) {
            ++stats.unknown_acks;
            return;
        }
        ++stats.acks_received;
        leave_flight(it->second);
        window = std::min(max_window(), window + 1);
        if (it->second.has_route) credit(it->second.route, now);
        const MessageId id = it->second.message;
        pending.erase(it);
        auto msg = outgoing.find(id);
        if (msg == outgoing.end()) return;
        if (--msg->second.unacked == 0) {
            outgoing.erase(msg);
            ++stats.messages_delivered;
            events.emplace_back(MessageDelivered{id});
        }
    }

    [[gnu::noinline]] void evict_stalest_tag() {
        auto stalest = surb_store.begin();
        for (auto i = surb_store.begin(); i != surb_store.end(); ++i)
            if (i->second.last_used < stalest->second.last_used) stalest = i;
        if (stalest == surb_store.end()) return;
        surbs_stored -= stalest->second.surbs.size();
        surb_store.erase(stalest);
    }

    void store_surbs(const SenderTag& tag, std::vector<StoredSurb> surbs, TimePoint now) {
        auto it = surb_store.find(tag);
        if (it == surb_store.end()) {
            if (surb_store.size() >= MAX_SENDER_TAGS) evict_stalest_tag();
            it = surb_store.emplace(tag, SurbBucket{}).first;
        }
        SurbBucket& bucket = it->second;
        for (StoredSurb& s : surbs) {
            if (bucket.surbs.size() >= MAX_SURBS_PER_TAG) {
                bucket.surbs.pop_front(); // the oldest are the likeliest to have stale routes
                --surbs_stored;
            }
            bucket.surbs.push_back(std::move(s));
            ++surbs_stored;
        }
        bucket.last_used = now;
    }

    /// A reassembled message: flags ‖ [sender tag ‖ count ‖ SURB entries] ‖ data.
    void on_message(Bytes encoded, TimePoint now) {
        if (encoded.empty() || (encoded[0] & ~format::MESSAGE_FLAGS_KNOWN) != 0) {
            ++stats.malformed;
            return;
        }
        const std::uint8_t flags = encoded[0];
        std::size_t pos = 1;
        MessageReceived received;
        received.reply = (flags & format::MESSAGE_FLAG_REPLY) != 0;
        if ((flags & format::MESSAGE_FLAG_REPLY_SURBS) != 0) {
            if (encoded.size() - pos < format::SENDER_TAG_SIZE + 2) {
                ++stats.malformed;
                return;
            }
            SenderTag tag;
            std::copy_n(encoded.begin() + static_cast<std::ptrdiff_t>(pos), tag.size(), tag.begin());
            pos += tag.size();
            const auto count = static_cast<std::size_t>(format::get_be(std::span(encoded).subspan(pos), 2));
            pos += 2;
            if (count > format::MAX_REPLY_SURBS) {
                ++stats.malformed;
                return;
            }
            std::vector<StoredSurb> surbs;
            surbs.reserve(count);
            for (std::size_t i = 0; i < count; ++i) {
                if (encoded.size() - pos < format::REPLY_SURB_ENTRY_OVERHEAD) {
                    ++stats.malformed;
                    return;
                }
                StoredSurb s;
                const auto entry = std::span<const std::uint8_t>(encoded).subspan(pos);
                std::copy_n(entry.begin(), s.key_id.size(), s.key_id.begin());
                s.key = crypto::SecretBytes<format::REPLY_KEY_SIZE>(entry.subspan<format::REPLY_KEY_ID_SIZE, format::REPLY_KEY_SIZE>());
                const auto length = static_cast<std::size_t>(format::get_be(entry.subspan(format::REPLY_KEY_ID_SIZE + format::REPLY_KEY_SIZE), 2));
                pos += format::REPLY_SURB_ENTRY_OVERHEAD;
                if (length > format::MAX_SURB_SIZE || encoded.size() - pos < length) {
                    ++stats.malformed;
                    return;
                }
                auto surb = sphinx::Surb::parse(std::span<const std::uint8_t>(encoded).subspan(pos, length));
                if (!surb) {
                    ++stats.malformed;
                    return;
                }
                s.surb = std::move(*surb);
                pos += length;
                surbs.push_back(std::move(s));
            }
            store_surbs(tag, std::move(surbs), now);
            received.sender_tag = tag;
        }
        if (encoded.size() - pos > config.max_message_size) {
            ++stats.malformed; // larger than any message we accept to send either
            return;
        }
        received.data.assign(encoded.begin() + static_cast<std::ptrdiff_t>(pos), encoded.end());
        ++stats.messages_received;
        events.emplace_back(std::move(received));
    }

    void on_block(std::span<const std::uint8_t> block, TimePoint now) {
        if (block.size() < format::SEAL_OVERHEAD + format::FRAGMENT_HEADER_SIZE || block.size() > MAX_DELIVERED_SIZE) {
            ++stats.undecryptable;
            return;
        }
        Bytes plaintext(block.size() - format::SEAL_OVERHEAD);
        if (!format::open_sealed(derived, block, plaintext)) {
            ++stats.undecryptable;
            return;
        }
        auto fragment = format::parse_fragment(plaintext);
        if (!fragment) {
            ++stats.malformed;
            return;
        }
        if (fragment->header.kind == format::FRAGMENT_KIND_COVER) {
            ++stats.cover_received;
            return;
        }
        ++stats.fragments_received;
        Bytes message;
        switch (reassembler.add(fragment->header.message_id, fragment->header.index, fragment->header.total,
                                fragment->data, now, message)) {
        case Reassembler::Outcome::incomplete: break;
        case Reassembler::Outcome::duplicate: ++stats.duplicates; break;
        case Reassembler::Outcome::invalid: ++stats.malformed; break;
        case Reassembler::Outcome::complete: on_message(std::move(message), now); break;
        }
    }

    // --- Sending --------------------------------------------------------------------------------------

    std::uint64_t allocate_ack_id() {
        for (;;) {
            const std::uint64_t id = next_ack_id;
            next_ack_id = next_ack_id >= format::MAX_ACK_ID ? 1 : next_ack_id + 1;
            if (pending.count(id) == 0) return id;
        }
    }

    Expected<Bytes> encode_with_surbs(std::span<const std::uint8_t> message, const crypto::Ed25519PublicKey& recipient,
                                      std::size_t reply_surbs, TimePoint now) {
        Bytes encoded;
        if (reply_surbs == 0) {
            encoded.reserve(1 + message.size());
            encoded.push_back(0);
            encoded.insert(encoded.end(), message.begin(), message.end());
            return encoded;
        }
        auto tag_it = own_tags.find(recipient);
        if (tag_it == own_tags.end()) {
            SenderTag tag;
            rng.fill(tag);
            tag_it = own_tags.emplace(recipient, tag).first;
        }
        encoded.reserve(1 + format::SENDER_TAG_SIZE + 2 + reply_surbs * (format::REPLY_SURB_ENTRY_OVERHEAD + format::MAX_SURB_SIZE) +
                        message.size());
        encoded.push_back(format::MESSAGE_FLAG_REPLY_SURBS);
        encoded.insert(encoded.end(), tag_it->second.begin(), tag_it->second.end());
        encoded.push_back(static_cast<std::uint8_t>(reply_surbs >> 8));
        encoded.push_back(static_cast<std::uint8_t>(reply_surbs));
        for (std::size_t i = 0; i < reply_surbs; ++i) {
            auto mixes = choose_mixes(now);
            if (!mixes || !own_gateway) return fail(Errc::no_route);
            const std::array<sphinx::RouteNode, ROUTE_LENGTH> route{(*mixes)[0], (*mixes)[1], (*mixes)[2], *own_gateway};
            const auto delays =
                sphinx::generate_delays(rng, ROUTE_LENGTH, sphinx::Delay::from_duration(config.average_packet_delay));
            auto surb = sphinx::create_surb(route, delays, destination_of(self.identity), sphinx::SurbIdentifier{}, rng);
            if (!surb) return Unexpected(surb.error());
            std::array<std::uint8_t, format::REPLY_KEY_ID_SIZE> key_id{};
            rng.fill(key_id);
            const auto key = format::reply_key_for(derived, key_id);
            const Bytes surb_bytes = surb->to_bytes();
            encoded.insert(encoded.end(), key_id.begin(), key_id.end());
            encoded.insert(encoded.end(), key.bytes().begin(), key.bytes().end());
            encoded.push_back(static_cast<std::uint8_t>(surb_bytes.size() >> 8));
            encoded.push_back(static_cast<std::uint8_t>(surb_bytes.size()));
            encoded.insert(encoded.end(), surb_bytes.begin(), surb_bytes.end());
        }
        encoded.insert(encoded.end(), message.begin(), message.end());
        return encoded;
    }

    Expected<MessageId> send(std::span<const std::uint8_t> message, const ParsedAddress& recipient, TimePoint now,
                             std::size_t reply_surbs) {
        observe(now);
        if (message.size() > config.max_message_size) return fail(Errc::message_too_large);
        if (reply_surbs > format::MAX_REPLY_SURBS) return fail(Errc::too_many_reply_surbs);
        if (!routable()) return fail(Errc::no_route);
        crypto::Ed25519PublicKey gateway_identity;
        if (recipient.gateway) {
            gateway_identity = *recipient.gateway;
        } else {
            auto it = client_gateways.find(recipient.identity);
            if (it == client_gateways.end()) return fail(Errc::invalid_address);
            gateway_identity = it->second;
        }
        if (gateways.count(gateway_identity) == 0) return fail(Errc::invalid_address);
        auto recipient_key = crypto::ed25519_public_to_x25519(recipient.identity);
        if (!recipient_key) return fail(Errc::invalid_address);

        auto encoded = encode_with_surbs(message, recipient.identity, reply_surbs, now);
        if (!encoded) return Unexpected(encoded.error());
        const std::size_t total = format::fragment_count(encoded->size());
        if (total > std::numeric_limits<std::uint32_t>::max()) return fail(Errc::message_too_large);

        OutMessage m;
        m.id = next_message_id++;
        m.wire_id = rng.next_u64();
        m.recipient = recipient.identity;
        m.recipient_gateway = gateway_identity;
        m.recipient_key = *recipient_key;
        m.encoded = std::move(*encoded);
        m.total = static_cast<std::uint32_t>(total);
        m.unacked = m.total;
        m.ack_ids.reserve(total);
        for (std::uint32_t i = 0; i < m.total; ++i) {
            const std::uint64_t ack_id = allocate_ack_id();
            PendingFragment f;
            f.message = m.id;
            f.index = i;
            pending.emplace(ack_id, f);
            m.ack_ids.push_back(ack_id);
            real_queue.emplace_back(ack_id);
        }
        const MessageId id = m.id;
        outgoing.emplace(id, std::move(m));
        return id;
    }

    Expected<void> reply(const SenderTag& tag, std::span<const std::uint8_t> message, TimePoint now) {
        observe(now);
        auto it = surb_store.find(tag);
        if (it == surb_store.end()) return fail(Errc::unknown_sender_tag);
        if (message.size() > config.max_message_size) return fail(Errc::message_too_large);
        const std::size_t total = format::fragment_count(1 + message.size());
        if (it->second.surbs.size() < total) return fail(Errc::no_reply_surbs);
        if (!routable()) return fail(Errc::no_route);

        Bytes encoded;
        encoded.reserve(1 + message.size());
        encoded.push_back(format::MESSAGE_FLAG_REPLY);
        encoded.insert(encoded.end(), message.begin(), message.end());
        const std::uint64_t wire_id = rng.next_u64();

        std::vector<OutgoingPacket> packets;
        packets.reserve(total);
        SurbBucket& bucket = it->second;
        for (std::size_t i = 0; i < total; ++i) {
            // Replies are not retransmitted (a SURB is single-use), but still carry a SURB-ack so they
            // look like every other packet to the sender's gateway; its ack comes back untracked.
            auto ack = build_ack(format::UNTRACKED_ACK_ID, now);
            if (!ack) return Unexpected(ack.error());
            const std::size_t offset = i * format::FRAGMENT_PAYLOAD_SIZE;
            const std::size_t length = std::min(format::FRAGMENT_PAYLOAD_SIZE, encoded.size() - offset);
            std::array<std::uint8_t, format::FRAGMENT_PLAINTEXT_SIZE> fragment{};
            format::write_fragment(format::FragmentHeader{format::FRAGMENT_KIND_MESSAGE, wire_id,
                                                          static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(total),
                                                          static_cast<std::uint16_t>(length)},
                                   std::span(encoded).subspan(offset, length), fragment);
            const StoredSurb& surb = bucket.surbs[i];
            std::array<std::uint8_t, format::SPHINX_PLAINTEXT_SIZE> plaintext{};
            write_ack_prefix(*ack, plaintext);
            format::seal_reply(surb.key_id, surb.key.bytes(), fragment, std::span(plaintext).subspan(format::ACK_OVERHEAD));
            auto packet = surb.surb.use(plaintext, sphinx::payload_size(sphinx::PacketSize::regular));
            if (!packet) return Unexpected(packet.error());
            packets.push_back(OutgoingPacket{packet->first_hop, std::move(packet->packet), PacketKind::reply});
        }
        // Only now that every packet is built are the SURBs consumed.
        for (std::size_t i = 0; i < total; ++i) bucket.surbs.pop_front();
        surbs_stored -= total;
        bucket.last_used = now;
        for (auto& p : packets) real_queue.emplace_back(std::move(p));
        return {};
    }

    std::vector<OutgoingPacket> poll(TimePoint now) {
        observe(now);
        std::vector<OutgoingPacket> out;
        process_timers(now);
        if (config.disable_main_poisson) {
            while (out.size() < MAX_PACKETS_PER_POLL && emit_real(now, out)) {
            }
        } else {
            catch_up(next_main, config.message_sending_average_delay, now);
            while (next_main <= now && out.size() < MAX_PACKETS_PER_POLL) {
                if (!emit_real(now, out)) {
                    if (auto cover = make_loop_cover(PacketKind::cover, now)) {
                        ++stats.cover_sent;
                        out.push_back(std::move(*cover));
                    }
                }
                next_main += poisson_gap(config.message_sending_average_delay);
            }
        }
        if (!config.disable_loop_cover) {
            catch_up(next_loop, config.loop_cover_average_delay, now);
            std::size_t loops = 0;
            while (next_loop <= now && loops < MAX_PACKETS_PER_POLL) {
                if (auto cover = make_loop_cover(PacketKind::loop_cover, now)) {
                    ++stats.loop_cover_sent;
                    out.push_back(std::move(*cover));
                }
                ++loops;
                next_loop += poisson_gap(config.loop_cover_average_delay);
            }
        }
        collect_garbage(now);
        return out;
    }

    TimePoint next_wakeup() const {
        TimePoint t = TimePoint::max();
        if (config.disable_main_poisson) {
            const bool fragment_ready = window_open() && (!retransmit_queue.empty() || !real_queue.empty());
            const bool reply_ready = !real_queue.empty() && std::holds_alternative<OutgoingPacket>(real_queue.front());
            if (fragment_ready || reply_ready) t = now_seen;
        } else {
            t = next_main;
        }
        if (!config.disable_loop_cover) t = std::min(t, next_loop);
        if (!timers.empty()) t = std::min(t, timers.top().deadline);
        if (reassembler.partial_messages() != 0) t = std::min(t, next_gc);
        return t;
    }
};

ClientCore::ClientCore(ClientKeys keys, Address self, TrafficConfig config, crypto::Rng& rng, TimePoint now)
    : m_impl(std::make_unique<Impl>(std::move(keys), self, config, rng, now)) {}

ClientCore::~ClientCore() = default;

void ClientCore::set_topology(const wire::directory::Topology& topology, TimePoint now) {
    Impl& s = *m_impl;
    s.observe(now);
    for (auto& layer : s.layers) layer.clear();
    s.gateways.clear();
    s.client_gateways.clear();
    s.own_gateway.reset();
    std::unordered_map<sphinx::NodeAddress, NodeHealth, NodeAddressHash> health;
    auto keep_health = [&](const sphinx::NodeAddress& address) {
        if (auto it = s.health.find(address); it != s.health.end()) health.emplace(address, it->second);
    };
    for (const auto& mix : topology.mix_nodes) {
        if (mix.layer < wire::directory::MIN_LAYER || mix.layer > wire::directory::MAX_LAYER) continue;
        auto endpoint = sphinx::IpEndpoint::parse(mix.host);
        if (!endpoint) continue; // a node we could not address is no use in a route
        const sphinx::RouteNode node{sphinx::encode_node_address(*endpoint), mix.pub_key};
        s.layers[mix.layer - 1].push_back(node);
        keep_health(node.address);
    }
    for (const auto& gateway : topology.gateways) {
        auto endpoint = sphinx::IpEndpoint::parse(gateway.host);
        if (!endpoint) continue;
        const sphinx::RouteNode node{sphinx::encode_node_address(*endpoint), gateway.pub_key};
        s.gateways[gateway.identity_key] = node;
        // The registered clients' keys are their identities (the gateway's ClientAddress).
        for (const auto& client : gateway.registered_clients) {
            crypto::Ed25519PublicKey identity;
            std::copy(client.bytes.begin(), client.bytes.end(), identity.bytes.begin());
            s.client_gateways[identity] = gateway.identity_key;
        }
        if (gateway.identity_key == s.self.gateway) s.own_gateway = node;
    }
    s.health = std::move(health);
}

bool ClientCore::routable() const { return m_impl->routable(); }

Expected<MessageId> ClientCore::send(std::span<const std::uint8_t> message, const ParsedAddress& recipient,
                                     TimePoint now, std::size_t reply_surbs) {
    return m_impl->send(message, recipient, now, reply_surbs);
}

Expected<void> ClientCore::reply(const SenderTag& tag, std::span<const std::uint8_t> message, TimePoint now) {
    return m_impl->reply(tag, message, now);
}

TimePoint ClientCore::next_wakeup() const { return m_impl->next_wakeup(); }

std::vector<OutgoingPacket> ClientCore::poll(TimePoint now) { return m_impl->poll(now); }

std::vector<Event> ClientCore::on_delivered(std::span<const std::uint8_t> message, TimePoint now) {
    Impl& s = *m_impl;
    s.observe(now);
    if (message.size() == format::ACK_PAYLOAD_SIZE) {
        if (auto ack_id = format::open_ack(s.derived, message)) {
            s.on_ack(*ack_id, now);
        } else {
            ++s.stats.undecryptable;
        }
    } else {
        s.on_block(message, now);
    }
    s.collect_garbage(now);
    return drain_events();
}

std::vector<Event> ClientCore::drain_events() {
    std::vector<Event> events;
    events.swap(m_impl->events);
    return events;
}

std::size_t ClientCore::reply_surbs_available(const SenderTag& tag) const {
    auto it = m_impl->surb_store.find(tag);
    return it == m_impl->surb_store.end() ? 0 : it->second.surbs.size();
}

void ClientCore::mark_failed(const sphinx::NodeAddress& node, TimePoint now) {
    m_impl->observe(now);
    NodeHealth& h = m_impl->health[node];
    if (h.avoid_until <= now) h.ban(now);
    h.strikes = STRIKES_TO_AVOID - 1;
}

const Address& ClientCore::address() const noexcept { return m_impl->self; }

ClientStats ClientCore::stats() const {
    ClientStats s = m_impl->stats;
    s.queued_packets = m_impl->retransmit_queue.size() + m_impl->real_queue.size();
    s.unacknowledged_fragments = m_impl->pending.size();
    s.reply_surbs_stored = m_impl->surbs_stored;
    s.in_flight = m_impl->in_flight;
    s.congestion_window = m_impl->window;
    return s;
}

} // namespace nym::client
