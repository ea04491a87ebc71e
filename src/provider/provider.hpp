#pragma once
// The provider's rules without I/O: spend nonces (random, single use, expiring, bounded), reading a
// spend request, the local check of a spend, and the decision on a deposit from the ledger's record
// of its zeta. The daemon (daemon.hpp) runs them around the ledger: query zeta, deposit, wait.

#include <coconut/scheme.hpp>
#include <coconut/show.hpp>
#include <crypto/rng.hpp>
#include <ledger/types.hpp>
#include <util/expected.hpp>

#include <chain/queries.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <wire/credentials.hpp>

namespace nym::provider {

using Clock = std::chrono::steady_clock;
using wire::credentials::Nonce;
using wire::credentials::SpendAnswer;
using wire::credentials::SpendOutcome;

/// Nonces this provider handed out for spends: each is accepted once, within its lifetime. At most
/// `capacity` are outstanding; beyond that the oldest are forgotten.
class NonceBook {
public:
    explicit NonceBook(std::chrono::milliseconds lifetime, std::size_t capacity = 100'000);
    [[nodiscard]] Nonce issue(crypto::Rng& rng, Clock::time_point now);
    /// True once for a nonce that was issued and has not expired; it is used up either way.
    [[nodiscard]] bool take(const Nonce& nonce, Clock::time_point now);
    [[nodiscard]] std::size_t outstanding() const noexcept { return m_expiry.size(); }
    [[nodiscard]] std::chrono::milliseconds lifetime() const noexcept { return m_lifetime; }

private:
    void forget_expired(Clock::time_point now);
    std::chrono::milliseconds m_lifetime;
    std::size_t m_capacity;
    std::map<Nonce, Clock::time_point> m_expiry;
    std::deque<std::pair<Clock::time_point, Nonce>> m_order;
};

/// A spend as presented: the request and its decoded spend.
struct Presented {
    wire::credentials::SpendRequest request;
    coconut::SpendTheta spend;
    ledger::G1Bytes zeta{};
};

/// Parses a POST /api/spend body and decodes the spend; the message is for a 400 answer.
[[nodiscard]] Expected<Presented, std::string> read_spend(std::string_view body);

/// The whole local check (chain::verify_credential_spend) for this provider's address and the nonce
/// it handed out; the reason on failure. Thread-safe.
[[nodiscard]] Expected<void, std::string> check_spend(const coconut::VerificationKey& aggregate,
                                                      const Presented& presented, const ledger::Address& provider,
                                                      std::string_view chain_id);

/// The outcome of our deposit (committed at `deposit_height`) from the ledger's record of its zeta:
/// accepted once the zeta is spent with us as provider at that deposit; refused when it was
/// refused (unspent again) or belongs to another deposit; nullopt while still being verified.
[[nodiscard]] std::optional<SpendAnswer> decide(const chain::ZetaState& state, const ledger::Address& provider,
                                                std::uint64_t deposit_height);

/// Refusal answers.
[[nodiscard]] SpendAnswer refused(const ledger::G1Bytes& zeta, std::string reason);
/// Before depositing: a zeta the ledger does not report as unspent is refused.
[[nodiscard]] std::optional<SpendAnswer> refuse_unless_unspent(const chain::ZetaState& state);

} // namespace nym::provider
