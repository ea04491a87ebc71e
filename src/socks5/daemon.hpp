#pragma once
// `nym-socks5-client run`: a SOCKS4/4a/5 proxy on loopback whose connections travel through the
// mixnet to a network requester (docs/protocol/socks5.md). One in-process mixnet client
// (client::Daemon, socket type none) carries every stream; each accepted connection is one stream:
//
//   application ──TCP──▶ Handshake ──CONNECT──▶ OPEN (with reply SURBs) ──mixnet──▶ requester
//               ◀─SOCKS reply── OPENED / RESET ◀──reply SURBs──
//   then DATA/CLOSE both ways through StreamSender/StreamReceiver (order, exactly once, credit)
//
// Back-pressure: the application socket is not read while its stream's sender buffer is full; the
// receiver's bytes are written to the application only while its socket queue is short, and credit
// (with fresh reply SURBs) goes back only for what was written. The requester is pinged while
// streams are open; when it stays silent past `requester_timeout` every stream is reset.

#include <client/config.hpp>
#include <client/core.hpp>
#include <runtime/loop.hpp>
#include <util/expected.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <socks5/stream.hpp>
#include <string>

namespace nym::socks5 {

struct ProxySettings {
    client::ClientSettings client;                      ///< the mixnet client (its socket type is forced to none)
    std::string provider;                               ///< the network requester's address (identity@gateway)
    std::string host = "127.0.0.1";                     ///< where the SOCKS port listens (loopback)
    std::uint16_t port = 1080;                          ///< 0 = any free port
    std::uint32_t window = DEFAULT_WINDOW;              ///< bytes per stream in flight towards the application
    std::size_t max_streams = 512;                      ///< further connections are refused (SOCKS 0x01)
    std::chrono::milliseconds open_timeout{30000};      ///< no OPENED/RESET by then: SOCKS 0x06
    std::chrono::milliseconds requester_timeout{20000}; ///< silence (with streams open) that resets them
    std::chrono::milliseconds ping_interval{5000};
};

struct ProxyCounters {
    std::uint64_t accepted = 0, opened = 0, refused = 0, failed = 0, closed = 0;
    std::uint64_t bytes_up = 0, bytes_down = 0, malformed = 0, retransmitted = 0, surbs_sent = 0;
    std::size_t active = 0;
};

class Daemon {
public:
    using ReadyCallback = std::function<void(const Daemon&)>;

    Daemon(runtime::Loop& loop, ProxySettings settings);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    /// Listens on the SOCKS port and starts the mixnet client; `on_ready` once its gateway link is up.
    [[nodiscard]] Expected<void, std::string> start(ReadyCallback on_ready);
    [[nodiscard]] const std::optional<std::string>& failure() const noexcept;
    [[nodiscard]] std::uint16_t port() const noexcept;
    [[nodiscard]] const std::string& address() const noexcept;
    [[nodiscard]] ProxyCounters counters() const;
    /// "nym-socks5-client listening on socks5://127.0.0.1:<port>, address <address>, provider <provider>"
    [[nodiscard]] std::string ready_line() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace nym::socks5
