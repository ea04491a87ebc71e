#include <crypto/base58.hpp>
#include <crypto/errors.hpp>

#include <array>

namespace nym::crypto {
namespace {

constexpr std::string_view ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

constexpr std::array<std::int8_t, 128> make_decode_table() {
    std::array<std::int8_t, 128> table{};
    for (auto& v : table) v = -1;
    for (std::size_t i = 0; i < ALPHABET.size(); ++i)
        table[static_cast<unsigned char>(ALPHABET[i])] = static_cast<std::int8_t>(i);
    return table;
}
constexpr std::array<std::int8_t, 128> DECODE = make_decode_table();

// ceil(BASE58_MAX_DECODED * log(256) / log(58)): no valid encoding of the maximum is longer.
constexpr std::size_t MAX_TEXT = (BASE58_MAX_DECODED * 1366 + 999) / 1000;

} // namespace

std::string base58_encode(std::span<const std::uint8_t> bytes) {
    std::size_t zeros = 0;
    while (zeros < bytes.size() && bytes[zeros] == 0) ++zeros;
    // Base-58 digits, least significant first; log(256)/log(58) < 1.366.
    std::vector<std::uint8_t> digits;
    digits.reserve((bytes.size() - zeros) * 138 / 100 + 1);
    for (std::size_t i = zeros; i < bytes.size(); ++i) {
        unsigned carry = bytes[i];
        for (auto& d : digits) {
            carry += static_cast<unsigned>(d) << 8;
            d = static_cast<std::uint8_t>(carry % 58);
            carry /= 58;
        }
        while (carry != 0) {
            digits.push_back(static_cast<std::uint8_t>(carry % 58));
            carry /= 58;
        }
    }
    std::string out(zeros, '1');
    out.reserve(zeros + digits.size());
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) out.push_back(ALPHABET[*it]);
    return out;
}

Expected<std::vector<std::uint8_t>> base58_decode(std::string_view text) {
    if (text.size() > MAX_TEXT) return fail(Errc::invalid_length);
    std::size_t ones = 0;
    while (ones < text.size() && text[ones] == '1') ++ones;
    // Base-256 digits, least significant first.
    std::vector<std::uint8_t> bytes;
    bytes.reserve(text.size());
    for (std::size_t i = ones; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= DECODE.size() || DECODE[c] < 0) return fail(Errc::invalid_base58);
        auto carry = static_cast<unsigned>(static_cast<unsigned char>(DECODE[c])); // >= 0, checked
        for (auto& b : bytes) {
            carry += static_cast<unsigned>(b) * 58U;
            b = static_cast<std::uint8_t>(carry & 0xffU);
            carry >>= 8;
        }
        while (carry != 0) {
            bytes.push_back(static_cast<std::uint8_t>(carry & 0xffU));
            carry >>= 8;
        }
    }
    if (ones + bytes.size() > BASE58_MAX_DECODED) return fail(Errc::invalid_length);
    std::vector<std::uint8_t> out(ones, 0);
    out.insert(out.end(), bytes.rbegin(), bytes.rend());
    return out;
}

} // namespace nym::crypto
