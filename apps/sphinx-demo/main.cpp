// sphinx-demo: builds one Nym regular-size Sphinx packet for 3 mix nodes and a gateway, then unwraps
// it hop by hop, printing what each hop learns. Usage: sphinx-demo [message...]

#include <crypto/base58.hpp>
#include <crypto/rng.hpp>
#include <crypto/x25519.hpp>
#include <sphinx/sphinx.hpp>
#include <util/hex.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace nym;

struct Hop {
    const char* role;
    sphinx::IpEndpoint endpoint;
    crypto::X25519SecretKey key;
};

std::string ms(sphinx::Delay d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f ms", static_cast<double>(d.nanos()) / 1e6);
    return buf;
}

std::string short_hex(std::span<const std::uint8_t> bytes) { return util::to_hex(bytes.first(8)) + "…"; }

std::string address_text(const sphinx::NodeAddress& address) {
    auto endpoint = sphinx::decode_node_address(address);
    return endpoint ? endpoint->to_string() : "<undecodable " + short_hex(address.bytes) + ">";
}

} // namespace

int main(int argc, char** argv) {
    std::string text = "Hello from the Sphinx demo!";
    if (argc == 2 && (std::string_view(argv[1]) == "--version" || std::string_view(argv[1]) == "--help")) {
        if (std::string_view(argv[1]) == "--version") std::printf("sphinx-demo %s\n", NYM_VERSION);
        else std::printf("usage: sphinx-demo [MESSAGE...]: one Sphinx packet built for three mix nodes and a gateway, "
                         "unwrapped hop by hop\n");
        return 0;
    }
    if (argc > 1) {
        text = argv[1];
        for (int i = 2; i < argc; ++i) text += std::string(" ") + argv[i];
    }
    crypto::Rng& rng = crypto::system_rng();
    const auto size = sphinx::PacketSize::regular;
    if (text.size() > sphinx::plaintext_size(size)) {
        std::fprintf(stderr, "message too long: %zu bytes, a regular packet carries at most %zu\n", text.size(),
                     sphinx::plaintext_size(size));
        return 1;
    }

    std::vector<Hop> hops;
    for (std::uint16_t port = 1789; port <= 1791; ++port)
        hops.push_back({"mixnode", sphinx::IpEndpoint::v4({127, 0, 0, 1}, port), crypto::X25519SecretKey::generate(rng)});
    hops.push_back({"gateway", sphinx::IpEndpoint::v4({127, 0, 0, 1}, 1792), crypto::X25519SecretKey::generate(rng)});

    std::vector<sphinx::RouteNode> route;
    std::printf("Sphinx demo: one Nym \"%s\" packet (%zu bytes) through 3 mix nodes and a gateway\n\n",
                std::string(sphinx::to_string(size)).c_str(), sphinx::packet_size(size));
    std::printf("Route (X25519 keys from the system RNG):\n");
    for (std::size_t i = 0; i < hops.size(); ++i) {
        route.push_back({sphinx::encode_node_address(hops[i].endpoint), hops[i].key.public_key()});
        std::printf("  hop %zu  %s  %-15s  public key %s\n", i + 1, hops[i].role, hops[i].endpoint.to_string().c_str(),
                    crypto::base58_encode(route.back().public_key.bytes).c_str());
    }

    const auto delays = sphinx::generate_delays(rng, hops.size(), sphinx::Delay(50'000'000));
    std::printf("Delays (exponential, mean 50 ms):");
    for (std::size_t i = 0; i + 1 < delays.size(); ++i) std::printf(" %s%s", ms(delays[i]).c_str(), i + 2 < delays.size() ? "," : "");
    std::printf("  (the gateway's is never encoded)\n");

    sphinx::DestinationAddress destination;
    rng.fill(destination.bytes);
    const std::string destination_b58 = crypto::base58_encode(destination.bytes);
    std::printf("Destination: %s\nMessage (%zu bytes): \"%s\"\n\n", destination_b58.c_str(), text.size(), text.c_str());

    const auto message = util::as_bytes(text);
    auto built = sphinx::build_packet(route, delays, destination, sphinx::SurbIdentifier{}, message,
                                      sphinx::payload_size(size), rng);
    if (!built) {
        std::fprintf(stderr, "cannot build the packet: %s\n", built.error().message().c_str());
        return 1;
    }
    std::vector<std::uint8_t> packet = std::move(*built);
    std::printf("Built %zu bytes = header %zu (alpha %s) + payload %zu; sending to %s\n\n", packet.size(),
                sphinx::HEADER_SIZE, short_hex(std::span(packet).first(32)).c_str(), sphinx::payload_size(size),
                hops[0].endpoint.to_string().c_str());

    for (std::size_t i = 0; i < hops.size(); ++i) {
        const auto start = std::chrono::steady_clock::now();
        auto result = sphinx::process_packet(packet, hops[i].key);
        const auto micros = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
        std::printf("hop %zu %s %s (%.0f µs, replay tag %s)\n", i + 1, hops[i].role,
                    hops[i].endpoint.to_string().c_str(), micros,
                    result ? short_hex(result->replay_tag.bytes).c_str() : "-");
        if (!result) {
            std::printf("  rejected: %s\n", result.error().message().c_str());
            return 1;
        }
        if (const auto* forward = result->forward()) {
            std::printf("  learns only: forward to %s after %s\n", address_text(forward->next_hop).c_str(),
                        ms(forward->delay).c_str());
        } else if (const auto* final_hop = result->final_hop()) {
            const std::string received(final_hop->message.begin(), final_hop->message.end());
            std::printf("  final hop; destination %s (%s)\n", crypto::base58_encode(final_hop->destination.bytes).c_str(),
                        final_hop->destination == destination ? "as addressed" : "MISMATCH");
            std::printf("  message: \"%s\"\n", received.c_str());
            return received == text ? 0 : 1;
        }
    }
    std::printf("the packet never reached a final hop\n");
    return 1;
}
