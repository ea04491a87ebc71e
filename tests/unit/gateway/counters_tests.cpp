// /api/stats (src/gateway/counters.hpp): the document's keys and drop reasons are a public interface
// (docs/protocol/gateway.md "Stats"); they must not change when the counters' types do.
#include <gateway/counters.hpp>

#include <gtest/gtest.h>

namespace nym::gateway {
namespace {

TEST(GatewayStats, TheDocumentHasExactlyTheDocumentedKeysInOrder) {
    GatewayCounters counters;
    EXPECT_EQ(stats_json(counters, {}),
              "{\"packets_from_clients\":0,\"packets_forwarded\":0,\"acks_forwarded\":0,\"packets_received\":0,"
              "\"stored\":0,\"delivered\":0,\"acked\":0,\"expired\":0,\"framing_errors\":0,\"client_errors\":0,"
              "\"clients_connected\":0,\"store_failures\":0,\"low_space_refusals\":0,\"auth_timeouts\":0,"
              "\"connections_refused\":0,\"registrations_refused\":0,\"registrations_expired\":0,\"dropped_total\":0,"
              "\"dropped\":{\"bad_mac\":0,\"replayed\":0,"
              "\"invalid_packet\":0,\"forward_hop\":0,\"unknown_client\":0,\"over_quota\":0,\"storage_error\":0,"
              "\"ingress_overflow\":0,\"egress_overflow\":0,\"client_protocol\":0,\"unknown_first_hop\":0},"
              "\"clients\":{}}");
}

TEST(GatewayStats, SharedDropReasonsAreReportedUnderTheGatewaysNames) {
    GatewayCounters counters;
    counters.drop(DropReason::malformed, 3);
    counters.drop(drop_reason_for(FinalHopOutcome::invalid_packet));
    counters.drop(drop_reason_for(FinalHopOutcome::replayed), 2);
    counters.drop(DropReason::unknown_first_hop);
    ClientCounterMap clients;
    ClientAddress a;
    a.bytes.fill(1);
    clients[a].packets_sent = 5;
    const std::string json = stats_json(counters, clients);
    EXPECT_NE(json.find("\"invalid_packet\":4"), std::string::npos) << json;
    EXPECT_NE(json.find("\"replayed\":2"), std::string::npos) << json;
    EXPECT_NE(json.find("\"unknown_first_hop\":1"), std::string::npos) << json;
    EXPECT_NE(json.find("\"dropped_total\":7"), std::string::npos) << json;
    EXPECT_EQ(json.find("malformed"), std::string::npos) << json;
    EXPECT_NE(json.find(":{\"packets_sent\":5}"), std::string::npos) << json;
    // Every outcome of the final hop other than "stored" is one of the reasons the gateway lists.
    for (auto outcome : {FinalHopOutcome::unknown_client, FinalHopOutcome::forward_hop, FinalHopOutcome::invalid_packet,
                         FinalHopOutcome::bad_mac, FinalHopOutcome::replayed, FinalHopOutcome::over_quota,
                         FinalHopOutcome::storage_error}) {
        const DropReason reason = drop_reason_for(outcome);
        bool listed = false;
        for (const auto& r : GATEWAY_DROP_REASONS) listed = listed || r.reason == reason;
        EXPECT_TRUE(listed) << mixnet::to_string(reason);
    }
}

TEST(GatewayStats, ThePublicDocumentHasAggregateCountsOnly) {
    GatewayCounters counters;
    counters.packets_from_clients = 5;
    ClientCounterMap clients;
    ClientAddress a;
    a.bytes.fill(1);
    clients[a].packets_sent = 5;
    const std::string admin = stats_json(counters, clients);
    const std::string pub = public_stats_json(counters);
    EXPECT_NE(admin.find("\"clients\":{\""), std::string::npos) << admin;
    EXPECT_EQ(pub.find("clients\":{"), std::string::npos) << pub;
    EXPECT_EQ(pub.find("packets_sent"), std::string::npos) << pub;
    // Otherwise the same document: every aggregate counter, in the same order.
    EXPECT_EQ(pub, stats_json(counters, {}).substr(0, stats_json(counters, {}).size() - std::string(",\"clients\":{}}").size()) + "}");
    EXPECT_NE(pub.find("\"packets_from_clients\":5"), std::string::npos) << pub;
}

} // namespace
} // namespace nym::gateway
