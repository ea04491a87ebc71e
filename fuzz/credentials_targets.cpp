// Fuzz targets over the credential services' request decoders and the answers they read from
// others: whatever the bytes, a decoder returns a value or a message (a 4xx answer), never
// crashes, and what it accepts serializes and parses back to the same value.
#include <chain/events.hpp>
#include <chain/queries.hpp>
#include <chain/rpc.hpp>
#include <cstdlib>
#include <provider/provider.hpp>
#include <string_view>
#include <wire/credentials.hpp>

#include "fuzz.hpp"

namespace {

namespace wc = nym::wire::credentials;

template <class Parse>
void round_trip(std::string_view text, Parse parse) {
    auto parsed = parse(text);
    if (!parsed) {
        if (parsed.error().empty()) std::abort(); // every refusal says why
        return;
    }
    auto again = parse(wc::to_json(*parsed));
    if (!again || !(*again == *parsed)) std::abort();
}

} // namespace

// Every body and query the issuers and providers accept, and the answers nymclient reads from them.
// The first byte picks the decoder.
NYM_FUZZ_TARGET(credential_requests) {
    if (input.empty()) return;
    const std::string_view text(reinterpret_cast<const char*>(input.data() + 1), input.size() - 1);
    switch (input[0] % 10) {
    case 0: {
        auto spend = nym::provider::read_spend(text); // JSON, then the Coconut spend decoder
        if (!spend && spend.error().empty()) std::abort();
        break;
    }
    case 1:
        round_trip(text, wc::parse_spend_request);
        break;
    case 2: {
        auto lookup = wc::parse_lookup_query(text);
        if (lookup && !(*wc::parse_lookup_query(wc::lookup_query(*lookup)) == *lookup)) std::abort();
        break;
    }
    case 3:
        (void)wc::parse_height_query(text);
        (void)wc::parse_zeta_query(text);
        break;
    case 4:
        round_trip(text, wc::parse_partial_credential);
        break;
    case 5:
        round_trip(text, wc::parse_block_credentials);
        break;
    case 6:
        round_trip(text, wc::parse_spend_answer);
        break;
    case 7:
        round_trip(text, wc::parse_provider_info);
        break;
    case 8:
        round_trip(text, wc::parse_spend_nonce);
        break;
    default:
        round_trip(text, wc::parse_verification_key_info);
        round_trip(text, wc::parse_issuer_status);
        break;
    }
}

// What a CometBFT node (maybe not an honest one) answers, and the ledger events inside.
NYM_FUZZ_TARGET(chain_rpc) {
    if (input.empty()) return;
    const std::string_view text(reinterpret_cast<const char*>(input.data() + 1), input.size() - 1);
    switch (input[0] % 7) {
    case 0:
        (void)nym::chain::parse_status(text);
        break;
    case 1: {
        auto block = nym::chain::parse_block_results(text);
        if (!block.value) break;
        for (const auto& tx : block.value->txs)
            for (const auto& e : tx.events) {
                (void)nym::chain::read_credential_request(e);
                (void)nym::chain::read_credential_deposit(e);
                (void)nym::chain::read_verifier_vote(e);
                (void)nym::chain::read_deposit_decision(e);
            }
        break;
    }
    case 2:
        (void)nym::chain::parse_abci_query(text);
        break;
    case 3:
        (void)nym::chain::parse_broadcast(text);
        break;
    case 4:
        (void)nym::chain::parse_tx(text);
        break;
    case 5:
        (void)nym::chain::parse_zeta(text);
        (void)nym::chain::parse_account(text);
        break;
    default: {
        auto decoded = nym::chain::base64_decode(text);
        if (decoded) {
            auto back = nym::chain::base64_decode(nym::chain::base64_encode(*decoded));
            if (!back || *back != *decoded) std::abort();
        }
        break;
    }
    }
}
