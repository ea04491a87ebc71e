// The websocket API handler: seed 003's exact JSON for each request, every malformed request answered
// with {"type":"error"} (and the session still served), the fetch buffer, subscriptions, replies and
// the binary format.

#include <client/api.hpp>
#include <client/errors.hpp>

#include <crypto/base58.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace nym::client {
namespace {

using json = nlohmann::json;

/// Records what the API asked of the client; fails on demand.
class RecordingBackend final : public ApiBackend {
public:
    struct Sent {
        Bytes message;
        ParsedAddress recipient;
        std::size_t reply_surbs;
    };
    Expected<void> send(std::span<const std::uint8_t> message, const ParsedAddress& recipient,
                        std::size_t reply_surbs) override {
        if (fail_sends) return fail(Errc::no_route);
        sent.push_back(Sent{Bytes(message.begin(), message.end()), recipient, reply_surbs});
        return {};
    }
    Expected<void> reply(const SenderTag& tag, std::span<const std::uint8_t> message) override {
        if (tag != known_tag) return fail(Errc::unknown_sender_tag);
        replies.emplace_back(message.begin(), message.end());
        return {};
    }
    std::vector<std::string> clients() override { return client_list; }
    std::string own_address() override { return self; }

    std::vector<Sent> sent;
    std::vector<Bytes> replies;
    std::vector<std::string> client_list;
    std::string self = "me@gw";
    SenderTag known_tag{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    bool fail_sends = false;
};

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

class ClientApi : public ::testing::Test {
protected:
    crypto::DeterministicRng rng{5};
    RecordingBackend backend;
    ApiLimits limits = [] {
        ApiLimits l;
        l.max_request_size = 4096;
        l.max_message_size = 1024;
        l.max_buffered_messages = 3;
        return l;
    }();
    ApiHandler api{backend, limits};
    Address recipient{crypto::Ed25519SecretKey::generate(rng).public_key(),
                      crypto::Ed25519SecretKey::generate(rng).public_key()};

    ClientApi() { api.open(1); }

