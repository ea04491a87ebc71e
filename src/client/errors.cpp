#include <client/errors.hpp>

#include <string>

namespace nym::client {
namespace {

class ClientCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "nym.client"; }
    std::string message(int code) const override {
        switch (static_cast<Errc>(code)) {
        case Errc::invalid_address: return "invalid recipient address";
        case Errc::no_route: return "no route: the topology lacks a mix layer or this client's gateway";
        case Errc::message_too_large: return "message too large";
        case Errc::unknown_sender_tag: return "unknown sender tag";
        case Errc::no_reply_surbs: return "no reply SURBs left for this sender";
        case Errc::malformed_message: return "malformed message";
        case Errc::gateway_error: return "gateway error";
        case Errc::directory_error: return "directory error";
        case Errc::too_many_reply_surbs: return "too many reply SURBs requested (at most 500)";
        }
        return "unknown client error";
    }
};

} // namespace

const std::error_category& client_category() noexcept {
    static const ClientCategory category;
    return category;
}

} // namespace nym::client
