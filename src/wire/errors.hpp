#pragma once
// Errors of the wire layer: every way a message received from the network can be refused.

#include <system_error>
#include <type_traits>

namespace nym::wire {

enum class Errc {
    invalid_json = 1,  ///< not JSON text at all (or not an object where one is required)
    oversized,         ///< the text or one of its fields/lists is longer than the protocol allows
    missing_field,     ///< a required member is absent
    wrong_type,        ///< a member has the wrong JSON type (string for number, ...)
    invalid_key,       ///< a key is not base58 or does not decode to 32 bytes
    invalid_layer,     ///< a mix layer outside 1..3
    invalid_host,      ///< a host that is not "host:port" with a port in 1..65535
    invalid_value,     ///< any other out-of-range or malformed value (negative count, control chars, ...)
    unsigned_message,  ///< no "signature" member
    invalid_signature_encoding, ///< a signature that is not base58 of 64 bytes
    bad_signature,     ///< a well-formed signature that does not verify under the claimed identity key
    missing_key_proof, ///< no proof that the sender holds the Sphinx key it announces
    bad_key_proof,     ///< a proof of possession of the Sphinx key that does not verify
};

const std::error_category& wire_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), wire_category()}; }

} // namespace nym::wire

template <>
struct std::is_error_code_enum<nym::wire::Errc> : std::true_type {};
