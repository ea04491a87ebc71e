#pragma once
// One ABCI socket connection, sans-IO: the bytes CometBFT sent in, the bytes to send back out.
//
// Requests are answered in order. As in CometBFT's own server, responses are buffered until a
// Flush request is answered (the client sends one after every synchronous request and, for
// asynchronous CheckTx, within 20 ms) or until FLUSH_THRESHOLD bytes are pending. A frame that
// cannot be decoded, or a request the application answers with an exception, ends the connection:
// on_bytes() returns everything pending (the exception last) and closed() becomes true; the
// caller writes those bytes and then closes the socket.

#include <abci/application.hpp>
#include <abci/framing.hpp>

#include <string>

namespace nym::abci {

struct ConnectionOptions {
    std::size_t max_frame_size = DEFAULT_MAX_FRAME_SIZE;
    /// Pending response bytes that are released without waiting for a Flush.
    std::size_t flush_threshold = 64 * 1024;
};

class Connection {
public:
    explicit Connection(Application& app, ConnectionOptions options = {});

    /// Feeds received bytes (any chunking) and returns the bytes to write, possibly none.
    [[nodiscard]] Bytes on_bytes(ByteSpan bytes);
    [[nodiscard]] bool closed() const noexcept { return m_closed; }
    /// Why the connection closed ("" while open).
    [[nodiscard]] const std::string& close_reason() const noexcept { return m_reason; }
    /// Requests answered so far (including Flush).
    [[nodiscard]] std::uint64_t requests() const noexcept { return m_requests; }

private:
    void respond(const pb::Response& response);
    void close(std::string reason);

    Application& m_app;
    ConnectionOptions m_options;
    FrameDecoder m_decoder;
    Bytes m_pending;
    Bytes m_out;
    bool m_closed = false;
    std::string m_reason;
    std::uint64_t m_requests = 0;
};

} // namespace nym::abci
