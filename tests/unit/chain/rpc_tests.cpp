// CometBFT v0.38's JSON-RPC answers as the ledger's services read them. The samples are answers of
// a real cometbft v0.38.26 node running nym-validator (trimmed where noted).
#include <util/hex.hpp>

#include <gtest/gtest.h>

#include <chain/errors.hpp>
#include <chain/rpc.hpp>

namespace nym::chain {
namespace {

TEST(ChainRpc, Base64RoundTripsAndRefusesBadText) {
    for (std::size_t n = 0; n < 12; ++n) {
        Bytes b(n);
        for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 37 + 1);
        auto back = base64_decode(base64_encode(b));
        ASSERT_TRUE(back);
        EXPECT_EQ(*back, b);
    }
    EXPECT_EQ(base64_encode(util::as_bytes("foobar")), "Zm9vYmFy");
    EXPECT_EQ(base64_encode(util::as_bytes("fo")), "Zm8=");
    EXPECT_FALSE(base64_decode("Zm8"));
    EXPECT_FALSE(base64_decode("Zm=8"));
    EXPECT_FALSE(base64_decode("Z==="));
    EXPECT_FALSE(base64_decode("Zm8*"));
    EXPECT_TRUE(base64_decode(""));
}

TEST(ChainRpc, Targets) {
    EXPECT_EQ(block_results_target(12), "/block_results?height=12");
    const Bytes data{0x01, 0xab};
    EXPECT_EQ(abci_query_target("/zeta", data), "/abci_query?path=%22/zeta%22&data=0x01ab");
    EXPECT_EQ(broadcast_tx_sync_body(util::as_bytes("fo")),
              R"({"jsonrpc":"2.0","id":1,"method":"broadcast_tx_sync","params":{"tx":"Zm8="}})");
}

TEST(ChainRpc, Status) {
    const auto s = parse_status(
        R"({"jsonrpc":"2.0","id":-1,"result":{"node_info":{"protocol_version":{"p2p":"8","block":"11","app":"0"},)"
        R"("id":"5b1c","listen_addr":"tcp://127.0.0.1:26656","network":"nym-localnet","version":"0.38.26","channels":"40",)"
        R"("moniker":"node0","other":{"tx_index":"on","rpc_address":"tcp://127.0.0.1:26657"}},"sync_info":{)"
        R"("latest_block_hash":"AB","latest_app_hash":"CD","latest_block_height":"17","latest_block_time":"2025-01-01T00:00:00Z",)"
        R"("earliest_block_hash":"AB","earliest_app_hash":"CD","earliest_block_height":"1","earliest_block_time":"2025-01-01T00:00:00Z",)"
        R"("catching_up":false},"validator_info":{"address":"AA","pub_key":{"type":"tendermint/PubKeyEd25519","value":"x"},"voting_power":"10"}}})");
    ASSERT_TRUE(s.value);
    EXPECT_EQ(s.value->chain_id, "nym-localnet");
    EXPECT_EQ(s.value->latest_height, 17u);
    EXPECT_FALSE(s.value->catching_up);
}

TEST(ChainRpc, BlockResultsWithEventsAndOmittedZeroCode) {
    const auto r = parse_block_results(
        R"({"jsonrpc":"2.0","id":-1,"result":{"height":"5","txs_results":[)"
        R"({"code":0,"data":null,"log":"","info":"","gas_wanted":"0","gas_used":"0","events":[{"type":"message","attributes":[)"
        R"({"key":"action","value":"credential_request","index":true},{"key":"sender","value":"0xab","index":true}]},)"
        R"({"type":"credential_request","attributes":[{"key":"height","value":"5","index":true}]}],"codespace":""},)"
        R"({"code":19,"log":"credential already spent","codespace":"nym"},)"
        R"({"events":[]}],)"
        R"("finalize_block_events":[],"validator_updates":[],"consensus_param_updates":null,"app_hash":"AAAA"}})");
    ASSERT_TRUE(r.value) << r.value.error().message();
    EXPECT_EQ(r.value->height, 5u);
    ASSERT_EQ(r.value->txs.size(), 3u);
    EXPECT_TRUE(r.value->txs[0].ok());
    ASSERT_EQ(r.value->txs[0].events.size(), 2u);
    EXPECT_EQ(r.value->txs[0].events[1].type, "credential_request");
    EXPECT_EQ(r.value->txs[0].events[1].attribute("height"), "5");
    EXPECT_EQ(r.value->txs[1].code, 19u);
    EXPECT_EQ(r.value->txs[1].codespace, "nym");
    EXPECT_TRUE(r.value->txs[2].ok());

    const auto empty = parse_block_results(
        R"({"jsonrpc":"2.0","id":-1,"result":{"height":"6","txs_results":null,"finalize_block_events":null,"app_hash":""}})");
    ASSERT_TRUE(empty.value);
    EXPECT_TRUE(empty.value->txs.empty());
}

TEST(ChainRpc, BlockResultsNotYetIsToldApartFromErrors) {
    const auto future =
        parse_block_results(R"({"jsonrpc":"2.0","id":-1,"error":{"code":-32603,"message":"Internal error",)"
                            R"("data":"height 40 must be less than or equal to the current blockchain height 39"}})");
    ASSERT_FALSE(future.value);
    EXPECT_EQ(future.value.error(), Errc::not_yet);
    const auto unsaved = parse_block_results(
        R"({"jsonrpc":"2.0","id":-1,"error":{"code":-32603,"message":"Internal error","data":"could not find results for height #39"}})");
    EXPECT_EQ(unsaved.value.error(), Errc::not_yet);
    const auto pruned = parse_block_results(
        R"({"jsonrpc":"2.0","id":-1,"error":{"code":-32603,"message":"Internal error","data":"height 3 is not available, lowest height is 10"}})");
    EXPECT_EQ(pruned.value.error(), Errc::rpc_error);
    EXPECT_NE(pruned.failure.message.find("lowest height"), std::string::npos);
    for (const char* junk : {"", "null", "[]", R"({"result":3})", R"({"result":{"height":"x"}})",
                             R"({"result":{"height":"1","txs_results":[{"code":"x"}]}})",
                             R"({"result":{"height":"1","txs_results":[{"events":[{"attributes":3}]}]}})"}) {
        const auto bad = parse_block_results(junk);
        ASSERT_FALSE(bad.value) << junk;
        EXPECT_EQ(bad.value.error(), Errc::malformed_response) << junk;
    }
}

TEST(ChainRpc, AbciQueryValueIsBase64Json) {
    const auto q = parse_abci_query(
        R"({"jsonrpc":"2.0","id":-1,"result":{"response":{"code":0,"log":"","info":"","index":"0","key":"AQ==",)"
        R"("value":"eyJzdGF0dXMiOiJ1bnNwZW50In0=","proofOps":null,"height":"12","codespace":""}}})");
    ASSERT_TRUE(q.value);
    EXPECT_EQ(q.value->code, 0u);
    EXPECT_EQ(q.value->height, 12u);
    EXPECT_EQ(q.value->value, R"({"status":"unspent"})");
    const auto missing = parse_abci_query(
        R"({"jsonrpc":"2.0","id":-1,"result":{"response":{"code":42,"log":"not found","height":"12","codespace":"nym"}}})");
    ASSERT_TRUE(missing.value);
    EXPECT_EQ(missing.value->code, 42u);
    EXPECT_TRUE(missing.value->value.empty());
}

TEST(ChainRpc, BroadcastAndTxLookup) {
    const auto b = parse_broadcast(
        R"({"jsonrpc":"2.0","id":1,"result":{"code":20,"data":"","log":"credential already deposited and being verified",)"
        R"("codespace":"nym","hash":"0102030405060708091011121314151617181920212223242526272829303132"}})");
    ASSERT_TRUE(b.value);
    EXPECT_EQ(b.value->code, 20u);
    EXPECT_EQ(b.value->hash[0], 0x01);
    EXPECT_EQ(b.value->hash[31], 0x32);
    const auto cached = parse_broadcast(
        R"({"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"Internal error","data":"tx already exists in cache"}})");
    ASSERT_FALSE(cached.value);
    EXPECT_EQ(cached.value.error(), Errc::rpc_error);
    EXPECT_NE(cached.failure.message.find("already exists in cache"), std::string::npos);

