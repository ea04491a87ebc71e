#pragma once
// Base58 with the Bitcoin alphabet (Nym's textual form of keys and client addresses).

#include <util/expected.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nym::crypto {

inline constexpr std::size_t BASE58_MAX_DECODED = 1024; ///< longer inputs are refused (quadratic codec)

[[nodiscard]] std::string base58_encode(std::span<const std::uint8_t> bytes);
/// Errc::invalid_base58 on a foreign character, Errc::invalid_length past BASE58_MAX_DECODED.
[[nodiscard]] Expected<std::vector<std::uint8_t>> base58_decode(std::string_view text);

} // namespace nym::crypto
