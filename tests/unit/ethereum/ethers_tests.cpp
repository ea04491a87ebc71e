// nym::ethereum byte for byte against ethers.js: signed EIP-155 and EIP-1559 transactions and their
// hashes, EIP-55 checksums, RLP of nested items, CREATE addresses, ERC20 call data and Transfer logs.
// ethers_vectors.mjs produces the cases and ethers' answers; this test recomputes every answer.
// Skips, saying so, without Node.js or node_modules/ethers.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <ethereum/abi.hpp>
#include <ethereum/jsonrpc.hpp>
#include <ethereum/rlp.hpp>
#include <ethereum/transaction.hpp>
#include <filesystem>
#include <string>

namespace {

using namespace nym::ethereum;
using json = nlohmann::json;

std::string run_ethers() {
    const std::string cmd =
        std::string("'") + NYM_NODE_BIN + "' '" + NYM_SOURCE_DIR + "/tests/unit/ethereum/ethers_vectors.mjs' 2>&1";
    std::string out;
    FILE* pipe = popen(cmd.c_str(), "r");
    if (pipe == nullptr) return out;
    char buffer[65536];
    std::size_t n = 0;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
    pclose(pipe);
    return out;
}

U256 dec(const json& v) {
    return *U256::from_decimal(v.get<std::string>());
}

Bytes rlp_of(const json& item) {
    if (item.is_string()) return rlp_string(*parse_data_hex(item.get<std::string>()));
    std::vector<Bytes> children;
    for (const auto& child : item) children.push_back(rlp_of(child));
    return rlp_list(children);
}

class EthersCrossCheck : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (std::string(NYM_NODE_BIN).empty()) {
            skip = "Node.js not found when the build was configured";
            return;
        }
        if (!std::filesystem::exists(std::string(NYM_SOURCE_DIR) + "/node_modules/ethers/package.json")) {
            skip = "node_modules/ethers missing (npm ci --ignore-scripts)";
            return;
        }
        const std::string out = run_ethers();
        vectors = json::parse(out, nullptr, false);
        if (vectors.is_discarded()) skip = "ethers_vectors.mjs failed: " + out.substr(0, 2000);
    }
    void SetUp() override {
        if (!skip.empty()) GTEST_SKIP() << skip;
    }
    static inline json vectors;
    static inline std::string skip;
};

TEST_F(EthersCrossCheck, SignedTransactions) {
    ASSERT_GE(vectors["transactions"].size(), 40u);
    for (const auto& v : vectors["transactions"]) {
        const auto& f = v["tx"];
        auto key = nym::crypto::Secp256k1SecretKey::from_hex(v["key"].get<std::string>());
        ASSERT_TRUE(key);
        EXPECT_EQ(key->address().to_checksum_hex(), v["address"]);
        std::optional<Address> to;
        if (f.contains("to")) to = *parse_address_hex(f["to"].get<std::string>());
        Transaction tx;
        if (f["type"] == 2) {
            Eip1559Transaction t;
            t.chain_id = dec(f["chainId"]).low_u64();
            t.nonce = dec(f["nonce"]).low_u64();
            t.max_priority_fee_per_gas = dec(f["maxPriorityFeePerGas"]);
            t.max_fee_per_gas = dec(f["maxFeePerGas"]);
            t.gas_limit = dec(f["gasLimit"]).low_u64();
            t.to = to;
            t.value = dec(f["value"]);
            t.data = *parse_data_hex(f["data"].get<std::string>());
            tx = t;
        } else {
            LegacyTransaction t;
            t.chain_id = dec(f["chainId"]).low_u64();
            t.nonce = dec(f["nonce"]).low_u64();
            t.gas_price = dec(f["gasPrice"]);
            t.gas_limit = dec(f["gasLimit"]).low_u64();
            t.to = to;
            t.value = dec(f["value"]);
            t.data = *parse_data_hex(f["data"].get<std::string>());
            tx = t;
        }
        EXPECT_EQ(to_data_hex(signing_hash(tx)), v["unsignedHash"]) << f.dump();
        const auto signed_tx = sign_transaction(tx, *key);
        EXPECT_EQ(to_data_hex(signed_tx.raw), v["raw"]) << f.dump();
        EXPECT_EQ(to_data_hex(signed_tx.hash), v["hash"]) << f.dump();
        auto decoded = decode_transaction(*parse_data_hex(v["raw"].get<std::string>()));
        ASSERT_TRUE(decoded) << f.dump();
        EXPECT_EQ(decoded->sender, key->address());
    }
}

TEST_F(EthersCrossCheck, Checksums) {
    for (const auto& v : vectors["checksums"]) {
        auto a = parse_address_hex(v["lower"].get<std::string>());
        ASSERT_TRUE(a);
        EXPECT_EQ(a->to_checksum_hex(), v["checksum"]);
    }
}

TEST_F(EthersCrossCheck, Rlp) {
    for (const auto& v : vectors["rlp"]) {
        const Bytes encoded = rlp_of(v["item"]);
        EXPECT_EQ(to_data_hex(encoded), v["encoded"]) << v["item"].dump();
        auto decoded = rlp_decode(encoded);
        ASSERT_TRUE(decoded);
        EXPECT_EQ(rlp_encode(*decoded), encoded);
    }
}

TEST_F(EthersCrossCheck, CreateAddresses) {
    for (const auto& v : vectors["create"]) {
        const auto from = *parse_address_hex(v["from"].get<std::string>());
        EXPECT_EQ(contract_address(from, dec(v["nonce"]).low_u64()).to_checksum_hex(), v["address"]);
    }
}

TEST_F(EthersCrossCheck, Erc20Abi) {
    for (const auto& v : vectors["abi"]) {
        const auto from = *parse_address_hex(v["from"].get<std::string>());
        const auto to = *parse_address_hex(v["to"].get<std::string>());
        const auto amount = dec(v["amount"]);
        EXPECT_EQ(to_data_hex(encode_transfer(to, amount)), v["transfer"]);
        EXPECT_EQ(to_data_hex(encode_balance_of(from)), v["balanceOf"]);
        std::vector<Hash> topics;
        for (const auto& t : v["topics"]) topics.push_back(*parse_hash_hex(t.get<std::string>()));
        auto event = decode_transfer_event(topics, *parse_data_hex(v["data"].get<std::string>()));
        ASSERT_TRUE(event);
        EXPECT_EQ(event->from, from);
        EXPECT_EQ(event->to, to);
        EXPECT_EQ(event->value, amount);
    }
}

} // namespace
