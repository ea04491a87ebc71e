#include <wire/errors.hpp>

#include <string>

namespace nym::wire {
namespace {

class WireCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "nym.wire"; }
    std::string message(int code) const override {
        switch (static_cast<Errc>(code)) {
        case Errc::invalid_json: return "malformed JSON";
        case Errc::oversized: return "message or field too large";
        case Errc::missing_field: return "missing required field";
        case Errc::wrong_type: return "field has the wrong JSON type";
        case Errc::invalid_key: return "key is not base58 of 32 bytes";
        case Errc::invalid_layer: return "mix layer must be 1, 2 or 3";
        case Errc::invalid_host: return "host must be host:port with a port in 1..65535";
        case Errc::invalid_value: return "invalid field value";
        case Errc::unsigned_message: return "message is not signed";
        case Errc::invalid_signature_encoding: return "signature is not base58 of 64 bytes";
        case Errc::bad_signature: return "signature does not verify";
        case Errc::missing_key_proof: return "no proof of possession of the Sphinx key (sphinxKeyProof)";
        case Errc::bad_key_proof: return "the proof of possession of the Sphinx key does not verify";
        }
        return "unknown wire error";
    }
};

} // namespace

const std::error_category& wire_category() noexcept {
    static const WireCategory category;
    return category;
}

} // namespace nym::wire