    std::vector<ApiFrame> text(std::string_view request, ApiSessionId session = 1) {
        const Bytes b = bytes_of(request);
        return api.on_message(session, b, false);
    }
    /// The single JSON response to a text request.
    json ask(std::string_view request, ApiSessionId session = 1) {
        auto frames = text(request, session);
        EXPECT_EQ(frames.size(), 1u) << request;
        if (frames.empty()) return json();
        EXPECT_FALSE(frames[0].binary);
        return json::parse(frames[0].text());
    }
    void expect_error(std::string_view request, std::string_view fragment) {
        const json r = ask(request);
        EXPECT_EQ(r.value("type", ""), "error") << request;
        EXPECT_NE(r.value("message", "").find(fragment), std::string::npos) << request << " → " << r.dump();
        EXPECT_EQ(r.size(), 2u);
    }
    static MessageReceived received(std::string_view text, std::optional<SenderTag> tag = std::nullopt) {
        return MessageReceived{bytes_of(text), tag};
    }
};

TEST_F(ClientApi, SendAnswersExactlyTypeSend) {
    const std::string addr = to_string(recipient);
    const json r = ask(json{{"type", "send"}, {"message", "foo"}, {"recipient_address", addr}}.dump());
    EXPECT_EQ(r, json({{"type", "send"}}));
    ASSERT_EQ(backend.sent.size(), 1u);
    EXPECT_EQ(backend.sent[0].message, bytes_of("foo"));
    EXPECT_EQ(backend.sent[0].recipient.identity, recipient.identity);
    ASSERT_TRUE(backend.sent[0].recipient.gateway.has_value());
    EXPECT_EQ(*backend.sent[0].recipient.gateway, recipient.gateway);
    EXPECT_EQ(backend.sent[0].reply_surbs, 0u);
}

TEST_F(ClientApi, SendAcceptsTheSeedsBareIdentityAddress) {
    const std::string bare = crypto::base58_encode(recipient.identity.bytes);
    const json r = ask(json{{"type", "send"}, {"message", "hi"}, {"recipient_address", bare}}.dump());
    EXPECT_EQ(r, json({{"type", "send"}}));
    ASSERT_EQ(backend.sent.size(), 1u);
    EXPECT_FALSE(backend.sent[0].recipient.gateway.has_value());
}

TEST_F(ClientApi, SendWithReplySurbsPassesTheCount) {
    const json r = ask(json{{"type", "send"}, {"message", "x"}, {"recipient_address", to_string(recipient)},
                            {"withReplySurbs", 5}}
                           .dump());
    EXPECT_EQ(r, json({{"type", "send"}}));
    ASSERT_EQ(backend.sent.size(), 1u);
    EXPECT_EQ(backend.sent[0].reply_surbs, 5u);
    expect_error(json{{"type", "send"}, {"message", "x"}, {"recipient_address", to_string(recipient)},
                      {"withReplySurbs", -1}}
                     .dump(),
                 "withReplySurbs");
    expect_error(json{{"type", "send"}, {"message", "x"}, {"recipient_address", to_string(recipient)},
                      {"withReplySurbs", 100000}}
                     .dump(),
                 "withReplySurbs");
}

TEST_F(ClientApi, FetchReturnsMessagesReceivedSinceTheLastFetch) {
    EXPECT_EQ(ask(R"({"type":"fetch"})"), json({{"type", "fetch"}, {"messages", json::array()}}));
    EXPECT_TRUE(api.on_received(received("one")).empty());
    EXPECT_TRUE(api.on_received(received("two")).empty());
    EXPECT_EQ(ask(R"({"type":"fetch"})"), json({{"type", "fetch"}, {"messages", {"one", "two"}}}));
    EXPECT_EQ(ask(R"({"type":"fetch"})"), json({{"type", "fetch"}, {"messages", json::array()}}));
}

TEST_F(ClientApi, FetchBufferDropsTheOldestBeyondItsLimit) {
    for (const char* m : {"a", "b", "c", "d"}) (void)api.on_received(received(m));
    EXPECT_EQ(api.buffered(), 3u);
    EXPECT_EQ(api.stats().dropped, 1u);
    EXPECT_EQ(ask(R"({"type":"fetch"})"), json({{"type", "fetch"}, {"messages", {"b", "c", "d"}}}));
}

TEST_F(ClientApi, NonUtf8PayloadsAreFetchedWithReplacementCharacters) {
    (void)api.on_received(MessageReceived{Bytes{'o', 'k', 0xff, 0xfe}, std::nullopt});
    const auto frames = text(R"({"type":"fetch"})");
    ASSERT_EQ(frames.size(), 1u);
    const json r = json::parse(frames[0].text());
    ASSERT_EQ(r["messages"].size(), 1u);
    EXPECT_EQ(r["messages"][0].get<std::string>().substr(0, 2), "ok");
}

TEST_F(ClientApi, GetClientsAndOwnDetails) {
    backend.client_list = {"a@g", "b@g"};
    EXPECT_EQ(ask(R"({"type":"getClients"})"), json({{"type", "getClients"}, {"clients", {"a@g", "b@g"}}}));
    backend.client_list.clear();
    EXPECT_EQ(ask(R"({"type":"getClients"})"), json({{"type", "getClients"}, {"clients", json::array()}}));
    EXPECT_EQ(ask(R"({"type":"ownDetails"})"), json({{"type", "ownDetails"}, {"address", "me@gw"}}));
    // Unknown extra members are ignored, as a tolerant reader should.
    EXPECT_EQ(ask(R"({"type":"ownDetails","extra":[1,2]})"), json({{"type", "ownDetails"}, {"address", "me@gw"}}));
}

TEST_F(ClientApi, EveryMalformedRequestGetsAnErrorAndTheSessionKeepsServing) {
    const std::string addr = to_string(recipient);
    expect_error("", "invalid JSON");
    expect_error("{", "invalid JSON");
    expect_error("not json at all", "invalid JSON");
    expect_error("{\"type\":\"send\",\"message\":\"\xff\xfe\"}", "invalid JSON"); // not UTF-8
    expect_error("[1,2,3]", "JSON object");
    expect_error("\"send\"", "JSON object");
    expect_error("{}", "missing field 'type'");
    expect_error(R"({"type":5})", "'type' must be a string");
    expect_error(R"({"type":"launchMissiles"})", "unknown request type");
    expect_error(R"({"type":"send","recipient_address":"x"})", "missing field 'message'");
    expect_error(R"({"type":"send","message":"x"})", "missing field 'recipient_address'");
    expect_error(R"({"type":"send","message":42,"recipient_address":"x"})", "'message' must be a string");
    expect_error(R"({"type":"send","message":"x","recipient_address":["a"]})", "'recipient_address' must be a string");
    expect_error(R"({"type":"send","message":"x","recipient_address":""})", "invalid recipient address");
    expect_error(R"({"type":"send","message":"x","recipient_address":"0OIl@0OIl"})", "invalid recipient address");
    expect_error(R"({"type":"send","message":"x","recipient_address":"abc@def@ghi"})", "invalid recipient address");
    expect_error(json{{"type", "send"}, {"message", std::string(2000, 'm')}, {"recipient_address", addr}}.dump(),
                 "message too large");
    backend.fail_sends = true;
    expect_error(json{{"type", "send"}, {"message", "x"}, {"recipient_address", addr}}.dump(), "send failed");
    backend.fail_sends = false;
    EXPECT_TRUE(backend.sent.empty());
    // Still serving.
    EXPECT_EQ(ask(R"({"type":"ownDetails"})")["type"], "ownDetails");
    EXPECT_EQ(ask(json{{"type", "send"}, {"message", "x"}, {"recipient_address", addr}}.dump()), json({{"type", "send"}}));
    EXPECT_GE(api.stats().errors, 18u);
}

TEST_F(ClientApi, OversizedFramesAreRefused) {
    const std::string big(5000, ' ');
    expect_error(big, "request too large");
    const Bytes big_binary(5000, 0x01);
    const auto frames = api.on_message(1, big_binary, true);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(json::parse(frames[0].text())["type"], "error");
}

TEST_F(ClientApi, BinaryFramesThatAreNotBinaryRequestsAreRefused) {
    for (std::string_view payload : {std::string_view(R"({"type":"fetch"})"), std::string_view("hello"),
                                     std::string_view("")}) {
        const Bytes b = bytes_of(payload);
        const auto frames = api.on_message(1, b, true);
        ASSERT_EQ(frames.size(), 1u);
        EXPECT_FALSE(frames[0].binary);
        const json r = json::parse(frames[0].text());
        EXPECT_EQ(r["type"], "error") << payload;
    }
    EXPECT_EQ(ask(R"({"type":"fetch"})")["type"], "fetch");
}

TEST_F(ClientApi, SubscribersGetMessagesPushedIncludingThoseReceivedBefore) {
    (void)api.on_received(received("early"));
    auto frames = text(R"({"type":"subscribe"})");
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(json::parse(frames[0].text()), json({{"type", "subscribe"}}));
    EXPECT_EQ(json::parse(frames[1].text()), json({{"type", "received"}, {"message", "early"}}));
    EXPECT_EQ(api.buffered(), 0u);

    api.open(2);
    const SenderTag tag{9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
    const auto pushes = api.on_received(received("late", tag));
    ASSERT_EQ(pushes.size(), 1u); // session 2 did not subscribe
    EXPECT_EQ(pushes[0].session, 1u);
    const json pushed = json::parse(pushes[0].frame.text());
    EXPECT_EQ(pushed["type"], "received");
    EXPECT_EQ(pushed["message"], "late");
    EXPECT_EQ(pushed["senderTag"], sender_tag_to_string(tag));
    EXPECT_EQ(api.buffered(), 0u);

    // With the only subscriber gone, messages wait for fetch again.
    api.close(1);
    EXPECT_TRUE(api.on_received(received("queued")).empty());
    EXPECT_EQ(ask(R"({"type":"fetch"})", 2), json({{"type", "fetch"}, {"messages", {"queued"}}}));

    EXPECT_EQ(ask(R"({"type":"subscribe"})", 2)["type"], "subscribe");
    EXPECT_EQ(ask(R"({"type":"unsubscribe"})", 2), json({{"type", "unsubscribe"}}));
    EXPECT_EQ(api.subscribers(), 0u);
}

TEST_F(ClientApi, RepliesGoThroughTheSenderTag) {
    const std::string tag = sender_tag_to_string(backend.known_tag);
    EXPECT_EQ(ask(json{{"type", "reply"}, {"senderTag", tag}, {"message", "answer"}}.dump()), json({{"type", "reply"}}));
    ASSERT_EQ(backend.replies.size(), 1u);
    EXPECT_EQ(backend.replies[0], bytes_of("answer"));
    expect_error(R"({"type":"reply","message":"x"})", "missing field 'senderTag'");
    expect_error(R"({"type":"reply","senderTag":1,"message":"x"})", "'senderTag' must be a string");
    expect_error(json{{"type", "reply"}, {"senderTag", tag}}.dump(), "missing field 'message'");
    expect_error(R"({"type":"reply","senderTag":"abc","message":"x"})", "invalid sender tag");
    const SenderTag other{};
    expect_error(json{{"type", "reply"}, {"senderTag", sender_tag_to_string(other)}, {"message", "x"}}.dump(),
                 "reply failed");
}

TEST_F(ClientApi, BinarySendReplyFetchAndSubscribe) {
    const std::string addr = to_string(recipient);
    Bytes send{static_cast<std::uint8_t>(BinaryRequest::send), 0, 2,
               static_cast<std::uint8_t>(addr.size() >> 8), static_cast<std::uint8_t>(addr.size())};
    send.insert(send.end(), addr.begin(), addr.end());
    const Bytes payload{0, 1, 2, 0xff, 0};
    send.insert(send.end(), payload.begin(), payload.end());
    auto frames = api.on_message(1, send, true);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_TRUE(frames[0].binary);
    EXPECT_EQ(frames[0].data, Bytes{static_cast<std::uint8_t>(BinaryResponse::send)});
    ASSERT_EQ(backend.sent.size(), 1u);
    EXPECT_EQ(backend.sent[0].message, payload);
    EXPECT_EQ(backend.sent[0].reply_surbs, 2u);

    Bytes truncated = send;
    truncated.resize(5 + 10);
    frames = api.on_message(1, truncated, true);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(json::parse(frames[0].text())["type"], "error");

    Bytes reply{static_cast<std::uint8_t>(BinaryRequest::reply)};
    reply.insert(reply.end(), backend.known_tag.begin(), backend.known_tag.end());
    reply.insert(reply.end(), payload.begin(), payload.end());
    frames = api.on_message(1, reply, true);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].data, Bytes{static_cast<std::uint8_t>(BinaryResponse::reply)});
    ASSERT_EQ(backend.replies.size(), 1u);
    EXPECT_EQ(backend.replies[0], payload);

