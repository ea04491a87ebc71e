#include <directory/errors.hpp>

#include <string>

namespace nym::directory {
namespace {

class DirectoryCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "nym.directory"; }
    std::string message(int code) const override {
        switch (static_cast<Errc>(code)) {
        case Errc::clock_skew: return "timestamp too far from the directory's clock";
        case Errc::replayed: return "timestamp not newer than the last accepted one (replay)";
        case Errc::identity_conflict: return "host or sphinx key is registered to another identity";
        case Errc::role_conflict: return "identity is registered with another role";
        case Errc::registry_full: return "directory is full";
        case Errc::unknown_node: return "no registered mix node has this key";
        case Errc::rate_limited: return "too many new identities from this address; try again later";
        case Errc::foreign_host: return "the announced address is not the address the heartbeat came from";
        case Errc::chain_param_unknown:
            return "query parameter not accepted by this validator RPC method";
        case Errc::chain_param_invalid:
            return "query parameter must be a decimal number from 1 to 2^63-1";
        case Errc::service_url_invalid:
            return "not a service base URL (use http://host:port or https://host:port, no query)";
        }
        return "unknown directory error";
    }
};

} // namespace

const std::error_category& directory_category() noexcept {
    static const DirectoryCategory category;
    return category;
}

} // namespace nym::directory
