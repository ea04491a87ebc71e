#include <abci/connection.hpp>

namespace nym::abci {

Connection::Connection(Application& app, ConnectionOptions options)
    : m_app(app), m_options(options), m_decoder(options.max_frame_size) {}

void Connection::respond(const pb::Response& response) {
    const std::string bytes = response.SerializeAsString();
    append_frame(m_pending, ByteSpan(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

void Connection::close(std::string reason) {
    m_closed = true;
    m_reason = std::move(reason);
}

Bytes Connection::on_bytes(ByteSpan bytes) {
    if (m_closed) return {};
    m_decoder.feed(bytes);
    for (;;) {
        auto frame = m_decoder.next();
        if (!frame) {
            pb::Response r;
            r.mutable_exception()->set_error("ABCI framing: " + frame.error().message());
            respond(r);
            close(frame.error().message());
            break;
        }
        if (!*frame) break; // need more bytes
        pb::Request request;
        const ByteSpan payload = **frame;
        if (!request.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
            pb::Response r;
            r.mutable_exception()->set_error(make_error_code(Errc::malformed_message).message());
            respond(r);
            close(make_error_code(Errc::malformed_message).message());
            break;
        }
        const pb::Response response = m_app.handle(request);
        ++m_requests;
        respond(response);
        if (response.value_case() == pb::Response::kException) {
            close(response.exception().error());
            break;
        }
        if (request.value_case() == pb::Request::kFlush || m_pending.size() >= m_options.flush_threshold) {
            m_out.insert(m_out.end(), m_pending.begin(), m_pending.end());
            m_pending.clear();
        }
    }
    if (m_closed) {
        m_out.insert(m_out.end(), m_pending.begin(), m_pending.end());
        m_pending.clear();
    }
    Bytes out;
    out.swap(m_out);
    return out;
}

} // namespace nym::abci
