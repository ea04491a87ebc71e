// ClientCore end to end over an in-process mixnet (core_harness.hpp): round trips, reassembly under
// reordering and duplication, SURB-acks and retransmission, cover traffic, the Poisson streams,
// reply SURBs, malformed input and route choice.
#include "core_harness.hpp"

#include <client/errors.hpp>
#include <client/packet_format.hpp>
#include <crypto/base58.hpp>
#include <sphinx/packet_size.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <cstdio>
#include <set>

namespace nym::client::test {
namespace {

using namespace std::chrono_literals;

const TimePoint T0 = TimePoint{} + std::chrono::hours(1000);
constexpr std::size_t REGULAR_WIRE_SIZE = sphinx::packet_size(sphinx::PacketSize::regular);

std::vector<std::uint8_t> pattern(std::size_t n, std::uint32_t seed) {
    std::vector<std::uint8_t> v(n);
    std::uint32_t x = seed * 2654435761u + 1;
    for (auto& b : v) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b = static_cast<std::uint8_t>(x);
    }
    return v;
}

struct Pair {
    explicit Pair(TrafficConfig config = quiet_config(), std::uint64_t seed = 1)
        : net(seed), alice(net, seed + 100, 0, config, T0), bob(net, seed + 200, 1, config, T0) {
        alice.core->set_topology(net.topology(), now);
        bob.core->set_topology(net.topology(), now);
    }
    void run(std::chrono::nanoseconds d) { run_until(net, {&alice, &bob}, now, now + d); }

    TimePoint now = T0;
    SimNet net;
    SimClient alice;
    SimClient bob;
};

// --- Addresses ---------------------------------------------------------------------------------------

TEST(ClientAddress, RoundTripsThroughText) {
    crypto::DeterministicRng rng(1);
    const Address a{crypto::Ed25519SecretKey::generate(rng).public_key(), crypto::Ed25519SecretKey::generate(rng).public_key()};
    const std::string text = to_string(a);
    EXPECT_NE(text.find('@'), std::string::npos);
    auto parsed = parse_address(text);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->identity, a.identity);
    ASSERT_TRUE(parsed->gateway);
    EXPECT_EQ(*parsed->gateway, a.gateway);
}

TEST(ClientAddress, AcceptsABareIdentity) {
    crypto::DeterministicRng rng(2);
    const auto id = crypto::Ed25519SecretKey::generate(rng).public_key();
    auto parsed = parse_address(crypto::base58_encode(id.bytes));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->identity, id);
    EXPECT_FALSE(parsed->gateway);
}

TEST(ClientAddress, RefusesMalformedText) {
    crypto::DeterministicRng rng(3);
    const std::string id = crypto::base58_encode(crypto::Ed25519SecretKey::generate(rng).public_key().bytes);
    std::array<std::uint8_t, 32> not_a_point{};
    not_a_point[0] = 2; // y = 2 is not on the curve
    std::array<std::uint8_t, 32> small_order{};
    small_order[0] = 1; // the neutral element
    const std::vector<std::string> bad = {
        "",
        "@",
        id + "@",
        "@" + id,
        id + "@" + id + "@" + id,
        id + "0",                                   // '0' is not base58
        id.substr(0, id.size() - 3),                // too short
        id + id,                                    // too long
        crypto::base58_encode(not_a_point),
        crypto::base58_encode(small_order),
        id + "@" + crypto::base58_encode(small_order),
        " " + id,
        std::string(5000, '1'),
    };
    for (const auto& text : bad) {
        auto r = parse_address(text);
        ASSERT_FALSE(r) << text;
        EXPECT_EQ(r.error(), make_error_code(Errc::invalid_address)) << text;
    }
}

// --- Round trips -------------------------------------------------------------------------------------

TEST(ClientCore, SmallMessageRoundTripAndDeliveryNotice) {
    Pair p;
    ASSERT_TRUE(p.alice.core->routable());
    const auto msg = pattern(100, 1);
    auto id = p.alice.core->send(msg, p.bob.parsed(), p.now);
    ASSERT_TRUE(id);
    p.run(5s);

    auto received = events_of<MessageReceived>(p.bob.events);
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].data, msg);
    EXPECT_FALSE(received[0].sender_tag);
    EXPECT_FALSE(received[0].reply);

    auto delivered = events_of<MessageDelivered>(p.alice.events);
    ASSERT_EQ(delivered.size(), 1u);
    EXPECT_EQ(delivered[0].id, *id);
    const ClientStats s = p.alice.core->stats();
    EXPECT_EQ(s.real_sent, 1u);
    EXPECT_EQ(s.acks_received, 1u);
    EXPECT_EQ(s.retransmissions, 0u);
    EXPECT_EQ(s.unacknowledged_fragments, 0u);
    EXPECT_EQ(p.net.invalid, 0u);
}

TEST(ClientCore, EmptyAndBoundarySizedMessagesArrive) {
    Pair p;
    const std::size_t frag = format::FRAGMENT_PAYLOAD_SIZE;
    // The encoded message has one flags byte before the data.
    const std::vector<std::size_t> sizes = {0, 1, frag - 1, frag, frag + 1, 2 * frag - 1, 2 * frag, 5 * frag + 17};
    for (std::size_t i = 0; i < sizes.size(); ++i)
        ASSERT_TRUE(p.alice.core->send(pattern(sizes[i], static_cast<std::uint32_t>(i)), p.bob.parsed(), p.now));
    p.run(10s);
    auto received = events_of<MessageReceived>(p.bob.events);
    ASSERT_EQ(received.size(), sizes.size());
    std::multiset<std::vector<std::uint8_t>> want, got;
    for (std::size_t i = 0; i < sizes.size(); ++i) want.insert(pattern(sizes[i], static_cast<std::uint32_t>(i)));
    for (auto& r : received) got.insert(r.data);
    EXPECT_EQ(want, got);
    EXPECT_EQ(events_of<MessageDelivered>(p.alice.events).size(), sizes.size());
}

