#include <wire/client_api_tcp.hpp>

#include "client_api.pb.h"

#include <limits>
#include <type_traits>

namespace nym::wire::client_api::tcp {
namespace {

namespace pb = nym::client_api;

Unexpected<ParseError> refuse(std::string message) { return Unexpected(ParseError{std::move(message)}); }

Bytes framed(const google::protobuf::MessageLite& message) {
    const std::size_t size = message.ByteSizeLong();
    Bytes out(LENGTH_PREFIX_SIZE + size);
    for (std::size_t i = 0; i < LENGTH_PREFIX_SIZE; ++i)
        out[i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(size) >> (8 * (LENGTH_PREFIX_SIZE - 1 - i)));
    message.SerializeWithCachedSizesToArray(out.data() + LENGTH_PREFIX_SIZE);
    return out;
}

bool parse(google::protobuf::MessageLite& message, std::span<const std::uint8_t> frame) {
    if (frame.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) return false;
    return message.ParseFromArray(frame.data(), static_cast<int>(frame.size()));
}

std::string as_string(const Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }
Bytes as_bytes(const std::string& text) { return Bytes(text.begin(), text.end()); }

} // namespace

void FrameReader::feed(std::span<const std::uint8_t> bytes) {
    if (m_failed) return;
    m_buffer.insert(m_buffer.end(), bytes.begin(), bytes.end());
}

Expected<std::optional<Bytes>, ParseError> FrameReader::next() {
    if (m_failed) return Unexpected(*m_failed);
    if (m_buffer.size() < LENGTH_PREFIX_SIZE) return std::optional<Bytes>();
    std::uint64_t length = 0;
    for (std::size_t i = 0; i < LENGTH_PREFIX_SIZE; ++i) length = (length << 8) | m_buffer[i];
    if (length > m_max) {
        m_failed = ParseError{"request too large: " + std::to_string(length) + " bytes (limit " +
                              std::to_string(m_max) + ")"};
        m_buffer.clear();
        return Unexpected(*m_failed);
    }
    const auto size = static_cast<std::size_t>(length);
    if (m_buffer.size() - LENGTH_PREFIX_SIZE < size) return std::optional<Bytes>();
    const auto begin = m_buffer.begin() + static_cast<std::ptrdiff_t>(LENGTH_PREFIX_SIZE);
    const auto end = begin + static_cast<std::ptrdiff_t>(size);
    Bytes frame(begin, end);
    m_buffer.erase(m_buffer.begin(), end);
    return std::optional<Bytes>(std::move(frame));
}

Expected<TcpRequest, ParseError> decode_request(std::span<const std::uint8_t> frame, const Limits& limits) {
    pb::Request request;
    if (!parse(request, frame)) return refuse("malformed request: not a protobuf Request message");
    // One result, assigned then returned: returning a fresh temporary per case trips GCC 12's
    // -Wmaybe-uninitialized (a false positive) under the sanitizer preset.
    TcpRequest out;
    switch (request.value_case()) {
    case pb::Request::kSend: {
        const auto& send = request.send();
        if (send.recipient_address().empty()) return refuse("missing field 'recipient_address'");
        if (send.message().size() > limits.max_message_size)
            return refuse("message too large: " + std::to_string(send.message().size()) + " bytes (limit " +
                          std::to_string(limits.max_message_size) + ")");
        out = SendRequest{as_bytes(send.message()), send.recipient_address(), 0};
        return out;
    }
    case pb::Request::kFetch: out = FetchRequest{}; return out;
    case pb::Request::kClients: out = GetClientsRequest{}; return out;
    case pb::Request::kDetails: out = OwnDetailsRequest{}; return out;
    case pb::Request::kFlush: out = FlushRequest{}; return out;
    case pb::Request::VALUE_NOT_SET: break;
    }
    return refuse("empty request: none of send, fetch, clients, details, flush is set");
}

Bytes encode_response(const Response& response) {
    pb::Response out;
    std::visit(
        [&](const auto& r) {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, SendResponse>) {
                out.mutable_send();
            } else if constexpr (std::is_same_v<T, FetchResponse>) {
                auto* fetch = out.mutable_fetch();
                for (const auto& m : r.messages) fetch->add_messages(as_string(m.message));
            } else if constexpr (std::is_same_v<T, ClientsResponse>) {
                auto* clients = out.mutable_clients();
                for (const auto& c : r.clients) clients->add_addresses(c);
            } else if constexpr (std::is_same_v<T, OwnDetailsResponse>) {
                out.mutable_details()->set_address(r.address);
            } else if constexpr (std::is_same_v<T, ErrorResponse>) {
                out.mutable_exception()->set_error(r.message);
            } else {
                out.mutable_exception()->set_error("response not available on the TCP socket");
            }
        },
        response);
    return framed(out);
}

Request to_request(TcpRequest request) {
    return std::visit(
        [](auto&& r) -> Request {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, FlushRequest>) return FetchRequest{}; // callers handle flush first
            else return Request{std::move(r)};
        },
        std::move(request));
}

Expected<Bytes, ParseError> encode_request(const TcpRequest& request) {
    pb::Request out;
    if (const auto* send = std::get_if<SendRequest>(&request)) {
        if (send->reply_surbs != 0) return refuse("reply SURBs are not available on the TCP socket");
        auto* s = out.mutable_send();
        s->set_message(as_string(send->message));
        s->set_recipient_address(send->recipient);
    } else if (std::holds_alternative<FetchRequest>(request)) {
        out.mutable_fetch();
    } else if (std::holds_alternative<GetClientsRequest>(request)) {
        out.mutable_clients();
    } else if (std::holds_alternative<OwnDetailsRequest>(request)) {
        out.mutable_details();
    } else {
        out.mutable_flush();
    }
    return framed(out);
}

Expected<Response, ParseError> decode_response(std::span<const std::uint8_t> frame) {
    pb::Response response;
    if (!parse(response, frame)) return refuse("malformed response: not a protobuf Response message");
    switch (response.value_case()) {
    case pb::Response::kException: return Response{ErrorResponse{response.exception().error()}};
    case pb::Response::kSend: return Response{SendResponse{}};
    case pb::Response::kFetch: {
        FetchResponse fetch;
        for (const auto& m : response.fetch().messages()) fetch.messages.push_back(Received{as_bytes(m), std::nullopt});
        return Response{std::move(fetch)};
    }
    case pb::Response::kClients: {
        ClientsResponse clients;
        for (const auto& c : response.clients().addresses()) clients.clients.push_back(c);
        return Response{std::move(clients)};
    }
    case pb::Response::kDetails: return Response{OwnDetailsResponse{response.details().address()}};
    case pb::Response::kFlush:
    case pb::Response::VALUE_NOT_SET: break;
    }
    return refuse("empty or flush response");
}

} // namespace nym::wire::client_api::tcp
