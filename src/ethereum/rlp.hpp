#pragma once
// Recursive Length Prefix, Ethereum's serialisation of transactions (Yellow Paper, appendix B).
//
//   a byte string: one byte below 0x80 is itself; up to 55 bytes: 0x80 + len, then the bytes;
//                  longer: 0xb7 + len(len), len big-endian, then the bytes
//   a list:        the concatenated encodings of its items, prefixed as above from 0xc0 / 0xf7
//   an integer:    the byte string of its big-endian bytes without leading zeros (0 is 0x80)
//
// The decoder accepts only canonical encodings: a single byte below 0x80 must not be wrapped, a
// length must use the short form when it fits and have no leading zero byte, and an item must end
// exactly where its parent (or the input) ends.

#include <util/expected.hpp>

#include <cstdint>
#include <ethereum/u256.hpp>
#include <span>
#include <variant>
#include <vector>

namespace nym::ethereum {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;

[[nodiscard]] Bytes rlp_string(ByteSpan bytes);
[[nodiscard]] Bytes rlp_uint(const U256& value);
/// The list of already encoded items.
[[nodiscard]] Bytes rlp_list(std::span<const Bytes> encoded_items);

/// A decoded item: a byte string or a list of items.
struct RlpItem {
    std::variant<Bytes, std::vector<RlpItem>> value;

    [[nodiscard]] bool is_list() const noexcept { return value.index() == 1; }
    [[nodiscard]] const Bytes& bytes() const { return std::get<0>(value); }
    [[nodiscard]] const std::vector<RlpItem>& items() const { return std::get<1>(value); }
    friend bool operator==(const RlpItem&, const RlpItem&) = default;
};

/// One canonical item spanning all of `input` (Errc::invalid_rlp otherwise). Nesting deeper than
/// 64 lists is refused.
[[nodiscard]] Expected<RlpItem> rlp_decode(ByteSpan input);
/// A canonical RLP integer (no leading zero byte, at most 32 bytes) from a decoded string item.
[[nodiscard]] Expected<U256> rlp_to_uint(const RlpItem& item);
/// The encoding of a decoded item (rlp_encode(rlp_decode(x)) == x for every accepted x).
[[nodiscard]] Bytes rlp_encode(const RlpItem& item);

} // namespace nym::ethereum
