#pragma once
// The ledger's credential events (docs/protocol/ledger.md §4) as typed values, read from the
// events of a block's transaction results. A reader returns nullopt for another event type and for
// an event of its type whose attributes do not parse (which a correct ledger never emits).

#include <ledger/types.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace nym::chain {

using ledger::Address;
using ledger::G1Bytes;

/// `credential_request`: what the issuers sign.
struct CredentialRequested {
    Address account;
    std::uint64_t value = 0;
    std::uint64_t height = 0;
    G1Bytes gamma{};
    ledger::Bytes request; ///< coconut::BlindSignRequest encoding
};

/// `credential_deposit`: what the verifiers check.
struct CredentialDeposited {
    Address provider;
    std::uint64_t value = 0;
    G1Bytes zeta{};
    std::uint64_t deposit_height = 0;
    ledger::Bytes spend; ///< coconut::SpendTheta encoding
};

/// `verifier_vote`.
struct VoteCast {
    Address verifier;
    G1Bytes zeta{};
    Address provider;
    std::uint64_t value = 0;
    bool valid = false;
};

/// `credential_spent` (spent = true) or `credential_refused` (spent = false).
struct DepositDecided {
    G1Bytes zeta{};
    Address provider;
    std::uint64_t value = 0;
    std::uint64_t deposit_height = 0;
    bool spent = false;
};

[[nodiscard]] std::optional<CredentialRequested> read_credential_request(const ledger::Event& event);
[[nodiscard]] std::optional<CredentialDeposited> read_credential_deposit(const ledger::Event& event);
[[nodiscard]] std::optional<VoteCast> read_verifier_vote(const ledger::Event& event);
[[nodiscard]] std::optional<DepositDecided> read_deposit_decision(const ledger::Event& event);

} // namespace nym::chain
