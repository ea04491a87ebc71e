#include <algorithm>
#include <socks5/errors.hpp>
#include <socks5/socks.hpp>

namespace nym::socks5 {

HandshakeStep Handshake::feed(std::span<const std::uint8_t> bytes) {
    m_buffer.insert(m_buffer.end(), bytes.begin(), bytes.end());
    if (m_state == State::done) return {};
    return step();
}

Bytes Handshake::take_leftover() {
    if (m_state != State::done) return {};
    return std::exchange(m_buffer, {});
}

HandshakeStep Handshake::step() {
    HandshakeStep out;
    auto refuse = [&](Bytes reply, Errc why) {
        m_state = State::done;
        m_buffer.clear();
        out.reply = std::move(reply);
        out.error = make_error_code(why);
        return out;
    };
    auto too_long = [&] {
        return m_buffer.size() > MAX_HANDSHAKE
                   ? std::optional(
                         refuse(m_version == SOCKS4_VERSION ? failure_reply(4, 0) : Bytes{}, Errc::invalid_field))
                   : std::nullopt;
    };
    const auto& b = m_buffer;
    if (m_state == State::greeting) {
        if (b.empty()) return out;
        m_version = b[0];
        if (m_version == SOCKS4_VERSION) {
            // VN CD DSTPORT(2) DSTIP(4) USERID NUL [NAME NUL]
            if (b.size() < 9) return out;
            const auto user_end = std::find(b.begin() + 8, b.end(), 0);
            if (user_end == b.end()) return too_long().value_or(out);
            const bool socks4a = b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] != 0;
            auto end = user_end + 1;
            Target t;
            t.port = static_cast<std::uint16_t>((b[2] << 8) | b[3]);
            if (socks4a) {
                const auto name_end = std::find(end, b.end(), 0);
                if (name_end == b.end()) return too_long().value_or(out);
                t.type = AddressType::domain;
                t.address.assign(end, name_end);
                end = name_end + 1;
            } else {
                t.type = AddressType::ipv4;
                t.address.assign(b.begin() + 4, b.begin() + 8);
            }
            if (b[1] != COMMAND_CONNECT) return refuse(failure_reply(4, 0), Errc::unsupported_command);
            if (auto ok = validate(t); !ok) return refuse(failure_reply(4, 0), Errc::invalid_address);
            m_buffer.erase(m_buffer.begin(), end);
            m_state = State::done;
            out.request = ConnectRequest{SOCKS4_VERSION, std::move(t)};
            return out;
        }
        if (m_version != SOCKS5_VERSION) return refuse({}, Errc::unsupported_version);
        if (b.size() < 2) return out;
        const std::size_t methods = b[1];
        if (b.size() < 2 + methods) return out;
        const bool no_auth = std::find(b.begin() + 2, b.begin() + 2 + static_cast<std::ptrdiff_t>(methods),
                                       METHOD_NO_AUTH) != b.begin() + 2 + static_cast<std::ptrdiff_t>(methods);
        if (!no_auth) return refuse({SOCKS5_VERSION, METHOD_NONE_ACCEPTABLE}, Errc::no_acceptable_method);
        m_buffer.erase(m_buffer.begin(), m_buffer.begin() + 2 + static_cast<std::ptrdiff_t>(methods));
        m_state = State::request;
        out.reply = {SOCKS5_VERSION, METHOD_NO_AUTH};
        HandshakeStep next = step();
        next.reply.insert(next.reply.begin(), out.reply.begin(), out.reply.end());
        return next;
    }
    if (m_state == State::request) {
        // VER CMD RSV ATYP DST.ADDR DST.PORT
        if (b.size() < 5) return out;
        if (b[0] != SOCKS5_VERSION) return refuse(failure_reply(5, REPLY_GENERAL_FAILURE), Errc::unsupported_version);
        std::size_t length = 0;
        std::size_t offset = 4;
        switch (b[3]) {
        case 1:
            length = 4;
            break;
        case 4:
            length = 16;
            break;
        case 3:
            length = b[4];
            offset = 5;
            break;
        default:
            return refuse(failure_reply(5, REPLY_ADDRESS_NOT_SUPPORTED), Errc::unsupported_address);
        }
        if (b.size() < offset + length + 2) return out;
        if (b[1] != COMMAND_CONNECT)
            return refuse(failure_reply(5, REPLY_COMMAND_NOT_SUPPORTED), Errc::unsupported_command);
        Target t;
        t.type = static_cast<AddressType>(b[3]);
        t.address.assign(b.begin() + static_cast<std::ptrdiff_t>(offset),
                         b.begin() + static_cast<std::ptrdiff_t>(offset + length));
        t.port = static_cast<std::uint16_t>((b[offset + length] << 8) | b[offset + length + 1]);
        if (auto ok = validate(t); !ok)
            return refuse(failure_reply(5, REPLY_ADDRESS_NOT_SUPPORTED), Errc::invalid_address);
        m_buffer.erase(m_buffer.begin(), m_buffer.begin() + static_cast<std::ptrdiff_t>(offset + length + 2));
        m_state = State::done;
        out.request = ConnectRequest{SOCKS5_VERSION, std::move(t)};
        return out;
    }
    return out;
}

Bytes success_reply(std::uint8_t version) {
    if (version == SOCKS4_VERSION) return {0, SOCKS4_GRANTED, 0, 0, 0, 0, 0, 0};
    return {SOCKS5_VERSION, REPLY_SUCCEEDED, 0, 1, 0, 0, 0, 0, 0, 0};
}

Bytes failure_reply(std::uint8_t version, std::uint8_t code) {
    if (version == SOCKS4_VERSION) return {0, SOCKS4_REJECTED, 0, 0, 0, 0, 0, 0};
    return {SOCKS5_VERSION, code, 0, 1, 0, 0, 0, 0, 0, 0};
}

} // namespace nym::socks5
