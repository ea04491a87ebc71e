#include <sphinx/errors.hpp>
#include <sphinx/packet_size.hpp>

namespace nym::sphinx {

std::string_view to_string(PacketSize size) noexcept {
    switch (size) {
    case PacketSize::regular: return "regular";
    case PacketSize::ack: return "ack";
    case PacketSize::extended32: return "extended32";
    case PacketSize::extended8: return "extended8";
    case PacketSize::extended16: return "extended16";
    }
    return "unknown";
}

Expected<PacketSize> packet_size_from_tag(std::uint8_t tag) {
    for (PacketSize size : ALL_PACKET_SIZES) {
        if (to_tag(size) == tag) return size;
    }
    return fail(Errc::unknown_packet_size);
}

Expected<PacketSize> packet_size_from_length(std::size_t total_length) {
    for (PacketSize size : ALL_PACKET_SIZES) {
        if (packet_size(size) == total_length) return size;
    }
    return fail(Errc::unknown_packet_size);
}

} // namespace nym::sphinx
