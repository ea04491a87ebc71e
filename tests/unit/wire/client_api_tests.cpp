// wire::client_api: every request and response through both framings, as the client reads and writes
// them and as an application builds and reads them; the exact JSON of seed 003; every refusal names
// its problem.

#include <wire/client_api.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace nym::wire::client_api {
namespace {

using json = nlohmann::json;

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

Expected<Request, ParseError> parse_text(std::string_view text, Limits limits = {}) {
    return parse_request(bytes_of(text), false, limits);
}

std::string refusal(std::string_view text, Limits limits = {}) {
    auto r = parse_text(text, limits);
    EXPECT_FALSE(r) << text;
    return r ? std::string() : r.error().message;
}

const SenderTag TAG{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

TEST(WireClientApi, SeedRequestsParse) {
    auto send = parse_text(R"({"type":"send","message":"foo","recipient_address":"abc@def"})");
    ASSERT_TRUE(send);
    const auto& s = std::get<SendRequest>(*send);
    EXPECT_EQ(s.message, bytes_of("foo"));
    EXPECT_EQ(s.recipient, "abc@def");
    EXPECT_EQ(s.reply_surbs, 0u);
    EXPECT_TRUE(std::holds_alternative<FetchRequest>(*parse_text(R"({"type":"fetch"})")));
    EXPECT_TRUE(std::holds_alternative<GetClientsRequest>(*parse_text(R"({"type":"getClients"})")));
    EXPECT_TRUE(std::holds_alternative<OwnDetailsRequest>(*parse_text(R"({"type":"ownDetails","x":1})")));
    EXPECT_TRUE(std::holds_alternative<SubscribeRequest>(*parse_text(R"({"type":"subscribe"})")));
    EXPECT_TRUE(std::holds_alternative<UnsubscribeRequest>(*parse_text(R"({"type":"unsubscribe"})")));
    auto reply = parse_text(json{{"type", "reply"}, {"senderTag", sender_tag_to_string(TAG)}, {"message", "m"}}.dump());
    ASSERT_TRUE(reply);
    EXPECT_EQ(std::get<ReplyRequest>(*reply).sender_tag, TAG);
}

TEST(WireClientApi, RefusalsNameTheProblem) {
    Limits small;
    small.max_message_size = 4;
    small.max_request_size = 100;
    EXPECT_EQ(refusal("nope"), "invalid JSON");
    EXPECT_EQ(refusal("[1]"), "request must be a JSON object");
    EXPECT_EQ(refusal("{}"), "missing field 'type'");
    EXPECT_EQ(refusal(R"({"type":1})"), "field 'type' must be a string");
    EXPECT_EQ(refusal(R"({"type":"fly"})"), "unknown request type 'fly'");
    EXPECT_EQ(refusal(R"({"type":"send","recipient_address":"a"})"), "missing field 'message'");
    EXPECT_EQ(refusal(R"({"type":"send","message":"a"})"), "missing field 'recipient_address'");
    EXPECT_EQ(refusal(R"({"type":"send","message":1,"recipient_address":"a"})"), "field 'message' must be a string");
    EXPECT_EQ(refusal(R"({"type":"send","message":"a","recipient_address":"a","withReplySurbs":-1})"),
              "field 'withReplySurbs' must be an integer 0-500");
    EXPECT_EQ(refusal(R"({"type":"send","message":"abcde","recipient_address":"a"})", small),
              "message too large: 5 bytes (limit 4)");
    EXPECT_EQ(refusal(std::string(101, ' '), small), "request too large: 101 bytes (limit 100)");
    EXPECT_EQ(refusal(R"({"type":"reply","senderTag":"abc","message":"x"})"),
              "invalid sender tag: must be base58 of 16 bytes");
    for (const auto& [frame, why] : std::vector<std::pair<Bytes, std::string>>{
             {{}, "empty binary request"},
             {{0x01, 0, 0}, "binary send: truncated header"},
             {{0x01, 0, 0, 0, 9, 'a'}, "binary send: truncated recipient address"},
             {{0x01, 0x10, 0, 0, 0}, "binary send: at most 500 reply SURBs"},
             {{0x02, 1, 2}, "binary reply: truncated sender tag"},
             {{0x03, 0}, "binary fetch: unexpected trailing bytes"},
             {{0x04, 0}, "binary subscribe: unexpected trailing bytes"},
             {bytes_of(R"({"type":"fetch"})"), "unknown binary request (text requests must be sent as text frames)"},
         }) {
        auto r = parse_request(frame, true, Limits{});
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().message, why);
    }
}

TEST(WireClientApi, ResponsesAreSeed003sJson) {
    auto as_json = [](const Response& r) {
        const Frame f = serialize(r, Encoding::text);
        EXPECT_FALSE(f.binary);
        return json::parse(f.text());
    };
    EXPECT_EQ(as_json(SendResponse{}), json({{"type", "send"}}));
    EXPECT_EQ(as_json(FetchResponse{{Received{bytes_of("a"), std::nullopt}}}),
              json({{"type", "fetch"}, {"messages", {"a"}}}));
    EXPECT_EQ(as_json(ClientsResponse{{"x@y"}}), json({{"type", "getClients"}, {"clients", {"x@y"}}}));
    EXPECT_EQ(as_json(OwnDetailsResponse{"me@gw"}), json({{"type", "ownDetails"}, {"address", "me@gw"}}));
    EXPECT_EQ(as_json(ErrorResponse{"bad"}), json({{"type", "error"}, {"message", "bad"}}));
    EXPECT_EQ(as_json(Received{bytes_of("m"), TAG}),
              json({{"type", "received"}, {"message", "m"}, {"senderTag", sender_tag_to_string(TAG)}}));
    // Errors are text even where the request was binary.
    EXPECT_FALSE(serialize(ErrorResponse{"bad"}, Encoding::binary).binary);
    EXPECT_FALSE(serialize(ClientsResponse{}, Encoding::binary).binary);
}

TEST(WireClientApi, EveryRequestRoundTripsInBothFramings) {
    const std::vector<Request> requests = {
        SendRequest{Bytes{0, 1, 0xff}, "abc@def", 3}, ReplyRequest{TAG, Bytes{9, 8}}, FetchRequest{},
        GetClientsRequest{}, OwnDetailsRequest{}, SubscribeRequest{}, UnsubscribeRequest{}};
    for (const auto& request : requests) {
        for (const auto encoding : {Encoding::text, Encoding::binary}) {
            const Frame frame = serialize(request, encoding);
            auto parsed = parse_request(frame.data, frame.binary, Limits{});
            ASSERT_TRUE(parsed) << parsed.error().message;
            ASSERT_EQ(parsed->index(), request.index());
            if (const auto* s = std::get_if<SendRequest>(&request)) {
                const auto& p = std::get<SendRequest>(*parsed);
                if (frame.binary) { EXPECT_EQ(p.message, s->message); } // text: not UTF-8, replaced
                EXPECT_EQ(p.recipient, s->recipient);
                EXPECT_EQ(p.reply_surbs, s->reply_surbs);
            }
            if (const auto* r = std::get_if<ReplyRequest>(&request)) {
                EXPECT_EQ(std::get<ReplyRequest>(*parsed).sender_tag, r->sender_tag);
                EXPECT_EQ(std::get<ReplyRequest>(*parsed).message, r->message);
            }
        }
    }
}

TEST(WireClientApi, EveryResponseRoundTripsInBothFramings) {
    const std::vector<Response> responses = {
        SendResponse{},
        ReplyResponse{},
        FetchResponse{{Received{bytes_of("one"), std::nullopt}, Received{bytes_of("two"), TAG}}},
        ClientsResponse{{"a@b", "c@d"}},
        OwnDetailsResponse{"me@gw"},
        SubscribeResponse{},
        UnsubscribeResponse{},
        Received{bytes_of("pushed"), TAG},
        ErrorResponse{"no"}};
    for (const auto& response : responses) {
        for (const auto encoding : {Encoding::text, Encoding::binary}) {
            const Frame frame = serialize(response, encoding);
            auto parsed = parse_response(frame.data, frame.binary);
            ASSERT_TRUE(parsed) << parsed.error().message << " " << frame.text();
            ASSERT_EQ(parsed->index(), response.index());
            if (const auto* f = std::get_if<FetchResponse>(&response)) {
                const auto& p = std::get<FetchResponse>(*parsed);
                ASSERT_EQ(p.messages.size(), f->messages.size());
                EXPECT_EQ(p.messages[1].message, f->messages[1].message);
                // JSON fetch carries the messages only; the binary form keeps the sender tags.
                if (frame.binary) { EXPECT_EQ(p.messages[1].sender_tag, f->messages[1].sender_tag); }
            }
            if (const auto* r = std::get_if<Received>(&response)) {
                EXPECT_EQ(std::get<Received>(*parsed).message, r->message);
                EXPECT_EQ(std::get<Received>(*parsed).sender_tag, r->sender_tag);
            }
        }
    }
}

TEST(WireClientApi, BinaryLayoutsAreFixed) {
    const Frame send = serialize(Request{SendRequest{Bytes{7}, "ab", 2}}, Encoding::binary);
    EXPECT_EQ(send.data, (Bytes{0x01, 0, 2, 0, 2, 'a', 'b', 7}));
    Bytes fetch{0x03, 0, 0, 0, 1, 1};
    fetch.insert(fetch.end(), TAG.begin(), TAG.end());
    fetch.insert(fetch.end(), {0, 0, 0, 1, 'x'});
    EXPECT_EQ(serialize(Response{FetchResponse{{Received{Bytes{'x'}, TAG}}}}, Encoding::binary).data, fetch);
    EXPECT_EQ(serialize(Response{Received{Bytes{'x'}, std::nullopt}}, Encoding::binary).data, (Bytes{0x10, 0, 'x'}));
}

TEST(WireClientApi, SenderTagsAreBase58Of16Bytes) {
    EXPECT_EQ(parse_sender_tag(sender_tag_to_string(TAG)), std::optional<SenderTag>(TAG));
    EXPECT_FALSE(parse_sender_tag(""));
    EXPECT_FALSE(parse_sender_tag("0OIl"));
    EXPECT_FALSE(parse_sender_tag(std::string(65, '1')));
}

} // namespace
} // namespace nym::wire::client_api
