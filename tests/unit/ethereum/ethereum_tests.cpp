// nym::ethereum against published vectors: RLP (the Ethereum wiki's examples), EIP-155's signed
// transaction, EIP-55's checksums, the ERC20 selectors and event topic, CREATE addresses; and the
// JSON-RPC answer parsers on good and malformed input.
#include <util/hex.hpp>

#include <gtest/gtest.h>

#include <ethereum/abi.hpp>
#include <ethereum/jsonrpc.hpp>
#include <ethereum/rlp.hpp>
#include <ethereum/transaction.hpp>
#include <ethereum/u256.hpp>
#include <string>

namespace {

using namespace nym;
using namespace nym::ethereum;

Bytes h(std::string_view text) {
    if (text.starts_with("0x")) text.remove_prefix(2);
    return *util::from_hex(text);
}
Bytes s(std::string_view text) {
    return {text.begin(), text.end()};
}
std::string hx(ByteSpan b) {
    return util::to_hex(b);
}
Address addr(std::string_view text) {
    return *Address::from_hex(text);
}

TEST(U256, QuantitiesDecimalsAndArithmetic) {
    EXPECT_EQ(U256::from_quantity("0x0")->to_quantity(), "0x0");
    EXPECT_EQ(U256::from_quantity("0x1a")->low_u64(), 26u);
    EXPECT_EQ(U256::from_quantity("0x001a")->low_u64(), 26u);
    EXPECT_FALSE(U256::from_quantity("0x"));
    EXPECT_FALSE(U256::from_quantity("1a"));
    EXPECT_FALSE(U256::from_quantity("0xg"));
    EXPECT_FALSE(U256::from_quantity("0x1" + std::string(64, '0')));
    const std::string max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
    auto m = U256::from_decimal(max);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->to_decimal(), max);
    EXPECT_EQ(m->to_quantity(), "0x" + std::string(64, 'f'));
    EXPECT_FALSE(U256::from_decimal(max.substr(0, max.size() - 1) + "6"));
    EXPECT_FALSE(m->checked_add(1));
    EXPECT_FALSE(m->checked_mul(2));
    EXPECT_EQ(U256::pow10(18).to_decimal(), "1000000000000000000");
    auto [q, r] = U256::from_decimal("2500000000000000001")->divmod(1'000'000'000'000'000'000ull);
    EXPECT_EQ(q.low_u64(), 2u);
    EXPECT_EQ(r, 500'000'000'000'000'001ull);
    EXPECT_EQ(*U256(5).checked_sub(3), U256(2));
    EXPECT_FALSE(U256(3).checked_sub(5));
    EXPECT_LT(U256(1), U256::pow10(30));
    EXPECT_EQ(hx(U256(1024).to_minimal_bytes()), "0400");
    EXPECT_TRUE(U256(0).to_minimal_bytes().empty());
}

// github.com/ethereum/wiki/wiki/RLP (now ethereum.org/developers/docs/data-structures-and-encoding/rlp).
TEST(Rlp, WikiExamples) {
    EXPECT_EQ(hx(rlp_string(s("dog"))), "83646f67");
    const Bytes cat_dog[] = {rlp_string(s("cat")), rlp_string(s("dog"))};
    EXPECT_EQ(hx(rlp_list(cat_dog)), "c88363617483646f67");
    EXPECT_EQ(hx(rlp_string({})), "80");
    EXPECT_EQ(hx(rlp_list({})), "c0");
    EXPECT_EQ(hx(rlp_uint(0)), "80");
    EXPECT_EQ(hx(rlp_string(h("00"))), "00");
    EXPECT_EQ(hx(rlp_string(h("0f"))), "0f");
    EXPECT_EQ(hx(rlp_uint(15)), "0f");
    EXPECT_EQ(hx(rlp_uint(1024)), "820400");
    EXPECT_EQ(hx(rlp_string(h("0400"))), "820400");
    // [ [], [[]], [ [], [[]] ] ]
    const Bytes empty = rlp_list({});
    const Bytes one[] = {empty};
    const Bytes nested = rlp_list(one);
    const Bytes pair[] = {empty, nested};
    const Bytes three[] = {empty, nested, rlp_list(pair)};
    EXPECT_EQ(hx(rlp_list(three)), "c7c0c1c0c3c0c1c0");
    const std::string lorem = "Lorem ipsum dolor sit amet, consectetur adipisicing elit";
    EXPECT_EQ(hx(rlp_string(s(lorem))), "b838" + util::to_hex(s(lorem)));
}

TEST(Rlp, DecodesCanonicalAndRefusesTheRest) {
    auto item = rlp_decode(h("c88363617483646f67"));
    ASSERT_TRUE(item);
    ASSERT_TRUE(item->is_list());
    EXPECT_EQ(item->items().size(), 2u);
    EXPECT_EQ(item->items()[1].bytes(), s("dog"));
    auto nested = rlp_decode(h("c7c0c1c0c3c0c1c0"));
    ASSERT_TRUE(nested);
    EXPECT_EQ(hx(rlp_encode(*nested)), "c7c0c1c0c3c0c1c0");
    const std::string lorem = "Lorem ipsum dolor sit amet, consectetur adipisicing elit";
    auto long_string = rlp_decode(h("b838" + util::to_hex(s(lorem))));
    ASSERT_TRUE(long_string);
    EXPECT_EQ(long_string->bytes(), s(lorem));

    EXPECT_FALSE(rlp_decode({}));
    EXPECT_FALSE(rlp_decode(h("8100")));                             // a single low byte must encode itself
    EXPECT_FALSE(rlp_decode(h("b80100")));                           // long form for a short length
    EXPECT_FALSE(rlp_decode(h("b9000100" + std::string(512, '0')))); // a length with a leading zero
    EXPECT_FALSE(rlp_decode(h("83646f")));                           // truncated
    EXPECT_FALSE(rlp_decode(h("83646f6767")));                       // trailing byte
    EXPECT_FALSE(rlp_decode(h("c3836461")));                         // a list whose item overruns it
    EXPECT_FALSE(rlp_to_uint(*rlp_decode(h("820004"))));             // integer with a leading zero
    EXPECT_EQ(rlp_to_uint(*rlp_decode(h("820400")))->low_u64(), 1024u);
    // 100 nested one-item lists: valid RLP, but deeper than anything Ethereum sends.
    Bytes deep = rlp_list({});
    for (int i = 0; i < 100; ++i) {
        const Bytes one[] = {deep};
        deep = rlp_list(one);
    }
    EXPECT_FALSE(rlp_decode(deep));
}

// EIP-155's example: nonce 9, 20 gwei, 21000 gas, 1 ether to 0x3535..., chain 1, key 0x4646...
TEST(Transaction, Eip155Example) {
    LegacyTransaction tx;
    tx.chain_id = 1;
    tx.nonce = 9;
    tx.gas_price = U256(20'000'000'000ull);
    tx.gas_limit = 21000;
    tx.to = addr("0x3535353535353535353535353535353535353535");
    tx.value = U256::pow10(18);
    EXPECT_EQ(hx(signing_payload(tx)),
              "ec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080");
    EXPECT_EQ(hx(signing_hash(tx)), "daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53");
    auto key =
        *crypto::Secp256k1SecretKey::from_hex("4646464646464646464646464646464646464646464646464646464646464646");
    auto signed_tx = sign_transaction(tx, key);
    EXPECT_EQ(
        hx(signed_tx.raw),
        "f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc21"
        "95fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a"
        "3b6d83");
    auto decoded = decode_transaction(signed_tx.raw);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->sender, key.address());
    EXPECT_EQ(std::get<LegacyTransaction>(decoded->tx), tx);
    EXPECT_EQ(decoded->hash, signed_tx.hash);
}

TEST(Transaction, Eip1559RoundTripsAndBindsEveryField) {
    auto key =
        *crypto::Secp256k1SecretKey::from_hex("4646464646464646464646464646464646464646464646464646464646464646");
    Eip1559Transaction tx;
    tx.chain_id = 1337;
    tx.nonce = 3;
    tx.max_priority_fee_per_gas = U256(1'000'000'000);
    tx.max_fee_per_gas = U256(3'000'000'000ull);
    tx.gas_limit = 100'000;
    tx.to = addr("0x3535353535353535353535353535353535353535");
    tx.data = encode_transfer(addr("0x00000000000000000000000000000000000c0ffe"), U256::pow10(18));
    auto signed_tx = sign_transaction(tx, key);
    EXPECT_EQ(signed_tx.raw[0], 0x02);
    auto decoded = decode_transaction(signed_tx.raw);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(std::get<Eip1559Transaction>(decoded->tx), tx);
    EXPECT_EQ(decoded->sender, key.address());
    // Another chain id signs another hash: the same key recovers to someone else on this payload.
    Eip1559Transaction other = tx;
    other.chain_id = 1;
    EXPECT_NE(signing_hash(other), signing_hash(tx));
    Bytes tampered = signed_tx.raw;
    tampered[5] ^= 1; // inside the nonce/fee fields
    auto bad = decode_transaction(tampered);
    EXPECT_TRUE(!bad || bad->sender != key.address());
}

// EIP-55's examples (all caps, all lower and mixed are each the checksum form of their address).
TEST(Address, Eip55Examples) {
    for (const char* expected :
         {"0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
          "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26",
          "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
          "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"}) {
        std::string lower = expected;
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto a = parse_address_hex(lower);
        ASSERT_TRUE(a) << expected;
        EXPECT_EQ(a->to_checksum_hex(), expected);
        EXPECT_TRUE(parse_address_hex(expected));
    }
    EXPECT_FALSE(parse_address_hex("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")); // one letter's case wrong
    EXPECT_FALSE(parse_address_hex("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"));   // no 0x
}

TEST(Abi, Erc20SelectorsTopicAndEncodings) {
    EXPECT_EQ(hx(function_selector(ERC20_TRANSFER)), "a9059cbb");
    EXPECT_EQ(hx(function_selector(ERC20_BALANCE_OF)), "70a08231");
    EXPECT_EQ(hx(transfer_event_topic()), "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
    const auto to = addr("0x00000000000000000000000000000000000c0ffe");
    EXPECT_EQ(hx(encode_transfer(to, U256::pow10(18))),
              "a9059cbb00000000000000000000000000000000000000000000000000000000000c0ffe"
              "0000000000000000000000000000000000000000000000000de0b6b3a7640000");
    const auto from = addr("0x9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f");
    const Hash topics[] = {transfer_event_topic(), address_word(from), address_word(to)};
    const auto data = U256(7).to_be_bytes();
    auto event = decode_transfer_event(topics, data);
    ASSERT_TRUE(event);
    EXPECT_EQ(event->from, from);
    EXPECT_EQ(event->to, to);
    EXPECT_EQ(event->value, U256(7));
    // ERC721's Transfer: the same topic, the token id as a fourth topic, no data.
    const Hash erc721[] = {transfer_event_topic(), address_word(from), address_word(to), U256(7).to_be_bytes()};
    EXPECT_FALSE(decode_transfer_event(erc721, {}));
    Hash dirty = address_word(to);
    dirty[0] = 1;
    const Hash dirty_topics[] = {transfer_event_topic(), address_word(from), dirty};
    EXPECT_FALSE(decode_transfer_event(dirty_topics, data));
}

TEST(Transaction, ContractAddresses) {
    const auto sender = addr("0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0");
    EXPECT_EQ(contract_address(sender, 0).to_hex(), "0xcd234a471b72ba2f1ccf0a70fcaba648a5eecd8d");
    EXPECT_EQ(contract_address(sender, 1).to_hex(), "0x343c43a37d37dff08ae8c4a11544c718abb4fcf8");
}

TEST(JsonRpc, Requests) {
    EXPECT_EQ(encode_request(rpc::block_number(), 7),
              R"({"jsonrpc":"2.0","id":7,"method":"eth_blockNumber","params":[]})");
    LogFilter f;
    f.from_block = 16;
    f.to_block = 31;
    f.addresses = {addr("0x00000000000000000000000000000000000c0ffe")};
    f.topics = {transfer_event_topic(), std::nullopt, address_word(addr("0x00000000000000000000000000000000000c0ffe"))};
    const auto r = rpc::get_logs(f);
    EXPECT_EQ(r.method, "eth_getLogs");
    EXPECT_EQ(
        r.params,
        R"([{"address":"0x00000000000000000000000000000000000c0ffe","fromBlock":"0x10","toBlock":"0x1f","topics":[")"
        "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef\",null,"
        "\"0x00000000000000000000000000000000000000000000000000000000000c0ffe\"]}]");
    EXPECT_EQ(rpc::get_block_by_number(BlockTag::latest).params, R"(["latest",false])");
    EXPECT_EQ(rpc::get_transaction_count(addr("0x00000000000000000000000000000000000c0ffe"), BlockTag::pending).params,
              R"(["0x00000000000000000000000000000000000c0ffe","pending"])");
}

TEST(JsonRpc, ParsesAnswersAndRefusesMalformedOnes) {
    EXPECT_EQ(*parse_u64_response(R"({"jsonrpc":"2.0","id":1,"result":"0x2a"})"), 42u);
    auto err = parse_u64_response(R"({"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"nonce too low"}})");
    ASSERT_FALSE(err);
    EXPECT_TRUE(err.error() == Errc::rpc_error);
    EXPECT_NE(err.error().detail.find("nonce too low"), std::string::npos);
    for (const char* bad :
         {"", "null", "[]", "{", R"({"jsonrpc":"2.0","id":1})", R"({"jsonrpc":"1.0","id":1,"result":"0x1"})",
          R"({"jsonrpc":"2.0","id":1,"result":42})", R"({"jsonrpc":"2.0","id":1,"result":"0x"})",
          R"({"jsonrpc":"2.0","id":1,"result":"0x10000000000000000"})"}) {
        auto r = parse_u64_response(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_TRUE(r.error() == Errc::malformed_response) << bad;
    }
    const std::string block = R"({"jsonrpc":"2.0","id":1,"result":{"number":"0x5","hash":"0x)" + std::string(64, 'a') +
                              R"(","parentHash":"0x)" + std::string(64, 'b') +
                              R"(","timestamp":"0x6000","baseFeePerGas":"0x7"}})";
    auto header = parse_block_response(block);
    ASSERT_TRUE(header && *header);
    EXPECT_EQ((*header)->number, 5u);
    EXPECT_EQ((*header)->timestamp, 0x6000u);
    EXPECT_EQ(*(*header)->base_fee_per_gas, U256(7));
    auto none = parse_block_response(R"({"jsonrpc":"2.0","id":1,"result":null})");
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);
    EXPECT_FALSE(parse_block_response(R"({"jsonrpc":"2.0","id":1,"result":{"number":"0x5"}})"));

    const std::string log = R"({"address":"0x00000000000000000000000000000000000c0ffe","topics":["0x)" +
                            std::string(64, '1') + R"("],"data":"0x01","blockNumber":"0x9","blockHash":"0x)" +
                            std::string(64, '2') + R"(","transactionHash":"0x)" + std::string(64, '3') +
                            R"(","logIndex":"0x0","removed":false})";
    auto logs = parse_logs_response(R"({"jsonrpc":"2.0","id":1,"result":[)" + log + "]}");
    ASSERT_TRUE(logs);
    ASSERT_EQ(logs->size(), 1u);
    EXPECT_EQ((*logs)[0].block_number, 9u);
    EXPECT_EQ((*logs)[0].data, Bytes{1});
    // One bad field spoils the whole answer.
    std::string odd = log;
    odd.replace(odd.find("\"0x01\""), 6, "\"0x1\"");
    EXPECT_FALSE(parse_logs_response(R"({"jsonrpc":"2.0","id":1,"result":[)" + odd + "]}"));
    std::string no_index = log;
    no_index.replace(no_index.find(R"("logIndex")"), 10, R"("logIndeX")");
    EXPECT_FALSE(parse_logs_response(R"({"jsonrpc":"2.0","id":1,"result":[)" + no_index + "]}"));
    EXPECT_FALSE(parse_logs_response(R"({"jsonrpc":"2.0","id":1,"result":{}})"));
}

} // namespace
