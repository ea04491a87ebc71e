// ClientCore's per-packet cost with its cost floor measured in the same binary (docs/performance.md,
// "Client core").
//
// - client_real_packet: send() of a one-fragment message, then poll() → one OutgoingPacket. That
//   packet holds two 4-hop Sphinx builds (the regular packet and, inside its payload, the SURB-ack
//   packet), an end-to-end seal (one fresh X25519 key pair and one X25519 with the recipient's key)
//   and the conversion of the recipient's Ed25519 key (measured alone: ed25519_pk_to_curve25519). Floor: floor_sphinx_build_4hop_regular +
//   floor_sphinx_build_4hop_ack.
// - client_on_delivered_fragment: on_delivered() of one sealed fragment as the recipient's gateway
//   hands it over (a whole one-fragment message, so it includes reassembly and the event). Floor:
//   one X25519 multiplication (the seal's Diffie–Hellman), x25519_scalarmult.
// - client_on_delivered_ack: on_delivered() of one SURB-ack payload (symmetric only; no floor).
//
// The topology is built in-process: 3 layers × 2 mix nodes and 2 gateways with random keys. The
// deliveries are produced once by a sending core and unwrapped hop by hop with sphinx::process_packet
// under the nodes' secret keys, as the mix nodes and the gateway's final hop would.

#include <client/core.hpp>
#include <client/packet_format.hpp>
#include <crypto/ed25519.hpp>
#include <crypto/rng.hpp>
#include <crypto/x25519.hpp>
#include <sphinx/sphinx.hpp>
#include <wire/directory.hpp>

#include <benchmark/benchmark.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace nym;
using client::Bytes;
using client::ClientCore;
using client::TimePoint;

const TimePoint T0 = TimePoint{} + std::chrono::hours(1000);

struct Node {
    std::string host;
    sphinx::NodeAddress address;
    crypto::X25519SecretKey key;
    crypto::Ed25519SecretKey identity;
    bool gateway = false;
    std::uint8_t layer = 0;
};

/// 3 layers × 2 mix nodes and 2 gateways; alice is registered at gateway 0, bob at gateway 1.
class Network {
public:
    Network() : m_rng(0xC11E57) {
        int port = 20000;
        for (std::uint8_t layer = 1; layer <= 3; ++layer)
            for (int i = 0; i < 2; ++i) add("127.0.0.1:" + std::to_string(port++), false, layer);
        for (int i = 0; i < 2; ++i) add("127.0.0.2:" + std::to_string(port++), true, 0);
    }

    const Node& gateway(std::size_t i) const { return *m_gateways.at(i); }

