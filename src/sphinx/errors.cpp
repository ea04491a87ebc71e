#include <sphinx/errors.hpp>

#include <string>

namespace nym::sphinx {
namespace {

class SphinxCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "nym.sphinx"; }
    std::string message(int code) const override {
        switch (static_cast<Errc>(code)) {
        case Errc::invalid_packet_length: return "invalid sphinx packet length";
        case Errc::invalid_header_mac: return "header processing failure: failed to verify integrity MAC";
        case Errc::invalid_routing_flag: return "header processing failure: invalid routing flag";
        case Errc::invalid_payload: return "payload processing failure: malformed payload";
        case Errc::invalid_route_length: return "route must have between 1 and 5 hops";
        case Errc::invalid_delay_count: return "number of delays does not match the route";
        case Errc::message_too_long: return "message longer than the payload can carry";
        case Errc::payload_too_small: return "payload size below the 33-byte minimum";
        case Errc::invalid_group_element: return "group element of small order";
        case Errc::invalid_surb: return "malformed SURB";
        case Errc::invalid_padding_length: return "final hop padding has the wrong length for the route";
        case Errc::invalid_node_address: return "malformed node address";
        case Errc::unknown_packet_size: return "unknown packet size";
        }
        return "unknown sphinx error";
    }
};

} // namespace

const std::error_category& sphinx_category() noexcept {
    static const SphinxCategory category;
    return category;
}

} // namespace nym::sphinx