    const auto t = parse_tx(
        R"({"jsonrpc":"2.0","id":-1,"result":{"hash":"AB","height":"9","index":1,"tx_result":{"code":0,"events":[)"
        R"({"type":"credential_deposit","attributes":[{"key":"zeta","value":"aa","index":true}]}]},"tx":"AQ=="}})");
    ASSERT_TRUE(t.value);
    EXPECT_EQ(t.value->height, 9u);
    EXPECT_EQ(t.value->index, 1u);
    EXPECT_EQ(t.value->result.events.at(0).attribute("zeta"), "aa");
    const auto unknown = parse_tx(
        R"({"jsonrpc":"2.0","id":-1,"error":{"code":-32603,"message":"Internal error","data":"tx (AB) not found"}})");
    EXPECT_EQ(unknown.value.error(), Errc::not_found);
}

TEST(ChainRpc, U64) {
    EXPECT_EQ(parse_u64("0"), 0u);
    EXPECT_EQ(parse_u64("18446744073709551615"), UINT64_MAX);
    EXPECT_FALSE(parse_u64("18446744073709551616"));
    EXPECT_FALSE(parse_u64("-1"));
    EXPECT_FALSE(parse_u64("1 "));
    EXPECT_FALSE(parse_u64(""));
}

} // namespace
} // namespace nym::chain
