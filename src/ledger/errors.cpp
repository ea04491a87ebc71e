#include <ledger/errors.hpp>

#include <string>

namespace nym::ledger {
namespace {

class LedgerCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "nym.ledger"; }
    std::string message(int code) const override {
        switch (static_cast<Errc>(code)) {
        case Errc::malformed_tx:
            return "malformed transaction";
        case Errc::unsupported_version:
            return "unsupported transaction format version";
        case Errc::unknown_tx_type:
            return "unknown transaction type";
        case Errc::tx_too_large:
            return "transaction too large";
        case Errc::invalid_signature:
            return "invalid signature or signer";
        case Errc::invalid_amount:
            return "amount must be positive";
        case Errc::invalid_credential_request:
            return "invalid credential request";
        case Errc::invalid_spend:
            return "invalid credential spend";
        case Errc::wrong_nonce:
            return "wrong nonce (replayed or out of order)";
        case Errc::insufficient_balance:
            return "insufficient balance";
        case Errc::balance_overflow:
            return "balance would overflow";
        case Errc::not_a_watcher:
            return "signer is not a registered Ethereum watcher";
        case Errc::not_a_verifier:
            return "signer is not a registered credential verifier";
        case Errc::invalid_pipe_account:
            return "notice for another pipe account";
        case Errc::already_voted:
            return "already voted";
        case Errc::already_credited:
            return "transfer already credited";
        case Errc::duplicate_credential_request:
            return "a credential request with this gamma is already in this block";
        case Errc::double_spend:
            return "credential already spent";
        case Errc::zeta_being_verified:
            return "credential already deposited and being verified";
        case Errc::zeta_not_being_verified:
            return "no deposit of this credential is being verified";
        case Errc::vote_mismatch:
            return "vote does not match the deposit";
        case Errc::invalid_genesis:
            return "invalid genesis app_state";
        case Errc::chain_id_mismatch:
            return "chain id differs from app_state's";
        case Errc::not_initialized:
            return "ledger not initialised (no InitChain)";
        case Errc::already_initialized:
            return "ledger already has committed blocks";
        case Errc::wrong_height:
            return "block is not the next height";
        case Errc::block_pending:
            return "a finalized block awaits commit";
        case Errc::nothing_to_commit:
            return "no finalized block to commit";
        case Errc::state_corrupt:
            return "stored state is corrupt";
        case Errc::ledger_failed:
            return "ledger failed earlier; restart required";
        case Errc::unknown_query_path:
            return "unknown query path";
        case Errc::malformed_query:
            return "malformed query data";
        case Errc::not_found:
            return "not found";
        case Errc::height_unavailable:
            return "only the last committed height can be queried";
        }
        return "unknown ledger error";
    }
};

} // namespace

const std::error_category& ledger_category() noexcept {
    static const LedgerCategory category;
    return category;
}

std::uint32_t abci_code(const std::error_code& e) noexcept {
    if (!e) return 0;
    if (e.category() == ledger_category()) return static_cast<std::uint32_t>(e.value());
    return static_cast<std::uint32_t>(Errc::ledger_failed);
}

} // namespace nym::ledger
