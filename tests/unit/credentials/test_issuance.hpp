#pragma once
// Test support for the credential roles: a 3-of-5 key set for 5-attribute credentials, and a
// committed ledger block carrying a credential request, built by the real ledger.

#include <coconut/scheme.hpp>
#include <crypto/rng.hpp>
#include <ledger/ledger.hpp>

#include <chain/credential.hpp>
#include <chain/rpc.hpp>
#include <vector>

#include "../ledger/ledger_test_support.hpp"

namespace nym::test {

inline constexpr std::string_view TEST_CHAIN = ledger::test::CHAIN_ID;

struct Issuers {
    crypto::DeterministicRng rng{2024};
    std::vector<coconut::KeyPair> keys = *coconut::ttp_keygen(chain::credential_parameters(), 3, 5, rng);

    std::vector<coconut::VerificationKey> verification_keys() const {
        std::vector<coconut::VerificationKey> v;
        for (const auto& k : keys) v.push_back(k.verification);
        return v;
    }
    coconut::VerificationKey aggregate() const { return *chain::aggregate_issuer_keys(verification_keys(), 3); }

    /// The chain's parameters as a genesis with these issuers would give them.
    ledger::Params params() const {
        ledger::Params p;
        p.chain_id = std::string(TEST_CHAIN);
        p.issuer_threshold = 3;
        p.issuer_keys = verification_keys();
        return p;
    }
};

/// The block results of committing `txs` on a fresh test ledger (as CometBFT would serve them).
inline chain::BlockResults commit_block(ledger::test::Node& node, const std::vector<ledger::Bytes>& txs) {
    auto r = node.block(txs);
    chain::BlockResults out;
    out.height = r.height;
    for (auto& t : r.tx_results) out.txs.push_back(chain::TxResult{t.code, "nym", t.log, t.events});
    return out;
}

} // namespace nym::test
