#include <coconut/show.hpp>
#include <ledger/errors.hpp>

#include <chain/credential.hpp>
#include <verifier/verifier.hpp>

namespace nym::verifier {

std::vector<chain::CredentialDeposited> deposits(const chain::BlockResults& block) {
    std::vector<chain::CredentialDeposited> out;
    for (const auto& tx : block.txs) {
        if (!tx.ok()) continue;
        for (const auto& event : tx.events)
            if (auto d = chain::read_credential_deposit(event)) out.push_back(std::move(*d));
    }
    return out;
}

Verdict judge(const coconut::VerificationKey& aggregate, const chain::CredentialDeposited& deposit,
              std::string_view chain_id) {
    auto spend = coconut::SpendTheta::decode(deposit.spend);
    if (!spend) return {false, "the spend does not decode: " + spend.error().message()};
    if (spend->zeta_bytes() != deposit.zeta) return {false, "the spend's zeta is not the deposited zeta"};
    if (auto ok =
            chain::verify_credential_spend(aggregate, *spend, deposit.provider, spend->nonce, deposit.value, chain_id);
        !ok)
        return {false, ok.error().message()};
    return {true, {}};
}

ledger::VerifierVote vote(const chain::CredentialDeposited& deposit, const Verdict& verdict) {
    return ledger::VerifierVote{deposit.provider, deposit.value, deposit.zeta, deposit.deposit_height, verdict.valid};
}

bool vote_settled(std::uint32_t code) noexcept {
    using ledger::Errc;
    if (code == 0) return true;
    switch (static_cast<Errc>(code)) {
    case Errc::already_voted:
    case Errc::zeta_not_being_verified:
    case Errc::vote_mismatch:
    case Errc::not_a_verifier: // nothing a retry could change; logged by the daemon
        return true;
    default:
        return false;
    }
}

} // namespace nym::verifier
