#include <util/hex.hpp>

namespace nym::util {
namespace {

class UtilCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "nym.util"; }
    std::string message(int code) const override {
        switch (static_cast<Errc>(code)) {
        case Errc::invalid_hex: return "invalid hex digit";
        case Errc::odd_length: return "hex string has an odd number of digits";
        case Errc::wrong_length: return "decoded value has the wrong length";
        }
        return "unknown util error";
    }
};

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

} // namespace

const std::error_category& util_category() noexcept {
    static const UtilCategory category;
    return category;
}

std::string to_hex(ByteSpan bytes) {
    static constexpr char DIGITS[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (std::uint8_t b : bytes) {
        out.push_back(DIGITS[b >> 4]);
        out.push_back(DIGITS[b & 0x0f]);
    }
    return out;
}

Expected<void> from_hex_into(std::string_view hex, std::span<std::uint8_t> out) {
    if (hex.size() % 2 != 0) return fail(Errc::odd_length);
    if (hex.size() / 2 != out.size()) return fail(Errc::wrong_length);
    for (std::size_t i = 0; i < out.size(); ++i) {
        const int hi = hex_value(hex[2 * i]);
        const int lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return fail(Errc::invalid_hex);
        out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
    }
    return {};
}

Expected<Bytes> from_hex(std::string_view hex) {
    if (hex.size() % 2 != 0) return fail(Errc::odd_length);
    Bytes out(hex.size() / 2);
    if (auto r = from_hex_into(hex, out); !r) return Unexpected(r.error());
    return out;
}

} // namespace nym::util
