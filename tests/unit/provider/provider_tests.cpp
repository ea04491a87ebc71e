// The provider without I/O: single-use expiring nonces, reading a spend (malformed input is a 400
// message naming the field), the local check, and the decision on its deposit from the ledger's
// record of the zeta.
#include <util/hex.hpp>

#include <gtest/gtest.h>

#include <credentials/credential.hpp>
#include <provider/provider.hpp>

#include "../credentials/test_issuance.hpp"

namespace nym::provider {
namespace {

using namespace std::chrono_literals;

TEST(ProviderNonces, SingleUseExpiringAndBounded) {
    crypto::DeterministicRng rng{1};
    NonceBook book(1000ms, 3);
    const Clock::time_point t0{};
    const auto a = book.issue(rng, t0);
    const auto b = book.issue(rng, t0);
    EXPECT_NE(a, b);
    EXPECT_TRUE(book.take(a, t0 + 999ms));
    EXPECT_FALSE(book.take(a, t0 + 999ms)) << "single use";
    EXPECT_FALSE(book.take(b, t0 + 1000ms)) << "expired";
    Nonce never{};
    EXPECT_FALSE(book.take(never, t0));
    // Capacity: the oldest outstanding nonce is forgotten.
    const auto c = book.issue(rng, t0 + 2s);
    const auto d = book.issue(rng, t0 + 2s);
    const auto e = book.issue(rng, t0 + 2s);
    const auto f = book.issue(rng, t0 + 2s);
    EXPECT_FALSE(book.take(c, t0 + 2s));
    EXPECT_TRUE(book.take(d, t0 + 2s));
    EXPECT_TRUE(book.take(e, t0 + 2s));
    EXPECT_TRUE(book.take(f, t0 + 2s));
    EXPECT_EQ(book.outstanding(), 0u);
}

TEST(ProviderSpend, ReadsChecksAndDecides) {
    test::Issuers issuers;
    crypto::DeterministicRng rng{2};
    auto set = *credentials::IssuerSet::from_params(issuers.params());
    auto c = *credentials::prepare_credential(1, test::TEST_CHAIN, rng);
    c.height = 1;
    credentials::ShareCollector collector(c, set);
    for (std::size_t i = 0; i < 3; ++i)
        ASSERT_TRUE(collector.add(
            i + 1, 1, c.gamma(),
            coconut::blind_sign(chain::credential_parameters(), issuers.keys[i].secret, c.request)->encode()));
    c.signature = *collector.aggregate();
    const auto me = *ledger::Address::from_hex("0x6666666666666666666666666666666666666666");
    Nonce nonce{};
    nonce[3] = 1;
    const auto spend = *credentials::make_spend(c, set.aggregate, me, nonce, rng);
    const std::string body = wire::credentials::to_json(wire::credentials::SpendRequest{1, nonce, spend.encode()});

    auto presented = read_spend(body);
    ASSERT_TRUE(presented) << presented.error();
    EXPECT_EQ(presented->zeta, c.zeta());
    EXPECT_TRUE(check_spend(set.aggregate, *presented, me, test::TEST_CHAIN));
    const auto other = *ledger::Address::from_hex("0x7777777777777777777777777777777777777777");
    EXPECT_FALSE(check_spend(set.aggregate, *presented, other, test::TEST_CHAIN)) << "bound to another provider";
    auto wrong_value = *presented;
    wrong_value.request.value = 2;
    EXPECT_FALSE(check_spend(set.aggregate, wrong_value, me, test::TEST_CHAIN));

    for (const char* bad :
         {"", "[]", "{}", R"({"value":1,"nonce":"00","spend":"00"})",
          R"({"value":"one","nonce":"0000000000000000000000000000000000000000000000000000000000000000","spend":"00"})",
          R"({"value":"1","nonce":"0000000000000000000000000000000000000000000000000000000000000000","spend":"0011"})",
          R"({"value":"0","nonce":"0000000000000000000000000000000000000000000000000000000000000000","spend":"0011"})",
          R"({"value":"1","nonce":"0000000000000000000000000000000000000000000000000000000000000000","spend":12})"}) {
        auto r = read_spend(bad);
        EXPECT_FALSE(r) << bad;
    }
    EXPECT_NE(read_spend(R"({"value":true})").error().find("'value'"), std::string::npos);

    chain::ZetaState state;
    state.zeta = c.zeta();
    state.answered_at = 10;
    EXPECT_FALSE(refuse_unless_unspent(state));
    state.status = chain::ZetaStatus::spent;
    EXPECT_TRUE(refuse_unless_unspent(state));
    state.provider = me;
    state.deposit_height = 10;
    auto accepted = decide(state, me, 10);
    ASSERT_TRUE(accepted);
    EXPECT_TRUE(accepted->accepted());
    EXPECT_FALSE(decide(state, other, 10)->accepted()) << "spent by somebody else's deposit";
    EXPECT_FALSE(decide(state, me, 8)->accepted()) << "spent by an earlier deposit";
    state.status = chain::ZetaStatus::being_verified;
    EXPECT_FALSE(decide(state, me, 10)) << "still being verified";
    state.status = chain::ZetaStatus::unspent;
    auto refused_again = decide(state, me, 10);
    ASSERT_TRUE(refused_again);
    EXPECT_EQ(refused_again->outcome, SpendOutcome::refused);
    state.answered_at = 9;
    EXPECT_FALSE(decide(state, me, 10)) << "a node that has not seen the deposit yet decides nothing";
}

} // namespace
} // namespace nym::provider