TEST(ClientCore, OneMebibyteMessageRoundTrip) {
    Pair p;
    const auto msg = pattern(1 << 20, 42);
    ASSERT_TRUE(p.alice.core->send(msg, p.bob.parsed(), p.now));
    EXPECT_EQ(p.alice.core->stats().queued_packets, format::fragment_count(msg.size() + 1));
    p.run(10s);
    auto received = events_of<MessageReceived>(p.bob.events);
    ASSERT_EQ(received.size(), 1u);
    EXPECT_TRUE(received[0].data == msg);
    EXPECT_EQ(events_of<MessageDelivered>(p.alice.events).size(), 1u);
    EXPECT_EQ(p.alice.core->stats().retransmissions, 0u);
}

TEST(ClientCore, SendToSelfAndToABareIdentity) {
    Pair p;
    // Bare identity: the gateway comes from the topology's registered clients.
    ParsedAddress bare{p.bob.address.identity, std::nullopt};
    ASSERT_TRUE(p.alice.core->send(pattern(10, 1), bare, p.now));
    ASSERT_TRUE(p.alice.core->send(pattern(10, 2), p.alice.parsed(), p.now));
    p.run(5s);
    ASSERT_EQ(events_of<MessageReceived>(p.bob.events).size(), 1u);
    auto own = events_of<MessageReceived>(p.alice.events);
    ASSERT_EQ(own.size(), 1u);
    EXPECT_EQ(own[0].data, pattern(10, 2));
}

TEST(ClientCore, SendErrors) {
    SimNet net(5);
    TimePoint now = T0;
    TrafficConfig config = quiet_config();
    config.max_message_size = 1000;
    SimClient alice(net, 6, 0, config, now);
    SimClient bob(net, 7, 1, config, now);
    EXPECT_FALSE(alice.core->routable());
    auto r = alice.core->send(pattern(10, 1), bob.parsed(), now);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(Errc::no_route));

    alice.core->set_topology(net.topology(), now);
    ASSERT_TRUE(alice.core->routable());
    r = alice.core->send(pattern(1001, 1), bob.parsed(), now);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(Errc::message_too_large));
    EXPECT_TRUE(alice.core->send(pattern(1000, 1), bob.parsed(), now));

    crypto::DeterministicRng rng(9);
    const auto stranger = crypto::Ed25519SecretKey::generate(rng).public_key();
    r = alice.core->send(pattern(10, 1), ParsedAddress{stranger, std::nullopt}, now);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(Errc::invalid_address));
    r = alice.core->send(pattern(10, 1), ParsedAddress{bob.address.identity, stranger}, now);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(Errc::invalid_address));
    r = alice.core->send(pattern(10, 1), bob.parsed(), now, 501);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(Errc::too_many_reply_surbs));

    // A topology without this client's gateway is not routable.
    wire::directory::Topology t = net.topology();
    t.gateways.erase(t.gateways.begin());
    alice.core->set_topology(t, now);
    EXPECT_FALSE(alice.core->routable());
    // Nor one that lacks a layer.
    t = net.topology();
    std::erase_if(t.mix_nodes, [](const wire::directory::TopologyMixNode& m) { return m.layer == 2; });
    alice.core->set_topology(t, now);
    EXPECT_FALSE(alice.core->routable());
}

// --- Reassembly --------------------------------------------------------------------------------------

TEST(ClientCore, OutOfOrderAndDuplicatedDeliveryGivesEachMessageOnce) {
    Pair p;
    std::vector<std::vector<std::uint8_t>> messages;
    for (std::uint32_t i = 0; i < 4; ++i) {
        messages.push_back(pattern(3 * format::FRAGMENT_PAYLOAD_SIZE + 100 * i, i));
        ASSERT_TRUE(p.alice.core->send(messages.back(), p.bob.parsed(), p.now));
    }
    // Send everything, keep bob's deliveries instead of handing them over.
    auto packets = p.alice.core->poll(p.now);
    ASSERT_EQ(packets.size(), 16u);
    for (auto& pk : packets) p.net.inject(pk.first_hop, std::move(pk.packet));
    std::vector<std::vector<std::uint8_t>> to_bob;
    for (auto& d : p.net.take_inbox())
        if (d.client == p.bob.address.identity) to_bob.push_back(d.message);
    ASSERT_EQ(to_bob.size(), 16u);
    // Every fragment three times, all shuffled.
    std::vector<std::vector<std::uint8_t>> shuffled;
    for (int k = 0; k < 3; ++k) shuffled.insert(shuffled.end(), to_bob.begin(), to_bob.end());
    crypto::DeterministicRng rng(77);
    for (std::size_t i = shuffled.size() - 1; i > 0; --i) std::swap(shuffled[i], shuffled[rng.next_u64() % (i + 1)]);
    std::vector<Event> events;
    for (const auto& m : shuffled)
        for (auto& e : p.bob.core->on_delivered(m, p.now)) events.push_back(std::move(e));
    auto received = events_of<MessageReceived>(events);
    ASSERT_EQ(received.size(), 4u);
    std::multiset<std::vector<std::uint8_t>> want(messages.begin(), messages.end()), got;
    for (auto& r : received) got.insert(r.data);
    EXPECT_EQ(want, got);
    EXPECT_EQ(p.bob.core->stats().duplicates, 32u);
    EXPECT_EQ(p.bob.core->stats().messages_received, 4u);
}

// --- Acks and retransmission -------------------------------------------------------------------------

