// Ethereum fuzz targets (nym::ethereum and the CometBFT answers the watcher reads).
//
//   ethereum_rlp          the RLP decoder: whatever decodes re-encodes to the same bytes (canonical)
//   ethereum_transaction  raw signed transactions: whatever decodes hashes to Keccak(input) and its
//                         sender recovers again from the re-computed signing hash
//   ethereum_jsonrpc      every JSON-RPC and CometBFT answer parser on the same text

#include <crypto/keccak.hpp>
#include <ethereum/jsonrpc.hpp>
#include <ethereum/rlp.hpp>
#include <ethereum/transaction.hpp>
#include <node/cometbft_client.hpp>

#include <cstdlib>
#include <string_view>

#include "fuzz.hpp"

namespace {

using namespace nym;

void require(bool condition) {
    if (!condition) std::abort();
}

} // namespace

NYM_FUZZ_TARGET(ethereum_rlp) {
    auto item = ethereum::rlp_decode(input);
    if (!item) return;
    const auto encoded = ethereum::rlp_encode(*item);
    require(encoded.size() == input.size() && std::equal(encoded.begin(), encoded.end(), input.begin()));
    if (!item->is_list()) (void)ethereum::rlp_to_uint(*item);
}

NYM_FUZZ_TARGET(ethereum_transaction) {
    auto decoded = ethereum::decode_transaction(input);
    if (!decoded) return;
    require(decoded->hash == crypto::keccak256(input));
    auto again = ethereum::decode_transaction(input);
    require(again && again->sender == decoded->sender);
    (void)ethereum::signing_hash(decoded->tx);
}

NYM_FUZZ_TARGET(ethereum_jsonrpc) {
    const std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
    (void)ethereum::parse_quantity_response(text);
    (void)ethereum::parse_block_response(text);
    (void)ethereum::parse_logs_response(text);
    (void)ethereum::parse_receipt_response(text);
    (void)ethereum::parse_hash_response(text);
    (void)ethereum::parse_addresses_response(text);
    (void)ethereum::parse_fee_history_response(text);
    (void)node::parse_broadcast_response(text);
    (void)node::parse_abci_query_response(text);
    (void)node::parse_status_response(text);
}
