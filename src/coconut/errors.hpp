#pragma once
// Errors of the Coconut library. Every one is an input or verification outcome, returned as a value.

#include <system_error>
#include <type_traits>

namespace nym::coconut {

enum class Errc {
    invalid_encoding = 1,     ///< a malformed field: bad flags, a count out of range, a non-ascending index list
    truncated,                ///< the input ends before the object does
    trailing_bytes,           ///< bytes left over after a complete object (oversized input)
    not_on_curve,             ///< a point encoding whose coordinates are not on BLS12-381
    not_in_subgroup,          ///< a point outside the prime-order subgroup
    identity_point,           ///< the identity where the scheme forbids it
    scalar_out_of_range,      ///< a scalar encoding >= r
    invalid_parameters,       ///< q, t or n out of range, no private attribute, a hidden serial, ...
    attribute_count_mismatch, ///< more attributes than the parameters or key support, or sizes that disagree
    proof_invalid,            ///< a zero-knowledge proof whose challenge does not recompute
    duplicate_index,          ///< the same signer index twice in one aggregation
    invalid_index,            ///< signer index 0 (reserved for the aggregate) or out of range
    not_enough_shares,        ///< fewer than threshold shares
    mismatched_shares,        ///< signature shares over different h (different requests)
    verification_failed,      ///< a pairing check (credential or signature) that does not hold
    invalid_share,            ///< an unblinded signature share that does not verify under its signer's key
    nonce_mismatch,           ///< a spend carrying another nonce than the verifier expected
    disclosure_mismatch,      ///< a show that does not disclose an attribute the verifier requires
};
// Key-file I/O errors are nym::crypto errors (io_error, invalid_pem, pem_label_mismatch,
// insecure_permissions), passed through unchanged.

const std::error_category& coconut_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), coconut_category()}; }

/// Maps an error of the BLS layer (nym::bls::Errc) onto this library's enum; other errors pass through.
std::error_code from_bls_error(const std::error_code& e) noexcept;

} // namespace nym::coconut

template <>
struct std::is_error_code_enum<nym::coconut::Errc> : std::true_type {};
