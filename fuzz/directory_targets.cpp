// Fuzz targets over the directory's wire parsers (src/wire/directory.hpp): whatever the bytes, a
// parser returns a value or a typed error, and whatever it accepts serializes and re-parses to the
// same value.
#include "fuzz.hpp"

#include <wire/directory.hpp>

#include <cstdlib>
#include <string_view>

namespace {

template <class T, class Parse>
void round_trip(std::string_view text, Parse parse) {
    auto parsed = parse(text);
    if (!parsed) return;
    auto again = parse(nym::wire::directory::to_json(*parsed));
    if (!again || !(*again == *parsed)) std::abort();
}

} // namespace

// The first byte picks the parser, so one corpus covers every message of the directory API.
NYM_FUZZ_TARGET(directory_heartbeat) {
    if (input.empty()) return;
    const std::string_view text(reinterpret_cast<const char*>(input.data() + 1), input.size() - 1);
    switch (input[0] % 5) {
    case 0: round_trip<nym::wire::directory::MixnodeHeartbeat>(text, nym::wire::directory::parse_mixnode_heartbeat); break;
    case 1: round_trip<nym::wire::directory::GatewayHeartbeat>(text, nym::wire::directory::parse_gateway_heartbeat); break;
    case 2: round_trip<nym::wire::directory::MixMetric>(text, nym::wire::directory::parse_mix_metric); break;
    case 3: round_trip<nym::wire::directory::Topology>(text, nym::wire::directory::parse_topology); break;
    default: {
        auto metrics = nym::wire::directory::parse_mix_metrics(text);
        if (metrics) {
            auto again = nym::wire::directory::parse_mix_metrics(nym::wire::directory::to_json(*metrics));
            if (!again || *again != *metrics) std::abort();
        }
        break;
    }
    }
    // Verification must be safe on anything that parsed (the signature is almost surely bad).
    if (auto h = nym::wire::directory::parse_mixnode_heartbeat(text)) (void)nym::wire::directory::verify(*h);
    if (auto g = nym::wire::directory::parse_gateway_heartbeat(text)) (void)nym::wire::directory::verify(*g);
}
