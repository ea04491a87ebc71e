#pragma once
// The chain's parameters, fixed at genesis by app_state (docs/protocol/ledger.md, "Genesis"):
// the chain id, the pipe account, the registered Ethereum watchers and credential verifiers with
// their thresholds, and the credential issuers' Coconut verification keys with their threshold.

#include <coconut/scheme.hpp>
#include <ledger/types.hpp>
#include <util/expected.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nym::ledger {

/// Most watchers or verifiers a chain may register (their votes are kept as a bitmap).
inline constexpr std::size_t MAX_VOTERS = 256;

struct Params {
    std::string chain_id;
    Address pipe_account;
    std::uint32_t watcher_threshold = 0;
    std::vector<Address> watchers; ///< sorted, distinct
    std::uint32_t verifier_threshold = 0;
    std::vector<Address> verifiers; ///< sorted, distinct
    std::uint32_t issuer_threshold = 0;
    std::vector<coconut::VerificationKey> issuer_keys; ///< in genesis order

    /// Index of `a` in watchers / verifiers (its bit in a vote bitmap), if registered.
    [[nodiscard]] std::optional<std::size_t> watcher_index(const Address& a) const noexcept;
    [[nodiscard]] std::optional<std::size_t> verifier_index(const Address& a) const noexcept;

    /// The canonical JSON text (genesis form without "accounts"; keys sorted, addresses lowercase);
    /// stored in the state and returned by the /params query.
    [[nodiscard]] std::string to_json() const;
    /// Parses the JSON of to_json() (or a genesis app_state without "accounts"); invalid_genesis.
    static Expected<Params> from_json(std::string_view text);
};

struct GenesisAccount {
    Address address;
    std::uint64_t balance = 0;
};

struct Genesis {
    Params params;
    std::vector<GenesisAccount> accounts; ///< sorted by address, distinct
};

/// Parses and validates the app_state JSON of genesis.json. Errc::invalid_genesis on any problem
/// (unknown keys included, so typos do not pass silently); never throws.
[[nodiscard]] Expected<Genesis> parse_genesis(std::string_view app_state);

} // namespace nym::ledger
