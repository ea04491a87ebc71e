#pragma once
// Helpers shared by the Sphinx unit tests.

#include <crypto/rng.hpp>
#include <crypto/x25519.hpp>
#include <sphinx/sphinx.hpp>
#include <util/hex.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace nym::sphinx::test {

using Bytes = std::vector<std::uint8_t>;

inline Bytes hex(std::string_view text) {
    auto bytes = util::from_hex(text);
    EXPECT_TRUE(bytes.has_value()) << "bad hex in test data: " << text.substr(0, 40);
    return bytes ? *bytes : Bytes{};
}

template <std::size_t N>
std::array<std::uint8_t, N> hex_array(std::string_view text) {
    std::array<std::uint8_t, N> out{};
    EXPECT_TRUE(util::from_hex_into(text, out).has_value()) << "bad hex of " << N << " bytes: " << text.substr(0, 40);
    return out;
}

inline Bytes random_bytes(crypto::Rng& rng, std::size_t n) {
    Bytes b(n);
    rng.fill(b);
    return b;
}

/// A route of `hops` nodes with fresh keys, addresses 10.0.0.i:1789, and random delays.
struct TestRoute {
    std::vector<crypto::X25519SecretKey> keys;
    std::vector<RouteNode> nodes;
    std::vector<Delay> delays;
    DestinationAddress destination;
    SurbIdentifier surb_id;

    TestRoute(crypto::Rng& rng, std::size_t hops) {
        for (std::size_t i = 0; i < hops; ++i) {
            keys.push_back(crypto::X25519SecretKey::generate(rng));
            RouteNode node;
            node.address = encode_node_address(IpEndpoint::v4({10, 0, 0, static_cast<std::uint8_t>(i + 1)}, 1789));
            node.public_key = keys.back().public_key();
            nodes.push_back(node);
            delays.push_back(Delay(rng.next_u64()));
        }
        rng.fill(destination.bytes);
        rng.fill(surb_id.bytes);
    }
};

/// What the last hop delivered, or the first error and the hop where it happened.
struct RouteOutcome {
    std::error_code error;
    std::size_t failed_hop = 0;
    Bytes message;
    DestinationAddress destination;
    SurbIdentifier surb_id;
    std::vector<ForwardHop> forwards;
};

/// Processes `packet` hop by hop with `keys`, checking each forward address against the next node.
inline RouteOutcome run_route(Bytes packet, const TestRoute& route) {
    RouteOutcome out;
    for (std::size_t i = 0; i < route.keys.size(); ++i) {
        auto result = process_packet(packet, route.keys[i]);
        if (!result) {
            out.error = result.error();
            out.failed_hop = i;
            return out;
        }
        const bool last = i + 1 == route.keys.size();
        if (last) {
            const FinalHop* final_hop = result->final_hop();
            if (final_hop == nullptr) {
                ADD_FAILURE() << "last hop got a forward instruction";
                out.error = make_error_code(Errc::invalid_routing_flag);
                return out;
            }
            out.message.assign(final_hop->message.begin(), final_hop->message.end());
            out.destination = final_hop->destination;
            out.surb_id = final_hop->surb_id;
        } else {
            const ForwardHop* forward = result->forward();
            if (forward == nullptr) {
                ADD_FAILURE() << "hop " << i << " of " << route.keys.size() << " got a final instruction";
                out.error = make_error_code(Errc::invalid_routing_flag);
                return out;
            }
            EXPECT_EQ(forward->next_hop, route.nodes[i + 1].address);
            out.forwards.push_back(*forward);
        }
    }
    return out;
}

} // namespace nym::sphinx::test
