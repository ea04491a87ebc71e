#include <wire/client_api.hpp>

#include <crypto/base58.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <type_traits>

namespace nym::wire::client_api {
namespace {

using json = nlohmann::json;

constexpr std::uint8_t FLAG_HAS_TAG = 0x01;

Unexpected<ParseError> refuse(std::string message) { return Unexpected(ParseError{std::move(message)}); }

/// JSON text of a value. Message strings may hold bytes that are not UTF-8 (binary payloads sent
/// by another client): those are replaced by U+FFFD rather than failing the whole response.
Frame text_frame(const json& value) {
    const std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
    return Frame{Bytes(text.begin(), text.end()), false};
}

Frame binary_frame(Bytes data) { return Frame{std::move(data), true}; }

std::string as_string(std::span<const std::uint8_t> bytes) { return std::string(bytes.begin(), bytes.end()); }
Bytes as_bytes(std::string_view text) { return Bytes(text.begin(), text.end()); }

void put_u16(Bytes& out, std::size_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}
void put_u32(Bytes& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}
std::uint16_t get_u16(std::span<const std::uint8_t> b) {
    return static_cast<std::uint16_t>((static_cast<unsigned>(b[0]) << 8) | b[1]);
}
std::uint32_t get_u32(std::span<const std::uint8_t> b) {
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
}

/// flags ‖ [sender tag] ‖ [length (u32)] ‖ message: a binary Received push (no length) or fetch entry.
void put_received(Bytes& out, const Received& m, bool with_length) {
    out.push_back(m.sender_tag ? FLAG_HAS_TAG : 0);
    if (m.sender_tag) out.insert(out.end(), m.sender_tag->begin(), m.sender_tag->end());
    if (with_length) put_u32(out, static_cast<std::uint32_t>(m.message.size()));
    out.insert(out.end(), m.message.begin(), m.message.end());
}

std::string too_large(std::size_t size, std::size_t limit) {
    return "message too large: " + std::to_string(size) + " bytes (limit " + std::to_string(limit) + ")";
}

/// A required string member: its value, or the error naming it.
Expected<const std::string*, ParseError> string_field(const json& object, const char* name) {
    const auto it = object.find(name);
    if (it == object.end()) return refuse(std::string("missing field '") + name + "'");
    if (!it->is_string()) return refuse(std::string("field '") + name + "' must be a string");
    return &it->get_ref<const std::string&>();
}

json received_json(const Received& m) {
    json j = {{"type", "received"}, {"message", as_string(m.message)}};
    if (m.sender_tag) j["senderTag"] = sender_tag_to_string(*m.sender_tag);
    return j;
}

Expected<Request, ParseError> parse_text(std::string_view text, const Limits& limits) {
    json request = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (request.is_discarded()) return refuse("invalid JSON");
    if (!request.is_object()) return refuse("request must be a JSON object");
    const auto type_it = request.find("type");
    if (type_it == request.end()) return refuse("missing field 'type'");
    if (!type_it->is_string()) return refuse("field 'type' must be a string");
    const std::string& type = type_it->get_ref<const std::string&>();

    if (type == "send") {
        auto message = string_field(request, "message");
        if (!message) return Unexpected(message.error());
        auto recipient = string_field(request, "recipient_address");
        if (!recipient) return Unexpected(recipient.error());
        SendRequest send;
        if (const auto surbs = request.find("withReplySurbs"); surbs != request.end()) {
            if (!surbs->is_number_unsigned() || surbs->get<std::uint64_t>() > limits.max_reply_surbs)
                return refuse("field 'withReplySurbs' must be an integer 0-" + std::to_string(limits.max_reply_surbs));
            send.reply_surbs = static_cast<std::size_t>(surbs->get<std::uint64_t>());
        }
        if ((*message)->size() > limits.max_message_size)
            return refuse(too_large((*message)->size(), limits.max_message_size));
        send.message = as_bytes(**message);
        send.recipient = **recipient;
        return Request{std::move(send)};
    }
    if (type == "fetch") return Request{FetchRequest{}};
    if (type == "getClients") return Request{GetClientsRequest{}};
    if (type == "ownDetails") return Request{OwnDetailsRequest{}};
    if (type == "subscribe") return Request{SubscribeRequest{}};
    if (type == "unsubscribe") return Request{UnsubscribeRequest{}};
    if (type == "reply") {
        auto tag = string_field(request, "senderTag");
        if (!tag) return Unexpected(tag.error());
        auto message = string_field(request, "message");
        if (!message) return Unexpected(message.error());
        auto parsed_tag = parse_sender_tag(**tag);
        if (!parsed_tag) return refuse("invalid sender tag: must be base58 of 16 bytes");
        if ((*message)->size() > limits.max_message_size)
            return refuse(too_large((*message)->size(), limits.max_message_size));
        return Request{ReplyRequest{*parsed_tag, as_bytes(**message)}};
    }
    return refuse("unknown request type '" + type.substr(0, 64) + "'");
}

Expected<Request, ParseError> parse_binary(std::span<const std::uint8_t> data, const Limits& limits) {
    if (data.empty()) return refuse("empty binary request");
    const std::uint8_t tag = data[0];
    const auto body = data.subspan(1);
    switch (tag) {
    case static_cast<std::uint8_t>(BinaryRequest::send): {
        // reply_surbs (u16) ‖ address length (u16) ‖ address ‖ message
        if (body.size() < 4) return refuse("binary send: truncated header");
        SendRequest send;
        send.reply_surbs = get_u16(body);
        const std::size_t address_length = get_u16(body.subspan(2));
        if (body.size() < 4 + address_length) return refuse("binary send: truncated recipient address");
        if (send.reply_surbs > limits.max_reply_surbs)
            return refuse("binary send: at most " + std::to_string(limits.max_reply_surbs) + " reply SURBs");
        const auto message = body.subspan(4 + address_length);
        if (message.size() > limits.max_message_size) return refuse(too_large(message.size(), limits.max_message_size));
        send.recipient = as_string(body.subspan(4, address_length));
        send.message.assign(message.begin(), message.end());
        return Request{std::move(send)};
    }
    case static_cast<std::uint8_t>(BinaryRequest::reply): {
        if (body.size() < SENDER_TAG_SIZE) return refuse("binary reply: truncated sender tag");
        ReplyRequest reply;
        std::copy_n(body.begin(), SENDER_TAG_SIZE, reply.sender_tag.begin());
        const auto message = body.subspan(SENDER_TAG_SIZE);
        if (message.size() > limits.max_message_size) return refuse(too_large(message.size(), limits.max_message_size));
        reply.message.assign(message.begin(), message.end());
        return Request{std::move(reply)};
    }
    case static_cast<std::uint8_t>(BinaryRequest::fetch):
        if (!body.empty()) return refuse("binary fetch: unexpected trailing bytes");
        return Request{FetchRequest{}};
    case static_cast<std::uint8_t>(BinaryRequest::subscribe):
        if (!body.empty()) return refuse("binary subscribe: unexpected trailing bytes");
        return Request{SubscribeRequest{}};
    default: break;
    }
    return refuse("unknown binary request (text requests must be sent as text frames)");
}

Frame binary_tag(BinaryResponse tag) { return binary_frame(Bytes{static_cast<std::uint8_t>(tag)}); }

Frame response_json(const Response& response) {
    return std::visit(
        [](const auto& r) -> Frame {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, SendResponse>) return text_frame(json{{"type", "send"}});
            else if constexpr (std::is_same_v<T, ReplyResponse>) return text_frame(json{{"type", "reply"}});
            else if constexpr (std::is_same_v<T, FetchResponse>) {
                json messages = json::array();
                for (const auto& m : r.messages) messages.push_back(as_string(m.message));
                return text_frame(json{{"type", "fetch"}, {"messages", std::move(messages)}});
            } else if constexpr (std::is_same_v<T, ClientsResponse>)
                return text_frame(json{{"type", "getClients"}, {"clients", r.clients}});
            else if constexpr (std::is_same_v<T, OwnDetailsResponse>)
                return text_frame(json{{"type", "ownDetails"}, {"address", r.address}});
            else if constexpr (std::is_same_v<T, SubscribeResponse>) return text_frame(json{{"type", "subscribe"}});
            else if constexpr (std::is_same_v<T, UnsubscribeResponse>) return text_frame(json{{"type", "unsubscribe"}});
            else if constexpr (std::is_same_v<T, Received>) return text_frame(received_json(r));
            else return text_frame(json{{"type", "error"}, {"message", r.message}});
        },
        response);
}

Expected<Response, ParseError> parse_text_response(std::string_view text) {
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return refuse("response is not a JSON object");
    const auto type_it = j.find("type");
    if (type_it == j.end() || !type_it->is_string()) return refuse("response has no string 'type'");
    const std::string& type = type_it->get_ref<const std::string&>();
    auto strings = [&](const char* name) -> Expected<std::vector<std::string>, ParseError> {
        const auto it = j.find(name);
        if (it == j.end() || !it->is_array()) return refuse(std::string("missing array '") + name + "'");
        std::vector<std::string> out;
        for (const auto& s : *it) {
            if (!s.is_string()) return refuse(std::string("'") + name + "' must hold strings");
            out.push_back(s.get<std::string>());
        }
        return out;
    };
    if (type == "send") return Response{SendResponse{}};
    if (type == "reply") return Response{ReplyResponse{}};
    if (type == "subscribe") return Response{SubscribeResponse{}};
    if (type == "unsubscribe") return Response{UnsubscribeResponse{}};
    if (type == "fetch") {
        auto messages = strings("messages");
        if (!messages) return Unexpected(messages.error());
        FetchResponse fetch;
        for (const auto& m : *messages) fetch.messages.push_back(Received{as_bytes(m), std::nullopt});
        return Response{std::move(fetch)};
    }
    if (type == "getClients") {
        auto clients = strings("clients");
        if (!clients) return Unexpected(clients.error());
        return Response{ClientsResponse{std::move(*clients)}};
    }
    if (type == "ownDetails" || type == "error" || type == "received") {
        const char* name = type == "ownDetails" ? "address" : "message";
        auto value = string_field(j, name);
        if (!value) return Unexpected(value.error());
        if (type == "ownDetails") return Response{OwnDetailsResponse{**value}};
        if (type == "error") return Response{ErrorResponse{**value}};
        Received received{as_bytes(**value), std::nullopt};
        if (const auto tag = j.find("senderTag"); tag != j.end()) {
            if (!tag->is_string()) return refuse("field 'senderTag' must be a string");
            received.sender_tag = parse_sender_tag(tag->get_ref<const std::string&>());
            if (!received.sender_tag) return refuse("invalid sender tag: must be base58 of 16 bytes");
        }
        return Response{std::move(received)};
    }
    return refuse("unknown response type '" + type.substr(0, 64) + "'");
}

/// flags ‖ [tag] ‖ (length ‖ message | message to the end); advances `pos`.
Expected<Received, ParseError> read_received(std::span<const std::uint8_t> body, std::size_t& pos, bool with_length) {
    if (pos >= body.size()) return refuse("truncated received message");
    const std::uint8_t flags = body[pos++];
    if ((flags & ~FLAG_HAS_TAG) != 0) return refuse("unknown received flags");
    Received m;
    if ((flags & FLAG_HAS_TAG) != 0) {
        if (body.size() - pos < SENDER_TAG_SIZE) return refuse("truncated sender tag");
        SenderTag tag{};
        std::copy_n(body.begin() + static_cast<std::ptrdiff_t>(pos), SENDER_TAG_SIZE, tag.begin());
        m.sender_tag = tag;
        pos += SENDER_TAG_SIZE;
    }
    std::size_t length = body.size() - pos;
    if (with_length) {
        if (body.size() - pos < 4) return refuse("truncated message length");
        length = get_u32(body.subspan(pos));
        pos += 4;
        if (body.size() - pos < length) return refuse("truncated message");
    }
    m.message.assign(body.begin() + static_cast<std::ptrdiff_t>(pos),
                     body.begin() + static_cast<std::ptrdiff_t>(pos + length));
    pos += length;
    return m;
}

Expected<Response, ParseError> parse_binary_response(std::span<const std::uint8_t> data) {
    if (data.empty()) return refuse("empty binary response");
    const auto body = data.subspan(1);
    auto empty = [&](Response r) -> Expected<Response, ParseError> {
        if (!body.empty()) return refuse("unexpected trailing bytes");
        return r;
    };
    switch (data[0]) {
    case static_cast<std::uint8_t>(BinaryResponse::send): return empty(SendResponse{});
    case static_cast<std::uint8_t>(BinaryResponse::reply): return empty(ReplyResponse{});
    case static_cast<std::uint8_t>(BinaryResponse::subscribe): return empty(SubscribeResponse{});
    case static_cast<std::uint8_t>(BinaryResponse::fetch): {
        if (body.size() < 4) return refuse("truncated fetch count");
        const std::uint32_t count = get_u32(body);
        std::size_t pos = 4;
        FetchResponse fetch;
        for (std::uint32_t i = 0; i < count; ++i) {
            auto m = read_received(body, pos, true);
            if (!m) return Unexpected(m.error());
            fetch.messages.push_back(std::move(*m));
        }
        if (pos != body.size()) return refuse("unexpected trailing bytes");
        return Response{std::move(fetch)};
    }
    case static_cast<std::uint8_t>(BinaryResponse::received): {
        std::size_t pos = 0;
        auto m = read_received(body, pos, false);
        if (!m) return Unexpected(m.error());
        return Response{std::move(*m)};
    }
    default: break;
    }
    return refuse("unknown binary response");
}

} // namespace