TEST(ClientCore, LostPacketsAreRetransmittedUntilDelivered) {
    Pair p;
    // Lose every second regular packet at layer 2 (forward packets; acks are ack-size).
    int counter = 0;
    p.net.drop = [&](const SimNode& node, std::size_t size) {
        return node.layer == 2 && size == REGULAR_WIRE_SIZE && (counter++ % 2 == 0);
    };
    const auto msg = pattern(20 * format::FRAGMENT_PAYLOAD_SIZE, 9);
    auto id = p.alice.core->send(msg, p.bob.parsed(), p.now);
    ASSERT_TRUE(id);
    p.run(120s);
    auto received = events_of<MessageReceived>(p.bob.events);
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].data, msg);
    auto delivered = events_of<MessageDelivered>(p.alice.events);
    ASSERT_EQ(delivered.size(), 1u);
    EXPECT_EQ(delivered[0].id, *id);
    EXPECT_GT(p.alice.core->stats().retransmissions, 5u);
    EXPECT_GT(p.net.dropped, 5u);
    EXPECT_EQ(p.alice.core->stats().unacknowledged_fragments, 0u);
}

TEST(ClientCore, LostAcksCauseDuplicatesThatAreSuppressed) {
    Pair p;
    int counter = 0;
    p.net.drop_acks = [&] { return counter++ % 3 == 0; };
    const auto msg = pattern(9 * format::FRAGMENT_PAYLOAD_SIZE, 10);
    ASSERT_TRUE(p.alice.core->send(msg, p.bob.parsed(), p.now));
    p.run(120s);
    ASSERT_EQ(events_of<MessageReceived>(p.bob.events).size(), 1u);
    EXPECT_EQ(events_of<MessageDelivered>(p.alice.events).size(), 1u);
    EXPECT_GT(p.alice.core->stats().retransmissions, 0u);
    EXPECT_GT(p.bob.core->stats().duplicates, 0u);
}

TEST(ClientCore, AckTimeoutFollowsTheConfiguredFormula) {
    TrafficConfig c = quiet_config();
    c.average_packet_delay = 0us;
    c.average_ack_delay = 0us;
    c.ack_wait_addition = 2s;
    Pair p(c);
    p.net.drop = [](const SimNode&, std::size_t size) { return size == REGULAR_WIRE_SIZE; };
    ASSERT_TRUE(p.alice.core->send(pattern(10, 1), p.bob.parsed(), p.now));
    auto first = p.alice.core->poll(p.now);
    ASSERT_EQ(first.size(), 1u);
    // With zero delays the timer is exactly the addition.
    EXPECT_EQ(p.alice.core->next_wakeup(), p.now + 2s);
    EXPECT_TRUE(p.alice.core->poll(p.now + 2s - 1ns).empty());
    auto again = p.alice.core->poll(p.now + 2s);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].kind, PacketKind::retransmission);
}

TEST(ClientCore, GivesUpAfterMaxRetransmissions) {
    TrafficConfig c = quiet_config();
    c.max_retransmissions = 2;
    Pair p(c);
    p.net.drop = [](const SimNode& node, std::size_t size) { return node.gateway && size == REGULAR_WIRE_SIZE; };
    auto id = p.alice.core->send(pattern(3000, 1), p.bob.parsed(), p.now);
    ASSERT_TRUE(id);
    p.run(600s);
    auto failed = events_of<MessageFailed>(p.alice.events);
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_EQ(failed[0].id, *id);
    EXPECT_FALSE(failed[0].reason.empty());
    EXPECT_TRUE(events_of<MessageDelivered>(p.alice.events).empty());
    const ClientStats s = p.alice.core->stats();
    EXPECT_EQ(s.messages_failed, 1u);
    EXPECT_EQ(s.unacknowledged_fragments, 0u);
    // Two fragments, each sent once and retransmitted at most twice.
    EXPECT_LE(s.retransmissions, 4u);
    EXPECT_GE(s.retransmissions, 2u);
}

TEST(ClientCore, AckTimeoutBacksOffExponentiallyPerRetransmission) {
    TrafficConfig c = quiet_config();
    c.average_packet_delay = 0us;
    c.average_ack_delay = 0us;
    c.ack_wait_addition = 2s;
    Pair p(c);
    p.net.drop = [](const SimNode&, std::size_t size) { return size == REGULAR_WIRE_SIZE; };
    ASSERT_TRUE(p.alice.core->send(pattern(10, 1), p.bob.parsed(), p.now));
    ASSERT_EQ(p.alice.core->poll(p.now).size(), 1u);
    // Sent at 0: timeouts of 2 s, then 4 s, 8 s, 16 s after each retransmission.
    TimePoint t = p.now;
    for (const auto wait : {2s, 4s, 8s, 16s}) {
        EXPECT_EQ(p.alice.core->next_wakeup(), t + wait);
        EXPECT_TRUE(p.alice.core->poll(t + wait - 1ns).empty());
        t += wait;
        auto again = p.alice.core->poll(t);
        ASSERT_EQ(again.size(), 1u);
        EXPECT_EQ(again[0].kind, PacketKind::retransmission);
    }
    EXPECT_EQ(p.alice.core->stats().retransmissions, 4u);
}

TEST(ClientCore, AckTimeoutBackOffIsCappedAtAMinute) {
    TrafficConfig c = quiet_config();
    c.average_packet_delay = 0us;
    c.average_ack_delay = 0us;
    c.ack_wait_addition = 20s;
    Pair p(c);
    p.net.drop = [](const SimNode&, std::size_t size) { return size == REGULAR_WIRE_SIZE; };
    ASSERT_TRUE(p.alice.core->send(pattern(10, 1), p.bob.parsed(), p.now));
    ASSERT_EQ(p.alice.core->poll(p.now).size(), 1u);
    TimePoint t = p.now;
    for (const auto wait : {20s, 40s, 60s, 60s, 60s}) {
        EXPECT_EQ(p.alice.core->next_wakeup(), t + wait);
        t += wait;
        ASSERT_EQ(p.alice.core->poll(t).size(), 1u);
    }
    // A base timeout above the cap is used as is, without doubling.
    c.ack_wait_addition = 90s;
    Pair q(c);
    q.net.drop = p.net.drop;
    ASSERT_TRUE(q.alice.core->send(pattern(10, 1), q.bob.parsed(), q.now));
    ASSERT_EQ(q.alice.core->poll(q.now).size(), 1u);
    ASSERT_EQ(q.alice.core->poll(q.now + 90s).size(), 1u);
    EXPECT_EQ(q.alice.core->next_wakeup(), q.now + 180s);
}

