#pragma once

#include <system_error>
#include <type_traits>

namespace nym::crypto {

/// Errors of the crypto layer. Every one is an input error the caller handles, never a crash.
enum class Errc {
    invalid_length = 1,   ///< a key, nonce or buffer of the wrong size
    low_order_point,      ///< an X25519 point of small order (the shared secret would be all zeros)
    invalid_point,        ///< an encoding that is not a valid group element
    invalid_signature,    ///< an Ed25519 signature that does not verify
    invalid_base58,       ///< a character outside the base58 alphabet
    invalid_pem,          ///< PEM text without the expected armour, label or body
    pem_label_mismatch,   ///< a PEM block of another key type than asked for
    io_error,             ///< a key file could not be read or written
    insecure_permissions, ///< a secret key file readable by group or others
    internal,             ///< a library call failed where it cannot for valid input
    invalid_secret_key,   ///< a secp256k1 secret key of zero or not below the group order n
    invalid_recovery_id,  ///< a recoverable signature whose v is not 0 or 1
    high_s,               ///< an ECDSA signature with s > n/2 (the malleable twin of a canonical one)
    invalid_hex,          ///< hex text that is not an address (wrong length, bad digit, bad EIP-55 checksum)
};

const std::error_category& crypto_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), crypto_category()}; }

} // namespace nym::crypto

template <>
struct std::is_error_code_enum<nym::crypto::Errc> : std::true_type {};
