// The gateway-link supervisor (client/supervisor.hpp): one test per rule of its header, driven with
// an injected clock. No sockets: the test plays the daemon and reads the actions.

#include <client/supervisor.hpp>

#include <gtest/gtest.h>

#include <algorithm>

namespace nym::client {
namespace {

using namespace std::chrono_literals;
using namespace supervise;
using wire::gateway::ErrorCode;
using TimePoint = Supervisor::TimePoint;

template <class T>
bool has(const SupervisorActions& actions) {
    return std::any_of(actions.begin(), actions.end(), [](const auto& a) { return std::holds_alternative<T>(a); });
}

/// The reason of the StartupFailed among `actions`, "<none>" without one.
std::string startup_failure(const SupervisorActions& actions) {
    for (const auto& a : actions)
        if (const auto* t = std::get_if<StartupFailed>(&a)) return t->reason;
    return "<none>";
}

/// The log lines of `actions` at `level`.
std::vector<std::string> logs(const SupervisorActions& actions, Level level) {
    std::vector<std::string> out;
    for (const auto& a : actions)
        if (const auto* l = std::get_if<Log>(&a); l && l->level == level) out.push_back(l->text);
    return out;
}

class ClientSupervisor : public ::testing::Test {
protected:
    TimePoint t0 = TimePoint{} + 1000h;
    TimePoint now = t0;

    std::chrono::milliseconds refresh = 30s;

    SupervisorConfig config() const {
        SupervisorConfig c;
        c.startup_timeout = 20s;
        c.topology_refresh = refresh;
        c.gateway_name = "GW";
        return c;
    }

    /// A supervisor brought to a ready link (authenticated with a stored key).
    Supervisor ready_supervisor(bool need_register = false) {
        Supervisor s(config(), need_register);
        EXPECT_TRUE(has<FetchTopology>(s.start(now)));
        EXPECT_TRUE(has<Connect>(s.on_topology(now, true, true)));
        const auto hello = s.on_connected(now);
        EXPECT_TRUE(need_register ? has<Register>(hello) : has<Authenticate>(hello));
        EXPECT_TRUE(has<Ready>(s.on_ready(now, need_register)));
        EXPECT_TRUE(s.ready());
        return s;
    }