    wire::directory::Topology topology() const {
        wire::directory::Topology t;
        for (const auto& n : m_nodes) {
            if (n->gateway) {
                wire::directory::TopologyGateway g;
                g.host = n->host;
                g.pub_key = n->key.public_key();
                g.identity_key = n->identity.public_key();
                g.client_listener = "ws://" + n->host;
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

    /// What reaches the final gateway's client from one packet: the stored message (for a regular
    /// packet, the part after the SURB-ack prefix) and, for a regular packet, the ack's first hop and
    /// packet. std::nullopt if the packet does not unwrap.
    struct Arrival {
        Bytes message;
        std::optional<std::pair<sphinx::NodeAddress, Bytes>> ack;
    };
    std::optional<Arrival> carry(sphinx::NodeAddress at, Bytes packet) const {
        for (int hop = 0; hop < 8; ++hop) {
            auto it = m_by_address.find(at.bytes);
            if (it == m_by_address.end()) return std::nullopt;
            auto processed = sphinx::process_packet(packet, it->second->key);
            if (!processed) return std::nullopt;
            if (const auto* fwd = processed->forward()) {
                at = fwd->next_hop;
                continue;
            }
            const auto* fin = processed->final_hop();
            if (fin == nullptr) return std::nullopt;
            Arrival a;
            a.message.assign(fin->message.begin(), fin->message.end());
            if (packet.size() != sphinx::packet_size(sphinx::PacketSize::ack)) {
                if (a.message.size() < client::format::ACK_OVERHEAD) return std::nullopt;
                sphinx::NodeAddress ack_hop;
                std::copy_n(a.message.begin(), client::format::ACK_FIRST_HOP_SIZE, ack_hop.bytes.begin());
                const auto ack_begin = a.message.begin() + static_cast<std::ptrdiff_t>(client::format::ACK_FIRST_HOP_SIZE);
                const auto ack_end = a.message.begin() + static_cast<std::ptrdiff_t>(client::format::ACK_OVERHEAD);
                a.ack.emplace(ack_hop, Bytes(ack_begin, ack_end));
                a.message.erase(a.message.begin(), ack_end);
            }
            return a;
        }
        return std::nullopt;
    }

private:
    void add(std::string host, bool gateway, std::uint8_t layer) {
        auto n = std::make_unique<Node>();
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
    std::vector<std::unique_ptr<Node>> m_nodes;
    std::vector<Node*> m_gateways;
    std::map<std::array<std::uint8_t, 32>, Node*> m_by_address;
};

/// Real packets leave at once; no cover traffic. Retransmission timers never fire because the
/// benchmarks keep the clock still, and the congestion window is opened wide: the benchmarks send
/// more fragments than the default window (256) before any ack comes back.
client::TrafficConfig quiet_config() {
    client::TrafficConfig c;
    c.disable_main_poisson = true;
    c.disable_loop_cover = true;
    c.max_in_flight = 1 << 20;
    return c;
}

struct Party {
    Party(const Network& net, std::uint64_t seed, std::size_t gateway_index)
        : rng(seed), identity(crypto::Ed25519SecretKey::generate(rng)),
          address{identity.public_key(), net.gateway(gateway_index).identity.public_key()} {
        renew(net);
    }
    /// A fresh core with the same keys (empty reassembly and pending state).
    void renew(const Network& net) {
        core = std::make_unique<ClientCore>(client::ClientKeys{identity, identity.public_key()}, address, quiet_config(),
                                            rng, T0);
        core->set_topology(net.topology(), T0);
    }
    client::ParsedAddress parsed() const { return client::ParsedAddress{address.identity, address.gateway}; }

    crypto::DeterministicRng rng;
    crypto::Ed25519SecretKey identity;
    client::Address address;
    std::unique_ptr<ClientCore> core;
};

Bytes message_of(std::size_t n, std::uint8_t fill) { return Bytes(n, fill); }

/// Deliveries prepared once for the receiving benchmarks: K distinct one-fragment messages alice →
/// bob as bob's gateway stores them, and the K SURB-ack payloads as alice's gateway stores them.
struct Deliveries {
    static constexpr std::size_t COUNT = 512;
    Network net;
    Party alice{net, 11, 0};
    Party bob{net, 22, 1};
    std::vector<Bytes> fragments;
    std::vector<Bytes> acks;
    /// The next fragment for bob: kept across the benchmark's runs (Google Benchmark calls the
    /// function several times), since bob has seen every fragment before it.
    std::size_t next_fragment = 0;
    bool ok = true;

    Deliveries() {
        for (std::size_t i = 0; i < COUNT && ok; ++i) {
            const auto msg = message_of(100, static_cast<std::uint8_t>(i));
            if (!alice.core->send(msg, bob.parsed(), T0)) ok = false;
            for (auto& p : alice.core->poll(T0)) {
                auto arrival = net.carry(p.first_hop, std::move(p.packet));
                if (!arrival || !arrival->ack) {
                    ok = false;
                    break;
                }
                auto ack = net.carry(arrival->ack->first, std::move(arrival->ack->second));
                if (!ack || ack->message.size() != client::format::ACK_PAYLOAD_SIZE) {
                    ok = false;
                    break;
                }
                fragments.push_back(std::move(arrival->message));
                acks.push_back(std::move(ack->message));
            }
        }
        if (fragments.size() != COUNT) ok = false;
    }

    static Deliveries& get() {
        static Deliveries d;
        return d;
    }
};

// --- The client core ---------------------------------------------------------------------------------

void client_real_packet(benchmark::State& state) {
    Network net;
    Party alice(net, 1, 0);
    Party bob(net, 2, 1);
    const auto msg = message_of(100, 0x5a);
    const auto recipient = bob.parsed();
    std::size_t since_renew = 0;
    for (auto _ : state) {
        // Every sent fragment stays pending (the clock stands still); start afresh now and then so
        // the pending map stays small, outside the timed region.
        if (++since_renew == 4096) {
            state.PauseTiming();
            alice.renew(net);
            since_renew = 1;
            state.ResumeTiming();
        }
        auto id = alice.core->send(msg, recipient, T0);
        auto packets = alice.core->poll(T0);
        benchmark::DoNotOptimize(packets.data());
        if (!id || packets.size() != 1) {
            state.SkipWithError("send/poll did not give exactly one packet");
            break;
        }
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(client_real_packet);

void client_on_delivered_fragment(benchmark::State& state) {
    auto& d = Deliveries::get();
    if (!d.ok) {
        state.SkipWithError("could not prepare the deliveries");
        return;
    }
    std::size_t& next = d.next_fragment;
    for (auto _ : state) {
        // Each delivery is a new message to a fresh reassembler: replaying it would only measure
        // the duplicate path. Past the end, a new core (same keys) takes them again.
        if (next == d.fragments.size()) {
            state.PauseTiming();
            d.bob.renew(d.net);
            next = 0;
            state.ResumeTiming();
        }
        auto events = d.bob.core->on_delivered(d.fragments[next++], T0);
        benchmark::DoNotOptimize(events.data());
        if (events.size() != 1) {
            state.SkipWithError("a fragment did not complete its message");
            break;
        }
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(client_on_delivered_fragment);

void client_on_delivered_ack(benchmark::State& state) {
    auto& d = Deliveries::get();
    if (!d.ok) {
        state.SkipWithError("could not prepare the deliveries");
        return;
    }
    // The acks belong to fragments alice still holds as pending: the first pass over them
    // acknowledges (and completes) the messages; later passes find them acknowledged already, which
    // costs the same decryption and one failed map lookup.
    std::size_t next = 0;
    for (auto _ : state) {
        if (next == d.acks.size()) next = 0;
        auto events = d.alice.core->on_delivered(d.acks[next++], T0);
        benchmark::DoNotOptimize(events.data());
    }
    const auto stats = d.alice.core->stats();
    if (stats.acks_received == 0 || stats.undecryptable != 0) state.SkipWithError("acks were not recognised");
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(client_on_delivered_ack);

// --- The floor -----------------------------------------------------------------------------------------

struct Route4 {
    std::vector<sphinx::RouteNode> nodes;
    std::vector<sphinx::Delay> delays;
    sphinx::DestinationAddress destination;

    explicit Route4(crypto::Rng& rng) {
        for (std::uint16_t i = 0; i < 4; ++i)
            nodes.push_back({sphinx::encode_node_address(sphinx::IpEndpoint::v4({127, 0, 0, 1}, static_cast<std::uint16_t>(1789 + i))),
                             crypto::X25519SecretKey::generate(rng).public_key()});
        delays = sphinx::generate_delays(rng, 4, sphinx::Delay::from_duration(std::chrono::milliseconds(15)));
        rng.fill(destination.bytes);
    }
};

void build_floor(benchmark::State& state, sphinx::PacketSize size) {
    crypto::DeterministicRng rng(static_cast<std::uint64_t>(size) + 100);
    const Route4 route(rng);
    const auto plaintext = message_of(sphinx::plaintext_size(size), 0x33);
    for (auto _ : state) {
        auto packet = sphinx::build_packet(route.nodes, route.delays, route.destination, sphinx::SurbIdentifier{}, plaintext,
                                           sphinx::payload_size(size), rng);
        benchmark::DoNotOptimize(packet);
        if (!packet) {
            state.SkipWithError("build failed");
            break;
        }
    }
}
/// The regular packet: 2048-byte plaintext, 4 hops (3 mixes + the recipient's gateway).
void floor_sphinx_build_4hop_regular(benchmark::State& state) { build_floor(state, sphinx::PacketSize::regular); }
/// The SURB-ack packet: 21-byte plaintext, 4 hops (3 mixes + the sender's own gateway).
void floor_sphinx_build_4hop_ack(benchmark::State& state) { build_floor(state, sphinx::PacketSize::ack); }
BENCHMARK(floor_sphinx_build_4hop_regular);
BENCHMARK(floor_sphinx_build_4hop_ack);

void x25519_scalarmult(benchmark::State& state) {
    if (sodium_init() < 0) state.SkipWithError("sodium_init failed");
    std::array<std::uint8_t, crypto_scalarmult_SCALARBYTES> scalar{};
    std::array<std::uint8_t, crypto_scalarmult_SCALARBYTES> other{};
    std::array<std::uint8_t, crypto_scalarmult_BYTES> point{};
    std::array<std::uint8_t, crypto_scalarmult_BYTES> out{};
    randombytes_buf(scalar.data(), scalar.size());
    randombytes_buf(other.data(), other.size());
    if (crypto_scalarmult_base(point.data(), other.data()) != 0) state.SkipWithError("base failed");
    for (auto _ : state) {
        const int rc = crypto_scalarmult(out.data(), scalar.data(), point.data());
        benchmark::DoNotOptimize(rc);
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(x25519_scalarmult);

void x25519_scalarmult_base(benchmark::State& state) {
    if (sodium_init() < 0) state.SkipWithError("sodium_init failed");
    std::array<std::uint8_t, crypto_scalarmult_SCALARBYTES> scalar{};
    std::array<std::uint8_t, crypto_scalarmult_BYTES> out{};
    randombytes_buf(scalar.data(), scalar.size());
    for (auto _ : state) {
        const int rc = crypto_scalarmult_base(out.data(), scalar.data());
        benchmark::DoNotOptimize(rc);
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(x25519_scalarmult_base);

// Not a floor term, but where most of the rest of client_real_packet goes: send() converts the
// recipient's Ed25519 identity to its X25519 key once per message, and libsodium's conversion
// checks that the point is in the prime-order subgroup (a multiplication by the group order).
void ed25519_pk_to_curve25519(benchmark::State& state) {
    if (sodium_init() < 0) state.SkipWithError("sodium_init failed");
    std::array<std::uint8_t, crypto_sign_PUBLICKEYBYTES> pk{};
    std::array<std::uint8_t, crypto_sign_SECRETKEYBYTES> sk{};
    crypto_sign_keypair(pk.data(), sk.data());
    std::array<std::uint8_t, crypto_scalarmult_BYTES> out{};
    for (auto _ : state) {
        const int rc = crypto_sign_ed25519_pk_to_curve25519(out.data(), pk.data());
        benchmark::DoNotOptimize(rc);
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(ed25519_pk_to_curve25519);

} // namespace

BENCHMARK_MAIN();
