#include <ethereum/errors.hpp>

namespace nym::ethereum {
namespace {

class Category final : public std::error_category {
public:
    const char* name() const noexcept override { return "ethereum"; }
    std::string message(int value) const override {
        switch (static_cast<Errc>(value)) {
        case Errc::invalid_quantity:
            return "invalid hex quantity";
        case Errc::invalid_data:
            return "invalid hex data";
        case Errc::invalid_rlp:
            return "invalid RLP";
        case Errc::invalid_abi:
            return "invalid ABI data";
        case Errc::malformed_response:
            return "malformed JSON-RPC response";
        case Errc::rpc_error:
            return "JSON-RPC error";
        case Errc::http_error:
            return "HTTP error";
        case Errc::network:
            return "node unreachable";
        case Errc::inconsistent_chain:
            return "the node contradicted itself";
        case Errc::overflow:
            return "amount out of range";
        case Errc::transaction_failed:
            return "transaction failed";
        case Errc::insufficient_tokens:
            return "not enough tokens";
        case Errc::timed_out:
            return "timed out";
        case Errc::key_error:
            return "account key error";
        }
        return "unknown ethereum error";
    }
};

} // namespace

const std::error_category& ethereum_category() noexcept {
    static const Category category;
    return category;
}

std::string Failure::message() const {
    std::string text = code.message();
    if (!detail.empty()) text += ": " + detail;
    return text;
}

} // namespace nym::ethereum
