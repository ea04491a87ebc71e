// Sphinx fuzz targets. Whatever the bytes, processing returns a value or a typed nym.sphinx error,
// never crashes; anything that processes must behave like a packet.

#include "fuzz.hpp"

#include <crypto/rng.hpp>
#include <crypto/x25519.hpp>
#include <sphinx/sphinx.hpp>

#include <cstdlib>
#include <vector>

namespace {

using namespace nym;

/// The fixed node key the packet seeds were built for (the seed generator in
/// tests/unit/sphinx/fuzz_seed_tests.cpp uses the same derivation).
const crypto::X25519SecretKey& fuzz_node_key() {
    static const crypto::X25519SecretKey key = [] {
        crypto::DeterministicRng rng(0x5eed);
        return crypto::X25519SecretKey::generate(rng);
    }();
    return key;
}

void require(bool condition) {
    if (!condition) std::abort();
}

void check_error(const std::error_code& e) { require(&e.category() == &sphinx::sphinx_category()); }

} // namespace

NYM_FUZZ_TARGET(sphinx_packet) {
    // 1. The input as a packet at a node with a fixed key, in one call and in two stages.
    std::vector<std::uint8_t> packet(input.begin(), input.end());
    std::vector<std::uint8_t> staged = packet;
    auto result = sphinx::process_packet(packet, fuzz_node_key());
    if (!result) {
        check_error(result.error());
    } else {
        require(packet.size() == input.size());
        if (const auto* fin = result->final_hop()) {
            require(fin->message.size() + sphinx::PAYLOAD_OVERHEAD_SIZE <= packet.size() - sphinx::HEADER_SIZE);
        }
    }
    auto verified = sphinx::verify_header(staged, fuzz_node_key());
    require(verified.has_value() == (result.has_value() || (result.error() != sphinx::Errc::invalid_header_mac &&
                                                            result.error() != sphinx::Errc::invalid_packet_length &&
                                                            result.error() != sphinx::Errc::invalid_group_element)));
    if (verified) {
        auto finished = sphinx::finish_processing(staged, *verified);
        require(finished.has_value() == result.has_value());
        require(staged == packet);
    }

    // 2. Build-then-process with parameters taken from the input: must deliver the message exactly.
    if (input.size() < 4) return;
    const std::size_t hops = 1 + input[0] % sphinx::MAX_PATH_LENGTH;
    const std::size_t payload = sphinx::MIN_PAYLOAD_SIZE + (static_cast<std::size_t>(input[1]) << 2 | (input[2] & 3));
    const auto message = input.subspan(3, std::min(input.size() - 3, sphinx::max_message_size(payload)));
    crypto::DeterministicRng rng(input[0] * 65536ULL + input[1] * 256ULL + input[2]);
    std::vector<crypto::X25519SecretKey> keys;
    std::vector<sphinx::RouteNode> route;
    for (std::size_t i = 0; i < hops; ++i) {
        keys.push_back(crypto::X25519SecretKey::generate(rng));
        route.push_back({sphinx::NodeAddress{}, keys.back().public_key()});
        rng.fill(route.back().address.bytes);
    }
    const auto delays = sphinx::generate_delays(rng, hops, sphinx::Delay(rng.next_u64() >> 20));
    sphinx::DestinationAddress destination;
    rng.fill(destination.bytes);
    auto built = sphinx::build_packet(route, delays, destination, sphinx::SurbIdentifier{}, message, payload, rng);
    require(built.has_value());
    for (std::size_t i = 0; i < hops; ++i) {
        auto hop = sphinx::process_packet(*built, keys[i]);
        require(hop.has_value());
        if (i + 1 < hops) {
            require(hop->forward() != nullptr && hop->forward()->next_hop == route[i + 1].address &&
                    hop->forward()->delay == delays[i]);
        } else {
            const auto* fin = hop->final_hop();
            require(fin != nullptr && fin->destination == destination);
            require(std::equal(fin->message.begin(), fin->message.end(), message.begin(), message.end()));
        }
    }
}

NYM_FUZZ_TARGET(sphinx_surb) {
    auto surb = sphinx::Surb::parse(input);
    if (!surb) {
        check_error(surb.error());
        return;
    }
    require(surb->to_bytes() == std::vector<std::uint8_t>(input.begin(), input.end()));
    const std::uint8_t last = input.back();
    const std::size_t payload = sphinx::MIN_PAYLOAD_SIZE + last;
    const std::vector<std::uint8_t> message(last % 16, 0x61);
    auto used = surb->use(message, payload);
    require(used.has_value());
    require(used->packet.size() == sphinx::HEADER_SIZE + payload);
    require(used->first_hop == surb->first_hop());
    // The SURB seeds were made for the fuzz node key as first hop: process one hop if it verifies.
    auto hop = sphinx::process_packet(used->packet, fuzz_node_key());
    if (!hop) check_error(hop.error());
}
