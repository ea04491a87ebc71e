#include <util/hex.hpp>

#include <chain/credential.hpp>
#include <chain/errors.hpp>
#include <set>

namespace nym::chain {

const coconut::Parameters& credential_parameters() {
    static const coconut::Parameters params = *coconut::Parameters::setup(CREDENTIAL_ATTRIBUTES);
    return params;
}

coconut::Attribute kind_attribute() {
    return coconut::hash_to_attribute(util::as_bytes(CREDENTIAL_KIND));
}

coconut::Attribute chain_attribute(std::string_view chain_id) {
    std::string text(CHAIN_ATTRIBUTE_PREFIX);
    text += chain_id;
    return coconut::hash_to_attribute(util::as_bytes(text));
}

std::vector<coconut::Attribute> public_attributes(std::uint64_t value, std::string_view chain_id) {
    return {coconut::Scalar::from_u64(value), kind_attribute(), chain_attribute(chain_id)};
}

coconut::ShowPolicy spend_policy() noexcept {
    return coconut::ShowPolicy{CREDENTIAL_ATTRIBUTES, std::span<const std::size_t>(DISCLOSED_ATTRIBUTES)};
}

Expected<void> verify_credential_spend(const coconut::VerificationKey& aggregate_key, const coconut::SpendTheta& spend,
                                       const ledger::Address& provider,
                                       std::span<const std::uint8_t, coconut::SPEND_NONCE_SIZE> expected_nonce,
                                       std::uint64_t value, std::string_view chain_id) {
    if (auto ok = coconut::verify_spend(credential_parameters(), aggregate_key, spend, provider.bytes, expected_nonce,
                                        spend_policy());
        !ok)
        return ok;
    // The policy guarantees exactly the disclosed indices 2, 3, 4 (ascending, no others: the other
    // two are hidden since m = 5 and the serial may never be disclosed).
    const auto expected = public_attributes(value, chain_id);
    if (spend.theta.disclosed.size() != expected.size()) return fail(Errc::credential_mismatch);
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const auto& d = spend.theta.disclosed[i];
        if (d.index != DISCLOSED_ATTRIBUTES[i] || !(d.value == expected[i])) return fail(Errc::credential_mismatch);
    }
    return {};
}

Expected<coconut::VerificationKey> aggregate_issuer_keys(std::span<const coconut::VerificationKey> keys,
                                                         std::size_t threshold) {
    if (threshold == 0 || keys.size() < threshold) return fail(coconut::Errc::not_enough_shares);
    for (const auto& k : keys)
        if (k.betas.size() != CREDENTIAL_ATTRIBUTES) return fail(coconut::Errc::attribute_count_mismatch);
    auto first = coconut::aggregate_verification_keys(keys.first(threshold), threshold);
    if (!first) return first;
    // Every other key must lie on the same polynomials: replacing one key of the first subset by it
    // must not change the aggregate. (n - t checks, each a t-key aggregation.)
    std::vector<coconut::VerificationKey> subset(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(threshold));
    for (std::size_t i = threshold; i < keys.size(); ++i) {
        subset.back() = keys[i];
        auto other = coconut::aggregate_verification_keys(subset, threshold);
        if (!other) return other;
        if (!(*other == *first)) return fail(Errc::inconsistent_issuer_keys);
    }
    return first;
}

} // namespace nym::chain