Expected<Request, ParseError> parse_request(std::span<const std::uint8_t> frame, bool binary, const Limits& limits) {
    if (frame.size() > limits.max_request_size)
        return refuse("request too large: " + std::to_string(frame.size()) + " bytes (limit " +
                      std::to_string(limits.max_request_size) + ")");
    if (binary) return parse_binary(frame, limits);
    return parse_text(std::string_view(reinterpret_cast<const char*>(frame.data()), frame.size()), limits); // NOLINT
}

Frame serialize(const Response& response, Encoding encoding) {
    if (encoding == Encoding::binary) {
        if (std::holds_alternative<SendResponse>(response)) return binary_tag(BinaryResponse::send);
        if (std::holds_alternative<ReplyResponse>(response)) return binary_tag(BinaryResponse::reply);
        if (std::holds_alternative<SubscribeResponse>(response)) return binary_tag(BinaryResponse::subscribe);
        if (const auto* fetch = std::get_if<FetchResponse>(&response)) {
            Bytes out{static_cast<std::uint8_t>(BinaryResponse::fetch)};
            put_u32(out, static_cast<std::uint32_t>(fetch->messages.size()));
            for (const auto& m : fetch->messages) put_received(out, m, true);
            return binary_frame(std::move(out));
        }
        if (const auto* received = std::get_if<Received>(&response)) {
            Bytes out{static_cast<std::uint8_t>(BinaryResponse::received)};
            put_received(out, *received, false);
            return binary_frame(std::move(out));
        }
    }
    return response_json(response);
}

