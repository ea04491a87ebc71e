// Sphinx benchmarks with their cost floor measured in the same binary: one libsodium X25519
// variable-base multiplication (crypto_scalarmult) and one fixed-base (crypto_scalarmult_base).
// Targets (docs/protocol/sphinx.md): a forward hop ≤ 1.15 × 2 × x25519_scalarmult; creating an
// r-hop packet ≤ 1.2 × (r × x25519_scalarmult + r × x25519_scalarmult_base).

#include <crypto/cipher.hpp>
#include <crypto/hash.hpp>
#include <crypto/lioness.hpp>
#include <crypto/rng.hpp>
#include <crypto/x25519.hpp>
#include <sphinx/sphinx.hpp>
#include <util/hex.hpp>

#include <benchmark/benchmark.h>
#include <sodium.h>

#include <cstring>
#include <vector>

namespace {

using namespace nym;

struct Route {
    std::vector<crypto::X25519SecretKey> keys;
    std::vector<sphinx::RouteNode> nodes;
    std::vector<sphinx::Delay> delays;
    sphinx::DestinationAddress destination;
    sphinx::SurbIdentifier surb_id;

    Route(crypto::Rng& rng, std::size_t hops) {
        for (std::size_t i = 0; i < hops; ++i) {
            keys.push_back(crypto::X25519SecretKey::generate(rng));
            nodes.push_back({sphinx::encode_node_address(sphinx::IpEndpoint::v4(
                                 {127, 0, 0, 1}, static_cast<std::uint16_t>(1789 + i))),
                             keys.back().public_key()});
        }
        delays = sphinx::generate_delays(rng, hops, sphinx::Delay(50'000'000));
        rng.fill(destination.bytes);
    }
};

std::vector<std::uint8_t> message_of(std::size_t n) { return std::vector<std::uint8_t>(n, 0x5a); }

// A forward hop of a Nym regular packet (payload 2065, 2413 bytes). Each iteration copies the
// 2413-byte input into a preallocated buffer (a memcpy of ~0.1 µs, included in the time) because
// processing rewrites the buffer in place.
void sphinx_process_hop(benchmark::State& state) {
    crypto::DeterministicRng rng(1);
    const Route route(rng, 3);
    const auto message = message_of(sphinx::plaintext_size(sphinx::PacketSize::regular));
    auto packet = sphinx::build_packet(route.nodes, route.delays, route.destination, route.surb_id, message,
                                       sphinx::payload_size(sphinx::PacketSize::regular), rng);
    if (!packet) {
        state.SkipWithError("build failed");
        return;
    }
    std::vector<std::uint8_t> buffer(packet->size());
    for (auto _ : state) {
        std::memcpy(buffer.data(), packet->data(), buffer.size());
        auto result = sphinx::process_packet(buffer, route.keys[0]);
        benchmark::DoNotOptimize(result);
        if (!result) state.SkipWithError("process failed");
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(sphinx_process_hop);

// The last hop of a 3-hop regular packet (one X25519, no blinding).
void sphinx_process_final_hop(benchmark::State& state) {
    crypto::DeterministicRng rng(2);
    const Route route(rng, 1);
    const auto message = message_of(100);
    auto packet = sphinx::build_packet(route.nodes, route.delays, route.destination, route.surb_id, message,
                                       sphinx::payload_size(sphinx::PacketSize::regular), rng);
    if (!packet) {
        state.SkipWithError("build failed");
        return;
    }
    std::vector<std::uint8_t> buffer(packet->size());
    for (auto _ : state) {
        std::memcpy(buffer.data(), packet->data(), buffer.size());
        auto result = sphinx::process_packet(buffer, route.keys[0]);
        benchmark::DoNotOptimize(result);
    }
}
BENCHMARK(sphinx_process_final_hop);

// Stage 1 only (DH + HKDF + MAC + replay tag): what a node pays before its replay-cache lookup.
void sphinx_verify_header(benchmark::State& state) {
    crypto::DeterministicRng rng(3);
    const Route route(rng, 3);
    auto packet = sphinx::build_packet(route.nodes, route.delays, route.destination, route.surb_id, message_of(10),
                                       sphinx::payload_size(sphinx::PacketSize::regular), rng);
    if (!packet) {
        state.SkipWithError("build failed");
        return;
    }
    for (auto _ : state) {
        auto result = sphinx::verify_header(*packet, route.keys[0]);
        benchmark::DoNotOptimize(result);
    }
}
BENCHMARK(sphinx_verify_header);

void create_packet(benchmark::State& state, std::size_t hops) {
    crypto::DeterministicRng rng(4);
    const Route route(rng, hops);
    const auto message = message_of(sphinx::plaintext_size(sphinx::PacketSize::regular));
    for (auto _ : state) {
        auto packet = sphinx::build_packet(route.nodes, route.delays, route.destination, route.surb_id, message,
                                           sphinx::payload_size(sphinx::PacketSize::regular), rng);
        benchmark::DoNotOptimize(packet);
    }
    state.SetItemsProcessed(state.iterations());
}
void sphinx_create_3hops(benchmark::State& state) { create_packet(state, 3); }
void sphinx_create_4hops(benchmark::State& state) { create_packet(state, 4); }
BENCHMARK(sphinx_create_3hops);
BENCHMARK(sphinx_create_4hops);

// The same packets in the versions of sphinx-packet 0.6.0 (X25519 blinding; 00 01 03 also expands
// each payload key from its seed), beside the legacy 00 01 00 above. Named by the version bytes, as
// tools/bench-report.py pairs them with the crate's figures (tools/sphinx-interop bench).
void sphinx_process_hop_version(benchmark::State& state, sphinx::Version version) {
    crypto::DeterministicRng rng(13);
    const Route route(rng, 3);
    const auto message = message_of(sphinx::plaintext_size(sphinx::PacketSize::regular));
    auto packet = sphinx::build_packet(route.nodes, route.delays, route.destination, route.surb_id, message,
                                       sphinx::payload_size(sphinx::PacketSize::regular), rng, version);
    if (!packet) {
        state.SkipWithError("build failed");
        return;
    }
    std::vector<std::uint8_t> buffer(packet->size());
    for (auto _ : state) {
        std::memcpy(buffer.data(), packet->data(), buffer.size());
        auto result = sphinx::process_packet(buffer, route.keys[0]);
        benchmark::DoNotOptimize(result);
        if (!result) state.SkipWithError("process failed");
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(sphinx_process_hop_version, v000102, sphinx::X25519_WITH_EXPLICIT_PAYLOAD_KEYS_VERSION);
BENCHMARK_CAPTURE(sphinx_process_hop_version, v000103, sphinx::PAYLOAD_KEYS_SEEDS_VERSION);

void sphinx_process_final_hop_version(benchmark::State& state, sphinx::Version version) {
    crypto::DeterministicRng rng(14);
    const Route route(rng, 1);
    auto packet = sphinx::build_packet(route.nodes, route.delays, route.destination, route.surb_id, message_of(100),
                                       sphinx::payload_size(sphinx::PacketSize::regular), rng, version);
    if (!packet) {
        state.SkipWithError("build failed");
        return;
    }
    std::vector<std::uint8_t> buffer(packet->size());
    for (auto _ : state) {
        std::memcpy(buffer.data(), packet->data(), buffer.size());
        auto result = sphinx::process_packet(buffer, route.keys[0]);
        benchmark::DoNotOptimize(result);
    }
}
BENCHMARK_CAPTURE(sphinx_process_final_hop_version, v000102, sphinx::X25519_WITH_EXPLICIT_PAYLOAD_KEYS_VERSION);
BENCHMARK_CAPTURE(sphinx_process_final_hop_version, v000103, sphinx::PAYLOAD_KEYS_SEEDS_VERSION);

void create_packet_version(benchmark::State& state, std::size_t hops, sphinx::Version version) {
    crypto::DeterministicRng rng(15);
    const Route route(rng, hops);
    const auto message = message_of(sphinx::plaintext_size(sphinx::PacketSize::regular));
    for (auto _ : state) {
        auto packet = sphinx::build_packet(route.nodes, route.delays, route.destination, route.surb_id, message,
                                           sphinx::payload_size(sphinx::PacketSize::regular), rng, version);
        benchmark::DoNotOptimize(packet);
    }
    state.SetItemsProcessed(state.iterations());
}
void sphinx_create_3hops_version(benchmark::State& state, sphinx::Version version) {
    create_packet_version(state, 3, version);
}
void sphinx_create_4hops_version(benchmark::State& state, sphinx::Version version) {
    create_packet_version(state, 4, version);
}
BENCHMARK_CAPTURE(sphinx_create_3hops_version, v000102, sphinx::X25519_WITH_EXPLICIT_PAYLOAD_KEYS_VERSION);
BENCHMARK_CAPTURE(sphinx_create_3hops_version, v000103, sphinx::PAYLOAD_KEYS_SEEDS_VERSION);
BENCHMARK_CAPTURE(sphinx_create_4hops_version, v000102, sphinx::X25519_WITH_EXPLICIT_PAYLOAD_KEYS_VERSION);
BENCHMARK_CAPTURE(sphinx_create_4hops_version, v000103, sphinx::PAYLOAD_KEYS_SEEDS_VERSION);

void sphinx_create_surb_3hops(benchmark::State& state) {
    crypto::DeterministicRng rng(5);
    const Route route(rng, 3);
    for (auto _ : state) {
        auto surb = sphinx::create_surb(route.nodes, route.delays, route.destination, route.surb_id, rng);
        benchmark::DoNotOptimize(surb);
    }
}
BENCHMARK(sphinx_create_surb_3hops);

void lioness_encrypt_2048(benchmark::State& state) {
    crypto::DeterministicRng rng(6);
    crypto::LionessKey key;
    rng.fill(key.mutable_bytes());
    std::vector<std::uint8_t> block(2048, 1);
    for (auto _ : state) {
        auto ok = crypto::lioness_encrypt(key, block);
        benchmark::DoNotOptimize(ok);
        benchmark::DoNotOptimize(block.data());
    }
    state.SetBytesProcessed(state.iterations() * 2048);
}
BENCHMARK(lioness_encrypt_2048);

void lioness_decrypt_2065(benchmark::State& state) {
    crypto::DeterministicRng rng(7);
    crypto::LionessKey key;
    rng.fill(key.mutable_bytes());
    std::vector<std::uint8_t> block(2065, 1);
    for (auto _ : state) {
        auto ok = crypto::lioness_decrypt(key, block);
        benchmark::DoNotOptimize(ok);
        benchmark::DoNotOptimize(block.data());
    }
}
BENCHMARK(lioness_decrypt_2065);

void sphinx_hkdf_routing_keys(benchmark::State& state) {
    crypto::DeterministicRng rng(8);
    sphinx::SharedSecret secret;
    rng.fill(secret.mutable_bytes());
    for (auto _ : state) {
        auto keys = sphinx::RoutingKeys::derive(secret);
        benchmark::DoNotOptimize(keys);
    }
}
BENCHMARK(sphinx_hkdf_routing_keys);

void aes128_ctr_360(benchmark::State& state) {
    crypto::DeterministicRng rng(9);
    sphinx::StreamKey key;
    rng.fill(key.mutable_bytes());
    std::array<std::uint8_t, sphinx::STREAM_CIPHER_OUTPUT_LENGTH> out{};
    for (auto _ : state) {
        sphinx::generate_pseudorandom_bytes(key, out);
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(aes128_ctr_360);

void hmac_sha256_300(benchmark::State& state) {
    crypto::DeterministicRng rng(10);
    sphinx::MacKey key;
    rng.fill(key.mutable_bytes());
    std::array<std::uint8_t, sphinx::ENCRYPTED_ROUTING_INFO_SIZE> beta{};
    for (auto _ : state) {
        auto mac = sphinx::compute_header_mac(key, beta);
        benchmark::DoNotOptimize(mac);
    }
}
BENCHMARK(hmac_sha256_300);

// Our unclamped blinding multiplication (b·α for the node, acc·pk for the sender).
void sphinx_blinding_scalarmult(benchmark::State& state) {
    crypto::DeterministicRng rng(11);
    const auto scalar = crypto::Scalar25519::random(rng);
    const auto point = crypto::X25519SecretKey::generate(rng).public_key();
    for (auto _ : state) {
        auto r = crypto::scalarmult(scalar, point);
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(sphinx_blinding_scalarmult);

void sphinx_scalarmult_base(benchmark::State& state) {
    crypto::DeterministicRng rng(12);
    const auto scalar = crypto::Scalar25519::random(rng);
    for (auto _ : state) {
        auto r = crypto::scalarmult_base(scalar);
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(sphinx_scalarmult_base);

// --- The floor: libsodium itself -------------------------------------------------------------------

void x25519_scalarmult(benchmark::State& state) {
    if (sodium_init() < 0) state.SkipWithError("sodium_init failed");
    std::array<std::uint8_t, crypto_scalarmult_BYTES> scalar{};
    std::array<std::uint8_t, crypto_scalarmult_BYTES> point{};
    std::array<std::uint8_t, crypto_scalarmult_BYTES> out{};
    randombytes_buf(scalar.data(), scalar.size());
    std::array<std::uint8_t, crypto_scalarmult_BYTES> other{};
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

} // namespace

BENCHMARK_MAIN();
