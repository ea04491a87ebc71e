#pragma once
// An in-process mixnet for ClientCore tests: mix nodes and gateways that unwrap Sphinx packets with
// the real processing functions, and gateways that split off the SURB-ack as the real gateway's final
// hop does (docs/protocol/gateway.md "Final hop") before handing the rest to the client. Delays in
// the headers are ignored (packets move at once); tests drive time through the cores' clocks.

#include <client/core.hpp>

#include <crypto/ed25519.hpp>
#include <crypto/rng.hpp>
#include <crypto/x25519.hpp>
#include <sphinx/node_address.hpp>
#include <sphinx/packet_size.hpp>
#include <sphinx/processing.hpp>
#include <wire/directory.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nym::client::test {

inline constexpr std::size_t ACK_PREFIX = 19 + 386;

struct SimNode {
    std::string host;
    sphinx::NodeAddress address;
    crypto::X25519SecretKey key;
    crypto::Ed25519SecretKey identity; // gateways only
    bool gateway = false;
    std::uint8_t layer = 0;
};

struct Delivered {
    crypto::Ed25519PublicKey client;
    std::vector<std::uint8_t> message;
};

/// Decides whether a packet arriving at a node is lost: (node, packet size, hop count so far).
using DropRule = std::function<bool(const SimNode& node, std::size_t packet_size)>;

class SimNet {
public:
    explicit SimNet(std::uint64_t seed, int mixes_per_layer = 2, int gateways = 2) : m_rng(seed) {
        int port = 10000;
        for (std::uint8_t layer = 1; layer <= 3; ++layer)
            for (int i = 0; i < mixes_per_layer; ++i) add_node("127.0.0.1:" + std::to_string(port++), false, layer);
        for (int i = 0; i < gateways; ++i) add_node("127.0.0.2:" + std::to_string(port++), true, 0);
    }

    const SimNode& gateway(std::size_t i) const { return *m_gateways.at(i); }
    std::vector<const SimNode*> mixes(std::uint8_t layer) const {
        std::vector<const SimNode*> out;
        for (const auto& n : m_nodes)
            if (!n->gateway && n->layer == layer) out.push_back(n.get());
        return out;
    }

    void register_client(const crypto::Ed25519PublicKey& client, std::size_t gateway_index) {
        m_registered[m_gateways.at(gateway_index)->identity.public_key().bytes].push_back(client);
    }

    wire::directory::Topology topology() const {
        wire::directory::Topology t;
        for (const auto& n : m_nodes) {
            if (n->gateway) {
                wire::directory::TopologyGateway g;
                g.host = n->host;
                g.pub_key = n->key.public_key();
                g.identity_key = n->identity.public_key();
                g.client_listener = "ws://" + n->host;
                if (auto it = m_registered.find(g.identity_key.bytes); it != m_registered.end())
                    for (const auto& c : it->second) {
                        crypto::X25519PublicKey k;
                        k.bytes = c.bytes;
                        g.registered_clients.push_back(k);
                    }
                t.gateways.push_back(std::move(g));
            } else {
                wire::directory::TopologyMixNode m;
                m.host = n->host;
                m.pub_key = n->key.public_key();
                m.layer = n->layer;
                t.mix_nodes.push_back(std::move(m));
            }
        }
        return t;
    }

    /// Sends one packet from its first hop to its end; whatever reaches a client lands in the inbox.
    void inject(const sphinx::NodeAddress& first_hop, std::vector<std::uint8_t> packet) {
        sphinx::NodeAddress at = first_hop;
        for (int hop = 0; hop < 8; ++hop) {
            auto it = m_by_address.find(at.bytes);
            if (it == m_by_address.end()) {
                ++lost_unknown_node;
                return;
            }
            const SimNode& node = *it->second;
            if (drop && drop(node, packet.size())) {
                ++dropped;
                return;
            }
            auto processed = sphinx::process_packet(packet, node.key);
            if (!processed) {
                ++invalid;
                return;
            }
            if (const auto* fwd = processed->forward()) {
                at = fwd->next_hop;
                continue;
            }
            const auto* fin = processed->final_hop();
            if (!node.gateway) {
                ++invalid;
                return;
            }
            crypto::Ed25519PublicKey client;
            client.bytes = fin->destination.bytes;
            std::vector<std::uint8_t> message(fin->message.begin(), fin->message.end());
            std::optional<std::pair<sphinx::NodeAddress, std::vector<std::uint8_t>>> ack;
            if (packet.size() != sphinx::packet_size(sphinx::PacketSize::ack)) {
                if (message.size() < ACK_PREFIX) {
                    ++invalid;
                    return;
                }
                sphinx::NodeAddress ack_hop;
                std::copy_n(message.begin(), 19, ack_hop.bytes.begin());
                ack.emplace(ack_hop, std::vector<std::uint8_t>(message.begin() + 19, message.begin() + ACK_PREFIX));
                message.erase(message.begin(), message.begin() + ACK_PREFIX);
            }
            inbox.push_back(Delivered{client, std::move(message)});
            ++stored;
            if (ack) {
                if (drop_acks && drop_acks()) {
                    ++dropped;
                    return;
                }
                inject(ack->first, std::move(ack->second));
            }
            return;
        }
        ++invalid;
    }

