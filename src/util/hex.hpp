#pragma once

#include <util/expected.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace nym::util {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;

enum class Errc {
    invalid_hex = 1,   ///< a character outside [0-9a-fA-F]
    odd_length,        ///< hex text with an odd number of digits
    wrong_length,      ///< decoded bytes not of the length the caller asked for
};
const std::error_category& util_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), util_category()}; }

[[nodiscard]] std::string to_hex(ByteSpan bytes);
[[nodiscard]] Expected<Bytes> from_hex(std::string_view hex);
/// Decodes into a buffer of exactly out.size() bytes.
[[nodiscard]] Expected<void> from_hex_into(std::string_view hex, std::span<std::uint8_t> out);

inline ByteSpan as_bytes(std::string_view s) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

} // namespace nym::util

template <>
struct std::is_error_code_enum<nym::util::Errc> : std::true_type {};
