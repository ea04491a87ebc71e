#pragma once
// A gateway's keys, store, hub and mix stage, plus a client, for the tests of the running parts
// (client hub, mix stage, the commit-then-ack rule): no sockets, the store requests run inline.

#include <gateway/client_hub.hpp>
#include <gateway/mix_stage.hpp>

#include "test_util.hpp"

#include <gtest/gtest.h>

#include <sphinx/builder.hpp>
#include <sphinx/node_address.hpp>
#include <sphinx/packet_size.hpp>

#include <deque>
#include <map>
#include <optional>

namespace nym::gateway::test {

namespace wg = wire::gateway;
using Bytes = std::vector<std::uint8_t>;

constexpr std::int64_t NOW = 1'700'000'000;
inline UnixSeconds at(std::int64_t s) { return UnixSeconds(std::chrono::seconds(s)); }
inline const sphinx::IpEndpoint HOP_A = sphinx::IpEndpoint::v4({127, 0, 0, 1}, 1000);
inline const sphinx::IpEndpoint HOP_B = sphinx::IpEndpoint::v4({127, 0, 0, 1}, 1001);

inline HubConfig small_hub() {
    HubConfig config;
    config.delivery_window = 10;
    config.retrieval_limit = 4;
    config.max_tracked_clients = 100;
    return config;
}

/// Appends everything but the store requests of `from` to `to`.
inline void append(HubEffects& to, HubEffects& from) {
    for (auto& f : from.frames) to.frames.push_back(std::move(f));
    for (auto& f : from.forwards) to.forwards.push_back(std::move(f));
    for (auto& d : from.deletes) to.deletes.push_back(std::move(d));
    for (auto& c : from.closes) to.closes.push_back(std::move(c));
}

struct GatewayFixture {
    GatewayFixture() { (void)first_hops.update({HOP_A, HOP_B}, at(NOW)); }

    TempDir dir;
    crypto::DeterministicRng rng{5};
    crypto::Ed25519SecretKey identity = crypto::Ed25519SecretKey::generate(rng);
    crypto::X25519KeyPair sphinx_keys = crypto::X25519KeyPair::generate(rng);
    crypto::Ed25519SecretKey client = crypto::Ed25519SecretKey::generate(rng);
    std::unique_ptr<MessageStore> store = std::move(MessageStore::open(dir.path() / "messages.sqlite").value());
    NonceCache nonces;
    ReplayCache replays;
    GatewayCounters counters;
    FirstHops first_hops;
    ClientHub hub{identity, *store, nonces, rng, counters, first_hops, small_hub()};
    MixStage stage{sphinx_keys.secret, *store, replays, counters};

    /// Runs the hub's store requests as the daemon does (against the store, the reply back to the
    /// hub) until none is left: everything the hub asked the glue to do, in order.
    HubEffects settle(HubEffects fx, std::int64_t now = NOW) {
        HubEffects all;
        std::deque<StoreRequest> pending;
        for (auto& r : fx.store) pending.push_back(std::move(r));
        append(all, fx);
        while (!pending.empty()) {
            StoreReply reply = run_store_request(std::move(pending.front()), *store);
            pending.pop_front();
            HubEffects next = hub.on_store_reply(std::move(reply), at(now));
            for (auto& r : next.store) pending.push_back(std::move(r));
            append(all, next);
        }
        return all;
    }

    /// The client's end of one connection: its pending handshake and then its session MAC.
    struct Peer {
        std::optional<wg::RegisterRequest> request;
        std::optional<crypto::X25519KeyPair> ephemeral;
        std::optional<wg::SessionChannel> channel;
        std::optional<wg::SharedKey> key; ///< once registered
    };
    std::map<ConnectionId, Peer> peers;

