// The credential services GET /api/services reports: which URLs --issuer / --provider take, what the
// directory asks each kind, and the JSON the page reads (from the services' own answers).
#include <directory/errors.hpp>
#include <directory/services.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <wire/credentials.hpp>

namespace nym::directory {
namespace {

namespace wc = wire::credentials;

TEST(Services, TakesHttpAndHttpsBaseUrlsWithAnOptionalPathPrefix) {
    auto issuer = parse_service_url(ServiceKind::issuer, "http://127.0.0.1:4000").value();
    EXPECT_EQ(issuer.base.host, "127.0.0.1");
    EXPECT_EQ(issuer.base.port, 4000);
    EXPECT_EQ(issuer.url, "http://127.0.0.1:4000");
    EXPECT_EQ(status_target(issuer), "/api/status");

    auto provider = parse_service_url(ServiceKind::provider, "https://provider.example/nym/").value();
    EXPECT_TRUE(provider.base.tls());
    EXPECT_EQ(provider.base.port, 443);
    EXPECT_EQ(status_target(provider), "/nym/api/info");
}

TEST(Services, RefusesWhatIsNotAnHttpBaseUrl) {
    for (const char* bad : {"", "127.0.0.1:4000", "ws://127.0.0.1:4000", "ftp://host/", "http://", "http://:4000",
                            "http://127.0.0.1:4000/?x=1", "http://127.0.0.1:4000/#top", "http://127.0.0.1:99999"}) {
        auto parsed = parse_service_url(ServiceKind::issuer, bad);
        ASSERT_FALSE(parsed) << bad;
        EXPECT_EQ(parsed.error(), make_error_code(Errc::service_url_invalid)) << bad;
    }
}

TEST(Services, DetailKeepsTheKeyNumbersOfAnIssuersStatus) {
    const wc::IssuerStatus status{2, "nym-localnet", 41, 7, 1};
    auto detail = nlohmann::json::parse(service_detail(ServiceKind::issuer, wc::to_json(status)).value());
    EXPECT_EQ(detail,
              nlohmann::json::parse(
                  R"({"index":"2","chain_id":"nym-localnet","processed_height":"41","issued":"7","refused":"1"})"));
}

TEST(Services, DetailKeepsAProvidersAddressAndTimeout) {
    wc::ProviderInfo info;
    info.address.bytes.fill(0xab);
    info.chain_id = "nym-localnet";
    info.spend_timeout_ms = 10000;
    auto detail = nlohmann::json::parse(service_detail(ServiceKind::provider, wc::to_json(info)).value());
    EXPECT_EQ(detail["address"], "0xabababababababababababababababababababab");
    EXPECT_EQ(detail["chain_id"], "nym-localnet");
    EXPECT_EQ(detail["spend_timeout_ms"], "10000");
}

TEST(Services, AnAnswerOfTheOtherKindOrNotJsonIsNoStatus) {
    wc::ProviderInfo info;
    info.chain_id = "c";
    EXPECT_FALSE(service_detail(ServiceKind::issuer, wc::to_json(info)));
    EXPECT_FALSE(service_detail(ServiceKind::provider, wc::to_json(wc::IssuerStatus{1, "c", 1, 0, 0})));
    EXPECT_FALSE(service_detail(ServiceKind::issuer, "<html>"));
    EXPECT_FALSE(service_detail(ServiceKind::provider, ""));
}

TEST(Services, ListsEveryServiceInOrderWithItsLastCheck) {
    std::vector<ServiceEndpoint> endpoints{parse_service_url(ServiceKind::issuer, "http://127.0.0.1:4000").value(),
                                           parse_service_url(ServiceKind::provider, "http://127.0.0.1:4100").value(),
                                           parse_service_url(ServiceKind::issuer, "http://127.0.0.1:4001").value()};
    std::vector<ServiceHealth> health(3);
    health[0] = {true, true, 1700000000123, R"({"index":"1"})", ""};
    health[1] = {true, false, 1700000000000, R"({"address":"0x00"})", "unreachable: Connection refused"};
    const auto json = nlohmann::json::parse(services_json(endpoints, health));
    ASSERT_EQ(json["services"].size(), 3U);
    const auto& a = json["services"][0];
    EXPECT_EQ(a["kind"], "issuer");
    EXPECT_EQ(a["url"], "http://127.0.0.1:4000");
    EXPECT_EQ(a["up"], true);
    EXPECT_EQ(a["checked"], true);
    EXPECT_EQ(a["last_ok_ms"], 1700000000123);
    EXPECT_EQ(a["detail"]["index"], "1");
    EXPECT_EQ(a["error"], "");
    const auto& b = json["services"][1];
    EXPECT_EQ(b["kind"], "provider");
    EXPECT_EQ(b["up"], false);
    EXPECT_EQ(b["error"], "unreachable: Connection refused");
    EXPECT_EQ(b["detail"]["address"], "0x00"); // the last good answer stays visible while down
    const auto& c = json["services"][2];
    EXPECT_EQ(c["checked"], false);
    EXPECT_EQ(c["up"], false);
    EXPECT_TRUE(c["last_ok_ms"].is_null());
    EXPECT_TRUE(c["detail"].is_object() && c["detail"].empty());
    EXPECT_EQ(nlohmann::json::parse(services_json({}, {})), nlohmann::json::parse(R"({"services":[]})"));
}

} // namespace
} // namespace nym::directory
