#pragma once
// ABCI socket framing as CometBFT v0.38 speaks it (abci/types/messages.go over libs/protoio): every
// Request and Response is a protobuf message preceded by its length as an unsigned varint
// (protobuf's "delimited" form; Go's binary.PutUvarint / ReadUvarint). Sans-IO: bytes in, frames out.

#include <util/expected.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <system_error>
#include <type_traits>
#include <vector>

namespace nym::abci {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;

/// Largest message accepted by default: CometBFT's largest block (100 MiB, types.MaxBlockSizeBytes)
/// plus room for the rest of a FinalizeBlock request.
inline constexpr std::size_t DEFAULT_MAX_FRAME_SIZE = 128u << 20;
/// A uvarint of a 64-bit value takes at most 10 bytes.
inline constexpr std::size_t MAX_VARINT_SIZE = 10;

enum class Errc {
    varint_overflow = 1, ///< a length prefix longer than 10 bytes or above 2^64 - 1
    frame_too_large,     ///< a length above the decoder's maximum
    malformed_message,   ///< a frame that is not a protobuf Request
    unknown_request,     ///< a Request with no (or an unknown) value
};
const std::error_category& abci_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), abci_category()};
}

/// Appends uvarint(message.size()) || message to `out`.
void append_frame(Bytes& out, ByteSpan message);

/// Splits a byte stream, fed in chunks of any size, into frames. After an error it stays failed and
/// ignores further input (the connection is to be closed).
class FrameDecoder {
public:
    explicit FrameDecoder(std::size_t max_frame_size = DEFAULT_MAX_FRAME_SIZE) : m_max(max_frame_size) {}

    void feed(ByteSpan bytes);
    /// The next complete frame's payload (valid until the next feed() or next()), std::nullopt when
    /// more bytes are needed, or the (sticky) error.
    [[nodiscard]] Expected<std::optional<ByteSpan>> next();
    [[nodiscard]] std::size_t buffered() const noexcept { return m_buf.size() - m_pos; }
    [[nodiscard]] bool failed() const noexcept { return static_cast<bool>(m_error); }

private:
    std::size_t m_max;
    Bytes m_buf;
    std::size_t m_pos = 0;
    std::error_code m_error;
};

} // namespace nym::abci

template <>
struct std::is_error_code_enum<nym::abci::Errc> : std::true_type {};