    /// Advances the clock to the supervisor's next wakeup and ticks.
    SupervisorActions wake(Supervisor& s) {
        now = std::max(now, s.next_wakeup());
        return s.tick(now);
    }
};

// --- start-up ---------------------------------------------------------------------------------------

TEST_F(ClientSupervisor, StartsWithTheTopologyThenConnectsThenAuthenticates) {
    Supervisor s(config(), false);
    auto a = s.start(now);
    ASSERT_EQ(a.size(), 1u);
    EXPECT_TRUE(has<FetchTopology>(a));
    EXPECT_TRUE(s.tick(now).empty()) << "nothing to do while the topology is on its way";
    a = s.on_topology(now, true, true);
    EXPECT_TRUE(has<Connect>(a));
    a = s.on_connected(now);
    EXPECT_TRUE(has<Authenticate>(a));
    EXPECT_FALSE(has<Register>(a));
    a = s.on_ready(now, false);
    EXPECT_TRUE(has<Ready>(a));
    EXPECT_EQ(logs(a, Level::info), std::vector<std::string>{"authenticated at gateway GW"});
    EXPECT_TRUE(s.started());
}

TEST_F(ClientSupervisor, WithoutAStoredKeyItRegistersAndReadyComesOnce) {
    Supervisor s(config(), true);
    (void)s.start(now);
    (void)s.on_topology(now, true, true);
    auto a = s.on_connected(now);
    EXPECT_TRUE(has<Register>(a));
    EXPECT_EQ(logs(a, Level::info), std::vector<std::string>{"registering at gateway GW"});
    a = s.on_ready(now, true);
    EXPECT_TRUE(has<Ready>(a));
    EXPECT_FALSE(s.need_register());
    // A later reconnection authenticates with the new key and is not a second Ready.
    (void)s.on_lost(now, "the gateway closed the connection");
    EXPECT_TRUE(has<Connect>(wake(s)));
    EXPECT_TRUE(has<Authenticate>(s.on_connected(now)));
    EXPECT_FALSE(has<Ready>(s.on_ready(now, false)));
}

TEST_F(ClientSupervisor, EveryFailureBeforeTheFirstReadyLinkEndsTheStartUp) {
    {
        Supervisor s(config(), false);
        (void)s.start(now);
        const auto a = s.on_topology_failed(now, "cannot reach the directory at http://x: refused");
        EXPECT_EQ(startup_failure(a), "cannot reach the directory at http://x: refused");
    }
    {
        Supervisor s(config(), false);
        (void)s.start(now);
        const auto a = s.on_topology(now, true, false);
        EXPECT_EQ(startup_failure(a), "gateway GW is not in the topology and no listener is known");
        EXPECT_FALSE(has<Connect>(a));
    }
    {
        Supervisor s(config(), false);
        (void)s.start(now);
        (void)s.on_topology(now, true, true);
        const auto a = s.on_connect_failed(now, "cannot reach the gateway at 127.0.0.1:1: refused");
        EXPECT_EQ(startup_failure(a), "cannot reach the gateway at 127.0.0.1:1: refused");
        EXPECT_TRUE(s.failed());
        EXPECT_TRUE(s.tick(now + 1h).empty()) << "a failed start-up does nothing more";
        EXPECT_EQ(s.next_wakeup(), TimePoint::max());
    }
    {
        Supervisor s(config(), false);
        (void)s.start(now);
        (void)s.on_topology(now, true, true);
        (void)s.on_connected(now);
        const auto a = s.on_refused(now, ErrorCode::malformed_message, false, "gateway error malformed_message");
        EXPECT_TRUE(has<CloseConnection>(a));
        EXPECT_EQ(startup_failure(a), "the gateway refused: gateway error malformed_message");
    }
    {
        Supervisor s(config(), false);
        (void)s.start(now);
        (void)s.on_topology(now, true, true);
        (void)s.on_connected(now);
        const auto a = s.on_lost(now, "the gateway closed the connection");
        EXPECT_EQ(startup_failure(a), "the gateway closed the connection");
    }
}

TEST_F(ClientSupervisor, AStartUpWithoutAnAnswerFailsAtTheDeadline) {
    Supervisor s(config(), false);
    (void)s.start(now);
    (void)s.on_topology(now, true, true);
    (void)s.on_connected(now);
    EXPECT_EQ(s.next_wakeup(), t0 + 20s);
    EXPECT_TRUE(s.tick(t0 + 19s).empty());
    const auto a = s.tick(t0 + 20s);
    EXPECT_TRUE(has<CloseConnection>(a));
    EXPECT_EQ(startup_failure(a), "no answer from the gateway within 20000 ms");
}

// --- reconnection ---------------------------------------------------------------------------------------

TEST_F(ClientSupervisor, LaterFailuresReconnectWithABackOffFrom250msTo10s) {
    refresh = 1h; // no topology refresh in the way
    Supervisor s = ready_supervisor();
    auto a = s.on_lost(now, "the gateway closed the connection");
    EXPECT_TRUE(has<CloseConnection>(a));
    EXPECT_FALSE(has<StartupFailed>(a));
    EXPECT_FALSE(has<Connect>(a)) << "not at once";
    const std::vector<std::chrono::milliseconds> expected = {250ms, 500ms, 1s, 2s, 4s, 8s, 10s, 10s};
    for (const auto wait : expected) {
        const TimePoint failed_at = now;
        EXPECT_EQ(s.next_wakeup(), failed_at + wait);
        EXPECT_FALSE(has<Connect>(s.tick(failed_at + wait - 1ms)));
        now = failed_at + wait;
        EXPECT_TRUE(has<Connect>(s.tick(now)));
        a = s.on_connect_failed(now, "cannot reach the gateway at 127.0.0.1:9000: refused");
        EXPECT_FALSE(has<StartupFailed>(a));
    }
    // Back up: the next failure starts from 250 ms again.
    EXPECT_TRUE(has<Connect>(wake(s)));
    (void)s.on_connected(now);
    (void)s.on_ready(now, false);
    (void)s.on_lost(now, "gone");
    EXPECT_EQ(s.next_wakeup(), now + 250ms);
}

TEST_F(ClientSupervisor, TheFirstFailureOfAStreakWarnsTheRestAreDebugAndTheRecoveryIsLoggedOnce) {
    Supervisor s = ready_supervisor();
    auto a = s.on_lost(now, "the gateway closed the connection");
    EXPECT_EQ(logs(a, Level::warn),
              std::vector<std::string>{"gateway link lost (the gateway closed the connection); reconnecting"});
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(has<Connect>(wake(s)));
        a = s.on_connect_failed(now, "cannot reach the gateway at h:1: refused");
        EXPECT_TRUE(logs(a, Level::warn).empty());
        EXPECT_EQ(logs(a, Level::debug), std::vector<std::string>{"cannot reach the gateway at h:1: refused"});
    }
    EXPECT_TRUE(has<Connect>(wake(s)));
    (void)s.on_connected(now);
    a = s.on_ready(now, false);
    EXPECT_EQ(logs(a, Level::info), std::vector<std::string>{"gateway link back after 4 failed attempt(s)"});
    // A new streak warns again.
    a = s.on_lost(now, "x");
    EXPECT_EQ(logs(a, Level::warn).size(), 1u);
}

TEST_F(ClientSupervisor, ARefusedStoredKeyIsReplacedByARegistrationOncePerStreak) {
    for (const auto code : {ErrorCode::unknown_client, ErrorCode::invalid_mac}) {
        Supervisor s = ready_supervisor();
        (void)s.on_lost(now, "gone");
        EXPECT_TRUE(has<Connect>(wake(s)));
        EXPECT_TRUE(has<Authenticate>(s.on_connected(now)));
        auto a = s.on_refused(now, code, true, "gateway error unknown_client");
        EXPECT_TRUE(has<CloseConnection>(a));
        EXPECT_TRUE(has<Connect>(a)) << "registers again at once";
        EXPECT_EQ(logs(a, Level::warn).size(), 1u);
        EXPECT_TRUE(s.need_register());
        EXPECT_TRUE(has<Register>(s.on_connected(now)));
        // The same streak: a second refusal is an ordinary failure with a back-off.
        Supervisor s2 = ready_supervisor();
        (void)s2.on_lost(now, "gone");
        (void)wake(s2);
        (void)s2.on_connected(now);
        (void)s2.on_refused(now, code, true, "r");
        (void)s2.on_connected(now);
        a = s2.on_refused(now, code, true, "r");
        EXPECT_FALSE(has<Connect>(a));
        EXPECT_GT(s2.next_wakeup(), now);
    }
}

TEST_F(ClientSupervisor, OnlyAuthenticationRefusalsOfTheKeyTriggerARegistration) {
    Supervisor s = ready_supervisor();
    (void)s.on_lost(now, "gone");
    (void)wake(s);
    (void)s.on_connected(now);
    // Refused, but not an authentication of our key.
    auto a = s.on_refused(now, ErrorCode::unknown_client, false, "r");
    EXPECT_FALSE(has<Connect>(a));
    (void)wake(s);
    (void)s.on_connected(now);
    a = s.on_refused(now, ErrorCode::malformed_message, true, "r");
    EXPECT_FALSE(has<Connect>(a));
    EXPECT_FALSE(s.need_register());
}

TEST_F(ClientSupervisor, ARegistrationRefusedAsNotNewerIsRetriedInTheNextSecondAtMostThreeTimes) {
    Supervisor s = ready_supervisor(true);
    (void)s.on_lost(now, "gone"); // 250 ms back-off scheduled
    // The next registration of this client (need_register again after a refused key).
    (void)wake(s);
    EXPECT_TRUE(has<Authenticate>(s.on_connected(now)));
    (void)s.on_refused(now, ErrorCode::unknown_client, true, "r");
    EXPECT_TRUE(has<Register>(s.on_connected(now)));
    for (int i = 0; i < 3; ++i) {
        const TimePoint refused_at = now;
        auto a = s.on_refused(now, ErrorCode::registration_refused, false, "not newer");
        EXPECT_TRUE(has<CloseConnection>(a));
        EXPECT_EQ(logs(a, Level::info).size(), 1u) << i;
        EXPECT_EQ(s.next_wakeup(), refused_at + 1100ms) << i;
        EXPECT_TRUE(has<Connect>(wake(s)));
        EXPECT_TRUE(has<Register>(s.on_connected(now)));
    }
    // The fourth is an ordinary failure.
    const auto a = s.on_refused(now, ErrorCode::registration_refused, false, "not newer");
    EXPECT_TRUE(logs(a, Level::info).empty());
    EXPECT_FALSE(logs(a, Level::warn).empty() && logs(a, Level::debug).empty());
}

TEST_F(ClientSupervisor, ARegistrationRefusalWithoutAPendingRegistrationIsAFailure) {
    Supervisor s = ready_supervisor();
    (void)s.on_lost(now, "gone");
    (void)wake(s);
    (void)s.on_connected(now);
    const TimePoint refused_at = now;
    const auto a = s.on_refused(now, ErrorCode::registration_refused, false, "r");
    EXPECT_TRUE(logs(a, Level::info).empty());
    EXPECT_NE(s.next_wakeup(), refused_at + 1100ms);
}

// --- topology ---------------------------------------------------------------------------------------------

TEST_F(ClientSupervisor, TheTopologyIsRefreshedEveryPeriodAndEverySecondWhileUnroutable) {
    Supervisor s = ready_supervisor();
    EXPECT_EQ(s.next_wakeup(), t0 + 30s);
    EXPECT_FALSE(has<FetchTopology>(s.tick(t0 + 29s)));
    now = t0 + 30s;
    EXPECT_TRUE(has<FetchTopology>(s.tick(now)));
    EXPECT_FALSE(has<FetchTopology>(s.tick(now + 60s))) << "one fetch at a time";
    (void)s.on_topology(now, false, true);
    EXPECT_EQ(s.next_wakeup(), now + 1s);
    now += 1s;
    EXPECT_TRUE(has<FetchTopology>(s.tick(now)));
    (void)s.on_topology(now, true, true);
    EXPECT_EQ(s.next_wakeup(), now + 30s);
    // A failed fetch waits for the next period too.
    now += 30s;
    EXPECT_TRUE(has<FetchTopology>(s.tick(now)));
    (void)s.on_topology_failed(now, "down");
    EXPECT_EQ(s.next_wakeup(), now + 30s);
}

TEST_F(ClientSupervisor, TopologyRequestsAreHonouredAtMostOncePerSecond) {
    Supervisor s = ready_supervisor();
    EXPECT_TRUE(has<FetchTopology>(s.request_topology(now)));
    (void)s.on_topology(now, true, true);
    EXPECT_FALSE(has<FetchTopology>(s.request_topology(now + 100ms)));
    EXPECT_FALSE(has<FetchTopology>(s.request_topology(now + 999ms)));
    EXPECT_TRUE(has<FetchTopology>(s.request_topology(now + 1s)));
    // Asked for while a fetch is on its way: another follows at once when it ends.
    now += 2s;
    EXPECT_FALSE(has<FetchTopology>(s.request_topology(now)));
    (void)s.on_topology(now + 10ms, true, true);
    EXPECT_EQ(s.next_wakeup(), now + 10ms);
    EXPECT_TRUE(has<FetchTopology>(s.tick(now + 10ms)));
}

TEST_F(ClientSupervisor, UnroutableIsWarnedWhenItStartsNotOnEveryRefresh) {
    Supervisor s(config(), false);
    (void)s.start(now);
    auto a = s.on_topology(now, false, true);
    EXPECT_EQ(logs(a, Level::warn),
              std::vector<std::string>{"the topology is not routable yet (a mix layer or our gateway is missing)"});
    a = s.on_topology(now, false, true);
    EXPECT_TRUE(logs(a, Level::warn).empty());
    a = s.on_topology(now, true, true);
    EXPECT_TRUE(logs(a, Level::warn).empty());
    a = s.on_topology(now, false, true);
    EXPECT_EQ(logs(a, Level::warn),
              std::vector<std::string>{"the topology is not routable (a mix layer or our gateway is missing)"});
    a = s.on_topology(now, false, true);
    EXPECT_TRUE(logs(a, Level::warn).empty());
}

TEST_F(ClientSupervisor, TopologyFailuresWarnOnceAndTheRecoveryIsLogged) {
    Supervisor s = ready_supervisor();
    auto a = s.on_topology_failed(now, "cannot reach the directory");
    EXPECT_EQ(logs(a, Level::warn), std::vector<std::string>{"topology refresh failed: cannot reach the directory"});
    a = s.on_topology_failed(now, "cannot reach the directory");
    EXPECT_TRUE(logs(a, Level::warn).empty());
    EXPECT_EQ(logs(a, Level::debug).size(), 1u);
    a = s.on_topology(now, true, true);
    EXPECT_EQ(logs(a, Level::info), std::vector<std::string>{"topology refresh works again"});
    EXPECT_FALSE(s.failed()) << "after start-up a topology failure is not fatal";
}

TEST_F(ClientSupervisor, AGatewayMissingFromTheTopologyAfterStartUpIsRetriedLater) {
    Supervisor s = ready_supervisor();
    (void)s.on_topology(now, true, false);
    (void)s.on_lost(now, "gone");
    const auto a = wake(s);
    EXPECT_FALSE(has<Connect>(a));
    EXPECT_FALSE(has<StartupFailed>(a));
    EXPECT_GT(s.next_wakeup(), now);
    (void)s.on_topology(now, true, true);
    EXPECT_TRUE(has<Connect>(wake(s)));
}

} // namespace
} // namespace nym::client
