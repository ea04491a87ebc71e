// ClientCore against the real gateway final hop (gateway::FinalHopProcessor over a real MessageStore):
// the recipient's gateway splits off the SURB-ack, stores the sealed block and hands the ack back; the
// ack crosses the mixes to the sender's gateway, which stores it whole. Both cores then read their
// stores as the gateway would deliver them. Mixes are played by sphinx::process_packet.
#include "core_harness.hpp"

#include <client/packet_format.hpp>
#include <gateway/final_hop.hpp>
#include <gateway/message_store.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace nym::client::test {
namespace {

using namespace std::chrono_literals;

class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "nym-client-core-test-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) std::abort();
        m_path = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    const std::filesystem::path& path() const noexcept { return m_path; }

private:
    std::filesystem::path m_path;
};

/// A real gateway final hop (store + replay cache + processor) for one SimNet gateway.
struct RealGateway {
    RealGateway(const SimNode& node, const std::filesystem::path& db) : key(node.key) {
        auto opened = gateway::MessageStore::open(db);
        if (!opened) std::abort();
        store = std::move(*opened);
        processor = std::make_unique<gateway::FinalHopProcessor>(key, *store, replays);
    }
    void register_client(const crypto::Ed25519PublicKey& client) {
        gateway::RegisteredClient c;
        c.address = client;
        ASSERT_TRUE(store->register_client(c));
    }
    std::vector<std::vector<std::uint8_t>> fetch_all(const crypto::Ed25519PublicKey& client) {
        std::vector<std::vector<std::uint8_t>> out;
        std::vector<std::uint64_t> ids;
        auto batch = store->fetch_batch(client, 10'000);
        if (!batch) return out;
        for (auto& m : *batch) {
            out.push_back(std::move(m.content));
            ids.push_back(m.id);
        }
        if (!ids.empty()) (void)store->ack(client, ids);
        return out;
    }

    crypto::X25519SecretKey key;
    std::unique_ptr<gateway::MessageStore> store;
    gateway::ReplayCache replays;
    std::unique_ptr<gateway::FinalHopProcessor> processor;
};

/// Routes a packet through SimNet's mixes; at a gateway the real final hop takes over, and a returned
/// SURB-ack is routed on the same way.
void route(SimNet& net, std::map<std::array<std::uint8_t, 32>, RealGateway*>& gateways, sphinx::NodeAddress at,
           std::vector<std::uint8_t> packet, std::map<std::array<std::uint8_t, 32>, const SimNode*>& nodes) {
    for (int hop = 0; hop < 8; ++hop) {
        if (auto g = gateways.find(at.bytes); g != gateways.end()) {
            auto result = g->second->processor->process(packet, std::chrono::sys_seconds(std::chrono::seconds(1'700'000'000)));
            ASSERT_EQ(result.outcome, gateway::FinalHopOutcome::stored);
            if (result.ack) route(net, gateways, result.ack->first_hop, std::move(result.ack->packet), nodes);
            return;
        }
        auto n = nodes.find(at.bytes);
        ASSERT_NE(n, nodes.end());
        auto processed = sphinx::process_packet(packet, n->second->key);
        ASSERT_TRUE(processed);
        const sphinx::ForwardHop* forward = processed->forward();
        if (forward == nullptr) FAIL() << "a mix was the final hop";
        else at = forward->next_hop;
    }
    FAIL() << "route too long";
}

TEST(ClientCoreGateway, RoundTripThroughTheRealFinalHop) {
    TempDir dir;
    SimNet net(31);
    TimePoint now = TimePoint{} + std::chrono::hours(10);
    TrafficConfig config = quiet_config();
    SimClient alice(net, 32, 0, config, now);
    SimClient bob(net, 33, 1, config, now);
    alice.core->set_topology(net.topology(), now);
    bob.core->set_topology(net.topology(), now);

    RealGateway gw_alice(net.gateway(0), dir.path() / "a.sqlite");
    RealGateway gw_bob(net.gateway(1), dir.path() / "b.sqlite");
    gw_alice.register_client(alice.address.identity);
    gw_bob.register_client(bob.address.identity);
    std::map<std::array<std::uint8_t, 32>, RealGateway*> gateways{{net.gateway(0).address.bytes, &gw_alice},
                                                                  {net.gateway(1).address.bytes, &gw_bob}};
    std::map<std::array<std::uint8_t, 32>, const SimNode*> nodes;
    for (std::uint8_t l = 1; l <= 3; ++l)
        for (const SimNode* m : net.mixes(l)) nodes[m->address.bytes] = m;

    std::vector<std::uint8_t> message(3 * format::FRAGMENT_PAYLOAD_SIZE + 5);
    for (std::size_t i = 0; i < message.size(); ++i) message[i] = static_cast<std::uint8_t>(i * 7);
    auto id = alice.core->send(message, bob.parsed(), now, 2);
    ASSERT_TRUE(id);
    auto packets = alice.core->poll(now);
    ASSERT_EQ(packets.size(), format::fragment_count(1 + 16 + 2 + 2 * (66 + 348 + 32 + 4 * 192) + message.size()));
    for (auto& p : packets) route(net, gateways, p.first_hop, std::move(p.packet), nodes);

    // Bob's gateway stored one 1643-byte sealed block per packet; alice's gateway one 21-byte ack each.
    std::vector<Event> bob_events;
    for (const auto& stored : gw_bob.fetch_all(bob.address.identity)) {
        EXPECT_EQ(stored.size(), format::SEALED_BLOCK_SIZE);
        for (auto& e : bob.core->on_delivered(stored, now)) bob_events.push_back(std::move(e));
    }
    auto received = events_of<MessageReceived>(bob_events);
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].data, message);
    ASSERT_TRUE(received[0].sender_tag);

    std::vector<Event> alice_events;
    for (const auto& stored : gw_alice.fetch_all(alice.address.identity)) {
        EXPECT_EQ(stored.size(), format::ACK_PAYLOAD_SIZE);
        for (auto& e : alice.core->on_delivered(stored, now)) alice_events.push_back(std::move(e));
    }
    auto delivered = events_of<MessageDelivered>(alice_events);
    ASSERT_EQ(delivered.size(), 1u);
    EXPECT_EQ(delivered[0].id, *id);

    // Bob answers through a SURB: it goes through bob's gateway to alice's, whose final hop splits
    // the reply's SURB-ack off like any packet.
    ASSERT_TRUE(bob.core->reply(*received[0].sender_tag, std::vector<std::uint8_t>{'o', 'k'}, now));
    auto reply_packets = bob.core->poll(now);
    ASSERT_EQ(reply_packets.size(), 1u);
    route(net, gateways, reply_packets[0].first_hop, std::move(reply_packets[0].packet), nodes);
    alice_events.clear();
    for (const auto& stored : gw_alice.fetch_all(alice.address.identity))
        for (auto& e : alice.core->on_delivered(stored, now)) alice_events.push_back(std::move(e));
    auto replies = events_of<MessageReceived>(alice_events);
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].data, (std::vector<std::uint8_t>{'o', 'k'}));
    EXPECT_TRUE(replies[0].reply);
    // The reply's ack went to bob's gateway, untracked.
    for (const auto& stored : gw_bob.fetch_all(bob.address.identity)) (void)bob.core->on_delivered(stored, now);
    EXPECT_EQ(bob.core->stats().cover_acks_received, 1u);

    // Loop cover crosses the real final hop too and is recognised.
    TrafficConfig cover_config;
    cover_config.message_sending_average_delay = 10ms;
    cover_config.disable_loop_cover = true;
    crypto::DeterministicRng rng(34);
    ClientCore looper(ClientKeys{alice.identity, alice.address.identity}, alice.address, cover_config, rng, now);
    looper.set_topology(net.topology(), now);
    const auto covers = looper.poll(now + 1s);
    ASSERT_FALSE(covers.empty());
    for (const auto& p : covers) {
        EXPECT_EQ(p.kind, PacketKind::cover);
        route(net, gateways, p.first_hop, p.packet, nodes);
    }
    for (const auto& stored : gw_alice.fetch_all(alice.address.identity)) EXPECT_TRUE(looper.on_delivered(stored, now).empty());
    EXPECT_EQ(looper.stats().cover_received, covers.size());
    EXPECT_EQ(looper.stats().cover_acks_received, covers.size());
}

} // namespace
} // namespace nym::client::test
