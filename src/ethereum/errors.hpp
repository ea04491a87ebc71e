#pragma once
// Errors of nym::ethereum: decoding (RLP, ABI, hex quantities), JSON-RPC answers, and the steps of
// piping tokens. A Failure carries the code and what it is about (an RPC error's message, the field
// that was missing), for the log line that reports it.

#include <string>
#include <system_error>
#include <type_traits>

namespace nym::ethereum {

enum class Errc {
    invalid_quantity = 1, ///< not "0x" + hex digits, or more than 256 bits
    invalid_data,         ///< not "0x" + an even number of hex digits, or of the wrong length
    invalid_rlp,          ///< truncated, trailing bytes, or a non-canonical length or integer
    invalid_abi,          ///< ABI data of the wrong size or shape
    malformed_response,   ///< a JSON-RPC answer that is not JSON-RPC 2.0, or lacks a field
    rpc_error,            ///< the node answered with a JSON-RPC error object
    http_error,           ///< an HTTP status other than 200
    network,              ///< the node could not be reached (connection refused, timeout)
    inconsistent_chain,   ///< the node contradicted itself (a block it announced is missing, a hash differs)
    overflow,             ///< an amount beyond what the target type holds
    transaction_failed,   ///< a mined transaction with status 0
    insufficient_tokens,  ///< the sender holds fewer tokens than it asked to transfer
    timed_out,            ///< a wait (receipt, confirmations, credit) exceeded its limit
    key_error,            ///< an account key file that is missing, malformed or readable by others
};

const std::error_category& ethereum_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), ethereum_category()};
}

/// An error and its detail ("nonce too low", "field 'logIndex'").
struct Failure {
    std::error_code code;
    std::string detail;

    Failure() = default;
    Failure(std::error_code c, std::string d = {}) : code(c), detail(std::move(d)) {}       // NOLINT: implicit
    Failure(Errc e, std::string d = {}) : code(make_error_code(e)), detail(std::move(d)) {} // NOLINT: implicit
    /// "<what the code means>: <detail>" (or the code alone).
    [[nodiscard]] std::string message() const;
    friend bool operator==(const Failure& f, Errc e) noexcept { return f.code == make_error_code(e); }
};

} // namespace nym::ethereum

template <>
struct std::is_error_code_enum<nym::ethereum::Errc> : std::true_type {};
