#include <client/api.hpp>
#include <client/errors.hpp>

#include <algorithm>
#include <type_traits>

namespace nym::client {
namespace {

namespace api = wire::client_api;

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

api::Received to_wire(const MessageReceived& m) { return api::Received{m.data, m.sender_tag}; }

} // namespace

ApiHandler::ApiHandler(ApiBackend& backend, ApiLimits limits) : m_backend(backend), m_limits(limits) {}

void ApiHandler::open(ApiSessionId session) { m_sessions[session] = Push::none; }

void ApiHandler::close(ApiSessionId session) { m_sessions.erase(session); }

std::size_t ApiHandler::subscribers() const noexcept {
    return static_cast<std::size_t>(
        std::count_if(m_sessions.begin(), m_sessions.end(), [](const auto& s) { return s.second != Push::none; }));
}

api::Limits ApiHandler::wire_limits() const noexcept {
    return api::Limits{m_limits.max_request_size, m_limits.max_message_size, m_limits.max_reply_surbs};
}

api::Response ApiHandler::error(std::string message) {
    ++m_stats.errors;
    return api::ErrorResponse{std::move(message)};
}

std::vector<ApiFrame> ApiHandler::on_message(ApiSessionId session, std::span<const std::uint8_t> data, bool binary) {
    const auto encoding = binary ? ApiEncoding::binary : ApiEncoding::text;
    std::vector<ApiFrame> out;
    auto request = api::parse_request(data, binary, wire_limits());
    if (!request) {
        ++m_stats.requests;
        if (!m_sessions.contains(session)) m_sessions[session] = Push::none;
        out.push_back(api::serialize(error(request.error().message), encoding));
        return out;
    }
    for (const auto& response : handle(session, *request, encoding)) out.push_back(api::serialize(response, encoding));
    return out;
}

std::vector<api::Response> ApiHandler::handle(ApiSessionId session, const api::Request& request, ApiEncoding pushes) {
    ++m_stats.requests;
    if (!m_sessions.contains(session)) m_sessions[session] = Push::none;
    return std::visit(
        [&](const auto& r) -> std::vector<api::Response> {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, api::SendRequest>) {
                if (r.message.size() > m_limits.max_message_size)
                    return {error("message too large: " + std::to_string(r.message.size()) + " bytes (limit " +
                                  std::to_string(m_limits.max_message_size) + ")")};
                auto address = parse_address(r.recipient);
                if (!address) return {error(address_error(r.recipient))};
                if (auto sent = m_backend.send(r.message, *address, r.reply_surbs); !sent)
                    return {error(send_error(sent.error()))};
                return {api::SendResponse{}};
            } else if constexpr (std::is_same_v<T, api::ReplyRequest>) {
                if (r.message.size() > m_limits.max_message_size)
                    return {error("message too large: " + std::to_string(r.message.size()) + " bytes (limit " +
                                  std::to_string(m_limits.max_message_size) + ")")};
                if (auto sent = m_backend.reply(r.sender_tag, r.message); !sent)
                    return {error("reply failed: " + sent.error().message())};
                return {api::ReplyResponse{}};
            } else if constexpr (std::is_same_v<T, api::FetchRequest>) {
                api::FetchResponse fetch;
                fetch.messages.reserve(m_buffer.size());
                for (const auto& m : m_buffer) fetch.messages.push_back(to_wire(m));
                m_stats.fetched += m_buffer.size();
                m_buffer.clear();
                m_buffer_bytes = 0;
                return {std::move(fetch)};
            } else if constexpr (std::is_same_v<T, api::GetClientsRequest>) {
                return {api::ClientsResponse{m_backend.clients()}};
            } else if constexpr (std::is_same_v<T, api::OwnDetailsRequest>) {
                return {api::OwnDetailsResponse{m_backend.own_address()}};
            } else if constexpr (std::is_same_v<T, api::SubscribeRequest>) {
                return subscribe(session, pushes == ApiEncoding::binary ? Push::binary : Push::text);
            } else {
                m_sessions[session] = Push::none;
                return {api::UnsubscribeResponse{}};
            }
        },
        request);
}

std::vector<api::Response> ApiHandler::subscribe(ApiSessionId session, Push mode) {
    m_sessions[session] = mode;
    std::vector<api::Response> out;
    out.emplace_back(api::SubscribeResponse{});
    // Whatever arrived before anybody subscribed goes to the first subscriber, so nothing received
    // between start-up and subscribing is stranded in the fetch buffer.
    for (const auto& m : m_buffer) {
        out.emplace_back(to_wire(m));
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
    std::optional<ApiFrame> as_text;
    std::optional<ApiFrame> as_binary;
    for (const auto& [session, mode] : m_sessions) {
        if (mode == Push::none) continue;
        auto& frame = mode == Push::text ? as_text : as_binary;
        if (!frame) frame = api::serialize(api::Response{to_wire(message)}, mode == Push::text ? ApiEncoding::text
                                                                                                 : ApiEncoding::binary);
        out.push_back(ApiPush{session, *frame});
    }
    if (out.empty()) buffer(message);
    m_stats.pushed += out.size();
    return out;
}

} // namespace nym::client
