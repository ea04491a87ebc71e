#include <client/api.hpp>
#include <client/errors.hpp>

#include <crypto/base58.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>

namespace nym::client {
namespace {

using json = nlohmann::json;

constexpr std::size_t SENDER_TAG_SIZE = std::tuple_size_v<SenderTag>;
constexpr std::uint8_t FLAG_HAS_TAG = 0x01;

/// JSON text of a value. Message strings may hold bytes that are not UTF-8 (binary payloads sent
/// by another client): those are replaced by U+FFFD rather than failing the whole response.
Bytes dump(const json& value) {
    const std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
    return Bytes(text.begin(), text.end());
}

ApiFrame text_frame(const json& value) { return ApiFrame{dump(value), false}; }
ApiFrame binary_frame(Bytes data) { return ApiFrame{std::move(data), true}; }

std::string as_string(std::span<const std::uint8_t> bytes) { return std::string(bytes.begin(), bytes.end()); }

void put_u32(Bytes& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

std::uint16_t get_u16(std::span<const std::uint8_t> b) {
    return static_cast<std::uint16_t>((static_cast<unsigned>(b[0]) << 8) | b[1]);
}

/// flags ‖ [sender tag] ‖ message, the body of a binary Received push.
void put_received(Bytes& out, const MessageReceived& m, bool with_length) {
    out.push_back(m.sender_tag ? FLAG_HAS_TAG : 0);
    if (m.sender_tag) out.insert(out.end(), m.sender_tag->begin(), m.sender_tag->end());
    if (with_length) put_u32(out, static_cast<std::uint32_t>(m.data.size()));
    out.insert(out.end(), m.data.begin(), m.data.end());
}

/// "invalid recipient address 'x'": the text is cut and stripped to printable ASCII for the message.
std::string address_error(std::string_view address) {
    std::string shown;
    for (char c : address.substr(0, 120)) shown.push_back(c >= 0x20 && c < 0x7f ? c : '?');
    if (address.size() > 120) shown += "...";
    return "invalid recipient address '" + shown + "' (expected base58 identity@gateway or a bare base58 identity)";
}

/// A send the client refused. The address already parsed, so invalid_address here means the
/// recipient is not reachable through the current topology.
std::string send_error(const std::error_code& e) {
    if (e == Errc::invalid_address)
        return "send failed: unknown recipient (its gateway, or for a bare identity the client itself, is not in "
               "the current topology; the client refreshes it, try again shortly)";
    return "send failed: " + e.message();
}

json received_json(const MessageReceived& m) {
    json j = {{"type", "received"}, {"message", as_string(m.data)}};
    if (m.sender_tag) j["senderTag"] = sender_tag_to_string(*m.sender_tag);
    return j;
}

} // namespace

std::string sender_tag_to_string(const SenderTag& tag) { return crypto::base58_encode(tag); }

std::optional<SenderTag> parse_sender_tag(std::string_view text) {
    if (text.empty() || text.size() > 64) return std::nullopt;
    auto bytes = crypto::base58_decode(text);
    if (!bytes || bytes->size() != SENDER_TAG_SIZE) return std::nullopt;
    SenderTag tag{};
    std::copy(bytes->begin(), bytes->end(), tag.begin());
    return tag;
}

ApiHandler::ApiHandler(ApiBackend& backend, ApiLimits limits) : m_backend(backend), m_limits(limits) {}

void ApiHandler::open(ApiSessionId session) { m_sessions[session] = Push::none; }

void ApiHandler::close(ApiSessionId session) { m_sessions.erase(session); }

std::size_t ApiHandler::subscribers() const noexcept {
    return static_cast<std::size_t>(
        std::count_if(m_sessions.begin(), m_sessions.end(), [](const auto& s) { return s.second != Push::none; }));
}

ApiFrame ApiHandler::error(std::string_view message) {
    ++m_stats.errors;
    return text_frame(json{{"type", "error"}, {"message", std::string(message)}});
}

std::vector<ApiFrame> ApiHandler::on_message(ApiSessionId session, std::span<const std::uint8_t> data, bool binary) {
    ++m_stats.requests;
    if (!m_sessions.contains(session)) m_sessions[session] = Push::none;
    if (data.size() > m_limits.max_request_size)
        return {error("request too large: " + std::to_string(data.size()) + " bytes (limit " +
                      std::to_string(m_limits.max_request_size) + ")")};
    if (binary) return on_binary(session, data);
    return on_text(session, std::string_view(reinterpret_cast<const char*>(data.data()), data.size())); // NOLINT
}

std::vector<ApiFrame> ApiHandler::on_text(ApiSessionId session, std::string_view text) {
    json request = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (request.is_discarded()) return {error("invalid JSON")};
    if (!request.is_object()) return {error("request must be a JSON object")};
    const auto type_it = request.find("type");
    if (type_it == request.end()) return {error("missing field 'type'")};
    if (!type_it->is_string()) return {error("field 'type' must be a string")};
    const std::string type = type_it->get<std::string>();

    if (type == "send") {
        const auto message = request.find("message");
        if (message == request.end()) return {error("missing field 'message'")};
        if (!message->is_string()) return {error("field 'message' must be a string")};
        const auto recipient = request.find("recipient_address");
        if (recipient == request.end()) return {error("missing field 'recipient_address'")};
        if (!recipient->is_string()) return {error("field 'recipient_address' must be a string")};
        std::size_t reply_surbs = 0;
        if (const auto surbs = request.find("withReplySurbs"); surbs != request.end()) {
            if (!surbs->is_number_unsigned() || surbs->get<std::uint64_t>() > m_limits.max_reply_surbs)
                return {error("field 'withReplySurbs' must be an integer 0-" + std::to_string(m_limits.max_reply_surbs))};
            reply_surbs = static_cast<std::size_t>(surbs->get<std::uint64_t>());
        }
        const auto& payload = message->get_ref<const std::string&>();
        if (payload.size() > m_limits.max_message_size)
            return {error("message too large: " + std::to_string(payload.size()) + " bytes (limit " +
                          std::to_string(m_limits.max_message_size) + ")")};
        auto address = parse_address(recipient->get_ref<const std::string&>());
        if (!address) return {error(address_error(recipient->get_ref<const std::string&>()))};
        const auto* bytes = reinterpret_cast<const std::uint8_t*>(payload.data()); // NOLINT: UTF-8 bytes
        if (auto sent = m_backend.send(std::span(bytes, payload.size()), *address, reply_surbs); !sent)
            return {error(send_error(sent.error()))};
        return {text_frame(json{{"type", "send"}})};
    }
    if (type == "fetch") {
        json messages = json::array();
        for (const auto& m : m_buffer) messages.push_back(as_string(m.data));
        m_stats.fetched += m_buffer.size();
        m_buffer.clear();
        m_buffer_bytes = 0;
        return {text_frame(json{{"type", "fetch"}, {"messages", std::move(messages)}})};
    }
    if (type == "getClients") {
        return {text_frame(json{{"type", "getClients"}, {"clients", m_backend.clients()}})};
    }
    if (type == "ownDetails") {
        return {text_frame(json{{"type", "ownDetails"}, {"address", m_backend.own_address()}})};
    }
    if (type == "subscribe") {
        return subscribe(session, Push::json, text_frame(json{{"type", "subscribe"}}));
    }
    if (type == "unsubscribe") {
        m_sessions[session] = Push::none;
        return {text_frame(json{{"type", "unsubscribe"}})};
    }
    if (type == "reply") {
        const auto tag = request.find("senderTag");
        if (tag == request.end()) return {error("missing field 'senderTag'")};
        if (!tag->is_string()) return {error("field 'senderTag' must be a string")};
        const auto message = request.find("message");
        if (message == request.end()) return {error("missing field 'message'")};
        if (!message->is_string()) return {error("field 'message' must be a string")};
        auto parsed_tag = parse_sender_tag(tag->get_ref<const std::string&>());
        if (!parsed_tag) return {error("invalid sender tag: must be base58 of 16 bytes")};
        const auto& payload = message->get_ref<const std::string&>();
        if (payload.size() > m_limits.max_message_size)
            return {error("message too large: " + std::to_string(payload.size()) + " bytes (limit " +
                          std::to_string(m_limits.max_message_size) + ")")};
        const auto* bytes = reinterpret_cast<const std::uint8_t*>(payload.data()); // NOLINT: UTF-8 bytes
        if (auto sent = m_backend.reply(*parsed_tag, std::span(bytes, payload.size())); !sent)
            return {error("reply failed: " + sent.error().message())};
        return {text_frame(json{{"type", "reply"}})};
    }
    std::string shown = type.substr(0, 64);
    return {error("unknown request type '" + shown + "'")};
}

std::vector<ApiFrame> ApiHandler::on_binary(ApiSessionId session, std::span<const std::uint8_t> data) {
    if (data.empty()) return {error("empty binary request")};
    const std::uint8_t tag = data[0];
    const auto body = data.subspan(1);
    switch (tag) {
    case static_cast<std::uint8_t>(BinaryRequest::send): {
        // reply_surbs (u16) ‖ address length (u16) ‖ address ‖ message
        if (body.size() < 4) return {error("binary send: truncated header")};
        const std::size_t reply_surbs = get_u16(body);
        const std::size_t address_length = get_u16(body.subspan(2));
        if (body.size() < 4 + address_length) return {error("binary send: truncated recipient address")};
        if (reply_surbs > m_limits.max_reply_surbs)
            return {error("binary send: at most " + std::to_string(m_limits.max_reply_surbs) + " reply SURBs")};
        const auto address_bytes = body.subspan(4, address_length);
        const auto message = body.subspan(4 + address_length);
        if (message.size() > m_limits.max_message_size)
            return {error("message too large: " + std::to_string(message.size()) + " bytes (limit " +
                          std::to_string(m_limits.max_message_size) + ")")};
        auto address = parse_address(as_string(address_bytes));
        if (!address) return {error(address_error(as_string(address_bytes)))};
        if (auto sent = m_backend.send(message, *address, reply_surbs); !sent)
            return {error(send_error(sent.error()))};
        return {binary_frame(Bytes{static_cast<std::uint8_t>(BinaryResponse::send)})};
    }
    case static_cast<std::uint8_t>(BinaryRequest::reply): {
        if (body.size() < SENDER_TAG_SIZE) return {error("binary reply: truncated sender tag")};
        SenderTag sender{};
        std::copy_n(body.begin(), SENDER_TAG_SIZE, sender.begin());
        const auto message = body.subspan(SENDER_TAG_SIZE);
        if (message.size() > m_limits.max_message_size)
            return {error("message too large: " + std::to_string(message.size()) + " bytes (limit " +
                          std::to_string(m_limits.max_message_size) + ")")};
        if (auto sent = m_backend.reply(sender, message); !sent)
            return {error("reply failed: " + sent.error().message())};
        return {binary_frame(Bytes{static_cast<std::uint8_t>(BinaryResponse::reply)})};
    }
    case static_cast<std::uint8_t>(BinaryRequest::fetch): {
        if (!body.empty()) return {error("binary fetch: unexpected trailing bytes")};
        Bytes out{static_cast<std::uint8_t>(BinaryResponse::fetch)};
        put_u32(out, static_cast<std::uint32_t>(m_buffer.size()));
        for (const auto& m : m_buffer) put_received(out, m, true);
        m_stats.fetched += m_buffer.size();
        m_buffer.clear();
        m_buffer_bytes = 0;
        return {binary_frame(std::move(out))};
    }
    case static_cast<std::uint8_t>(BinaryRequest::subscribe): {
        if (!body.empty()) return {error("binary subscribe: unexpected trailing bytes")};
        return subscribe(session, Push::binary, binary_frame(Bytes{static_cast<std::uint8_t>(BinaryResponse::subscribe)}));
    }
    default: break;
    }
    return {error("unknown binary request (text requests must be sent as text frames)")};
}

std::vector<ApiFrame> ApiHandler::subscribe(ApiSessionId session, Push mode, ApiFrame ack) {
    m_sessions[session] = mode;
    std::vector<ApiFrame> out;
    out.push_back(std::move(ack));
    // Whatever arrived before anybody subscribed goes to the first subscriber, so nothing received
    // between start-up and subscribing is stranded in the fetch buffer.
    for (const auto& m : m_buffer) {
        if (mode == Push::json) {
            out.push_back(text_frame(received_json(m)));
        } else {
            Bytes data{static_cast<std::uint8_t>(BinaryResponse::received)};
            put_received(data, m, false);
            out.push_back(binary_frame(std::move(data)));
        }
        ++m_stats.pushed;
    }
    m_buffer.clear();
    m_buffer_bytes = 0;
    return out;
}

void ApiHandler::buffer(const MessageReceived& message) {
    while (!m_buffer.empty() && (m_buffer.size() >= m_limits.max_buffered_messages ||
                                 m_buffer_bytes + message.data.size() > m_limits.max_buffered_bytes)) {
        m_buffer_bytes -= m_buffer.front().data.size();
        m_buffer.pop_front();
        ++m_stats.dropped;
    }
    if (message.data.size() > m_limits.max_buffered_bytes || m_limits.max_buffered_messages == 0) {
        ++m_stats.dropped;
        return;
    }
    m_buffer_bytes += message.data.size();
    m_buffer.push_back(message);
}

std::vector<ApiPush> ApiHandler::on_received(const MessageReceived& message) {
    ++m_stats.received;
    std::vector<ApiPush> out;
    std::optional<ApiFrame> as_json;
    std::optional<ApiFrame> as_binary;
    for (const auto& [session, mode] : m_sessions) {
        if (mode == Push::json) {
            if (!as_json) as_json = text_frame(received_json(message));
            out.push_back(ApiPush{session, *as_json});
        } else if (mode == Push::binary) {
            if (!as_binary) {
                Bytes data{static_cast<std::uint8_t>(BinaryResponse::received)};
                put_received(data, message, false);
                as_binary = binary_frame(std::move(data));
            }
            out.push_back(ApiPush{session, *as_binary});
        }
    }
    if (out.empty()) buffer(message);
    m_stats.pushed += out.size();
    return out;
}

} // namespace nym::client
