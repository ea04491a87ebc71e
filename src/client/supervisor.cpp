#include <client/supervisor.hpp>

#include <algorithm>

namespace nym::client {

using namespace supervise;

Supervisor::Supervisor(SupervisorConfig config, bool need_register)
    : m_config(std::move(config)), m_need_register(need_register), m_backoff(m_config.min_backoff) {}

SupervisorActions Supervisor::start(TimePoint now) {
    SupervisorActions out;
    if (m_phase != Phase::idle) return out;
    m_phase = Phase::waiting_topology;
    m_startup_deadline = now + m_config.startup_timeout;
    fetch_topology(out);
    return out;
}

void Supervisor::fetch_topology(SupervisorActions& out) {
    m_topology_pending = true;
    m_topology_requested = false;
    out.emplace_back(FetchTopology{});
}

SupervisorActions Supervisor::on_topology(TimePoint now, bool routable, bool gateway_known) {
    SupervisorActions out;
    m_topology_pending = false;
    m_last_topology = now;
    m_have_topology = true;
    m_gateway_known = gateway_known;
    if (m_topology_failing) out.emplace_back(Log{Level::info, "topology refresh works again"});
    m_topology_failing = false;
    if (!routable && m_routable)
        out.emplace_back(Log{Level::warn, "the topology is not routable (a mix layer or our gateway is missing)"});
    else if (!routable && !m_warned_unroutable)
        out.emplace_back(Log{Level::warn, "the topology is not routable yet (a mix layer or our gateway is missing)"});
    m_warned_unroutable = !routable;
    m_routable = routable;
    if (m_phase == Phase::waiting_topology) connect(now, out);
    return out;
}

SupervisorActions Supervisor::on_topology_failed(TimePoint now, const std::string& reason) {
    SupervisorActions out;
    m_topology_pending = false;
    m_last_topology = now;
    if (m_phase == Phase::waiting_topology) {
        m_phase = Phase::failed;
        out.emplace_back(StartupFailed{reason});
        return out;
    }
    out.emplace_back(Log{m_topology_failing ? Level::debug : Level::warn, "topology refresh failed: " + reason});
    m_topology_failing = true;
    return out;
}

SupervisorActions Supervisor::request_topology(TimePoint now) {
    SupervisorActions out;
    if (m_phase == Phase::idle || m_phase == Phase::failed) return out;
    if (m_last_request && now - *m_last_request < m_config.min_refresh_request_gap) return out;
    m_last_request = now;
    if (m_topology_pending) {
        m_topology_requested = true; // fetch again as soon as the pending one ends
        return out;
    }
    fetch_topology(out);
    return out;
}

void Supervisor::connect(TimePoint now, SupervisorActions& out) {
    if (!m_gateway_known) {
        const std::string why = "gateway " + m_config.gateway_name + " is not in the topology and no listener is known";
        if (!m_started) {
            m_phase = Phase::failed;
            out.emplace_back(StartupFailed{why});
            return;
        }
        out.emplace_back(Log{Level::debug, why});
        schedule_reconnect(now);
        return;
    }
    m_phase = Phase::connecting;
    out.emplace_back(Connect{});
}

SupervisorActions Supervisor::on_connected(TimePoint) {
    SupervisorActions out;
    if (m_phase != Phase::connecting) return out;
    m_phase = Phase::handshaking;
    if (m_need_register) {
        out.emplace_back(Log{Level::info, "registering at gateway " + m_config.gateway_name});
        out.emplace_back(Register{});
    } else {
        out.emplace_back(Authenticate{});
    }
    return out;
}

SupervisorActions Supervisor::on_connect_failed(TimePoint now, const std::string& why) {
    SupervisorActions out;
    if (m_phase != Phase::connecting) return out;
    failure(now, why, why, out);
    return out;
}

SupervisorActions Supervisor::on_ready(TimePoint, bool registered) {
    SupervisorActions out;
    if (m_phase != Phase::handshaking) return out;
    m_phase = Phase::ready;
    if (registered) {
        m_need_register = false;
        out.emplace_back(Log{Level::info, "registered at gateway " + m_config.gateway_name});
    } else if (m_link_failures != 0) {
        out.emplace_back(
            Log{Level::info, "gateway link back after " + std::to_string(m_link_failures) + " failed attempt(s)"});
    } else {
        out.emplace_back(Log{Level::info, "authenticated at gateway " + m_config.gateway_name});
    }
    m_link_failures = 0;
    m_backoff = m_config.min_backoff;
    m_reregister_attempted = false;
    m_registration_retries = 0;
    if (!m_started) {
        m_started = true;
        out.emplace_back(Ready{});
    }
    return out;
}

SupervisorActions Supervisor::on_refused(TimePoint now, std::optional<wire::gateway::ErrorCode> code,
                                         bool during_authentication, const std::string& reason) {
    using wire::gateway::ErrorCode;
    SupervisorActions out;
    if (m_phase != Phase::handshaking && m_phase != Phase::ready) return out;
    out.emplace_back(CloseConnection{});
    // A gateway that forgot us (its database was reset) or holds another key: register again with
    // our identity key, once per failure streak.
    const bool key_problem =
        during_authentication && code && (*code == ErrorCode::unknown_client || *code == ErrorCode::invalid_mac);
    if (key_problem && !m_reregister_attempted) {
        out.emplace_back(Log{Level::warn, "gateway refused our stored key (" + reason + "); registering again"});
        m_reregister_attempted = true;
        m_need_register = true;
        connect(now, out);
        return out;
    }
    // Registration timestamps are whole seconds and must increase: a registration in the same second
    // as the previous one is refused as a replay. Try again in the next second.
    if (code && *code == ErrorCode::registration_refused && m_need_register &&
        m_registration_retries < m_config.max_registration_retries) {
        ++m_registration_retries;
        out.emplace_back(
            Log{Level::info, "registration refused as not newer than the stored one; retrying in a second"});
        m_phase = Phase::backing_off;
        m_reconnect_at = now + m_config.registration_retry_delay;
        return out;
    }
    const std::string text = "the gateway refused: " + reason;
    failure(now, text, text, out);
    return out;
}

SupervisorActions Supervisor::on_lost(TimePoint now, const std::string& why) {
    SupervisorActions out;
    if (m_phase != Phase::handshaking && m_phase != Phase::ready) return out;
    out.emplace_back(CloseConnection{});
    failure(now, why, "gateway link lost (" + why + "); reconnecting", out);
    return out;
}

void Supervisor::failure(TimePoint now, const std::string& startup_reason, const std::string& later_text,
                         SupervisorActions& out) {
    if (!m_started) {
        m_phase = Phase::failed;
        out.emplace_back(StartupFailed{startup_reason});
        return;
    }
    // The first problem of a streak is a warning, the rest debug, so a dead gateway does not flood the log.
    out.emplace_back(Log{m_link_failures++ == 0 ? Level::warn : Level::debug, later_text});
    schedule_reconnect(now);
}

void Supervisor::schedule_reconnect(TimePoint now) {
    m_phase = Phase::backing_off;
    m_reconnect_at = now + m_backoff;
    m_backoff = std::min(m_config.max_backoff, m_backoff * 2);
}

Supervisor::TimePoint Supervisor::next_refresh() const {
    if (m_topology_requested) return m_last_topology;
    const auto period = m_routable ? m_config.topology_refresh
                                   : std::min(m_config.topology_refresh, m_config.unroutable_refresh);
    return m_last_topology + period;
}

SupervisorActions Supervisor::tick(TimePoint now) {
    SupervisorActions out;
    if (m_phase == Phase::idle || m_phase == Phase::failed) return out;
    if (!m_started && now >= m_startup_deadline) {
        m_phase = Phase::failed;
        out.emplace_back(CloseConnection{});
        out.emplace_back(StartupFailed{"no answer from the gateway within " +
                                       std::to_string(m_config.startup_timeout.count()) + " ms"});
        return out;
    }
    if (m_phase == Phase::backing_off && now >= m_reconnect_at) connect(now, out);
    if (m_have_topology && !m_topology_pending && now >= next_refresh()) fetch_topology(out);
    return out;
}

Supervisor::TimePoint Supervisor::next_wakeup() const {
    TimePoint t = TimePoint::max();
    if (m_phase == Phase::idle || m_phase == Phase::failed) return t;
    if (!m_started) t = std::min(t, m_startup_deadline);
    if (m_phase == Phase::backing_off) t = std::min(t, m_reconnect_at);
    if (m_have_topology && !m_topology_pending) t = std::min(t, next_refresh());
    return t;
}

} // namespace nym::client
