#include <chain/errors.hpp>
#include <string>

namespace nym::chain {
namespace {

class ChainCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "nym.chain"; }
    std::string message(int code) const override {
        switch (static_cast<Errc>(code)) {
        case Errc::unavailable:
            return "no ledger node answered";
        case Errc::rpc_error:
            return "the ledger node answered an error";
        case Errc::malformed_response:
            return "malformed answer from the ledger node";
        case Errc::not_found:
            return "not found on the ledger";
        case Errc::not_yet:
            return "not committed yet";
        case Errc::tx_rejected:
            return "transaction refused by the ledger";
        case Errc::timeout:
            return "timed out waiting for the ledger";
        case Errc::query_failed:
            return "ledger query failed";
        case Errc::credential_mismatch:
            return "the credential's disclosed value, kind or chain is not the expected one";
        case Errc::inconsistent_issuer_keys:
            return "the issuer verification keys are not shares of one key set";
        }
        return "unknown chain error";
    }
};

} // namespace

const std::error_category& chain_category() noexcept {
    static const ChainCategory category;
    return category;
}

} // namespace nym::chain
