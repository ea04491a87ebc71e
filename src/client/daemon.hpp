#pragma once
// `nym-client run`: a client::Client on the process's runtime::Loop. The API websocket
// (ws://127.0.0.1:<port>/mix, loopback only) is an HttpServer session endpoint, the gateway link a
// WsConnection, the topology comes from node::DirectoryClient, and one Timer wakes the client at
// its next_wakeup() (Poisson ticks, retransmissions, reconnections, topology refreshes). Every
// callback runs on the loop's I/O thread; the daemon has no thread of its own.

#include <client/client.hpp>
#include <client/config.hpp>

#include <runtime/loop.hpp>
#include <util/expected.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace nym::client {

class Daemon {
public:
    /// Called once, on the I/O thread, when the gateway link is first up.
    using ReadyCallback = std::function<void(const Daemon&)>;
    /// Every message received, for an application running in the same process (on the I/O thread).
    using MessageHandler = std::function<void(MessageReceived)>;

    Daemon(runtime::Loop& loop, ClientSettings settings);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    /// Loads the keys, listens on the API socket and starts the client (topology, then the gateway).
    /// The error, in words, when any of that fails at once; later start-up failures stop the loop
    /// and are reported by failure().
    [[nodiscard]] Expected<void, std::string> start(ReadyCallback on_ready);

    /// Before start(): received messages go to `handler` instead of API sessions (use socket type none).
    void set_message_handler(MessageHandler handler);
    /// The in-process application's send (with `reply_surbs` reply SURBs) and anonymous reply, on the
    /// I/O thread; the errors of ClientCore::send and ClientCore::reply.
    [[nodiscard]] Expected<void> send(std::span<const std::uint8_t> message, const ParsedAddress& recipient,
                                      std::size_t reply_surbs = 0);
    [[nodiscard]] Expected<void> reply(const SenderTag& tag, std::span<const std::uint8_t> message);
    [[nodiscard]] std::size_t reply_surbs_available(const SenderTag& tag) const;
    [[nodiscard]] ClientStats stats() const;

    /// Why the start-up failed after start() returned (the gateway refused, ...); empty otherwise.
    [[nodiscard]] const std::optional<std::string>& failure() const noexcept;
    /// The API port (0 with socket type none).
    [[nodiscard]] std::uint16_t api_port() const noexcept;
    [[nodiscard]] const std::string& address() const noexcept;
    [[nodiscard]] SocketType socket_type() const noexcept;
    /// The one stdout line once ready: "nym-client listening on ws://127.0.0.1:<port>/mix, address
    /// <address>" (tcp://127.0.0.1:<port> with socket type tcp; "running without a socket" with none).
    [[nodiscard]] std::string ready_line() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace nym::client