TEST(ClientCore, CongestionWindowBoundsFragmentsInFlight) {
    TrafficConfig c = quiet_config();
    c.max_in_flight = 50;
    Pair p(c);
    const auto msg = pattern(300 * format::FRAGMENT_PAYLOAD_SIZE, 4);
    ASSERT_TRUE(p.alice.core->send(msg, p.bob.parsed(), p.now));
    // Without acks only the window leaves; the rest stays queued and poll() has nothing more.
    auto burst = p.alice.core->poll(p.now);
    EXPECT_EQ(burst.size(), 50u);
    EXPECT_TRUE(p.alice.core->poll(p.now).empty());
    EXPECT_GT(p.alice.core->next_wakeup(), p.now);
    ClientStats s = p.alice.core->stats();
    EXPECT_EQ(s.in_flight, 50u);
    EXPECT_EQ(s.congestion_window, 50u);
    EXPECT_EQ(s.queued_packets, 301u - 50u);
    // Ten acks open the window for ten more.
    p.net.drop_acks = [n = 0]() mutable { return n++ >= 10; };
    for (auto& pk : burst) p.net.inject(pk.first_hop, std::move(pk.packet));
    for (auto& d : p.net.take_inbox())
        for (auto* cl : {&p.alice, &p.bob})
            if (cl->address.identity == d.client) (void)cl->core->on_delivered(d.message, p.now);
    EXPECT_EQ(p.alice.core->stats().in_flight, 40u);
    EXPECT_EQ(p.alice.core->next_wakeup(), p.now);
    EXPECT_EQ(p.alice.core->poll(p.now).size(), 10u);
    EXPECT_TRUE(p.alice.core->poll(p.now).empty());

    // Through a slow egress the rest still arrives, never more than the window in flight.
    p.net.drop_acks = nullptr;
    p.net.bottleneck = SimNet::Bottleneck{5ms, 1000};
    std::size_t most = 0;
    run_until(p.net, {&p.alice, &p.bob}, p.now, p.now + 60s, [&](SimClient& cl) {
        if (&cl == &p.alice) most = std::max(most, cl.core->stats().in_flight);
    });
    EXPECT_EQ(events_of<MessageReceived>(p.bob.events).size(), 1u);
    EXPECT_EQ(events_of<MessageDelivered>(p.alice.events).size(), 1u);
    EXPECT_LE(most, 50u);
    EXPECT_GE(most, 40u);
    EXPECT_EQ(p.alice.core->stats().in_flight, 0u);

    // A window below the floor is raised to it.
    c.max_in_flight = 1;
    Pair q(c);
    EXPECT_EQ(q.alice.core->stats().congestion_window, 8u);
    ASSERT_TRUE(q.alice.core->send(msg, q.bob.parsed(), q.now));
    EXPECT_EQ(q.alice.core->poll(q.now).size(), 8u);
}

TEST(ClientCore, TheWindowDoesNotGateThePoissonStream) {
    TrafficConfig c;
    c.message_sending_average_delay = 10ms;
    c.disable_loop_cover = true;
    c.max_in_flight = 8;
    SimNet net(31);
    TimePoint now = T0;
    SimClient alice(net, 32, 0, c, now);
    SimClient bob(net, 33, 1, c, now);
    alice.core->set_topology(net.topology(), now);
    ASSERT_TRUE(alice.core->send(pattern(40 * format::FRAGMENT_PAYLOAD_SIZE, 5), bob.parsed(), now));
    // No acks come back: every tick still carries a real packet, at the stream's rate.
    std::size_t real = 0;
    while (real < 30) {
        now = alice.core->next_wakeup();
        for (const auto& pk : alice.core->poll(now)) {
            ASSERT_EQ(pk.kind, PacketKind::real);
            ++real;
        }
    }
    EXPECT_EQ(alice.core->stats().in_flight, 30u);
}

/// The benchmark's failure: a 1 MiB message sent at once into a congested egress. Without back-off
/// and a window every timeout resent everything outstanding into a full queue.
void expect_no_collapse(SimNet::Bottleneck bottleneck, std::uint64_t seed) {
    Pair p(quiet_config(), seed);
    p.net.bottleneck = bottleneck;
    const auto msg = pattern(1 << 20, 7);
    const std::size_t fragments = format::fragment_count(msg.size() + 1);
    ASSERT_TRUE(p.alice.core->send(msg, p.bob.parsed(), p.now));
    p.run(600s);
    auto received = events_of<MessageReceived>(p.bob.events);
    ASSERT_EQ(received.size(), 1u);
    EXPECT_TRUE(received[0].data == msg);
    ASSERT_EQ(events_of<MessageDelivered>(p.alice.events).size(), 1u);
    const ClientStats s = p.alice.core->stats();
    std::printf("bottleneck %lld us x %zu: %llu retransmissions for %zu fragments, %llu dropped, %llu window cuts\n",
                static_cast<long long>(std::chrono::duration_cast<std::chrono::microseconds>(bottleneck.interval).count()),
                bottleneck.capacity, static_cast<unsigned long long>(s.retransmissions), fragments,
                static_cast<unsigned long long>(p.net.bottleneck_drops), static_cast<unsigned long long>(s.window_reductions));
    EXPECT_EQ(s.real_sent, fragments);
    // Without back-off and window: 1501 retransmissions (1501 dropped) and 4375 (3403 dropped).
    EXPECT_LT(s.retransmissions, fragments);
    EXPECT_LT(p.net.bottleneck_drops, fragments / 2);
    EXPECT_GT(s.window_reductions, 0u);
    EXPECT_EQ(s.in_flight, 0u);
}