    const SenderTag tag{7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7};
    (void)api.on_received(MessageReceived{payload, tag});
    (void)api.on_received(MessageReceived{Bytes{0x41}, std::nullopt});
    frames = api.on_message(1, Bytes{static_cast<std::uint8_t>(BinaryRequest::fetch)}, true);
    ASSERT_EQ(frames.size(), 1u);
    Bytes expected{static_cast<std::uint8_t>(BinaryResponse::fetch), 0, 0, 0, 2, 1};
    expected.insert(expected.end(), tag.begin(), tag.end());
    expected.insert(expected.end(), {0, 0, 0, 5});
    expected.insert(expected.end(), payload.begin(), payload.end());
    expected.insert(expected.end(), {0, 0, 0, 0, 1, 0x41});
    EXPECT_EQ(frames[0].data, expected);

    frames = api.on_message(1, Bytes{static_cast<std::uint8_t>(BinaryRequest::subscribe)}, true);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].data, Bytes{static_cast<std::uint8_t>(BinaryResponse::subscribe)});
    const auto pushes = api.on_received(MessageReceived{payload, std::nullopt});
    ASSERT_EQ(pushes.size(), 1u);
    EXPECT_TRUE(pushes[0].frame.binary);
    Bytes pushed{static_cast<std::uint8_t>(BinaryResponse::received), 0};
    pushed.insert(pushed.end(), payload.begin(), payload.end());
    EXPECT_EQ(pushes[0].frame.data, pushed);
}

TEST_F(ClientApi, SenderTagsRoundTripThroughBase58) {
    const SenderTag tag{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 255};
    EXPECT_EQ(parse_sender_tag(sender_tag_to_string(tag)), std::optional<SenderTag>(tag));
    EXPECT_FALSE(parse_sender_tag(""));
    EXPECT_FALSE(parse_sender_tag("0OIl"));
    EXPECT_FALSE(parse_sender_tag(crypto::base58_encode(Bytes(17, 1))));
}

} // namespace
} // namespace nym::client