Frame serialize(const Request& request, Encoding encoding) {
    if (encoding == Encoding::binary) {
        if (const auto* send = std::get_if<SendRequest>(&request)) {
            Bytes out;
            out.reserve(1 + 2 + 2 + send->recipient.size() + send->message.size());
            out.push_back(static_cast<std::uint8_t>(BinaryRequest::send));
            put_u16(out, send->reply_surbs);
            put_u16(out, send->recipient.size());
            out.insert(out.end(), send->recipient.begin(), send->recipient.end());
            out.insert(out.end(), send->message.begin(), send->message.end());
            return binary_frame(std::move(out));
        }
        if (const auto* reply = std::get_if<ReplyRequest>(&request)) {
            Bytes out;
            out.reserve(1 + reply->sender_tag.size() + reply->message.size());
            out.push_back(static_cast<std::uint8_t>(BinaryRequest::reply));
            out.insert(out.end(), reply->sender_tag.begin(), reply->sender_tag.end());
            out.insert(out.end(), reply->message.begin(), reply->message.end());
            return binary_frame(std::move(out));
        }
        if (std::holds_alternative<FetchRequest>(request))
            return binary_frame(Bytes{static_cast<std::uint8_t>(BinaryRequest::fetch)});
        if (std::holds_alternative<SubscribeRequest>(request))
            return binary_frame(Bytes{static_cast<std::uint8_t>(BinaryRequest::subscribe)});
    }
    return std::visit(
        [](const auto& r) -> Frame {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, SendRequest>) {
                json j{{"type", "send"}, {"message", as_string(r.message)}, {"recipient_address", r.recipient}};
                if (r.reply_surbs != 0) j["withReplySurbs"] = r.reply_surbs;
                return text_frame(j);
            } else if constexpr (std::is_same_v<T, ReplyRequest>) {
                return text_frame(json{{"type", "reply"},
                                       {"senderTag", sender_tag_to_string(r.sender_tag)},
                                       {"message", as_string(r.message)}});
            } else if constexpr (std::is_same_v<T, FetchRequest>) return text_frame(json{{"type", "fetch"}});
            else if constexpr (std::is_same_v<T, GetClientsRequest>) return text_frame(json{{"type", "getClients"}});
            else if constexpr (std::is_same_v<T, OwnDetailsRequest>) return text_frame(json{{"type", "ownDetails"}});
            else if constexpr (std::is_same_v<T, SubscribeRequest>) return text_frame(json{{"type", "subscribe"}});
            else return text_frame(json{{"type", "unsubscribe"}});
        },
        request);
}

Expected<Response, ParseError> parse_response(std::span<const std::uint8_t> frame, bool binary) {
    if (binary) return parse_binary_response(frame);
    return parse_text_response(std::string_view(reinterpret_cast<const char*>(frame.data()), frame.size())); // NOLINT
}

std::string sender_tag_to_string(const SenderTag& tag) { return crypto::base58_encode(tag); }

std::optional<SenderTag> parse_sender_tag(std::string_view text) {
    if (text.empty() || text.size() > 64) return std::nullopt;
    auto bytes = crypto::base58_decode(text);
    if (!bytes || bytes->size() != SENDER_TAG_SIZE) return std::nullopt;
    SenderTag tag{};
    std::copy(bytes->begin(), bytes->end(), tag.begin());
    return tag;
}

} // namespace nym::wire::client_api