TEST(ClientCore, OneMebibyteThroughAFullEgressQueueDoesNotCollapse) {
    // Queue of 100 drained at 100 packets/s: waits stay under the ack timeout, overflow is the loss.
    expect_no_collapse(SimNet::Bottleneck{10ms, 100}, 1);
}

TEST(ClientCore, OneMebibyteThroughASlowEgressDoesNotCollapse) {
    // Queue of 400 drained at 40 packets/s: waits of up to 10 s, far past the 1.6 s ack timeout.
    expect_no_collapse(SimNet::Bottleneck{25ms, 400}, 2);
}

TEST(ClientCore, AvoidsADeadMixAndStillDeliversEveryMessageOnce) {
    Pair p;
    const SimNode* dead = p.net.mixes(2)[0];
    p.net.drop = [dead](const SimNode& node, std::size_t) { return &node == dead; };
    for (std::uint32_t i = 0; i < 60; ++i)
        ASSERT_TRUE(p.alice.core->send(pattern(200, i), p.bob.parsed(), p.now));
    p.run(30s);
    auto received = events_of<MessageReceived>(p.bob.events);
    EXPECT_EQ(received.size(), 60u);
    std::set<std::vector<std::uint8_t>> distinct;
    for (auto& r : received) distinct.insert(r.data);
    EXPECT_EQ(distinct.size(), 60u);
    EXPECT_EQ(events_of<MessageDelivered>(p.alice.events).size(), 60u);

    // By now the dead node is avoided: fresh packets no longer go through it.
    const std::uint64_t dropped_before = p.net.dropped;
    for (std::uint32_t i = 0; i < 20; ++i) ASSERT_TRUE(p.alice.core->send(pattern(50, 100 + i), p.bob.parsed(), p.now));
    p.run(1s);
    EXPECT_EQ(events_of<MessageReceived>(p.bob.events).size(), 80u);
    EXPECT_EQ(p.net.dropped, dropped_before);
}

TEST(ClientCore, WaitsForTheRecipientsGatewayToComeBack) {
    Pair p;
    ASSERT_TRUE(p.alice.core->send(pattern(100, 1), p.bob.parsed(), p.now));
    wire::directory::Topology without = p.net.topology();
    std::erase_if(without.gateways, [&](const wire::directory::TopologyGateway& g) { return g.identity_key == p.bob.address.gateway; });
    p.alice.core->set_topology(without, p.now);
    ASSERT_TRUE(p.alice.core->routable());
    EXPECT_TRUE(p.alice.core->poll(p.now).empty()); // parked, not lost
    p.run(5s);
    EXPECT_TRUE(p.bob.events.empty());
    EXPECT_EQ(p.alice.core->stats().unacknowledged_fragments, 1u);
    p.alice.core->set_topology(p.net.topology(), p.now);
    p.run(5s);
    EXPECT_EQ(events_of<MessageReceived>(p.bob.events).size(), 1u);
    EXPECT_EQ(events_of<MessageDelivered>(p.alice.events).size(), 1u);
    EXPECT_EQ(p.alice.core->stats().real_sent, 1u);
    EXPECT_EQ(p.alice.core->stats().retransmissions, 0u);
}

TEST(ClientCore, MarkFailedFirstHopIsAvoidedWhileAlternativesExist) {
    Pair p;
    const auto l1 = p.net.mixes(1);
    p.alice.core->mark_failed(l1[0]->address, p.now);
    for (std::uint32_t i = 0; i < 30; ++i) ASSERT_TRUE(p.alice.core->send(pattern(10, i), p.bob.parsed(), p.now));
    auto packets = p.alice.core->poll(p.now);
    ASSERT_EQ(packets.size(), 30u);
    for (const auto& pk : packets) EXPECT_EQ(pk.first_hop, l1[1]->address);
    // Both failed: routes still go out (through either).
    p.alice.core->mark_failed(l1[1]->address, p.now);
    ASSERT_TRUE(p.alice.core->send(pattern(10, 99), p.bob.parsed(), p.now));
    EXPECT_EQ(p.alice.core->poll(p.now).size(), 1u);
    // After the avoidance period the node is used again.
    for (std::uint32_t i = 0; i < 30; ++i) ASSERT_TRUE(p.alice.core->send(pattern(10, i), p.bob.parsed(), p.now));
    std::set<std::array<std::uint8_t, 32>> hops;
    for (const auto& pk : p.alice.core->poll(p.now + 61s)) hops.insert(pk.first_hop.bytes);
    EXPECT_EQ(hops.size(), 2u);
}

// --- Cover traffic and the Poisson streams -----------------------------------------------------------

TEST(ClientCore, LoopCoverComesBackAndIsDropped) {
    TrafficConfig c;
    c.message_sending_average_delay = 50ms;
    c.loop_cover_average_delay = 100ms;
    Pair p(c);
    p.run(5s);
    const ClientStats s = p.alice.core->stats();
    EXPECT_GT(s.cover_sent, 50u);
    EXPECT_GT(s.loop_cover_sent, 25u);
    EXPECT_EQ(s.cover_received, s.cover_sent + s.loop_cover_sent);
    EXPECT_EQ(s.cover_acks_received, s.cover_received);
    EXPECT_EQ(s.undecryptable, 0u);
    EXPECT_TRUE(p.alice.events.empty());
    EXPECT_TRUE(p.bob.events.empty());
}

