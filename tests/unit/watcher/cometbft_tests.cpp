// The CometBFT RPC requests and answers of node/cometbft_client.hpp, as CometBFT v0.38 writes them.
#include <gtest/gtest.h>

#include <node/cometbft_client.hpp>

namespace {

using namespace nym::node;

TEST(CometBft, Targets) {
    const std::uint8_t tx[] = {0x01, 0xab};
    EXPECT_EQ(broadcast_tx_sync_target(tx), "/broadcast_tx_sync?tx=0x01ab");
    const std::uint8_t data[] = {0xde, 0xad};
    EXPECT_EQ(abci_query_target("/balance", data), "/abci_query?path=%22/balance%22&data=0xdead");
    EXPECT_EQ(abci_query_target("/params", {}), "/abci_query?path=%22/params%22");
    EXPECT_EQ(abci_query_target("/a b\"", {}), "/abci_query?path=%22/a%20b%22%22");
}

TEST(CometBft, BroadcastAnswers) {
    auto ok = parse_broadcast_response(
        R"({"jsonrpc":"2.0","id":-1,"result":{"code":0,"data":"","log":"","codespace":"","hash":"9F86D081884C7D65"}})");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->code, 0u);
    EXPECT_EQ(ok->hash, "9F86D081884C7D65");
    auto refused = parse_broadcast_response(
        R"({"jsonrpc":"2.0","id":-1,"result":{"code":16,"data":"","log":"already voted","codespace":"nym","hash":"AA"}})");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->code, 16u);
    EXPECT_EQ(refused->codespace, "nym");
    auto cached = parse_broadcast_response(
        R"({"jsonrpc":"2.0","id":-1,"error":{"code":-32603,"message":"Internal error","data":"tx already exists in cache"}})");
    ASSERT_FALSE(cached);
    EXPECT_EQ(cached.error().kind, CometError::Kind::rpc);
    EXPECT_EQ(cached.error().message, "Internal error: tx already exists in cache");
    for (const char* bad : {"", "[]", R"({"result":{}})", R"({"result":{"code":"x"}})", R"({"result":{"code":-1}})"}) {
        auto r = parse_broadcast_response(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().kind, CometError::Kind::malformed) << bad;
    }
}

TEST(CometBft, QueryAndStatusAnswers) {
    // value = base64('{"balance":"1"}')
    auto q = parse_abci_query_response(
        R"({"jsonrpc":"2.0","id":-1,"result":{"response":{"code":0,"log":"","info":"","index":"0","key":null,"value":"eyJiYWxhbmNlIjoiMSJ9","proofOps":null,"height":"12","codespace":""}}})");
    ASSERT_TRUE(q);
    EXPECT_EQ(q->value, R"({"balance":"1"})");
    EXPECT_EQ(q->height, 12u);
    auto missing = parse_abci_query_response(
        R"({"jsonrpc":"2.0","id":-1,"result":{"response":{"code":42,"log":"not found","height":"3","codespace":"nym"}}})");
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->code, 42u);
    EXPECT_TRUE(missing->value.empty());
    EXPECT_FALSE(parse_abci_query_response(R"({"result":{"response":{"value":"not base64!"}}})"));
    auto s = parse_status_response(
        R"({"jsonrpc":"2.0","id":-1,"result":{"node_info":{"network":"nym-localnet"},"sync_info":{"latest_block_height":"77","catching_up":false}}})");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->network, "nym-localnet");
    EXPECT_EQ(s->latest_block_height, 77u);
    EXPECT_FALSE(parse_status_response(R"({"result":{"node_info":{}}})"));
}

} // namespace
