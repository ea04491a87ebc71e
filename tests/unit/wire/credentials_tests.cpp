// The credential services' JSON: every message round-trips, and malformed, wrong-typed and oversized
// fields are refused with a message naming the field.
#include <gtest/gtest.h>

#include <wire/credentials.hpp>

namespace nym::wire::credentials {
namespace {

TEST(WireCredentials, MessagesRoundTrip) {
    PartialCredential p{3, 12, {}, {1, 2, 3}};
    p.gamma[0] = 0xaa;
    auto back = parse_partial_credential(to_json(p));
    ASSERT_TRUE(back) << back.error();
    EXPECT_EQ(back->index, 3u);
    EXPECT_EQ(back->height, 12u);
    EXPECT_EQ(back->gamma, p.gamma);
    EXPECT_EQ(back->blinded_signature, p.blinded_signature);

    SpendAnswer a;
    a.outcome = SpendOutcome::accepted;
    a.deposit_height = 77;
    auto answer = parse_spend_answer(to_json(a));
    ASSERT_TRUE(answer) << answer.error();
    EXPECT_TRUE(answer->accepted());
    EXPECT_EQ(answer->deposit_height, 77u);
    EXPECT_NE(to_json(a).find("\"accepted\":true"), std::string::npos);

    SpendRequest r{5, {}, {9}};
    auto request = parse_spend_request(to_json(r));
    ASSERT_TRUE(request);
    EXPECT_EQ(request->value, 5u);

    ProviderInfo info{*Address::from_hex("0x00000000000000000000000000000000000000aa"), "c", 1000};
    EXPECT_EQ(parse_provider_info(to_json(info))->address, info.address);
    EXPECT_EQ(parse_verification_key_info(to_json(VerificationKeyInfo{1, "c", {7}}))->verification_key, Bytes{7});
    EXPECT_EQ(parse_issuer_status(to_json(IssuerStatus{1, "c", 5, 2, 1}))->processed_height, 5u);
    EXPECT_EQ(parse_spend_nonce(to_json(SpendNonce{{}, 60000}))->expires_in_ms, 60000u);
}

TEST(WireCredentials, RefusesWrongTypesNamingTheField) {
    EXPECT_EQ(parse_spend_request("not json").error(), "the body is not JSON");
    EXPECT_EQ(parse_spend_request("[1]").error(), "the body is not a JSON object");
    EXPECT_NE(parse_spend_request(R"({"value":-1})").error().find("'value'"), std::string::npos);
    EXPECT_NE(parse_spend_request(R"({"value":"1","nonce":5})").error().find("'nonce'"), std::string::npos);
    EXPECT_NE(parse_spend_request(R"({"value":"1","nonce":"00"})").error().find("'nonce'"), std::string::npos);
    const std::string big(2 * MAX_OBJECT_SIZE + 2, 'a');
    EXPECT_NE(parse_spend_request(R"({"value":"1","nonce":")" + std::string(64, '0') + R"(","spend":")" + big + "\"}")
                  .error()
                  .find("'spend'"),
              std::string::npos);
    EXPECT_NE(parse_spend_request(R"({"value":"1","nonce":")" + std::string(64, '0') + R"(","spend":"zz"})")
                  .error()
                  .find("'spend'"),
              std::string::npos);
    EXPECT_NE(parse_spend_request(R"({"value":"99999999999999999999","nonce":"x"})").error().find("'value'"),
              std::string::npos);
    EXPECT_NE(parse_spend_answer(R"({"accepted":true,"outcome":"refused","zeta":")" + std::string(96, '0') + "\"}")
                  .error()
                  .find("'accepted'"),
              std::string::npos);
    EXPECT_NE(parse_block_credentials(R"({"index":"1","height":"2","issued":[{"index":1}],"refused":[]})")
                  .error()
                  .find("issued[]."),
              std::string::npos);
}

TEST(WireCredentials, QueryStrings) {
    const std::string gamma(96, 'b');
    auto l = parse_lookup_query("gamma=" + gamma + "&height=12");
    ASSERT_TRUE(l) << l.error();
    EXPECT_EQ(l->height, 12u);
    EXPECT_EQ(parse_lookup_query(lookup_query(*l))->gamma, l->gamma);
    EXPECT_FALSE(parse_lookup_query("height=12"));
    EXPECT_FALSE(parse_lookup_query("height=x&gamma=" + gamma));
    EXPECT_FALSE(parse_lookup_query("height=1&height=2&gamma=" + gamma));
    EXPECT_FALSE(parse_lookup_query("height=1&gamma=" + gamma + "&other=1"));
    EXPECT_FALSE(parse_lookup_query("height=1&gamma=" + gamma.substr(2)));
    EXPECT_FALSE(parse_lookup_query("height"));
    EXPECT_FALSE(parse_lookup_query(std::string(2000, 'h')));
    EXPECT_EQ(*parse_height_query("height=18446744073709551615"), UINT64_MAX);
    EXPECT_FALSE(parse_height_query("height=-1"));
    EXPECT_FALSE(parse_height_query(""));
    EXPECT_TRUE(parse_zeta_query("zeta=" + gamma));
    EXPECT_FALSE(parse_zeta_query("zeta=" + gamma + "0"));
}

} // namespace
} // namespace nym::wire::credentials