TEST(ClientCore, RealPacketsReplaceCoverOnTheMainStream) {
    TrafficConfig c;
    c.message_sending_average_delay = 20ms;
    c.disable_loop_cover = true;
    Pair p(c);
    p.alice.keep_sent = true;
    const auto msg = pattern(10 * format::FRAGMENT_PAYLOAD_SIZE, 3);
    ASSERT_TRUE(p.alice.core->send(msg, p.bob.parsed(), p.now));
    p.run(3s);
    ASSERT_EQ(events_of<MessageReceived>(p.bob.events).size(), 1u);
    // The first 11 ticks carried the message, then cover resumed; one packet per tick throughout.
    std::size_t real = 0;
    for (std::size_t i = 0; i < p.alice.sent.size(); ++i) {
        if (i < 11) EXPECT_EQ(p.alice.sent[i].kind, PacketKind::real) << i;
        else EXPECT_EQ(p.alice.sent[i].kind, PacketKind::cover) << i;
        real += p.alice.sent[i].kind == PacketKind::real;
    }
    EXPECT_EQ(real, 11u);
    // About 3 s / 20 ms ticks in all.
    EXPECT_NEAR(static_cast<double>(p.alice.sent.size()), 150.0, 45.0);
}

/// Gaps between consecutive emissions of one kind, in seconds.
std::vector<double> gaps(const std::vector<TimePoint>& times) {
    std::vector<double> g;
    for (std::size_t i = 1; i < times.size(); ++i)
        g.push_back(std::chrono::duration<double>(times[i] - times[i - 1]).count());
    return g;
}

TEST(ClientCore, PoissonStreamsHaveTheConfiguredMeanRates) {
    TrafficConfig c;
    c.message_sending_average_delay = 20ms;
    c.loop_cover_average_delay = 50ms;
    SimNet net(11);
    TimePoint now = T0;
    SimClient alice(net, 12, 0, c, now);
    alice.core->set_topology(net.topology(), now);
    std::vector<TimePoint> main_times, loop_times;
    while (main_times.size() < 2000) {
        now = alice.core->next_wakeup();
        for (const auto& pk : alice.core->poll(now)) {
            ASSERT_EQ(pk.packet.size(), REGULAR_WIRE_SIZE);
            (pk.kind == PacketKind::loop_cover ? loop_times : main_times).push_back(now);
        }
    }
    auto stats = [](const std::vector<double>& g) {
        const double mean = std::accumulate(g.begin(), g.end(), 0.0) / static_cast<double>(g.size());
        double var = 0;
        for (double x : g) var += (x - mean) * (x - mean);
        return std::pair{mean, std::sqrt(var / static_cast<double>(g.size()))};
    };
    const auto [main_mean, main_sd] = stats(gaps(main_times));
    const auto [loop_mean, loop_sd] = stats(gaps(loop_times));
    // n exponential gaps: the sample mean has a relative sd of 1/√n, the sample sd about √(2/n).
    // 2000 main gaps: ±7.5% is 3.4 σ; ±12% for the sd is 3.8 σ (exponential: sd = mean).
    EXPECT_NEAR(main_mean, 0.020, 0.020 * 0.075);
    EXPECT_NEAR(main_sd, 0.020, 0.020 * 0.12);
    // ~800 loop gaps: ±13% is 3.7 σ; ±20% for the sd is 4 σ.
    ASSERT_GT(loop_times.size(), 600u);
    EXPECT_NEAR(loop_mean, 0.050, 0.050 * 0.13);
    EXPECT_NEAR(loop_sd, 0.050, 0.050 * 0.20);
}

TEST(ClientCore, ALatePollDoesNotBurst) {
    TrafficConfig c;
    c.message_sending_average_delay = 20ms;
    c.loop_cover_average_delay = 200ms;
    SimNet net(13);
    TimePoint now = T0;
    SimClient alice(net, 14, 0, c, now);
    alice.core->set_topology(net.topology(), now);
    (void)alice.core->poll(now + 100ms);
    // Ten seconds of silence (a stalled glue): 500 ticks missed, but only a few go out now.
    const auto burst = alice.core->poll(now + 10s);
    EXPECT_LE(burst.size(), 12u);
    EXPECT_GE(burst.size(), 1u);
    EXPECT_GE(alice.core->next_wakeup(), now + 10s);
    // And the stream goes on at its rate afterwards.
    std::size_t count = 0;
    TimePoint t = now + 10s;
    while (t < now + 20s) {
        t = alice.core->next_wakeup();
        count += alice.core->poll(t).size();
    }
    EXPECT_NEAR(static_cast<double>(count), 550.0, 110.0);
}

TEST(ClientCore, EveryPacketOnTheWireHasTheSameSize) {
    TrafficConfig c;
    c.message_sending_average_delay = 40ms;
    c.loop_cover_average_delay = 200ms;
    Pair p(c);
    p.alice.keep_sent = true;
    p.bob.keep_sent = true;
    int counter = 0;
    p.net.drop = [&](const SimNode& node, std::size_t size) {
        return node.layer == 3 && size == REGULAR_WIRE_SIZE && counter++ % 4 == 0;
    };
    ASSERT_TRUE(p.alice.core->send(pattern(30000, 1), p.bob.parsed(), p.now, 5));
    p.run(10s);
    auto received = events_of<MessageReceived>(p.bob.events);
    ASSERT_EQ(received.size(), 1u);
    EXPECT_GT(p.alice.core->stats().retransmissions, 0u);
    p.net.drop = nullptr; // replies are not retransmitted
    ASSERT_TRUE(p.bob.core->reply(*received[0].sender_tag, pattern(2000, 2), p.now));
    p.run(4s);
    ASSERT_EQ(events_of<MessageReceived>(p.alice.events).size(), 1u);
    std::set<PacketKind> kinds;
    for (auto* c2 : {&p.alice, &p.bob})
        for (const auto& pk : c2->sent) {
            EXPECT_EQ(pk.packet.size(), REGULAR_WIRE_SIZE);
            kinds.insert(pk.kind);
        }
    EXPECT_EQ(kinds, (std::set<PacketKind>{PacketKind::real, PacketKind::retransmission, PacketKind::cover,
                                           PacketKind::loop_cover, PacketKind::reply}));
}

