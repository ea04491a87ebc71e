#pragma once
// The credential the ledger sells (docs/protocol/credentials.md §1): five Coconut attributes, two
// private and three public, in this order:
//
//   0 serial         private  uniformly random; a spend reveals zeta = g1^serial (double-spend tag)
//   1 holder secret  private  uniformly random; never shown
//   2 value          public   Scalar(value): the ledger checks it equals the price paid
//   3 kind           public   hash_to_attribute(CREDENTIAL_KIND): what the credential is for
//   4 chain          public   hash_to_attribute(CHAIN_ATTRIBUTE_PREFIX || chain id): where it was bought
//
// A spend hides 0 and 1 and discloses 2, 3 and 4. The rule for accepting a deposited spend is one
// function, verify_credential_spend, used by providers and verifiers alike.

#include <coconut/scheme.hpp>
#include <coconut/show.hpp>
#include <ledger/types.hpp>
#include <util/expected.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace nym::chain {

inline constexpr std::size_t CREDENTIAL_ATTRIBUTES = 5;
inline constexpr std::size_t PRIVATE_ATTRIBUTES = 2;
inline constexpr std::size_t ATTRIBUTE_SERIAL = 0;
inline constexpr std::size_t ATTRIBUTE_HOLDER_SECRET = 1;
inline constexpr std::size_t ATTRIBUTE_VALUE = 2;
inline constexpr std::size_t ATTRIBUTE_KIND = 3;
inline constexpr std::size_t ATTRIBUTE_CHAIN = 4;
/// The attributes a spend discloses, ascending.
inline constexpr std::array<std::size_t, 3> DISCLOSED_ATTRIBUTES = {ATTRIBUTE_VALUE, ATTRIBUTE_KIND, ATTRIBUTE_CHAIN};
inline constexpr std::string_view CREDENTIAL_KIND = "nym-cpp/credential/service/v1";
inline constexpr std::string_view CHAIN_ATTRIBUTE_PREFIX = "nym-cpp/chain/";

/// The Coconut parameters for CREDENTIAL_ATTRIBUTES attributes (computed once).
[[nodiscard]] const coconut::Parameters& credential_parameters();

[[nodiscard]] coconut::Attribute kind_attribute();
[[nodiscard]] coconut::Attribute chain_attribute(std::string_view chain_id);
/// value, kind, chain: the public attributes of a credential request, in order.
[[nodiscard]] std::vector<coconut::Attribute> public_attributes(std::uint64_t value, std::string_view chain_id);
/// What a provider or verifier requires of a spend: 5 attributes, 2, 3 and 4 disclosed.
[[nodiscard]] coconut::ShowPolicy spend_policy() noexcept;

/// The whole check of a spend: the policy, the proof (bound to `provider` and `expected_nonce`)
/// under the issuers' aggregate key, then the disclosed value, kind and chain
/// (Errc::credential_mismatch). The caller checks zeta against the ledger.
[[nodiscard]] Expected<void>
verify_credential_spend(const coconut::VerificationKey& aggregate_key, const coconut::SpendTheta& spend,
                        const ledger::Address& provider,
                        std::span<const std::uint8_t, coconut::SPEND_NONCE_SIZE> expected_nonce, std::uint64_t value,
                        std::string_view chain_id);

/// The issuers' aggregate verification key from their keys (at least `threshold`, distinct
/// indices, all of CREDENTIAL_ATTRIBUTES attributes). With more than `threshold` keys, every subset
/// of `threshold` keys must give the same aggregate (Errc::inconsistent_issuer_keys otherwise), so a
/// key from outside the dealer's set is found at start-up rather than silently used.
[[nodiscard]] Expected<coconut::VerificationKey> aggregate_issuer_keys(std::span<const coconut::VerificationKey> keys,
                                                                       std::size_t threshold);

} // namespace nym::chain
