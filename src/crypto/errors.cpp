#include <crypto/errors.hpp>

#include <string>

namespace nym::crypto {
namespace {

class CryptoCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "nym.crypto"; }
    std::string message(int code) const override {
        switch (static_cast<Errc>(code)) {
        case Errc::invalid_length:
            return "invalid length";
        case Errc::low_order_point:
            return "point of small order";
        case Errc::invalid_point:
            return "invalid group element encoding";
        case Errc::invalid_signature:
            return "signature does not verify";
        case Errc::invalid_base58:
            return "invalid base58 character";
        case Errc::invalid_pem:
            return "malformed PEM";
        case Errc::pem_label_mismatch:
            return "PEM label does not match the expected key type";
        case Errc::io_error:
            return "key file could not be read or written";
        case Errc::insecure_permissions:
            return "secret key file is readable by group or others";
        case Errc::internal:
            return "internal crypto library failure";
        case Errc::invalid_secret_key:
            return "secret key is zero or not below the group order";
        case Errc::invalid_recovery_id:
            return "recovery id (v) is not 0 or 1";
        case Errc::high_s:
            return "signature s is above n/2 (not canonical)";
        case Errc::invalid_hex:
            return "malformed hex address or bad EIP-55 checksum";
        }
        return "unknown crypto error";
    }
};

} // namespace

const std::error_category& crypto_category() noexcept {
    static const CryptoCategory category;
    return category;
}

} // namespace nym::crypto
