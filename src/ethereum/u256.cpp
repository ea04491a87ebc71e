#include <algorithm>
#include <ethereum/errors.hpp>
#include <ethereum/u256.hpp>

namespace nym::ethereum {
namespace {

__extension__ using u128 = unsigned __int128; // -Wpedantic: a GCC/Clang extension, used knowingly

int hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

} // namespace

U256 U256::from_be_bytes(std::span<const std::uint8_t, 32> bytes) noexcept {
    U256 out;
    for (std::size_t i = 0; i < 32; ++i) {
        const std::size_t limb = (31 - i) / 8;
        out.m_limbs[limb] = (out.m_limbs[limb] << 8) | bytes[i];
    }
    return out;
}

std::optional<U256> U256::from_be_span(std::span<const std::uint8_t> bytes) noexcept {
    if (bytes.size() > 32) return std::nullopt;
    std::array<std::uint8_t, 32> padded{};
    std::copy(bytes.begin(), bytes.end(), padded.begin() + static_cast<std::ptrdiff_t>(32 - bytes.size()));
    return from_be_bytes(padded);
}

Expected<U256> U256::from_quantity(std::string_view text) {
    if (text.size() < 3 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
        return Unexpected(make_error_code(Errc::invalid_quantity));
    }
    text.remove_prefix(2);
    while (text.size() > 1 && text.front() == '0') text.remove_prefix(1);
    if (text.size() > 64) return Unexpected(make_error_code(Errc::invalid_quantity));
    U256 out;
    for (char c : text) {
        const int d = hex_digit(c);
        if (d < 0) return Unexpected(make_error_code(Errc::invalid_quantity));
        for (std::size_t i = 3; i > 0; --i) out.m_limbs[i] = (out.m_limbs[i] << 4) | (out.m_limbs[i - 1] >> 60);
        out.m_limbs[0] = (out.m_limbs[0] << 4) | static_cast<std::uint64_t>(d);
    }
    return out;
}

Expected<U256> U256::from_decimal(std::string_view text) {
    if (text.empty() || text.size() > 78) return Unexpected(make_error_code(Errc::invalid_quantity));
    U256 out;
    for (char c : text) {
        if (c < '0' || c > '9') return Unexpected(make_error_code(Errc::invalid_quantity));
        auto times_ten = out.checked_mul(10);
        if (!times_ten) return Unexpected(make_error_code(Errc::overflow));
        auto next = times_ten->checked_add(U256(static_cast<std::uint64_t>(c - '0')));
        if (!next) return Unexpected(make_error_code(Errc::overflow));
        out = *next;
    }
    return out;
}

U256 U256::pow10(unsigned exponent) noexcept {
    U256 out(1);
    for (unsigned i = 0; i < exponent && i < 77; ++i) out = *out.checked_mul(10);
    return out;
}

std::array<std::uint8_t, 32> U256::to_be_bytes() const noexcept {
    std::array<std::uint8_t, 32> out{};
    for (std::size_t i = 0; i < 32; ++i) {
        const std::size_t limb = (31 - i) / 8;
        const unsigned shift = static_cast<unsigned>(((31 - i) % 8) * 8);
        out[i] = static_cast<std::uint8_t>(m_limbs[limb] >> shift);
    }
    return out;
}

std::vector<std::uint8_t> U256::to_minimal_bytes() const {
    const auto be = to_be_bytes();
    auto first = std::find_if(be.begin(), be.end(), [](std::uint8_t b) { return b != 0; });
    return {first, be.end()};
}

std::string U256::to_quantity() const {
    static constexpr char DIGITS[] = "0123456789abcdef";
    std::string hex;
    for (std::uint8_t b : to_be_bytes()) {
        hex.push_back(DIGITS[b >> 4]);
        hex.push_back(DIGITS[b & 0x0f]);
    }
    const auto first = hex.find_first_not_of('0');
    return "0x" + (first == std::string::npos ? std::string("0") : hex.substr(first));
}

std::string U256::to_decimal() const {
    if (is_zero()) return "0";
    std::string digits;
    U256 rest = *this;
    while (!rest.is_zero()) {
        auto [q, r] = rest.divmod(10);
        digits.push_back(static_cast<char>('0' + r));
        rest = q;
    }
    std::reverse(digits.begin(), digits.end());
    return digits;
}

std::optional<U256> U256::checked_mul(std::uint64_t factor) const noexcept {
    U256 out;
    u128 carry = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        const u128 product = static_cast<u128>(m_limbs[i]) * factor + carry;
        out.m_limbs[i] = static_cast<std::uint64_t>(product);
        carry = product >> 64;
    }
    if (carry != 0) return std::nullopt;
    return out;
}

std::optional<U256> U256::checked_add(const U256& other) const noexcept {
    U256 out;
    u128 carry = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        const u128 sum = static_cast<u128>(m_limbs[i]) + other.m_limbs[i] + carry;
        out.m_limbs[i] = static_cast<std::uint64_t>(sum);
        carry = sum >> 64;
    }
    if (carry != 0) return std::nullopt;
    return out;
}

std::optional<U256> U256::checked_sub(const U256& other) const noexcept {
    if (*this < other) return std::nullopt;
    U256 out;
    std::uint64_t borrow = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        const std::uint64_t a = m_limbs[i];
        const std::uint64_t b = other.m_limbs[i];
        out.m_limbs[i] = a - b - borrow;
        borrow = (a < b || (a == b && borrow != 0)) ? 1 : 0;
    }
    return out;
}

U256::DivMod U256::divmod(std::uint64_t divisor) const noexcept {
    DivMod out;
    u128 rest = 0;
    for (int i = 3; i >= 0; --i) {
        const auto idx = static_cast<std::size_t>(i);
        const u128 current = (rest << 64) | m_limbs[idx];
        out.quotient.m_limbs[idx] = static_cast<std::uint64_t>(current / divisor);
        rest = current % divisor;
    }
    out.remainder = static_cast<std::uint64_t>(rest);
    return out;
}

} // namespace nym::ethereum
