#pragma once
// Nym's Sphinx packet sizes (nymtech/nym common/nymsphinx/params/src/packet_sizes.rs; see
// docs/protocol/sphinx.md "Packet sizes"). The tag byte is the value Nym writes in its frame header.

#include <sphinx/constants.hpp>
#include <util/expected.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace nym::sphinx {

/// Enumerators carry Nym's tag bytes: note that extended32 is 3, extended8 4 and extended16 5.
enum class PacketSize : std::uint8_t {
    regular = 1,    ///< 2048-byte plaintext, 2413 bytes on the wire; used for everything
    ack = 2,        ///< 21-byte plaintext (16 IV + 5 fragment id), 386 bytes; SURB-acks
    extended32 = 3, ///< 32 KiB plaintext, 33133 bytes
    extended8 = 4,  ///< 8 KiB plaintext, 8557 bytes
    extended16 = 5, ///< 16 KiB plaintext, 16749 bytes
};

inline constexpr std::array<PacketSize, 5> ALL_PACKET_SIZES{PacketSize::regular, PacketSize::ack,
                                                              PacketSize::extended8, PacketSize::extended16,
                                                              PacketSize::extended32};

inline constexpr std::size_t REGULAR_PACKET_PLAINTEXT_SIZE = 2048;
inline constexpr std::size_t ACK_PACKET_PLAINTEXT_SIZE = 16 + 5;
inline constexpr std::size_t EXTENDED_PACKET_8_PLAINTEXT_SIZE = 8 * 1024;
inline constexpr std::size_t EXTENDED_PACKET_16_PLAINTEXT_SIZE = 16 * 1024;
inline constexpr std::size_t EXTENDED_PACKET_32_PLAINTEXT_SIZE = 32 * 1024;

/// The message bytes a packet of this size carries (what Nym calls the plaintext size).
constexpr std::size_t plaintext_size(PacketSize size) noexcept {
    switch (size) {
    case PacketSize::regular: return REGULAR_PACKET_PLAINTEXT_SIZE;
    case PacketSize::ack: return ACK_PACKET_PLAINTEXT_SIZE;
    case PacketSize::extended32: return EXTENDED_PACKET_32_PLAINTEXT_SIZE;
    case PacketSize::extended8: return EXTENDED_PACKET_8_PLAINTEXT_SIZE;
    case PacketSize::extended16: return EXTENDED_PACKET_16_PLAINTEXT_SIZE;
    }
    return 0;
}

/// The Sphinx payload_size to build with: plaintext + 17.
constexpr std::size_t payload_size(PacketSize size) noexcept { return plaintext_size(size) + PAYLOAD_OVERHEAD_SIZE; }

/// Bytes on the wire: header (348) + payload.
constexpr std::size_t packet_size(PacketSize size) noexcept { return HEADER_SIZE + payload_size(size); }

constexpr std::uint8_t to_tag(PacketSize size) noexcept { return static_cast<std::uint8_t>(size); }

[[nodiscard]] std::string_view to_string(PacketSize size) noexcept;

/// Errc::unknown_packet_size for a tag outside 1..5.
[[nodiscard]] Expected<PacketSize> packet_size_from_tag(std::uint8_t tag);
/// Errc::unknown_packet_size unless `total_length` is exactly one of the five packet sizes.
[[nodiscard]] Expected<PacketSize> packet_size_from_length(std::size_t total_length);

static_assert(packet_size(PacketSize::regular) == 2413);
static_assert(packet_size(PacketSize::ack) == 386);
static_assert(packet_size(PacketSize::extended8) == 8557);
static_assert(packet_size(PacketSize::extended16) == 16749);
static_assert(packet_size(PacketSize::extended32) == 33133);

} // namespace nym::sphinx