    /// A client's packet entering the net at `now`: straight through, or through the bottleneck.
    void send(const sphinx::NodeAddress& first_hop, std::vector<std::uint8_t> packet, TimePoint now) {
        if (!bottleneck) {
            inject(first_hop, std::move(packet));
            return;
        }
        release(now);
        if (m_queue.size() >= bottleneck->capacity) {
            ++dropped;
            ++bottleneck_drops;
            return;
        }
        m_last_departure = std::max(now, m_last_departure) + bottleneck->interval;
        m_queue.push_back(Queued{m_last_departure, first_hop, std::move(packet)});
        max_queued = std::max(max_queued, m_queue.size());
    }
    /// Forwards every bottlenecked packet whose departure time has come.
    void release(TimePoint now) {
        while (!m_queue.empty() && m_queue.front().departure <= now) {
            Queued q = std::move(m_queue.front());
            m_queue.pop_front();
            inject(q.first_hop, std::move(q.packet));
        }
    }
    /// When release() next has something to do (TimePoint::max() when nothing is queued).
    TimePoint next_release() const { return m_queue.empty() ? TimePoint::max() : m_queue.front().departure; }

    std::vector<Delivered> take_inbox() {
        std::vector<Delivered> out;
        out.swap(inbox);
        return out;
    }

    DropRule drop;
    std::function<bool()> drop_acks;
    std::vector<Delivered> inbox;
    std::uint64_t dropped = 0, invalid = 0, stored = 0, lost_unknown_node = 0;

    /// A congested egress in front of every client's first hop (a gateway forwarding to layer 1
    /// on a loaded host): one packet leaves per `interval`, at most `capacity` wait, the rest are
    /// dropped (counted in `dropped` and `bottleneck_drops`). Acks are not bottlenecked.
    struct Bottleneck {
        std::chrono::nanoseconds interval;
        std::size_t capacity;
    };
    std::optional<Bottleneck> bottleneck;
    std::uint64_t bottleneck_drops = 0;
    std::size_t max_queued = 0;

private:
    struct Queued {
        TimePoint departure;
        sphinx::NodeAddress first_hop;
        std::vector<std::uint8_t> packet;
    };
    std::deque<Queued> m_queue;
    TimePoint m_last_departure{};

    void add_node(std::string host, bool gateway, std::uint8_t layer) {
        auto n = std::make_unique<SimNode>();
        n->host = host;
        n->address = sphinx::encode_node_address(*sphinx::IpEndpoint::parse(host));
        n->key = crypto::X25519SecretKey::generate(m_rng);
        n->identity = crypto::Ed25519SecretKey::generate(m_rng);
        n->gateway = gateway;
        n->layer = layer;
        m_by_address[n->address.bytes] = n.get();
        if (gateway) m_gateways.push_back(n.get());
        m_nodes.push_back(std::move(n));
    }

    crypto::DeterministicRng m_rng;
    std::vector<std::unique_ptr<SimNode>> m_nodes;
    std::vector<SimNode*> m_gateways;
    std::map<std::array<std::uint8_t, 32>, SimNode*> m_by_address;
    std::map<std::array<std::uint8_t, 32>, std::vector<crypto::Ed25519PublicKey>> m_registered;
};

/// A client on the simulated net: keys, its own RNG and core.
struct SimClient {
    SimClient(SimNet& net, std::uint64_t seed, std::size_t gateway_index, TrafficConfig config, TimePoint now)
        : rng(seed), identity(crypto::Ed25519SecretKey::generate(rng)) {
        address = Address{identity.public_key(), net.gateway(gateway_index).identity.public_key()};
        net.register_client(address.identity, gateway_index);
        core = std::make_unique<ClientCore>(ClientKeys{identity, identity.public_key()}, address, config, rng, now);
    }
    ParsedAddress parsed() const { return ParsedAddress{address.identity, address.gateway}; }

    crypto::DeterministicRng rng;
    crypto::Ed25519SecretKey identity;
    Address address;
    std::unique_ptr<ClientCore> core;
    std::vector<Event> events;
    std::vector<OutgoingPacket> sent;
    bool keep_sent = false;
};

/// Quiet traffic: no cover, real packets leave at once. Retransmission timers still run.
inline TrafficConfig quiet_config() {
    TrafficConfig c;
    c.disable_main_poisson = true;
    c.disable_loop_cover = true;
    return c;
}

/// Runs the clients against the net until `until` (virtual time), always jumping to the earliest
/// wake-up. Packets go through the net at once (unless it has a bottleneck); deliveries are handed
/// to their client at once. `after_poll`, if set, sees each client right after its poll.
inline void run_until(SimNet& net, std::vector<SimClient*> clients, TimePoint& now, TimePoint until,
                      const std::function<void(SimClient&)>& after_poll = {}) {
    for (int guard = 0; guard < 1'000'000; ++guard) {
        TimePoint next = std::min(until, net.next_release());
        for (auto* c : clients) next = std::min(next, c->core->next_wakeup());
        now = std::max(now, next);
        net.release(now);
        for (auto* c : clients) {
            for (auto& p : c->core->poll(now)) {
                if (c->keep_sent) c->sent.push_back(p);
                net.send(p.first_hop, std::move(p.packet), now);
            }
            if (after_poll) after_poll(*c);
            for (auto& e : c->core->drain_events()) c->events.push_back(std::move(e));
        }
        for (auto& d : net.take_inbox()) {
            for (auto* c : clients)
                if (c->address.identity == d.client)
                    for (auto& e : c->core->on_delivered(d.message, now)) c->events.push_back(std::move(e));
        }
        if (now >= until) return;
    }
}

template <class T>
std::vector<T> events_of(const std::vector<Event>& events) {
    std::vector<T> out;
    for (const auto& e : events)
        if (const auto* v = std::get_if<T>(&e)) out.push_back(*v);
    return out;
}

} // namespace nym::client::test