    /// A RegisterRequest from the client on connection `id`.
    Bytes register_frame(ConnectionId id) {
        Peer& peer = peers[id];
        peer.ephemeral = crypto::X25519KeyPair::generate(rng);
        peer.request = wg::make_register_request(client, identity.public_key(), peer.ephemeral->public_key, NOW);
        peer.channel.reset();
        return wg::serialize(wg::Message{*peer.request});
    }
    /// A frame the client sends on connection `id` (sealed once its session is bound).
    Bytes frame(ConnectionId id, const wg::Message& message) {
        Peer& peer = peers[id];
        Bytes bytes = wg::serialize(message);
        return peer.channel ? peer.channel->seal(bytes) : bytes;
    }
    /// What the clients read from the gateway's frames of `fx`, in order (each frame read once:
    /// session MACs count frames).
    std::vector<std::pair<ConnectionId, wg::Message>> read(const HubEffects& fx) {
        std::vector<std::pair<ConnectionId, wg::Message>> out;
        for (const auto& [id, bytes] : fx.frames) {
            Peer& peer = peers[id];
            Bytes plain = bytes;
            if (peer.channel) {
                auto opened = peer.channel->open(bytes);
                EXPECT_TRUE(opened) << "a gateway frame fails its session MAC";
                if (!opened) continue;
                plain = std::move(*opened);
            }
            auto parsed = wg::parse_message(plain);
            EXPECT_TRUE(parsed);
            if (!parsed) continue;
            if (const auto* response = std::get_if<wg::RegisterResponse>(&*parsed); response && peer.request) {
                auto key = wg::finish_registration(identity.public_key(), *peer.request, peer.ephemeral->secret, *response);
                EXPECT_TRUE(key);
                if (key) {
                    const Bytes full = wg::response_transcript(
                        wg::register_transcript(identity.public_key(), peer.request->client_identity,
                                                peer.request->client_ephemeral, peer.request->timestamp),
                        response->gateway_ephemeral);
                    peer.channel.emplace(wg::Side::client, *key, wg::registration_session_transcript(full));
                    peer.key = *key;
                }
            }
            out.emplace_back(id, std::move(*parsed));
        }
        return out;
    }
    /// The ids of the Deliver messages among `fx`'s frames (reads them).
    std::vector<std::uint64_t> delivered(const HubEffects& fx) {
        std::vector<std::uint64_t> ids;
        for (const auto& [id, m] : read(fx))
            if (const auto* d = std::get_if<wg::Deliver>(&m)) ids.push_back(d->id);
        return ids;
    }

    /// Registers the client on connection `id`; returns the effects (RegisterResponse + pushes),
    /// unread (read() them to bind the session).
    HubEffects register_client(ConnectionId id) {
        EXPECT_TRUE(hub.open(id));
        return settle(hub.on_frame(id, register_frame(id), at(NOW)));
    }
    /// register_client() with its frames read: the delivered ids.
    std::vector<std::uint64_t> register_and_read(ConnectionId id) { return delivered(register_client(id)); }

    /// A Sphinx packet whose only hop is this gateway, for the client, carrying a SURB-ack for `ack_hop`.
    Bytes packet_for_client(std::uint8_t fill, const sphinx::IpEndpoint& ack_hop = HOP_A) {
        const std::vector<sphinx::RouteNode> route{
            {sphinx::encode_node_address(sphinx::IpEndpoint::v4({10, 0, 0, 1}, 1789)), sphinx_keys.public_key}};
        sphinx::DestinationAddress dest;
        dest.bytes = client.public_key().bytes;
        Bytes message;
        const auto first_hop = sphinx::encode_node_address(ack_hop);
        message.insert(message.end(), first_hop.bytes.begin(), first_hop.bytes.begin() + ACK_FIRST_HOP_SIZE);
        message.resize(ACK_OVERHEAD, 0xac);
        message.resize(ACK_OVERHEAD + 40, fill);
        return sphinx::build_packet(route, std::vector<sphinx::Delay>{sphinx::Delay(0)}, dest,
                                    sphinx::SurbIdentifier{}, message,
                                    sphinx::payload_size(sphinx::PacketSize::regular), rng)
            .value();
    }
};

} // namespace nym::gateway::test
