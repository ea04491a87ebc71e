#pragma once
// Internal helpers of the Sphinx library; not part of its interface.

#include <crypto/secret.hpp>
#include <sphinx/constants.hpp>
#include <util/expected.hpp>

#include <array>
#include <cstdint>

namespace nym::sphinx::detail {

/// A 360-byte keystream buffer on the stack that wipes itself.
struct Keystream {
    std::array<std::uint8_t, STREAM_CIPHER_OUTPUT_LENGTH> bytes;
    Keystream() noexcept = default;
    Keystream(const Keystream&) = delete;
    Keystream& operator=(const Keystream&) = delete;
    ~Keystream() { crypto::secure_wipe(bytes.data(), bytes.size()); }
};

/// Errc::invalid_route_length (0 or > 5 hops), Errc::invalid_delay_count (neither r nor r − 1 delays).
[[nodiscard]] Expected<void> check_route(std::size_t route_len, std::size_t delay_count);
/// Errc::payload_too_small, Errc::message_too_long.
[[nodiscard]] Expected<void> check_payload(std::size_t payload_size, std::size_t message_size);

} // namespace nym::sphinx::detail
