#include <ethereum/errors.hpp>
#include <ethereum/rlp.hpp>

namespace nym::ethereum {
namespace {

constexpr std::size_t MAX_DEPTH = 64;

void append_length(Bytes& out, std::size_t length, std::uint8_t short_base, std::uint8_t long_base) {
    if (length <= 55) {
        out.push_back(static_cast<std::uint8_t>(short_base + length));
        return;
    }
    Bytes len_bytes;
    for (std::size_t rest = length; rest != 0; rest >>= 8)
        len_bytes.insert(len_bytes.begin(), static_cast<std::uint8_t>(rest));
    out.push_back(static_cast<std::uint8_t>(long_base + len_bytes.size()));
    out.insert(out.end(), len_bytes.begin(), len_bytes.end());
}

Unexpected<std::error_code> bad() {
    return Unexpected(make_error_code(Errc::invalid_rlp));
}

struct Header {
    bool list = false;
    std::size_t offset = 0; ///< where the payload starts
    std::size_t length = 0; ///< payload length
};

Expected<Header> read_header(ByteSpan in) {
    if (in.empty()) return bad();
    const std::uint8_t b = in[0];
    if (b < 0x80) return Header{false, 0, 1};
    const bool list = b >= 0xc0;
    const std::uint8_t base = list ? 0xc0 : 0x80;
    if (b <= base + 55) {
        const std::size_t length = b - base;
        if (1 + length > in.size()) return bad();
        if (!list && length == 1 && in[1] < 0x80) return bad(); // a single low byte encodes itself
        return Header{list, 1, length};
    }
    const std::size_t len_of_len = static_cast<std::size_t>(b - base - 55);
    if (len_of_len > 8 || 1 + len_of_len > in.size() || in[1] == 0) return bad();
    std::size_t length = 0;
    for (std::size_t i = 0; i < len_of_len; ++i) length = (length << 8) | in[1 + i];
    if (length <= 55) return bad(); // must have used the short form
    if (length > in.size() - 1 - len_of_len) return bad();
    return Header{list, 1 + len_of_len, length};
}

Expected<RlpItem> decode_item(ByteSpan in, std::size_t depth) {
    auto header = read_header(in);
    if (!header) return Unexpected(header.error());
    if (header->offset + header->length != in.size()) return bad();
    auto payload = in.subspan(header->offset, header->length);
    if (!header->list) {
        if (header->offset == 0) return RlpItem{Bytes{in[0]}};
        return RlpItem{Bytes(payload.begin(), payload.end())};
    }
    if (depth >= MAX_DEPTH) return bad();
    std::vector<RlpItem> items;
    while (!payload.empty()) {
        auto child = read_header(payload);
        if (!child) return Unexpected(child.error());
        const std::size_t size = child->offset + child->length;
        auto item = decode_item(payload.first(size), depth + 1);
        if (!item) return Unexpected(item.error());
        items.push_back(std::move(*item));
        payload = payload.subspan(size);
    }
    return RlpItem{std::move(items)};
}

} // namespace

Bytes rlp_string(ByteSpan bytes) {
    Bytes out;
    if (bytes.size() == 1 && bytes[0] < 0x80) {
        out.push_back(bytes[0]);
        return out;
    }
    append_length(out, bytes.size(), 0x80, 0xb7);
    out.insert(out.end(), bytes.begin(), bytes.end());
    return out;
}

Bytes rlp_uint(const U256& value) {
    return rlp_string(value.to_minimal_bytes());
}

Bytes rlp_list(std::span<const Bytes> encoded_items) {
    std::size_t total = 0;
    for (const auto& item : encoded_items) total += item.size();
    Bytes out;
    out.reserve(total + 9);
    append_length(out, total, 0xc0, 0xf7);
    for (const auto& item : encoded_items) out.insert(out.end(), item.begin(), item.end());
    return out;
}

Expected<RlpItem> rlp_decode(ByteSpan input) {
    return decode_item(input, 0);
}

Expected<U256> rlp_to_uint(const RlpItem& item) {
    if (item.is_list()) return bad();
    const auto& b = item.bytes();
    if (!b.empty() && b[0] == 0) return bad();
    auto value = U256::from_be_span(b);
    if (!value) return bad();
    return *value;
}

Bytes rlp_encode(const RlpItem& item) {
    if (!item.is_list()) return rlp_string(item.bytes());
    std::vector<Bytes> encoded;
    encoded.reserve(item.items().size());
    for (const auto& child : item.items()) encoded.push_back(rlp_encode(child));
    return rlp_list(encoded);
}

} // namespace nym::ethereum
