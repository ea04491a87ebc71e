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
        case Errc::config_missing: return "client config file not found";
        case Errc::config_exists: return "client already initialised (use --force to overwrite)";
        case Errc::invalid_config: return "invalid client config";
        case Errc::key_file_error: return "key file could not be read or written";
        case Errc::io_error: return "file or folder could not be created or written";
        case Errc::no_home: return "HOME is not set (pass --root)";
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
