// nym-client's TCP socket API (wire/client_api_tcp.hpp): 8-byte big-endian length frames cut from a
// byte stream however it is split, the protobuf requests and responses of the original socket API
// mapped onto the websocket API's values, and every refusal.

#include <wire/client_api_tcp.hpp>

#include <gtest/gtest.h>

namespace nym::wire::client_api::tcp {
namespace {

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

Bytes prefix(std::uint64_t length) {
    Bytes out(LENGTH_PREFIX_SIZE);
    for (std::size_t i = 0; i < LENGTH_PREFIX_SIZE; ++i)
        out[i] = static_cast<std::uint8_t>(length >> (8 * (LENGTH_PREFIX_SIZE - 1 - i)));
    return out;
}

/// The frame of an encoded request, without its prefix.
Bytes body_of(const TcpRequest& request) {
    auto framed = encode_request(request);
    EXPECT_TRUE(framed);
    if (!framed) return {};
    return Bytes(framed->begin() + LENGTH_PREFIX_SIZE, framed->end());
}

TEST(WireClientApiTcp, FramesAreCutFromTheStreamHoweverItArrives) {
    Bytes stream;
    for (const char* text : {"one", "", "three!"}) {
        const Bytes p = prefix(std::string_view(text).size());
        stream.insert(stream.end(), p.begin(), p.end());
        stream.insert(stream.end(), text, text + std::string_view(text).size());
    }
    for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{7}, stream.size()}) {
        FrameReader reader(64);
        std::vector<Bytes> frames;
        for (std::size_t pos = 0; pos < stream.size(); pos += chunk) {
            reader.feed(std::span(stream).subspan(pos, std::min(chunk, stream.size() - pos)));
            while (true) {
                auto f = reader.next();
                ASSERT_TRUE(f);
                if (!*f) break;
                frames.push_back(std::move(**f));
            }
        }
        EXPECT_EQ(frames, (std::vector<Bytes>{bytes_of("one"), {}, bytes_of("three!")})) << chunk;
        EXPECT_EQ(reader.buffered(), 0u);
    }
}

TEST(WireClientApiTcp, AnOversizedFrameIsRefusedForGood) {
    FrameReader reader(100);
    const Bytes p = prefix(101);
    reader.feed(p);
    auto f = reader.next();
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().message, "request too large: 101 bytes (limit 100)");
    reader.feed(prefix(0));
    EXPECT_FALSE(reader.next()) << "the stream cannot be followed past it";
    FrameReader huge(100);
    huge.feed(prefix(~std::uint64_t{0}));
    EXPECT_FALSE(huge.next());
}

TEST(WireClientApiTcp, RequestsMapOntoTheApiRequests) {
    const Limits limits;
    auto send = decode_request(body_of(SendRequest{Bytes{0, 1, 0xff}, "id@gw", 0}), limits);
    ASSERT_TRUE(send);
    const Request request = to_request(*send);
    const auto& s = std::get<SendRequest>(request);
    EXPECT_EQ(s.message, (Bytes{0, 1, 0xff}));
    EXPECT_EQ(s.recipient, "id@gw");
    EXPECT_TRUE(std::holds_alternative<FetchRequest>(to_request(*decode_request(body_of(FetchRequest{}), limits))));
    EXPECT_TRUE(
        std::holds_alternative<GetClientsRequest>(to_request(*decode_request(body_of(GetClientsRequest{}), limits))));
    EXPECT_TRUE(
        std::holds_alternative<OwnDetailsRequest>(to_request(*decode_request(body_of(OwnDetailsRequest{}), limits))));
    EXPECT_TRUE(std::holds_alternative<FlushRequest>(*decode_request(body_of(FlushRequest{}), limits)));
    // Reply SURBs are not carried on this socket.
    EXPECT_FALSE(encode_request(SendRequest{Bytes{1}, "a", 2}));
}

TEST(WireClientApiTcp, RefusalsNameTheProblem) {
    Limits small;
    small.max_message_size = 2;
    EXPECT_EQ(decode_request(bytes_of("\xff\xff\xff"), Limits{}).error().message,
              "malformed request: not a protobuf Request message");
    EXPECT_EQ(decode_request({}, Limits{}).error().message,
              "empty request: none of send, fetch, clients, details, flush is set");
    EXPECT_EQ(decode_request(body_of(SendRequest{Bytes{1, 2, 3}, "a", 0}), small).error().message,
              "message too large: 3 bytes (limit 2)");
    EXPECT_EQ(decode_request(body_of(SendRequest{Bytes{1}, "", 0}), Limits{}).error().message,
              "missing field 'recipient_address'");
    // The original's ClientConfig recipient (field 2, a message) is not read as an address.
    const Bytes old_style{0x12, 0x04, 0x12, 0x02, 0x0a, 0x00}; // send { recipient(2): {} }
    EXPECT_EQ(decode_request(old_style, Limits{}).error().message, "missing field 'recipient_address'");
}

TEST(WireClientApiTcp, ResponsesRoundTrip) {
    const std::vector<Response> responses = {SendResponse{},
                                             FetchResponse{{Received{bytes_of("a"), std::nullopt}, Received{{0, 0xff}, std::nullopt}}},
                                             ClientsResponse{{"a@b", "c@d"}}, OwnDetailsResponse{"me@gw"},
                                             ErrorResponse{"invalid recipient address 'x'"}};
    for (const auto& response : responses) {
        const Bytes frame = encode_response(response);
        ASSERT_GE(frame.size(), LENGTH_PREFIX_SIZE);
        FrameReader reader(1024);
        reader.feed(frame);
        auto body = reader.next();
        ASSERT_TRUE(body && *body);
        auto parsed = decode_response(**body);
        ASSERT_TRUE(parsed) << parsed.error().message;
        EXPECT_EQ(parsed->index(), response.index());
        if (const auto* f = std::get_if<FetchResponse>(&response)) {
            EXPECT_EQ(std::get<FetchResponse>(*parsed).messages[1].message, f->messages[1].message);
        }
        if (const auto* e = std::get_if<ErrorResponse>(&response)) {
            EXPECT_EQ(std::get<ErrorResponse>(*parsed).message, e->message);
        }
    }
    // Responses without a socket message become exceptions that say so.
    const Bytes frame = encode_response(SubscribeResponse{});
    auto subscribe = decode_response(Bytes(frame.begin() + LENGTH_PREFIX_SIZE, frame.end()));
    ASSERT_TRUE(subscribe);
    EXPECT_TRUE(std::holds_alternative<ErrorResponse>(*subscribe));
}

TEST(WireClientApiTcp, TheLengthPrefixIsEightBytesBigEndian) {
    const Bytes frame = encode_response(OwnDetailsResponse{"x"});
    ASSERT_GE(frame.size(), LENGTH_PREFIX_SIZE);
    std::uint64_t length = 0;
    for (std::size_t i = 0; i < LENGTH_PREFIX_SIZE; ++i) length = (length << 8) | frame[i];
    EXPECT_EQ(length, frame.size() - LENGTH_PREFIX_SIZE);
    // Response{details(5): ResponseOwnDetails{address(2): "x"}}
    EXPECT_EQ(Bytes(frame.begin() + LENGTH_PREFIX_SIZE, frame.end()), (Bytes{0x2a, 0x03, 0x12, 0x01, 'x'}));
}

} // namespace
} // namespace nym::wire::client_api::tcp
