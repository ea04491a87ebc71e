#include <coconut/errors.hpp>

#include <bls/bls.hpp>

#include <string>

namespace nym::coconut {
namespace {

class CoconutCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "nym.coconut"; }
    std::string message(int code) const override {
        switch (static_cast<Errc>(code)) {
        case Errc::invalid_encoding: return "invalid encoding";
        case Errc::truncated: return "input is truncated";
        case Errc::trailing_bytes: return "trailing bytes after the object";
        case Errc::not_on_curve: return "point is not on the curve";
        case Errc::not_in_subgroup: return "point is not in the prime-order subgroup";
        case Errc::identity_point: return "identity point not allowed";
        case Errc::scalar_out_of_range: return "scalar is not reduced modulo r";
        case Errc::invalid_parameters: return "invalid parameters";
        case Errc::attribute_count_mismatch: return "attribute count mismatch";
        case Errc::proof_invalid: return "zero-knowledge proof does not verify";
        case Errc::duplicate_index: return "duplicate signer index";
        case Errc::invalid_index: return "invalid signer index";
        case Errc::not_enough_shares: return "fewer shares than the threshold";
        case Errc::mismatched_shares: return "signature shares of different requests";
        case Errc::verification_failed: return "verification failed";
        case Errc::invalid_share: return "a signer's share does not verify under its key";
        case Errc::nonce_mismatch: return "the spend nonce is not the one the verifier expected";
        case Errc::disclosure_mismatch: return "a required attribute is not disclosed";
        }
        return "unknown coconut error";
    }
};

} // namespace

const std::error_category& coconut_category() noexcept {
    static const CoconutCategory category;
    return category;
}

std::error_code from_bls_error(const std::error_code& e) noexcept {
    if (e.category() != bls::bls_category()) return e;
    switch (static_cast<bls::Errc>(e.value())) {
    case bls::Errc::invalid_encoding: return make_error_code(Errc::invalid_encoding);
    case bls::Errc::not_on_curve: return make_error_code(Errc::not_on_curve);
    case bls::Errc::not_in_subgroup: return make_error_code(Errc::not_in_subgroup);
    case bls::Errc::identity_point: return make_error_code(Errc::identity_point);
    case bls::Errc::scalar_out_of_range: return make_error_code(Errc::scalar_out_of_range);
    }
    return make_error_code(Errc::invalid_encoding);
}

} // namespace nym::coconut
