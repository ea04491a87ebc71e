#pragma once
// The unit the mix node's pipeline moves around once a packet has been unwrapped.

#include <sphinx/node_address.hpp>
#include <sphinx/packet_size.hpp>

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>
#include <wire/framing.hpp>

namespace nym::mixnode {

/// The node never reads the clock itself: callers pass steady_clock time points in.
using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

/// Nym clamps the delay a header asks for to 10 s (nym-node config MixnetDebug).
inline constexpr std::chrono::milliseconds DEFAULT_MAX_DELAY{10'000};

/// An unwrapped packet on its way to the next hop.
struct ForwardPacket {
    sphinx::IpEndpoint next_hop;           ///< decoded from the header's 32-byte node address
    TimePoint release{};                   ///< when it may leave (arrival + clamped delay)
    sphinx::PacketSize size = sphinx::PacketSize::regular;
    /// The frame for the next hop, ready to send: header ‖ the re-blinded packet. It is the buffer
    /// the packet arrived in, rewritten in place (the size, and so the header, does not change).
    std::vector<std::uint8_t> frame;

    /// The packet inside the frame.
    [[nodiscard]] std::span<const std::uint8_t> packet() const noexcept {
        if (frame.size() < wire::FRAME_HEADER_SIZE) return {};
        return std::span<const std::uint8_t>(frame).subspan(wire::FRAME_HEADER_SIZE);
    }
};

/// arrival + delay, with the delay clamped to [0, max_delay].
[[nodiscard]] inline TimePoint release_time(TimePoint arrival, std::chrono::nanoseconds delay,
                                            std::chrono::nanoseconds max_delay) noexcept {
    if (delay < std::chrono::nanoseconds::zero()) delay = std::chrono::nanoseconds::zero();
    if (delay > max_delay) delay = max_delay;
    return arrival + std::chrono::duration_cast<Clock::duration>(delay);
}

} // namespace nym::mixnode
