#pragma once
// Unsigned 256-bit integers: token amounts, wei values and the fields of transactions. Only what
// Ethereum's encodings need: hex quantities (JSON-RPC), decimal text (people), big-endian bytes
// (ABI words, RLP), multiplication and division by a 64-bit number (token units), comparison.

#include <util/expected.hpp>

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nym::ethereum {

class U256 {
public:
    constexpr U256() = default;
    constexpr U256(std::uint64_t value) : m_limbs{value, 0, 0, 0} {} // NOLINT: implicit, like an integer

    /// 32 big-endian bytes (an ABI word).
    static U256 from_be_bytes(std::span<const std::uint8_t, 32> bytes) noexcept;
    /// At most 32 big-endian bytes (an RLP integer, leading zeros allowed here); nullopt if longer.
    static std::optional<U256> from_be_span(std::span<const std::uint8_t> bytes) noexcept;
    /// A JSON-RPC quantity: "0x" followed by 1 to 64 hex digits (leading zeros tolerated).
    static Expected<U256> from_quantity(std::string_view text);
    /// Decimal digits, at most 2^256 - 1.
    static Expected<U256> from_decimal(std::string_view text);
    /// 10^exponent (exponent <= 77).
    static U256 pow10(unsigned exponent) noexcept;

    [[nodiscard]] std::array<std::uint8_t, 32> to_be_bytes() const noexcept;
    /// The big-endian bytes without leading zeros (empty for zero): RLP's integer form.
    [[nodiscard]] std::vector<std::uint8_t> to_minimal_bytes() const;
    /// "0x" + hex without leading zeros ("0x0" for zero).
    [[nodiscard]] std::string to_quantity() const;
    [[nodiscard]] std::string to_decimal() const;

    [[nodiscard]] bool is_zero() const noexcept { return (m_limbs[0] | m_limbs[1] | m_limbs[2] | m_limbs[3]) == 0; }
    [[nodiscard]] bool fits_u64() const noexcept { return (m_limbs[1] | m_limbs[2] | m_limbs[3]) == 0; }
    /// The low 64 bits (check fits_u64() first).
    [[nodiscard]] std::uint64_t low_u64() const noexcept { return m_limbs[0]; }

    /// this * factor, or nullopt on overflow.
    [[nodiscard]] std::optional<U256> checked_mul(std::uint64_t factor) const noexcept;
    /// this + other, or nullopt on overflow.
    [[nodiscard]] std::optional<U256> checked_add(const U256& other) const noexcept;
    /// this - other, or nullopt if other > this.
    [[nodiscard]] std::optional<U256> checked_sub(const U256& other) const noexcept;
    struct DivMod;
    /// Quotient and remainder by a non-zero divisor.
    [[nodiscard]] DivMod divmod(std::uint64_t divisor) const noexcept;

    friend bool operator==(const U256&, const U256&) = default;
    friend std::strong_ordering operator<=>(const U256& a, const U256& b) noexcept {
        for (int i = 3; i >= 0; --i) {
            const auto idx = static_cast<std::size_t>(i);
            if (a.m_limbs[idx] != b.m_limbs[idx]) return a.m_limbs[idx] <=> b.m_limbs[idx];
        }
        return std::strong_ordering::equal;
    }

private:
    std::array<std::uint64_t, 4> m_limbs{}; ///< least significant first
};

struct U256::DivMod {
    U256 quotient;
    std::uint64_t remainder = 0;
};

} // namespace nym::ethereum
