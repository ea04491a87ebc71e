#include <chain/credential.hpp>
#include <provider/provider.hpp>

namespace nym::provider {

NonceBook::NonceBook(std::chrono::milliseconds lifetime, std::size_t capacity)
    : m_lifetime(lifetime), m_capacity(capacity == 0 ? 1 : capacity) {}

Nonce NonceBook::issue(crypto::Rng& rng, Clock::time_point now) {
    forget_expired(now);
    while (m_expiry.size() >= m_capacity && !m_order.empty()) {
        m_expiry.erase(m_order.front().second);
        m_order.pop_front();
    }
    Nonce nonce{};
    rng.fill(nonce);
    const auto expiry = now + m_lifetime;
    m_expiry[nonce] = expiry;
    m_order.emplace_back(expiry, nonce);
    return nonce;
}

bool NonceBook::take(const Nonce& nonce, Clock::time_point now) {
    forget_expired(now);
    auto it = m_expiry.find(nonce);
    if (it == m_expiry.end()) return false;
    const bool fresh = now < it->second;
    m_expiry.erase(it); // m_order keeps a stale entry, dropped when it expires
    return fresh;
}

void NonceBook::forget_expired(Clock::time_point now) {
    while (!m_order.empty() && m_order.front().first <= now) {
        auto it = m_expiry.find(m_order.front().second);
        if (it != m_expiry.end() && it->second == m_order.front().first) m_expiry.erase(it);
        m_order.pop_front();
    }
}

Expected<Presented, std::string> read_spend(std::string_view body) {
    auto request = wire::credentials::parse_spend_request(body);
    if (!request) return Unexpected(request.error());
    auto spend = coconut::SpendTheta::decode(request->spend);
    if (!spend) return Unexpected("'spend' is not a credential spend: " + spend.error().message());
    Presented p{std::move(*request), std::move(*spend), {}};
    p.zeta = p.spend.zeta_bytes();
    return p;
}

Expected<void, std::string> check_spend(const coconut::VerificationKey& aggregate, const Presented& presented,
                                        const ledger::Address& provider, std::string_view chain_id) {
    if (auto ok = chain::verify_credential_spend(aggregate, presented.spend, provider, presented.request.nonce,
                                                 presented.request.value, chain_id);
        !ok)
        return Unexpected("the credential does not verify: " + ok.error().message());
    return {};
}

SpendAnswer refused(const ledger::G1Bytes& zeta, std::string reason) {
    SpendAnswer a;
    a.outcome = SpendOutcome::refused;
    a.zeta = zeta;
    a.reason = std::move(reason);
    return a;
}

std::optional<SpendAnswer> refuse_unless_unspent(const chain::ZetaState& state) {
    switch (state.status) {
    case chain::ZetaStatus::unspent:
        return std::nullopt;
    case chain::ZetaStatus::being_verified:
        return refused(state.zeta, "this credential is already deposited and being verified");
    case chain::ZetaStatus::spent:
        return refused(state.zeta, "this credential is already spent");
    }
    return refused(state.zeta, "unknown credential state");
}

std::optional<SpendAnswer> decide(const chain::ZetaState& state, const ledger::Address& provider,
                                  std::uint64_t deposit_height) {
    if (state.answered_at < deposit_height) return std::nullopt; // a node that has not seen our deposit yet
    const bool ours = state.provider == provider && state.deposit_height == deposit_height;
    switch (state.status) {
    case chain::ZetaStatus::being_verified:
        if (ours) return std::nullopt;
        return refused(state.zeta, "the credential was deposited again by another deposit");
    case chain::ZetaStatus::spent:
        if (ours) {
            SpendAnswer a;
            a.outcome = SpendOutcome::accepted;
            a.zeta = state.zeta;
            a.deposit_height = deposit_height;
            return a;
        }
        return refused(state.zeta, "the credential was spent by another deposit");
    case chain::ZetaStatus::unspent:
        break;
    }
    auto a = refused(state.zeta, "the verifiers refused the credential");
    a.deposit_height = deposit_height;
    return a;
}

} // namespace nym::provider
