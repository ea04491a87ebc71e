#pragma once
// The JSON of the credential services' HTTP APIs (docs/protocol/credentials.md): the issuers'
// (verification key, partial credentials by (height, gamma) and by block, status) and the
// providers' (info, spend nonce, spend, spend status). Pure values with their parse/serialize,
// shared by the servers and by nymclient, so both sides read and write the same bytes.
//
// Conventions: u64 values are decimal strings (parsers also take JSON integers); Coconut objects,
// points and nonces are lowercase hex without "0x" (parsers take either case); addresses are
// "0x" + 40 hex digits. Parse errors are messages naming the field, for 400 answers.

#include <crypto/secp256k1.hpp>
#include <util/expected.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nym::wire::credentials {

using Bytes = std::vector<std::uint8_t>;
inline constexpr std::size_t POINT_SIZE = 48;        ///< a compressed G1 point (gamma, zeta)
inline constexpr std::size_t NONCE_SIZE = 32;        ///< a spend nonce
inline constexpr std::size_t MAX_OBJECT_SIZE = 8192; ///< largest Coconut object a field may carry (bytes)
using Point = std::array<std::uint8_t, POINT_SIZE>;
using Nonce = std::array<std::uint8_t, NONCE_SIZE>;
using Address = crypto::EthereumAddress;

/// A parse error for a 400 answer: what is wrong, naming the field.
using ParseError = std::string;
template <class T>
using Parse = Expected<T, ParseError>;

// --- issuer ------------------------------------------------------------------------------------------

/// GET /api/verification-key
struct VerificationKeyInfo {
    std::uint64_t index = 0; ///< the issuer's signer index (1..n)
    std::string chain_id;
    Bytes verification_key; ///< coconut::VerificationKey encoding
    friend bool operator==(const VerificationKeyInfo&, const VerificationKeyInfo&) = default;
};

/// GET /api/status
struct IssuerStatus {
    std::uint64_t index = 0;
    std::string chain_id;
    std::uint64_t processed_height = 0; ///< every credential request up to this height is answered
    std::uint64_t issued = 0;
    std::uint64_t refused = 0;
    friend bool operator==(const IssuerStatus&, const IssuerStatus&) = default;
};

/// GET /api/partial-credential?height=H&gamma=G, and each entry of a block's list.
struct PartialCredential {
    std::uint64_t index = 0;
    std::uint64_t height = 0;
    Point gamma{};
    Bytes blinded_signature; ///< coconut::BlindedSignature encoding
    friend bool operator==(const PartialCredential&, const PartialCredential&) = default;
};

/// A request of the block the issuer would not sign (its proof does not verify).
struct RefusedRequest {
    Point gamma{};
    std::string reason;
    friend bool operator==(const RefusedRequest&, const RefusedRequest&) = default;
};

/// GET /api/block-credentials?height=H
struct BlockCredentials {
    std::uint64_t index = 0;
    std::uint64_t height = 0;
    std::vector<PartialCredential> issued;
    std::vector<RefusedRequest> refused;
    friend bool operator==(const BlockCredentials&, const BlockCredentials&) = default;
};

/// The query of a partial-credential lookup.
struct CredentialLookup {
    std::uint64_t height = 0;
    Point gamma{};
    friend bool operator==(const CredentialLookup&, const CredentialLookup&) = default;
};

[[nodiscard]] std::string to_json(const VerificationKeyInfo& v);
[[nodiscard]] std::string to_json(const IssuerStatus& v);
[[nodiscard]] std::string to_json(const PartialCredential& v);
[[nodiscard]] std::string to_json(const BlockCredentials& v);
[[nodiscard]] Parse<VerificationKeyInfo> parse_verification_key_info(std::string_view json);
[[nodiscard]] Parse<IssuerStatus> parse_issuer_status(std::string_view json);
[[nodiscard]] Parse<PartialCredential> parse_partial_credential(std::string_view json);
[[nodiscard]] Parse<BlockCredentials> parse_block_credentials(std::string_view json);

/// "height=H&gamma=G" (either order; no other parameter).
[[nodiscard]] Parse<CredentialLookup> parse_lookup_query(std::string_view query);
/// "height=H".
[[nodiscard]] Parse<std::uint64_t> parse_height_query(std::string_view query);
[[nodiscard]] std::string lookup_query(const CredentialLookup& lookup);

// --- provider ----------------------------------------------------------------------------------------

/// GET /api/info
struct ProviderInfo {
    Address address; ///< the address spends must be bound to
    std::string chain_id;
    std::uint64_t spend_timeout_ms = 0; ///< how long a spend waits for the verifiers at most
    friend bool operator==(const ProviderInfo&, const ProviderInfo&) = default;
};

/// POST /api/spend-nonce
struct SpendNonce {
    Nonce nonce{};
    std::uint64_t expires_in_ms = 0;
    friend bool operator==(const SpendNonce&, const SpendNonce&) = default;
};

/// POST /api/spend
struct SpendRequest {
    std::uint64_t value = 0;
    Nonce nonce{};
    Bytes spend; ///< coconut::SpendTheta encoding
    friend bool operator==(const SpendRequest&, const SpendRequest&) = default;
};

/// The provider's answer to a well-formed spend, and to GET /api/spend-status?zeta=Z.
enum class SpendOutcome {
    accepted, ///< the verifiers' threshold was reached: the provider was credited
    refused,  ///< refused (locally, by the ledger, or by the verifiers): see reason
    pending,  ///< deposited, no decision within the provider's time limit; ask spend-status later
};
struct SpendAnswer {
    SpendOutcome outcome = SpendOutcome::refused;
    Point zeta{};
    std::string reason;                          ///< why not accepted (empty when accepted)
    std::optional<std::uint64_t> deposit_height; ///< when deposited
    [[nodiscard]] bool accepted() const noexcept { return outcome == SpendOutcome::accepted; }
    friend bool operator==(const SpendAnswer&, const SpendAnswer&) = default;
};

[[nodiscard]] std::string to_json(const ProviderInfo& v);
[[nodiscard]] std::string to_json(const SpendNonce& v);
[[nodiscard]] std::string to_json(const SpendRequest& v);
[[nodiscard]] std::string to_json(const SpendAnswer& v);
[[nodiscard]] Parse<ProviderInfo> parse_provider_info(std::string_view json);
[[nodiscard]] Parse<SpendNonce> parse_spend_nonce(std::string_view json);
[[nodiscard]] Parse<SpendRequest> parse_spend_request(std::string_view json);
[[nodiscard]] Parse<SpendAnswer> parse_spend_answer(std::string_view json);
/// "zeta=Z".
[[nodiscard]] Parse<Point> parse_zeta_query(std::string_view query);
[[nodiscard]] std::string_view outcome_name(SpendOutcome outcome) noexcept;

} // namespace nym::wire::credentials