TEST(ClientCore, PacketCreationIsCheap) {
    Pair p;
    ASSERT_TRUE(p.alice.core->send(pattern(200 * format::FRAGMENT_PAYLOAD_SIZE, 1), p.bob.parsed(), p.now));
    std::size_t built = 0;
    const auto start = std::chrono::steady_clock::now();
    while (built < 200) {
        const auto packets = p.alice.core->poll(p.now);
        ASSERT_FALSE(packets.empty());
        built += packets.size();
    }
    const double per_packet_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / static_cast<double>(built);
    std::printf("packet creation: %.3f ms per packet (two Sphinx builds, X25519, seal)\n", per_packet_ms);
    // Generous: ~0.5 ms on the CI machine, far more under sanitizers or a loaded host.
    EXPECT_LT(per_packet_ms, 20.0);
}

// --- Reply SURBs -------------------------------------------------------------------------------------

TEST(ClientCore, AnonymousReplyThroughSurbs) {
    Pair p;
    ASSERT_TRUE(p.alice.core->send(pattern(50, 1), p.bob.parsed(), p.now, 3));
    p.run(5s);
    auto received = events_of<MessageReceived>(p.bob.events);
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].data, pattern(50, 1));
    ASSERT_TRUE(received[0].sender_tag);
    const SenderTag tag = *received[0].sender_tag;
    EXPECT_EQ(p.bob.core->reply_surbs_available(tag), 3u);
    EXPECT_EQ(p.bob.core->stats().reply_surbs_stored, 3u);

    // A two-fragment reply uses two SURBs.
    const auto answer = pattern(format::FRAGMENT_PAYLOAD_SIZE + 10, 2);
    ASSERT_TRUE(p.bob.core->reply(tag, answer, p.now));
    EXPECT_EQ(p.bob.core->reply_surbs_available(tag), 1u);
    p.run(5s);
    auto replies = events_of<MessageReceived>(p.alice.events);
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].data, answer);
    EXPECT_TRUE(replies[0].reply);
    EXPECT_FALSE(replies[0].sender_tag);
    EXPECT_EQ(p.bob.core->stats().replies_sent, 2u);
    EXPECT_EQ(p.bob.core->stats().cover_acks_received, 2u); // the replies' acks, untracked

    // Not enough SURBs left for two fragments: refused, nothing consumed.
    auto r = p.bob.core->reply(tag, answer, p.now);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(Errc::no_reply_surbs));
    EXPECT_EQ(p.bob.core->reply_surbs_available(tag), 1u);
    ASSERT_TRUE(p.bob.core->reply(tag, pattern(5, 3), p.now));
    r = p.bob.core->reply(tag, pattern(5, 4), p.now);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(Errc::no_reply_surbs));

    SenderTag unknown{};
    r = p.bob.core->reply(unknown, pattern(5, 3), p.now);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(Errc::unknown_sender_tag));

    // A second message from alice carries the same tag and tops the SURBs up.
    ASSERT_TRUE(p.alice.core->send(pattern(5, 5), p.bob.parsed(), p.now, 2));
    p.run(5s);
    received = events_of<MessageReceived>(p.bob.events);
    ASSERT_EQ(received.size(), 2u);
    EXPECT_EQ(received[1].sender_tag, tag);
    EXPECT_EQ(p.bob.core->reply_surbs_available(tag), 2u);
}

// --- Malformed input ---------------------------------------------------------------------------------

TEST(ClientCore, MalformedDeliveriesAreCountedAndIgnored) {
    Pair p;
    crypto::DeterministicRng rng(21);
    std::uint64_t expected_undecryptable = 0;
    for (std::size_t size : {0u, 1u, 20u, 21u, 22u, 48u, 66u, 67u, 500u, 1643u, 1644u, 5000u, 70000u}) {
        std::vector<std::uint8_t> junk(size);
        rng.fill(junk);
        EXPECT_TRUE(p.bob.core->on_delivered(junk, p.now).empty()) << size;
        ++expected_undecryptable;
    }
    EXPECT_EQ(p.bob.core->stats().undecryptable, expected_undecryptable);

    // A real block for bob, tampered: undecryptable. The same block untouched to alice: not hers.
    ASSERT_TRUE(p.alice.core->send(pattern(100, 1), p.bob.parsed(), p.now));
    auto packets = p.alice.core->poll(p.now);
    ASSERT_EQ(packets.size(), 1u);
    p.net.drop_acks = [] { return true; };
    p.net.inject(packets[0].first_hop, std::move(packets[0].packet));
    auto inbox = p.net.take_inbox();
    ASSERT_EQ(inbox.size(), 1u);
    auto tampered = inbox[0].message;
    tampered[700] ^= 1;
    EXPECT_TRUE(p.bob.core->on_delivered(tampered, p.now).empty());
    EXPECT_TRUE(p.alice.core->on_delivered(inbox[0].message, p.now).empty());
    EXPECT_EQ(p.bob.core->stats().undecryptable, expected_undecryptable + 1);
    EXPECT_EQ(p.alice.core->stats().undecryptable, 1u);
    // The genuine one still arrives.
    EXPECT_EQ(events_of<MessageReceived>(p.bob.core->on_delivered(inbox[0].message, p.now)).size(), 1u);
}

