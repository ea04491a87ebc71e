#pragma once
// The policy that keeps a client's gateway link up, as a sans-IO object: events and the time in,
// actions out. The daemon carries the actions out (opens and closes the websocket, sends the
// handshake GatewayLink builds, fetches the topology) and calls tick() at next_wakeup().
//
// The rules (each has a unit test in tests/unit/client/supervisor_tests.cpp):
//   - Start-up: fetch the topology first, then connect. Until the link is first ready, any failure
//     (no topology, gateway unknown, unreachable, refused, lost, no answer in time) ends the start-up:
//     StartupFailed(reason), and the supervisor does nothing more.
//   - Later failures reconnect with a back-off doubling from 250 ms to 10 s, reset once ready. The
//     first failure of a streak is a warning, the rest debug; the recovery is logged once.
//   - A gateway that refuses our stored key during authentication (unknown_client, invalid_mac) is
//     registered at again, at once, once per failure streak.
//   - A registration refused as not newer than the stored one (registration_refused: timestamps are
//     whole seconds) is retried in the next second, at most 3 times per streak.
//   - The topology is fetched every refresh period, every second while it is not routable, and on
//     request (a send to an unknown recipient) at most once per second.
//   - "not routable" is warned once when the topology becomes unroutable, not on every refresh.

#include <wire/gateway_protocol.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace nym::client {

struct SupervisorConfig {
    std::chrono::milliseconds min_backoff{250};
    std::chrono::milliseconds max_backoff{10'000};
    std::chrono::milliseconds registration_retry_delay{1100}; ///< past the next whole second
    int max_registration_retries = 3;
    /// From start() to the first ready link at most (topology, connect, handshake).
    std::chrono::milliseconds startup_timeout{15'000};
    std::chrono::milliseconds topology_refresh{30'000};
    std::chrono::milliseconds unroutable_refresh{1000};
    std::chrono::milliseconds min_refresh_request_gap{1000};
    std::string gateway_name; ///< base58 identity, for log lines
};

namespace supervise {
struct FetchTopology {};    ///< ask the directory for the topology; answer with on_topology*()
struct Connect {};          ///< open the websocket to the gateway; answer with on_connected()/on_connect_failed()
struct Register {};         ///< send a RegisterRequest (a new shared key)
struct Authenticate {};     ///< send an AuthenticateRequest with the stored key
struct CloseConnection {};  ///< close the gateway websocket (no-op if none)
struct Ready {};            ///< the link is up for the first time: start-up is done
struct StartupFailed {
    std::string reason;
};
enum class Level : std::uint8_t { debug, info, warn };
struct Log {
    Level level;
    std::string text;
};
} // namespace supervise

using SupervisorAction = std::variant<supervise::FetchTopology, supervise::Connect, supervise::Register,
                                      supervise::Authenticate, supervise::CloseConnection, supervise::Ready,
                                      supervise::StartupFailed, supervise::Log>;
using SupervisorActions = std::vector<SupervisorAction>;

class Supervisor {
public:
    using Clock = std::chrono::steady_clock;
    using TimePoint = Clock::time_point;

    /// `need_register`: no stored key, or another gateway than the one the key is for.
    Supervisor(SupervisorConfig config, bool need_register);

    [[nodiscard]] SupervisorActions start(TimePoint now);
    /// A topology arrived. `gateway_known`: our gateway's listener is known (topology or config).
    [[nodiscard]] SupervisorActions on_topology(TimePoint now, bool routable, bool gateway_known);
    [[nodiscard]] SupervisorActions on_topology_failed(TimePoint now, const std::string& reason);
    /// A send found no route or an unknown recipient: the topology may be stale.
    [[nodiscard]] SupervisorActions request_topology(TimePoint now);

    [[nodiscard]] SupervisorActions on_connected(TimePoint now);
    /// `why`: "cannot reach the gateway at host:port: reason".
    [[nodiscard]] SupervisorActions on_connect_failed(TimePoint now, const std::string& why);
    /// Registered (a new key) or authenticated.
    [[nodiscard]] SupervisorActions on_ready(TimePoint now, bool registered);
    /// The gateway refused us (GatewayLink's LinkRefused): `code` is the gateway's, if it sent one.
    [[nodiscard]] SupervisorActions on_refused(TimePoint now, std::optional<wire::gateway::ErrorCode> code,
                                               bool during_authentication, const std::string& reason);
    /// The connection ended or broke the protocol (`why` says how).
    [[nodiscard]] SupervisorActions on_lost(TimePoint now, const std::string& why);

    /// Reconnections, topology refreshes and the start-up deadline that are due.
    [[nodiscard]] SupervisorActions tick(TimePoint now);
    /// When tick() next has something to do (TimePoint::max() for nothing).
    [[nodiscard]] TimePoint next_wakeup() const;

    [[nodiscard]] bool ready() const noexcept { return m_phase == Phase::ready; }
    [[nodiscard]] bool started() const noexcept { return m_started; }
    [[nodiscard]] bool failed() const noexcept { return m_phase == Phase::failed; }
    /// True while the next handshake must be a registration.
    [[nodiscard]] bool need_register() const noexcept { return m_need_register; }
    [[nodiscard]] std::chrono::milliseconds backoff() const noexcept { return m_backoff; }

private:
    enum class Phase : std::uint8_t { idle, waiting_topology, connecting, handshaking, ready, backing_off, failed };

    void connect(TimePoint now, SupervisorActions& out);
    /// A failure: ends the start-up, or (later) is logged and followed by a reconnection.
    void failure(TimePoint now, const std::string& startup_reason, const std::string& later_text,
                 SupervisorActions& out);
    void schedule_reconnect(TimePoint now);
    void fetch_topology(SupervisorActions& out);
    [[nodiscard]] TimePoint next_refresh() const;

    SupervisorConfig m_config;
    Phase m_phase = Phase::idle;
    bool m_started = false;     ///< the link has been ready once
    bool m_need_register;
    bool m_gateway_known = false;
    bool m_reregister_attempted = false;
    int m_registration_retries = 0;
    std::uint64_t m_link_failures = 0;
    std::chrono::milliseconds m_backoff;
    TimePoint m_reconnect_at{};
    TimePoint m_startup_deadline{};

    bool m_have_topology = false;
    bool m_routable = false;
    bool m_warned_unroutable = false;
    bool m_topology_pending = false;
    bool m_topology_requested = false; ///< asked for while a fetch was pending
    bool m_topology_failing = false;
    TimePoint m_last_topology{};       ///< when the last fetch ended
    std::optional<TimePoint> m_last_request;
};

} // namespace nym::client
