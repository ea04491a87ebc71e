#include <arpa/inet.h>
#include <socks5/errors.hpp>
#include <socks5/frames.hpp>

namespace nym::socks5 {
namespace {

class Writer {
public:
    explicit Writer(Bytes& out) : m_out(out) {}
    void u8(std::uint8_t v) { m_out.push_back(v); }
    void u16(std::uint16_t v) {
        u8(static_cast<std::uint8_t>(v >> 8));
        u8(static_cast<std::uint8_t>(v));
    }
    void u32(std::uint32_t v) {
        for (int shift = 24; shift >= 0; shift -= 8) u8(static_cast<std::uint8_t>(v >> shift));
    }
    void u64(std::uint64_t v) {
        for (int shift = 56; shift >= 0; shift -= 8) u8(static_cast<std::uint8_t>(v >> shift));
    }
    void bytes(std::span<const std::uint8_t> b) { m_out.insert(m_out.end(), b.begin(), b.end()); }

private:
    Bytes& m_out;
};

class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> in) : m_in(in) {}
    [[nodiscard]] bool has(std::size_t n) const { return m_in.size() - m_pos >= n; }
    [[nodiscard]] std::size_t left() const { return m_in.size() - m_pos; }
    std::uint8_t u8() { return m_in[m_pos++]; }
    std::uint16_t u16() {
        const auto hi = u8();
        return static_cast<std::uint16_t>((hi << 8) | u8());
    }
    std::uint32_t u32() {
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v = (v << 8) | u8();
        return v;
    }
    std::uint64_t u64() {
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v = (v << 8) | u8();
        return v;
    }
    std::span<const std::uint8_t> take(std::size_t n) {
        auto s = m_in.subspan(m_pos, n);
        m_pos += n;
        return s;
    }

private:
    std::span<const std::uint8_t> m_in;
    std::size_t m_pos = 0;
};

void header(Writer& w, FrameType type, StreamId stream) {
    w.u8(FRAME_VERSION);
    w.u8(static_cast<std::uint8_t>(type));
    w.u64(stream);
}

bool valid_name_byte(std::uint8_t c) {
    return c > 0x20 && c < 0x7f && c != '/' && c != '\\' && c != '@';
}

Expected<Target> read_target(Reader& r) {
    if (!r.has(1)) return fail(Errc::truncated);
    Target t;
    const std::uint8_t type = r.u8();
    std::size_t length = 0;
    switch (type) {
    case 1:
        length = 4;
        break;
    case 4:
        length = 16;
        break;
    case 3:
        if (!r.has(1)) return fail(Errc::truncated);
        length = r.u8();
        break;
    default:
        return fail(Errc::unsupported_address);
    }
    t.type = static_cast<AddressType>(type);
    if (!r.has(length + 2)) return fail(Errc::truncated);
    const auto a = r.take(length);
    t.address.assign(a.begin(), a.end());
    t.port = r.u16();
    if (auto ok = validate(t); !ok) return Unexpected(ok.error());
    return t;
}

} // namespace

std::string host_text(const Target& target) {
    char buffer[INET6_ADDRSTRLEN] = {};
    switch (target.type) {
    case AddressType::ipv4:
        if (target.address.size() == 4 && inet_ntop(AF_INET, target.address.data(), buffer, sizeof buffer))
            return buffer;
        break;
    case AddressType::ipv6:
        if (target.address.size() == 16 && inet_ntop(AF_INET6, target.address.data(), buffer, sizeof buffer))
            return buffer;
        break;
    case AddressType::domain:
        return std::string(target.address.begin(), target.address.end());
    }
    return "?";
}

std::string to_string(const Target& target) {
    const std::string host = host_text(target);
    const std::string port = std::to_string(target.port);
    return target.type == AddressType::ipv6 ? "[" + host + "]:" + port : host + ":" + port;
}

Expected<void> validate(const Target& target) {
    switch (target.type) {
    case AddressType::ipv4:
        if (target.address.size() != 4) return fail(Errc::invalid_address);
        break;
    case AddressType::ipv6:
        if (target.address.size() != 16) return fail(Errc::invalid_address);
        break;
    case AddressType::domain:
        if (target.address.empty() || target.address.size() > MAX_DOMAIN) return fail(Errc::invalid_address);
        for (const auto c : target.address)
            if (!valid_name_byte(c)) return fail(Errc::invalid_address);
        break;
    default:
        return fail(Errc::unsupported_address);
    }
    if (target.port == 0) return fail(Errc::invalid_field);
    return {};
}

std::uint8_t socks_reply_code(ResetCode code) noexcept {
    switch (code) {
    case ResetCode::not_allowed:
        return 0x02;
    case ResetCode::network_unreachable:
        return 0x03;
    case ResetCode::host_unreachable:
        return 0x04;
    case ResetCode::connection_refused:
        return 0x05;
    case ResetCode::timed_out:
        return 0x06;
    case ResetCode::general_failure:
    case ResetCode::limit_reached:
    case ResetCode::protocol_error:
    case ResetCode::peer_unreachable:
        break;
    }
    return 0x01;
}

