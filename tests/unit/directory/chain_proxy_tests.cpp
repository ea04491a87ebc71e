// The validator RPC methods the directory forwards for the dashboard: only the listed parameters,
// only decimal numbers, nothing passed through verbatim that CometBFT would read another way.
#include <directory/chain_proxy.hpp>
#include <directory/errors.hpp>
#include <directory/service.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace nym::directory {
namespace {

TEST(ChainProxy, BuildsTheCometBftTargetFromTheAcceptedParameters) {
    EXPECT_EQ(chain_rpc_target("status", "").value(), "/status");
    EXPECT_EQ(chain_rpc_target("net_info", "").value(), "/net_info");
    EXPECT_EQ(chain_rpc_target("validators", "per_page=100&page=1").value(), "/validators?per_page=100&page=1");
    EXPECT_EQ(chain_rpc_target("blockchain", "minHeight=5&maxHeight=14").value(),
              "/blockchain?minHeight=5&maxHeight=14");
    EXPECT_EQ(chain_rpc_target("block_results", "height=9223372036854775807").value(),
              "/block_results?height=9223372036854775807");
    EXPECT_EQ(chain_rpc_target("block_results", "&height=3&").value(), "/block_results?height=3");
}

TEST(ChainProxy, RefusesParametersAMethodDoesNotTake) {
    for (const auto& [method, query] :
         std::initializer_list<std::pair<const char*, const char*>>{{"status", "height=1"},
                                                                    {"net_info", "x=1"},
                                                                    {"validators", "minHeight=1"},
                                                                    {"blockchain", "height=1"},
                                                                    {"block_results", "height"},
                                                                    {"block_results", "=1"},
                                                                    {"block_results", "prove=true"},
                                                                    {"block_results", "height=1&tx=0x00"}}) {
        auto target = chain_rpc_target(method, query);
        ASSERT_FALSE(target) << method << "?" << query;
        EXPECT_EQ(target.error(), Errc::chain_param_unknown) << method << "?" << query;
    }
}

TEST(ChainProxy, RefusesValuesThatAreNotPositiveDecimalNumbers) {
    for (const char* value : {"", "0", "-1", "01", "1.5", "1e3", "%31", "%22x%22", "9223372036854775808",
                              "99999999999999999999", "1 ", "0x10"}) {
        auto target = chain_rpc_target("block_results", std::string("height=") + value);
        ASSERT_FALSE(target) << value;
        EXPECT_EQ(target.error(), Errc::chain_param_invalid) << value;
        EXPECT_EQ(status_for(target.error()), 400u);
    }
}

TEST(DirectoryAssets, DashboardIsEmbeddedAndReadsOnlyTheDirectory) {
    const std::string_view page = dashboard_page();
    for (const char* asset : {"/dashboard/dashboard.css", "/dashboard/app.mjs", "/dashboard/vendor/uPlot.iife.min.js",
                              "/dashboard/vendor/uPlot.min.css"})
        EXPECT_NE(page.find(asset), std::string_view::npos) << asset;
    // No CDN: every script and style sheet comes from the directory itself.
    EXPECT_EQ(page.find("http://"), std::string_view::npos);
    EXPECT_EQ(page.find("https://"), std::string_view::npos);
    EXPECT_NE(dashboard_app_script().find("./model.mjs"), std::string_view::npos);
    EXPECT_NE(dashboard_model_script().find("export function parseReport"), std::string_view::npos);
    EXPECT_NE(dashboard_app_script().find("/api/services"), std::string_view::npos);
    EXPECT_NE(dashboard_style().find("prefers-color-scheme: dark"), std::string_view::npos);
    auto doc = nlohmann::json::parse(openapi_document(), nullptr, false);
    for (const char* path : {"/dashboard/", "/api/chain", "/api/chain/{method}", "/api/services"})
        EXPECT_TRUE(doc["paths"].contains(path)) << path;
}

} // namespace
} // namespace nym::directory
