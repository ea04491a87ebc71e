#pragma once
// Value types of a Sphinx route: addresses, SURB identifiers, delays, route nodes, replay tags.

#include <crypto/x25519.hpp>
#include <sphinx/constants.hpp>

#include <array>
#include <chrono>
#include <compare>
#include <cstdint>
#include <limits>
#include <span>

namespace nym::sphinx {

/// A mix node's address as carried in the header (32 bytes; Nym puts its IP:port encoding here, see
/// node_address.hpp).
struct NodeAddress {
    std::array<std::uint8_t, NODE_ADDRESS_LENGTH> bytes{};
    friend bool operator==(const NodeAddress&, const NodeAddress&) = default;
};

/// The final recipient as seen by the last hop (32 bytes; Nym puts the client's identity key here).
struct DestinationAddress {
    std::array<std::uint8_t, DESTINATION_ADDRESS_LENGTH> bytes{};
    friend bool operator==(const DestinationAddress&, const DestinationAddress&) = default;
};

/// The 16-byte identifier delivered with the destination (Nym always leaves it zero).
struct SurbIdentifier {
    std::array<std::uint8_t, IDENTIFIER_LENGTH> bytes{};
    friend bool operator==(const SurbIdentifier&, const SurbIdentifier&) = default;
};

/// A per-hop delay in nanoseconds, encoded as u64 big-endian in the header.
class Delay {
public:
    constexpr Delay() noexcept = default;
    constexpr explicit Delay(std::uint64_t nanos) noexcept : m_nanos(nanos) {}
    static constexpr Delay from_be_bytes(std::span<const std::uint8_t, DELAY_LENGTH> bytes) noexcept {
        std::uint64_t v = 0;
        for (std::uint8_t b : bytes) v = (v << 8) | b;
        return Delay(v);
    }
    /// Negative durations become zero.
    template <class Rep, class Period>
    static constexpr Delay from_duration(std::chrono::duration<Rep, Period> d) noexcept {
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
        return Delay(ns < 0 ? 0 : static_cast<std::uint64_t>(ns));
    }

    constexpr std::uint64_t nanos() const noexcept { return m_nanos; }
    /// Saturates at the largest signed nanosecond count (a header may carry any u64).
    constexpr std::chrono::nanoseconds to_duration() const noexcept {
        constexpr auto MAX = static_cast<std::uint64_t>(std::numeric_limits<std::chrono::nanoseconds::rep>::max());
        return std::chrono::nanoseconds(static_cast<std::chrono::nanoseconds::rep>(m_nanos > MAX ? MAX : m_nanos));
    }
    constexpr std::array<std::uint8_t, DELAY_LENGTH> to_be_bytes() const noexcept {
        std::array<std::uint8_t, DELAY_LENGTH> out{};
        for (std::size_t i = 0; i < DELAY_LENGTH; ++i)
            out[i] = static_cast<std::uint8_t>(m_nanos >> (8 * (DELAY_LENGTH - 1 - i)));
        return out;
    }

    friend constexpr auto operator<=>(const Delay&, const Delay&) noexcept = default;

private:
    std::uint64_t m_nanos = 0;
};

/// One hop of a route: where it is and its Sphinx (X25519) public key.
struct RouteNode {
    NodeAddress address;
    crypto::X25519PublicKey public_key;
};

/// 32 bytes that are equal for the same packet at the same node and differ otherwise (HKDF bytes
/// 256..288 of the hop's shared secret, sphinx-packet 0.6.0's replay tag); what a node keeps in its
/// replay cache. Public value (derived from a secret, revealing nothing of it).
struct ReplayTag {
    std::array<std::uint8_t, REPLAY_TAG_SIZE> bytes{};
    friend bool operator==(const ReplayTag&, const ReplayTag&) = default;
};

} // namespace nym::sphinx