Bytes encode(const Frame& frame) {
    Bytes out;
    Writer w(out);
    std::visit(
        [&](const auto& f) {
            using T = std::decay_t<decltype(f)>;
            if constexpr (std::is_same_v<T, Open>) {
                out.reserve(FRAME_HEADER_SIZE + 4 + 2 + f.target.address.size() + 2);
                header(w, FrameType::open, f.stream);
                w.u32(f.credit);
                w.u8(static_cast<std::uint8_t>(f.target.type));
                if (f.target.type == AddressType::domain) w.u8(static_cast<std::uint8_t>(f.target.address.size()));
                w.bytes(f.target.address);
                w.u16(f.target.port);
            } else if constexpr (std::is_same_v<T, Opened>) {
                header(w, FrameType::opened, f.stream);
                w.u32(f.credit);
            } else if constexpr (std::is_same_v<T, Data>) {
                out.reserve(FRAME_HEADER_SIZE + 8 + f.bytes.size());
                header(w, FrameType::data, f.stream);
                w.u64(f.sequence);
                w.bytes(f.bytes);
            } else if constexpr (std::is_same_v<T, Close>) {
                header(w, FrameType::close, f.stream);
                w.u64(f.sequence);
            } else if constexpr (std::is_same_v<T, Reset>) {
                header(w, FrameType::reset, f.stream);
                w.u8(static_cast<std::uint8_t>(f.code));
                const std::size_t n = std::min(f.reason.size(), MAX_REASON);
                w.u8(static_cast<std::uint8_t>(n));
                w.bytes(std::span(reinterpret_cast<const std::uint8_t*>(f.reason.data()), n));
            } else if constexpr (std::is_same_v<T, Credit>) {
                header(w, FrameType::credit, f.stream);
                w.u64(f.acknowledged);
                w.u64(f.consumed);
            } else if constexpr (std::is_same_v<T, Ping>) {
                header(w, FrameType::ping, 0);
                w.u64(f.nonce);
            } else if constexpr (std::is_same_v<T, Pong>) {
                header(w, FrameType::pong, 0);
                w.u64(f.nonce);
            } else if constexpr (std::is_same_v<T, SurbRequest>) {
                header(w, FrameType::surbs, 0);
                w.u16(f.wanted);
            }
        },
        frame);
    return out;
}

Expected<Frame> decode(std::span<const std::uint8_t> bytes) {
    Reader r(bytes);
    if (!r.has(FRAME_HEADER_SIZE)) return fail(Errc::truncated);
    if (r.u8() != FRAME_VERSION) return fail(Errc::unsupported_version);
    const std::uint8_t type = r.u8();
    const StreamId stream = r.u64();
    const bool session = type == static_cast<std::uint8_t>(FrameType::ping) ||
                         type == static_cast<std::uint8_t>(FrameType::pong) ||
                         type == static_cast<std::uint8_t>(FrameType::surbs);
    if (type < 1 || type > 9) return fail(Errc::unknown_message_type);
    if (session != (stream == 0)) return fail(Errc::invalid_field);
    auto fixed = [&](std::size_t n) -> Expected<void> {
        if (!r.has(n)) return fail(Errc::truncated);
        if (r.left() != n) return fail(Errc::trailing_bytes);
        return {};
    };
    switch (static_cast<FrameType>(type)) {
    case FrameType::open: {
        if (!r.has(4)) return fail(Errc::truncated);
        Open o{stream, r.u32(), {}};
        auto target = read_target(r);
        if (!target) return Unexpected(target.error());
        if (r.left() != 0) return fail(Errc::trailing_bytes);
        o.target = std::move(*target);
        return Frame(std::move(o));
    }
    case FrameType::opened: {
        if (auto ok = fixed(4); !ok) return Unexpected(ok.error());
        return Frame(Opened{stream, r.u32()});
    }
    case FrameType::data: {
        if (!r.has(8)) return fail(Errc::truncated);
        Data d{stream, r.u64(), {}};
        if (d.sequence == 0 || r.left() == 0 || r.left() > MAX_DATA) return fail(Errc::invalid_field);
        const auto payload = r.take(r.left());
        d.bytes.assign(payload.begin(), payload.end());
        return Frame(std::move(d));
    }
    case FrameType::close: {
        if (auto ok = fixed(8); !ok) return Unexpected(ok.error());
        Close c{stream, r.u64()};
        if (c.sequence == 0) return fail(Errc::invalid_field);
        return Frame(c);
    }
    case FrameType::reset: {
        if (!r.has(2)) return fail(Errc::truncated);
        const std::uint8_t code = r.u8();
        const std::uint8_t length = r.u8();
        if (code < 1 || code > 9 || length > MAX_REASON) return fail(Errc::invalid_field);
        if (auto ok = fixed(length); !ok) return Unexpected(ok.error());
        const auto reason = r.take(length);
        return Frame(Reset{stream, static_cast<ResetCode>(code), std::string(reason.begin(), reason.end())});
    }
    case FrameType::credit: {
        if (auto ok = fixed(16); !ok) return Unexpected(ok.error());
        Credit c{stream, 0, 0};
        c.acknowledged = r.u64();
        c.consumed = r.u64();
        return Frame(c);
    }
    case FrameType::ping: {
        if (auto ok = fixed(8); !ok) return Unexpected(ok.error());
        return Frame(Ping{r.u64()});
    }
    case FrameType::pong: {
        if (auto ok = fixed(8); !ok) return Unexpected(ok.error());
        return Frame(Pong{r.u64()});
    }
    case FrameType::surbs: {
        if (auto ok = fixed(2); !ok) return Unexpected(ok.error());
        return Frame(SurbRequest{r.u16()});
    }
    }
    return fail(Errc::unknown_message_type);
}

StreamId stream_of(const Frame& frame) noexcept {
    return std::visit(
        [](const auto& f) -> StreamId {
            if constexpr (requires { f.stream; })
                return f.stream;
            else
                return 0;
        },
        frame);
}

} // namespace nym::socks5
