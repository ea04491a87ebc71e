#pragma once
// Node-to-node framing of Sphinx packets on the mix TCP port (1789), byte-compatible with Nym's
// legacy v7 encoding (nymtech/nym common/nymsphinx/framing/src/{packet,codec}.rs,
// params/src/packet_version.rs; docs/protocol/framing.md):
//
//   frame = version (1) ‖ packet size tag (1) ‖ packet type (1) ‖ packet (length implied by the tag)
//
// There is no length prefix: the size tag (1..5, nymsphinx params/src/packet_sizes.rs) fixes the
// packet length. Version numbering starts at 7 because a first byte of 1..6 used to be the size tag
// of Nym's unversioned 0.7-era frames; we reject those. The version byte is also the hook for a
// later link-encryption layer: a future version announces it, and a peer that does not know a
// version rejects the frame.
//
// A TCP stream of frames has no resynchronisation point, so any framing error is fatal to the
// connection: the decoder stays failed and the caller must close the stream.

#include <sphinx/packet_size.hpp>
#include <util/expected.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>
#include <type_traits>
#include <vector>

namespace nym::wire {

/// The only version we speak: Nym's "legacy" v7 (3-byte header, no key-rotation byte).
inline constexpr std::uint8_t FRAME_VERSION_V7 = 7;
inline constexpr std::uint8_t CURRENT_FRAME_VERSION = FRAME_VERSION_V7;
inline constexpr std::size_t FRAME_HEADER_SIZE = 3;
/// The largest packet a frame can carry (ExtendedPacket32, 33133 bytes).
inline constexpr std::size_t MAX_FRAMED_PACKET_SIZE = sphinx::packet_size(sphinx::PacketSize::extended32);
inline constexpr std::size_t MAX_FRAME_SIZE = FRAME_HEADER_SIZE + MAX_FRAMED_PACKET_SIZE;

/// The packet-type byte (nymsphinx params PacketType). Outfox (2) exists upstream; we do not speak it.
enum class PacketType : std::uint8_t {
    mix = 0, ///< a Sphinx packet
};

enum class FramingErrc {
    unknown_version = 1,   ///< first byte is not a version we speak (includes Nym's unversioned 1..6 and v8)
    unknown_packet_size,   ///< size tag outside 1..5
    unknown_packet_type,   ///< packet type other than 0 (Sphinx mix)
    wrong_packet_length,   ///< (encoder) packet bytes that are none of the five packet sizes
};

const std::error_category& framing_category() noexcept;
inline std::error_code make_error_code(FramingErrc e) noexcept { return {static_cast<int>(e), framing_category()}; }

/// One decoded frame. `packet.size() == sphinx::packet_size(size)` by construction.
struct Frame {
    std::uint8_t version = CURRENT_FRAME_VERSION;
    sphinx::PacketSize size = sphinx::PacketSize::regular;
    PacketType type = PacketType::mix;
    std::vector<std::uint8_t> packet;
};

/// The packet size for a packet length, if it is exactly one of Nym's five sizes.
[[nodiscard]] std::optional<sphinx::PacketSize> packet_size_for_length(std::size_t length) noexcept;

/// The 3 header bytes for a packet of `size` (for scatter writes that avoid copying the packet).
[[nodiscard]] std::array<std::uint8_t, FRAME_HEADER_SIZE> encode_frame_header(sphinx::PacketSize size,
                                                                              PacketType type = PacketType::mix) noexcept;

/// header ‖ packet. FramingErrc::wrong_packet_length unless the packet is exactly one of the sizes.
[[nodiscard]] Expected<std::vector<std::uint8_t>> encode_frame(std::span<const std::uint8_t> packet,
                                                               PacketType type = PacketType::mix);

/// Incremental sans-IO decoder for one connection. Feed bytes as they arrive, in chunks of any size;
/// it holds at most one frame (MAX_FRAME_SIZE bytes) at a time. After an error every later call
/// returns the same error: close the connection.
class FrameDecoder {
public:
    struct Step {
        std::size_t consumed = 0;   ///< bytes of the input used (the rest belongs to later frames)
        std::optional<Frame> frame; ///< set when this call completed a frame
    };

    /// Consumes input up to the end of at most one frame. Call again with the unconsumed rest.
    [[nodiscard]] Expected<Step> decode(std::span<const std::uint8_t> input);

    /// Decodes all of `input`, calling on_frame(Frame&&) for each complete frame. Stops at the first
    /// error (frames completed before it have been delivered).
    template <class OnFrame>
    [[nodiscard]] Expected<void> feed(std::span<const std::uint8_t> input, OnFrame&& on_frame) {
        while (!input.empty()) {
            auto step = decode(input);
            if (!step) return Unexpected(step.error());
            input = input.subspan(step->consumed);
            if (step->frame) on_frame(std::move(*step->frame));
        }
        return {};
    }

    /// Bytes of a partial frame held (header or packet), at most MAX_FRAME_SIZE.
    [[nodiscard]] std::size_t buffered() const noexcept { return m_header_len + m_packet.size(); }
    /// True when no partial frame is held: a clean place for the peer to have closed the stream.
    [[nodiscard]] bool idle() const noexcept { return buffered() == 0 && !m_error; }
    [[nodiscard]] bool failed() const noexcept { return m_error.has_value(); }

private:
    Unexpected<std::error_code> fail_with(FramingErrc e);

    std::array<std::uint8_t, FRAME_HEADER_SIZE> m_header{};
    std::size_t m_header_len = 0;
    std::size_t m_packet_len = 0;          // expected packet length once the header is complete
    std::vector<std::uint8_t> m_packet;    // bytes of the packet received so far
    std::optional<FramingErrc> m_error;
};

} // namespace nym::wire

template <>
struct std::is_error_code_enum<nym::wire::FramingErrc> : std::true_type {};
