// The issuer without I/O: the requests of a committed block, the answer to each (deterministic,
// refused with a reason when the proof does not verify), its durable store (a block's answers and
// the processed height in one transaction, answers never replaced, another key or chain refused)
// and its HTTP answers.
#include <util/hex.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <credentials/credential.hpp>
#include <issuer/issuer.hpp>
#include <issuer/store.hpp>
#include <unistd.h>
#include <wire/credentials.hpp>

#include "../credentials/test_issuance.hpp"

namespace nym::issuer {
namespace {

using namespace nym::ledger::test;

class IssuerTest : public ::testing::Test {
protected:
    test::Issuers issuers;
    crypto::DeterministicRng rng{3};
    Chain chain;
    Node node;
    std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("nym_issuer_test_" + std::to_string(::getpid()));

    void SetUp() override {
        std::filesystem::remove_all(dir);
        auto g = chain.genesis_json();
        nlohmann::json keys = nlohmann::json::array();
        for (const auto& k : issuers.keys) keys.push_back(util::to_hex(k.verification.encode()));
        g["issuers"] = {{"threshold", 3}, {"verification_keys", keys}};
        ASSERT_TRUE(node.ledger->init_chain(CHAIN_ID, as_bytes(g.dump()), 1));
    }
    void TearDown() override { std::filesystem::remove_all(dir); }

    credentials::Credential credential(std::uint64_t value) {
        return *credentials::prepare_credential(value, test::TEST_CHAIN, rng);
    }
};

TEST_F(IssuerTest, SignsEveryCommittedRequestDeterministically) {
    auto a = credential(4);
    auto b = credential(1);
    auto block =
        test::commit_block(node, {signed_tx(chain.users[0], 0, *credentials::request_transaction(a)),
                                  signed_tx(chain.users[1], 0, *credentials::request_transaction(b)),
                                  signed_tx(chain.users[2], 0, ledger::Transfer{chain.users[0].address(), 1})});
    const auto requests = credential_requests(block);
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(requests[0].gamma, a.gamma());
    EXPECT_EQ(requests[1].gamma, b.gamma());
    EXPECT_EQ(requests[0].height, block.height);

    const auto answer = answer_request(issuers.keys[1].secret, requests[0]);
    ASSERT_TRUE(answer.refused.empty()) << answer.refused;
    EXPECT_EQ(answer.blinded_signature, answer_request(issuers.keys[1].secret, requests[0]).blinded_signature)
        << "a restarted issuer answers the same";
    // The client unblinds it and it verifies under issuer 2's key.
    a.height = block.height;
    credentials::ShareCollector collector(a, *credentials::IssuerSet::from_params(issuers.params()));
    EXPECT_TRUE(collector.add(2, answer.height, answer.gamma, answer.blinded_signature));
}

TEST_F(IssuerTest, RefusesARequestWhoseProofDoesNotVerify) {
    auto c = credential(2);
    auto block = test::commit_block(node, {signed_tx(chain.users[0], 0, *credentials::request_transaction(c))});
    auto request = credential_requests(block).at(0);
    // The ledger checks the encoding and the value; the proof is the issuer's to check.
    auto decoded = *coconut::BlindSignRequest::decode(request.request);
    decoded.proof.rr = decoded.proof.rr + coconut::Scalar::one();
    request.request = decoded.encode();
    const auto answer = answer_request(issuers.keys[0].secret, request);
    EXPECT_TRUE(answer.blinded_signature.empty());
    EXPECT_NE(answer.refused.find("not signed"), std::string::npos) << answer.refused;
    request.value = 3;
    EXPECT_NE(answer_request(issuers.keys[0].secret, request).refused.find("value"), std::string::npos);
    request.request = {1, 2, 3};
    EXPECT_NE(answer_request(issuers.keys[0].secret, request).refused.find("decode"), std::string::npos);
}

TEST_F(IssuerTest, StoreCommitsBlocksInOrderAndNeverReplacesAnAnswer) {
    const Bytes vk = issuers.keys[0].verification.encode();
    Answer first{5, {}, {1, 2, 3}, {}};
    first.gamma[0] = 7;
    {
        auto store = Store::open(dir, vk, "chain-a");
        ASSERT_TRUE(store) << store.error();
        EXPECT_EQ((*store)->processed_height(), 0u);
        EXPECT_FALSE((*store)->commit({FinishedBlock{2, {}}})) << "height 1 first";
        std::vector<FinishedBlock> blocks;
        for (std::uint64_t h = 1; h <= 4; ++h) blocks.push_back(FinishedBlock{h, {}});
        blocks.push_back(FinishedBlock{5, {first, Answer{5, {}, {}, "bad proof"}}});
        ASSERT_TRUE((*store)->commit(blocks));
        EXPECT_EQ((*store)->processed_height(), 5u);
        EXPECT_EQ((*store)->counts().issued, 1u);
        EXPECT_EQ((*store)->counts().refused, 1u);
    }
    auto store = Store::open(dir, vk, "chain-a");
    ASSERT_TRUE(store);
    EXPECT_EQ((*store)->processed_height(), 5u) << "progress survives a restart";
    auto found = (*store)->find(5, first.gamma);
    ASSERT_TRUE(found && *found);
    EXPECT_EQ((*found)->blinded_signature, first.blinded_signature);
    EXPECT_TRUE((*store)->find(4, first.gamma) && !*(*store)->find(4, first.gamma));
    EXPECT_EQ((*store)->block(5)->size(), 2u);
    // The same (height, gamma) again (a replayed block after a crash): the first answer stays.
    Answer changed = first;
    changed.blinded_signature = {9, 9};
    ASSERT_TRUE((*store)->commit({FinishedBlock{6, {changed}}}));
    EXPECT_EQ((*(*store)->find(5, first.gamma))->blinded_signature, first.blinded_signature);

    EXPECT_FALSE(Store::open(dir, issuers.keys[1].verification.encode(), "chain-a")) << "another key";
    EXPECT_FALSE(Store::open(dir, vk, "chain-b")) << "another chain";
}

TEST_F(IssuerTest, HttpAnswers) {
    Identity id{2, "c", {1}};
    Gamma g{};
    EXPECT_EQ(partial_credential_response(id, 10, g, std::nullopt, 9).status, 503u);
    EXPECT_EQ(partial_credential_response(id, 9, g, std::nullopt, 9).status, 404u);
    EXPECT_EQ(partial_credential_response(id, 9, g, Answer{9, g, {}, "bad"}, 9).status, 422u);
    const auto ok = partial_credential_response(id, 9, g, Answer{9, g, {0xab}, {}}, 9);
    EXPECT_EQ(ok.status, 200u);
    auto parsed = wire::credentials::parse_partial_credential(ok.body);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->index, 2u);
    EXPECT_EQ(parsed->blinded_signature, Bytes{0xab});
    EXPECT_EQ(block_credentials_response(id, 10, {}, 9).status, 503u);
    const auto block = block_credentials_response(id, 9, {Answer{9, g, {0xab}, {}}, Answer{9, g, {}, "no"}}, 9);
    auto b = wire::credentials::parse_block_credentials(block.body);
    ASSERT_TRUE(b) << b.error();
    EXPECT_EQ(b->issued.size(), 1u);
    EXPECT_EQ(b->refused.size(), 1u);
}

} // namespace
} // namespace nym::issuer
