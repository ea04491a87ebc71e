#include <gateway/errors.hpp>

#include <string>

namespace nym::gateway {
namespace {

class GatewayCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "nym.gateway"; }
    std::string message(int code) const override {
        switch (static_cast<Errc>(code)) {
        case Errc::database_error: return "message database error";
        case Errc::insecure_permissions: return "database file permissions could not be restricted to the owner";
        case Errc::quota_exceeded_count: return "client message-count quota exceeded";
        case Errc::quota_exceeded_bytes: return "client storage quota (bytes) exceeded";
        case Errc::message_too_large: return "message larger than the store accepts";
        case Errc::unknown_client: return "no registered client with this address";
        case Errc::database_corrupt:
            return "the message database is corrupt (PRAGMA quick_check failed); restore a backup or move the file away";
        case Errc::low_disk_space: return "free disk space is below the message store's reserve";
        }
        return "unknown gateway error";
    }
};

} // namespace

const std::error_category& gateway_category() noexcept {
    static const GatewayCategory category;
    return category;
}

} // namespace nym::gateway
