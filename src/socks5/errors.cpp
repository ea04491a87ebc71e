#include <socks5/errors.hpp>
#include <string>

namespace nym::socks5 {
namespace {

class Socks5Category final : public std::error_category {
public:
    const char* name() const noexcept override { return "nym.socks5"; }
    std::string message(int code) const override {
        switch (static_cast<Errc>(code)) {
        case Errc::truncated:
            return "truncated message";
        case Errc::unsupported_version:
            return "unsupported protocol version";
        case Errc::no_acceptable_method:
            return "no acceptable SOCKS5 authentication method (only 'no authentication')";
        case Errc::unsupported_command:
            return "unsupported SOCKS command (only CONNECT)";
        case Errc::unsupported_address:
            return "unsupported address type";
        case Errc::invalid_address:
            return "invalid destination address";
        case Errc::unknown_message_type:
            return "unknown stream message type";
        case Errc::invalid_field:
            return "invalid field value";
        case Errc::trailing_bytes:
            return "trailing bytes after the message";
        case Errc::window_exceeded:
            return "the peer sent beyond its flow-control window";
        case Errc::sequence_out_of_range:
            return "sequence number out of range";
        }
        return "unknown socks5 error";
    }
};

} // namespace

const std::error_category& socks5_category() noexcept {
    static const Socks5Category category;
    return category;
}

} // namespace nym::socks5
