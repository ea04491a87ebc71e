#pragma once
// `nym-network-requester run`: the far end of SOCKS through the mixnet (docs/protocol/socks5.md).
// A mixnet client (client::Daemon in-process, socket type none) receives OPEN messages from SOCKS
// clients it never learns the address of (they come with reply SURBs under a sender tag), checks
// each destination against the allow-list and its limits, opens the TCP connection (names are
// resolved here), and carries the stream both ways: DATA/CLOSE through socks5::StreamSender and
// StreamReceiver, answers through the sender's reply SURBs, asking for more (SURBS) when they run
// low. Replies are unreliable, so the requester's sender retransmits what the client has not
// acknowledged; streams idle past `idle_timeout` are reset.

#include <client/config.hpp>
#include <runtime/loop.hpp>
#include <util/expected.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <socks5/allow_list.hpp>
#include <socks5/stream.hpp>
#include <string>

namespace nym::requester {

struct RequesterSettings {
    client::ClientSettings client; ///< the mixnet client (its socket type is forced to none)
    socks5::AllowList allow;       ///< destinations served (nothing else)
    std::uint32_t window = socks5::DEFAULT_WINDOW;
    std::size_t max_streams = 1024;           ///< open streams in all
    std::size_t max_streams_per_client = 128; ///< open streams per sender tag
    std::chrono::milliseconds connect_timeout{10000};
    std::chrono::milliseconds idle_timeout{300000};   ///< no byte either way for this long: reset
    std::chrono::milliseconds retransmit_after{8000}; ///< unacknowledged replies sent again (doubling)
};

struct RequesterCounters {
    std::uint64_t opened = 0, refused = 0, limited = 0, failed = 0, closed = 0, timed_out = 0;
    std::uint64_t bytes_up = 0, bytes_down = 0, malformed = 0, surb_requests = 0, retransmitted = 0;
    std::size_t active = 0, clients = 0, waiting_for_surbs = 0;
};

class Daemon {
public:
    using ReadyCallback = std::function<void(const Daemon&)>;

    Daemon(runtime::Loop& loop, RequesterSettings settings);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    [[nodiscard]] Expected<void, std::string> start(ReadyCallback on_ready);
    [[nodiscard]] const std::optional<std::string>& failure() const noexcept;
    [[nodiscard]] const std::string& address() const noexcept;
    [[nodiscard]] RequesterCounters counters() const;
    /// "nym-network-requester running, address <address>, <n> allow-list rules"
    [[nodiscard]] std::string ready_line() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace nym::requester
