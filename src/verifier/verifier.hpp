#pragma once
// The verifier's work without I/O: which deposits a committed block holds, the verdict on each,
// and which answers from the ledger make a vote final. The daemon (daemon.hpp) fetches blocks,
// judges deposits on its workers, broadcasts the votes and waits for them to be committed.

#include <coconut/scheme.hpp>
#include <ledger/tx.hpp>

#include <chain/events.hpp>
#include <chain/rpc.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace nym::verifier {

/// The credential deposits of a block's successful transactions, in block order.
[[nodiscard]] std::vector<chain::CredentialDeposited> deposits(const chain::BlockResults& block);

struct Verdict {
    bool valid = false;
    std::string reason; ///< why invalid (empty when valid)
};

/// Verifies a deposited spend: it decodes, its zeta is the one the ledger recorded, and it passes
/// chain::verify_credential_spend for the depositing provider and its value on this chain (the
/// spend's own nonce is the one the provider chose). Thread-safe.
[[nodiscard]] Verdict judge(const coconut::VerificationKey& aggregate, const chain::CredentialDeposited& deposit,
                            std::string_view chain_id);

/// The vote on a deposit: the signature covers provider, value, zeta, deposit height and verdict.
[[nodiscard]] ledger::VerifierVote vote(const chain::CredentialDeposited& deposit, const Verdict& verdict);

/// Whether the ledger's answer to a vote (CheckTx's or the committed result's code) settles it:
/// counted (0), or nothing left to vote on (already voted, no such deposit any more, a deposit that
/// was replaced). Anything else (wrong_nonce, ...) means the vote must be sent again.
[[nodiscard]] bool vote_settled(std::uint32_t code) noexcept;

} // namespace nym::verifier