/// A sealed block for `keys`' owner holding `fragment` (forward mode, or reply mode under `key_id`).
std::vector<std::uint8_t> hand_sealed(const format::DerivedKeys& keys, const format::FragmentHeader& header,
                                      std::span<const std::uint8_t> data, crypto::Rng& rng,
                                      const std::array<std::uint8_t, 32>* key_id = nullptr) {
    std::vector<std::uint8_t> fragment(format::FRAGMENT_PLAINTEXT_SIZE);
    format::write_fragment(header, data, fragment);
    std::vector<std::uint8_t> block(format::SEALED_BLOCK_SIZE);
    if (key_id == nullptr) {
        EXPECT_TRUE(format::seal_forward(keys.e2e_public, fragment, block, rng));
    } else {
        const auto key = format::reply_key_for(keys, *key_id);
        format::seal_reply(*key_id, key.bytes(), fragment, block);
    }
    return block;
}

TEST(ClientCore, HandSealedFragmentsFollowTheDocumentedFormat) {
    Pair p;
    const auto keys = format::DerivedKeys::derive(p.bob.identity);
    crypto::DeterministicRng rng(3);
    const std::vector<std::uint8_t> one = {0x00, 'h', 'i'};
    auto events = p.bob.core->on_delivered(hand_sealed(keys, {format::FRAGMENT_KIND_MESSAGE, 5, 0, 1, 3}, one, rng), p.now);
    auto received = events_of<MessageReceived>(events);
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].data, (std::vector<std::uint8_t>{'h', 'i'}));

    // Reply mode, flagged as a reply.
    const std::array<std::uint8_t, 32> key_id{1, 2, 3};
    const std::vector<std::uint8_t> answer = {format::MESSAGE_FLAG_REPLY, 'o', 'k'};
    events = p.bob.core->on_delivered(hand_sealed(keys, {format::FRAGMENT_KIND_MESSAGE, 6, 0, 1, 3}, answer, rng, &key_id), p.now);
    received = events_of<MessageReceived>(events);
    ASSERT_EQ(received.size(), 1u);
    EXPECT_TRUE(received[0].reply);

    // Structurally bad fragments and messages are counted as malformed.
    const std::uint64_t before = p.bob.core->stats().malformed;
    const std::vector<std::uint8_t> full(format::FRAGMENT_PAYLOAD_SIZE, 0);
    EXPECT_TRUE(p.bob.core->on_delivered(hand_sealed(keys, {7, 7, 0, 1, 1}, one, rng), p.now).empty());           // kind
    EXPECT_TRUE(p.bob.core->on_delivered(hand_sealed(keys, {1, 8, 2, 2, 1}, one, rng), p.now).empty());           // index ≥ total
    EXPECT_TRUE(p.bob.core->on_delivered(hand_sealed(keys, {1, 9, 0, 2, 3}, one, rng), p.now).empty());           // short non-last
    EXPECT_TRUE(p.bob.core->on_delivered(hand_sealed(keys, {1, 10, 0, 1, 2}, std::vector<std::uint8_t>{0x80, 1}, rng), p.now).empty()); // flags
    EXPECT_TRUE(p.bob.core->on_delivered(hand_sealed(keys, {1, 11, 0, 1, 3}, std::vector<std::uint8_t>{0x01, 1, 2}, rng), p.now).empty()); // short SURB header
    EXPECT_TRUE(p.bob.core->on_delivered(hand_sealed(keys, {1, 12, 0, 0xffffffffu, static_cast<std::uint16_t>(full.size())}, full, rng), p.now).empty()); // total too large
    EXPECT_EQ(p.bob.core->stats().malformed, before + 6);
    // Fragments of one id that disagree on the total.
    EXPECT_TRUE(p.bob.core->on_delivered(hand_sealed(keys, {1, 13, 0, 3, static_cast<std::uint16_t>(full.size())}, full, rng), p.now).empty());
    EXPECT_TRUE(p.bob.core->on_delivered(hand_sealed(keys, {1, 13, 1, 4, static_cast<std::uint16_t>(full.size())}, full, rng), p.now).empty());
    EXPECT_EQ(p.bob.core->stats().malformed, before + 7);
}

TEST(ClientCore, ForgedAcksAreRejected) {
    Pair p;
    ASSERT_TRUE(p.alice.core->send(pattern(10, 1), p.bob.parsed(), p.now));
    (void)p.alice.core->poll(p.now);
    crypto::DeterministicRng rng(5);
    for (int i = 0; i < 1000; ++i) {
        std::array<std::uint8_t, 21> forged{};
        rng.fill(forged);
        EXPECT_TRUE(p.alice.core->on_delivered(forged, p.now).empty());
    }
    EXPECT_EQ(p.alice.core->stats().undecryptable, 1000u);
    EXPECT_EQ(p.alice.core->stats().acks_received, 0u);
    EXPECT_EQ(p.alice.core->stats().unacknowledged_fragments, 1u);
}

TEST(ClientCore, PartialMessagesExpire) {
    TrafficConfig c = quiet_config();
    c.reassembly_timeout = 30s;
    Pair p(c);
    ASSERT_TRUE(p.alice.core->send(pattern(3 * format::FRAGMENT_PAYLOAD_SIZE, 1), p.bob.parsed(), p.now));
    auto packets = p.alice.core->poll(p.now);
    ASSERT_EQ(packets.size(), 4u);
    p.net.drop_acks = [] { return true; };
    p.net.inject(packets[0].first_hop, std::move(packets[0].packet));
    auto inbox = p.net.take_inbox();
    ASSERT_EQ(inbox.size(), 1u);
    EXPECT_TRUE(p.bob.core->on_delivered(inbox[0].message, p.now).empty());
    EXPECT_LE(p.bob.core->next_wakeup(), p.now + 2s);
    (void)p.bob.core->poll(p.now + 31s);
    (void)p.bob.core->poll(p.now + 33s);
    EXPECT_EQ(p.bob.core->stats().partial_messages_expired, 1u);
}

} // namespace
} // namespace nym::client::test
