// The directory's HTTP handlers, called directly (no sockets) with an injected clock.
#include "test_nodes.hpp"

#include <directory/service.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace nym::directory {
namespace {

using testing::NOW_MS;
using testing::TestNode;

runtime::HttpRequest post(std::string body, std::string content_type = "application/json") {
    runtime::HttpRequest r;
    r.method = "POST";
    r.content_type = std::move(content_type);
    r.body = std::move(body);
    return r;
}

class ServiceTest : public ::testing::Test {
protected:
    std::int64_t now = NOW_MS;
    DirectoryService service{ServiceConfig{}, [this] { return now; }};
    std::vector<std::string> pushed;
    void SetUp() override {
        service.on_metric = [this](std::string json) { pushed.push_back(std::move(json)); };
    }
};

bool is_json_error(const runtime::HttpResponse& r) {
    auto doc = nlohmann::json::parse(r.body, nullptr, false);
    return doc.is_object() && doc.contains("error") && doc["error"].is_string();
}

TEST_F(ServiceTest, SignedHeartbeatsAreListed) {
    const TestNode mix(1);
    const TestNode gw(2);
    EXPECT_EQ(service.post_mixnode(post(wire::directory::to_json(mix.mixnode("10.0.0.1:1789")))).status, 201u);
    EXPECT_EQ(service.post_gateway(post(wire::directory::to_json(gw.gateway("10.0.0.2:1789")), "application/json; charset=utf-8")).status,
              201u);
    auto t = wire::directory::parse_topology(service.get_topology({}).body);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->mix_nodes.size(), 1u);
    EXPECT_EQ(t->gateways.size(), 1u);
    now += 10'001;
    t = wire::directory::parse_topology(service.get_topology({}).body);
    ASSERT_TRUE(t);
    EXPECT_TRUE(t->mix_nodes.empty());
}

TEST_F(ServiceTest, RefusalsHaveTheDocumentedStatusAndAJsonBody) {
    const TestNode mix(1);
    auto unsigned_doc = nlohmann::json::parse(wire::directory::to_json(mix.mixnode("10.0.0.1:1789")));
    unsigned_doc.erase("signature");
    auto r = service.post_mixnode(post(unsigned_doc.dump()));
    EXPECT_EQ(r.status, 401u);
    EXPECT_TRUE(is_json_error(r));
    auto forged = mix.mixnode("10.0.0.1:1789");
    forged.layer = 2;
    r = service.post_mixnode(post(wire::directory::to_json(forged)));
    EXPECT_EQ(r.status, 401u);
    EXPECT_TRUE(is_json_error(r));
    r = service.post_mixnode(post("{not json"));
    EXPECT_EQ(r.status, 400u);
    EXPECT_TRUE(is_json_error(r));
    r = service.post_mixnode(post(wire::directory::to_json(mix.mixnode("10.0.0.1:1789")), "text/plain"));
    EXPECT_EQ(r.status, 415u);
    EXPECT_TRUE(is_json_error(r));
    ASSERT_EQ(service.post_mixnode(post(wire::directory::to_json(mix.mixnode("10.0.0.1:1789")))).status, 201u);
    r = service.post_mixnode(post(wire::directory::to_json(mix.mixnode("10.0.0.1:1789"))));
    EXPECT_EQ(r.status, 409u); // replay
    r = service.post_mixnode(post(wire::directory::to_json(TestNode(9).mixnode("10.0.0.1:1789", NOW_MS + 1))));
    EXPECT_EQ(r.status, 409u); // takeover
    EXPECT_TRUE(is_json_error(r));
}

TEST_F(ServiceTest, MetricsFromRegisteredMixesArePushedAndListed) {
    const TestNode mix(1);
    EXPECT_EQ(service.post_metric(post(wire::directory::to_json(mix.metric()))).status, 403u); // not registered yet
    ASSERT_EQ(service.post_mixnode(post(wire::directory::to_json(mix.mixnode("10.0.0.1:1789")))).status, 201u);
    ASSERT_EQ(service.post_metric(post(wire::directory::to_json(mix.metric()))).status, 201u);
    ASSERT_EQ(pushed.size(), 1u);
    EXPECT_EQ(wire::directory::parse_mix_metric(pushed[0])->received, 12u);
    auto list = wire::directory::parse_mix_metrics(service.get_metrics({}).body);
    ASSERT_TRUE(list);
    EXPECT_EQ(list->size(), 1u);
    // Signed by someone else: refused, not pushed.
    auto forged = mix.metric(NOW_MS + 1);
    wire::directory::sign(forged, TestNode(2).identity);
    EXPECT_EQ(service.post_metric(post(wire::directory::to_json(forged))).status, 401u);
    EXPECT_EQ(pushed.size(), 1u);
}

TEST(DirectoryAssets, OpenApiDocumentListsEveryEndpoint) {
    auto doc = nlohmann::json::parse(openapi_document(), nullptr, false);
    ASSERT_TRUE(doc.is_object());
    EXPECT_EQ(doc["openapi"].get<std::string>().substr(0, 2), "3.");
    for (const char* path : {"/api/presence/mixnodes", "/api/presence/gateways", "/api/presence/mixproviders",
                             "/api/presence/topology", "/api/presence/clients", "/api/metrics/mixes", "/ws", "/api/healthcheck",
                             "/api/openapi.json", "/swagger/"})
        EXPECT_TRUE(doc["paths"].contains(path)) << path;
    EXPECT_NE(swagger_index_page().find("/swagger/nym-swagger.js"), std::string_view::npos);
    EXPECT_NE(swagger_script().find("/api/openapi.json"), std::string_view::npos);
}

} // namespace
} // namespace nym::directory
