#include "../directory/test_nodes.hpp"

#include <crypto/base58.hpp>
#include <wire/directory.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace nym::wire::directory {
namespace {

using ::nym::directory::testing::NOW_MS;
using ::nym::directory::testing::TestNode;
using nlohmann::json;

json mixnode_json() { return json::parse(to_json(TestNode(1).mixnode("1.2.3.4:1789"))); }
json gateway_json() { return json::parse(to_json(TestNode(2).gateway("1.2.3.5:1789"))); }

std::error_code mixnode_error(const json& doc) {
    auto r = parse_mixnode_heartbeat(doc.dump());
    return r ? std::error_code{} : r.error();
}
std::error_code gateway_error(const json& doc) {
    auto r = parse_gateway_heartbeat(doc.dump());
    return r ? std::error_code{} : r.error();
}

TEST(WireDirectory, MixnodeHeartbeatRoundTrips) {
    const auto h = TestNode(1).mixnode("1.2.3.4:1789", NOW_MS, 2);
    auto parsed = parse_mixnode_heartbeat(to_json(h));
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(*parsed, h);
    EXPECT_TRUE(verify(*parsed));
}

TEST(WireDirectory, GatewayHeartbeatRoundTrips) {
    const auto h = TestNode(2).gateway("1.2.3.5:1789");
    auto parsed = parse_gateway_heartbeat(to_json(h));
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(*parsed, h);
    EXPECT_TRUE(verify(*parsed));
}

TEST(WireDirectory, MixMetricRoundTripsAndVerifiesUnderItsIdentity) {
    const TestNode node(3);
    const auto m = node.metric();
    auto parsed = parse_mix_metric(to_json(m));
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(*parsed, m);
    EXPECT_TRUE(verify(*parsed, node.identity.public_key()));
    EXPECT_EQ(verify(*parsed, TestNode(4).identity.public_key()).error(), Errc::bad_signature);
    auto list = parse_mix_metrics(to_json(std::vector<MixMetric>{m, m}));
    ASSERT_TRUE(list);
    EXPECT_EQ(list->size(), 2u);
}

TEST(WireDirectory, TopologyHasTheSeedShapeAndRoundTrips) {
    const TestNode mix(1);
    const TestNode gw(2);
    Topology t;
    t.mix_nodes.push_back(TopologyMixNode{"1.2.3.4:1789", mix.sphinx_key, 1, NOW_MS * 1'000'000,
                                          mix.identity.public_key(), "0.1.0"});
    t.gateways.push_back(TopologyGateway{"1.2.3.5:1789", gw.sphinx_key, {mix.sphinx_key}, NOW_MS * 1'000'000,
                                         "ws://1.2.3.5:9000", gw.identity.public_key(), "0.1.0"});
    const auto doc = json::parse(to_json(t));
    ASSERT_TRUE(doc["MixNodes"].is_array());
    const auto& m = doc["MixNodes"][0];
    EXPECT_EQ(m["host"], "1.2.3.4:1789");
    EXPECT_EQ(m["pubKey"], crypto::base58_encode(mix.sphinx_key.bytes));
    EXPECT_EQ(m["layer"], 1);
    EXPECT_EQ(m["lastSeen"], NOW_MS * 1'000'000);
    const auto& g = doc["MixProviderNodes"][0];
    EXPECT_EQ(g["registeredClients"][0]["pubKey"], crypto::base58_encode(mix.sphinx_key.bytes));
    EXPECT_EQ(g["clientListener"], "ws://1.2.3.5:9000");
    auto parsed = parse_topology(doc.dump());
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(*parsed, t);
}

TEST(WireDirectory, EveryMissingMixnodeFieldIsATypedError) {
    for (const char* field : {"host", "identityKey", "sphinxKey", "layer", "version", "timestamp"}) {
        auto doc = mixnode_json();
        doc.erase(field);
        EXPECT_EQ(mixnode_error(doc), Errc::missing_field) << field;
    }
    auto doc = mixnode_json();
    doc.erase("signature");
    EXPECT_EQ(mixnode_error(doc), Errc::unsigned_message);
    doc["signature"] = nullptr;
    EXPECT_EQ(mixnode_error(doc), Errc::unsigned_message);
}

TEST(WireDirectory, EveryMissingGatewayFieldIsATypedError) {
    for (const char* field : {"host", "clientListener", "identityKey", "sphinxKey", "version", "timestamp",
                              "registeredClients"}) {
        auto doc = gateway_json();
        doc.erase(field);
        EXPECT_EQ(gateway_error(doc), Errc::missing_field) << field;
    }
}

TEST(WireDirectory, WrongTypesAreTypedErrors) {
    auto doc = mixnode_json();
    doc["host"] = 5;
    EXPECT_EQ(mixnode_error(doc), Errc::wrong_type);
    doc = mixnode_json();
    doc["layer"] = "1";
    EXPECT_EQ(mixnode_error(doc), Errc::wrong_type);
    doc = mixnode_json();
    doc["timestamp"] = "now";
    EXPECT_EQ(mixnode_error(doc), Errc::wrong_type);
    doc = mixnode_json();
    doc["identityKey"] = json::array();
    EXPECT_EQ(mixnode_error(doc), Errc::wrong_type);
    doc = mixnode_json();
    doc["signature"] = 12;
    EXPECT_EQ(mixnode_error(doc), Errc::wrong_type);
    auto gw = gateway_json();
    gw["registeredClients"] = "abc";
    EXPECT_EQ(gateway_error(gw), Errc::wrong_type);
    gw = gateway_json();
    gw["registeredClients"] = json::array({7});
    EXPECT_EQ(gateway_error(gw), Errc::wrong_type);
}

TEST(WireDirectory, BadValuesAreTypedErrors) {
    for (int layer : {0, 4, -1}) {
        auto doc = mixnode_json();
        doc["layer"] = layer;
        EXPECT_EQ(mixnode_error(doc), Errc::invalid_layer) << layer;
    }
    auto doc = mixnode_json();
    doc["layer"] = 1.5;
    EXPECT_EQ(mixnode_error(doc), Errc::invalid_layer);
    for (const char* host : {"1.2.3.4", "1.2.3.4:0", "1.2.3.4:70000", ":80", "1.2.3.4:8a", "a b:80", "x:"}) {
        doc = mixnode_json();
        doc["host"] = host;
        EXPECT_EQ(mixnode_error(doc), Errc::invalid_host) << host;
    }
    for (const char* key : {"", "0OIl", "abc", "9XSGi1vR1Xy1HbSaPKNzwQ8gqLgqbDDVudYFr5Khi2xq9XSGi1vR1Xy1HbSaPKNzwQ8gqLgqbDDV"}) {
        doc = mixnode_json();
        doc["sphinxKey"] = key;
        EXPECT_EQ(mixnode_error(doc), Errc::invalid_key) << key;
        doc = mixnode_json();
        doc["identityKey"] = key;
        EXPECT_EQ(mixnode_error(doc), Errc::invalid_key) << key;
    }
    doc = mixnode_json();
    doc["timestamp"] = -5;
    EXPECT_EQ(mixnode_error(doc), Errc::invalid_value);
    doc = mixnode_json();
    doc["timestamp"] = std::uint64_t{1} << 63;
    EXPECT_EQ(mixnode_error(doc), Errc::invalid_value);
    doc = mixnode_json();
    doc["version"] = std::string("1\n2");
    EXPECT_EQ(mixnode_error(doc), Errc::invalid_value);
    doc = mixnode_json();
    doc["version"] = std::string(65, 'v');
    EXPECT_EQ(mixnode_error(doc), Errc::oversized);
    doc = mixnode_json();
    doc["signature"] = "abc";
    EXPECT_EQ(mixnode_error(doc), Errc::invalid_signature_encoding);
    doc = mixnode_json();
    doc["signature"] = "0OIl";
    EXPECT_EQ(mixnode_error(doc), Errc::invalid_signature_encoding);
}

TEST(WireDirectory, MalformedAndOversizedTextIsRefused) {
    EXPECT_EQ(parse_mixnode_heartbeat("").error(), Errc::invalid_json);
    EXPECT_EQ(parse_mixnode_heartbeat("{").error(), Errc::invalid_json);
    EXPECT_EQ(parse_mixnode_heartbeat("[1,2]").error(), Errc::invalid_json);
    EXPECT_EQ(parse_mixnode_heartbeat("\"x\"").error(), Errc::invalid_json);
    EXPECT_EQ(parse_mixnode_heartbeat(std::string(1000, '[')).error(), Errc::invalid_json);
    EXPECT_EQ(parse_topology("{}").error(), Errc::missing_field);
    EXPECT_EQ(parse_mix_metric("{\"pubKey\":1}").error(), Errc::wrong_type);
    auto doc = mixnode_json();
    doc["padding"] = std::string(MAX_DIRECTORY_MESSAGE_SIZE, 'x');
    EXPECT_EQ(mixnode_error(doc), Errc::oversized);
    auto gw = gateway_json();
    gw["registeredClients"] = json::array();
    for (std::size_t i = 0; i <= MAX_REGISTERED_CLIENTS; ++i) gw["registeredClients"].push_back("1");
    EXPECT_EQ(gateway_error(gw), Errc::oversized);
}

TEST(WireDirectory, UnknownMembersAreIgnoredAndOrderDoesNotMatter) {
    auto doc = mixnode_json();
    doc["location"] = "Neuchatel";
    auto parsed = parse_mixnode_heartbeat(doc.dump());
    ASSERT_TRUE(parsed);
    EXPECT_TRUE(verify(*parsed));
}

TEST(WireDirectory, MetricNegativeCountsAndBadPeersAreRefused) {
    auto doc = json::parse(to_json(TestNode(3).metric()));
    doc["received"] = -1;
    EXPECT_EQ(parse_mix_metric(doc.dump()).error(), Errc::invalid_value);
    doc = json::parse(to_json(TestNode(3).metric()));
    doc["sent"] = json{{"nohost", 1}};
    EXPECT_EQ(parse_mix_metric(doc.dump()).error(), Errc::invalid_host);
    doc = json::parse(to_json(TestNode(3).metric()));
    doc["sent"] = json{{"1.1.1.1:1", "x"}};
    EXPECT_EQ(parse_mix_metric(doc.dump()).error(), Errc::wrong_type);
}

// ---- signatures ----

TEST(WireSignatures, TamperingWithAnySignedFieldBreaksTheSignature) {
    const auto good = TestNode(1).mixnode("1.2.3.4:1789");
    ASSERT_TRUE(verify(good));
    auto h = good;
    h.host = "1.2.3.4:1790";
    EXPECT_EQ(verify(h).error(), Errc::bad_signature);
    h = good;
    h.layer = 2;
    EXPECT_EQ(verify(h).error(), Errc::bad_signature);
    h = good;
    h.version = "0.1.1";
    EXPECT_EQ(verify(h).error(), Errc::bad_signature);
    h = good;
    h.timestamp_ms += 1;
    EXPECT_EQ(verify(h).error(), Errc::bad_signature);
    h = good;
    h.sphinx_key.bytes[0] ^= 1;
    EXPECT_EQ(verify(h).error(), Errc::bad_signature);
    h = good;
    h.signature.bytes[10] ^= 1;
    EXPECT_EQ(verify(h).error(), Errc::bad_signature);

    const auto gw = TestNode(2).gateway("1.2.3.5:1789");
    auto g = gw;
    g.registered_clients.clear();
    EXPECT_EQ(verify(g).error(), Errc::bad_signature);
    g = gw;
    g.client_listener = "ws://6.6.6.6:9000";
    EXPECT_EQ(verify(g).error(), Errc::bad_signature);
}

TEST(WireSignatures, ForgedAndWrongKeySignaturesFail) {
    // Signed by another key than the one it names.
    auto h = TestNode(1).mixnode("1.2.3.4:1789");
    h.identity_key = TestNode(5).identity.public_key();
    EXPECT_EQ(verify(h).error(), Errc::bad_signature);
    // A zero signature.
    h = TestNode(1).mixnode("1.2.3.4:1789");
    h.signature = {};
    EXPECT_EQ(verify(h).error(), Errc::bad_signature);
    // A valid gateway signature is not a valid mixnode signature (domain separation).
    const TestNode node(6);
    auto gw = node.gateway("1.2.3.4:1789");
    auto mix = node.mixnode("1.2.3.4:1789");
    mix.signature = gw.signature;
    EXPECT_EQ(verify(mix).error(), Errc::bad_signature);
}

TEST(WireSignatures, CanonicalEncodingIsLengthPrefixedWithTheDomainTag) {
    const auto h = TestNode(1).mixnode("1.2.3.4:1789");
    const auto bytes = signing_bytes(h);
    ASSERT_GE(bytes.size(), 4 + MIXNODE_HEARTBEAT_TAG.size());
    EXPECT_EQ(bytes[3], MIXNODE_HEARTBEAT_TAG.size());
    EXPECT_EQ(std::string(bytes.begin() + 4, bytes.begin() + 4 + static_cast<long>(MIXNODE_HEARTBEAT_TAG.size())),
              MIXNODE_HEARTBEAT_TAG);
    // tag, host, identity, sphinx, layer, version, timestamp
    const std::size_t expected = 7 * 4 + MIXNODE_HEARTBEAT_TAG.size() + h.host.size() + 32 + 32 + 1 + h.version.size() + 8;
    EXPECT_EQ(bytes.size(), expected);
    // Moving a byte between two adjacent string fields changes the encoding.
    auto a = h;
    a.host = "1.2.3.4:17";
    a.version = "890.1.0";
    EXPECT_NE(signing_bytes(a), signing_bytes(h));
}

} // namespace
} // namespace nym::wire::directory
