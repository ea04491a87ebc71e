#include <client/client.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <type_traits>

namespace nym::client {
namespace {

/// Rounds of core.poll() per call: each emits at most the core's batch, the loop then gets to read
/// its sockets before the rest.
constexpr int MAX_POLL_ROUNDS = 16;

ApiLimits api_limits(const Config& config) {
    ApiLimits limits;
    limits.max_request_size = config.max_request_size;
    limits.max_message_size = config.traffic.max_message_size;
    return limits;
}

SupervisorConfig supervisor_config(const Config& config) {
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    SupervisorConfig s;
    const auto at_least_1ms = [](std::chrono::microseconds us) {
        return std::max(milliseconds(1), duration_cast<milliseconds>(us));
    };
    s.topology_refresh = at_least_1ms(config.topology_refresh_rate);
    // The topology fetch, the connection and the handshake, with room for a slow gateway.
    s.startup_timeout = at_least_1ms(config.topology_resolution_timeout) +
                        at_least_1ms(config.gateway_connection_timeout) + milliseconds(5000);
    s.gateway_name = short_key(config.gateway_identity);
    return s;
}

void log(const supervise::Log& line) {
    switch (line.level) {
    case supervise::Level::debug: spdlog::debug("{}", line.text); break;
    case supervise::Level::info: spdlog::info("{}", line.text); break;
    case supervise::Level::warn: spdlog::warn("{}", line.text); break;
    }
}

} // namespace

Client::Client(ClientSettings settings, ClientKeys keys, std::optional<wire::gateway::SharedKey> shared_key,
               crypto::Rng& rng, TimePoint now, WallClock wall_clock)
    : m_config(std::move(settings.config)), m_config_file(std::move(settings.config_file)),
      m_save_config(settings.register_again), m_shared_key(std::move(shared_key)), m_rng(rng),
      m_wall_clock(std::move(wall_clock)),
      m_core(keys, Address{keys.identity_public, m_config.gateway_identity}, m_config.traffic, rng, now),
      m_link(keys.identity, m_config.gateway_identity), m_api(*this, api_limits(m_config)),
      m_supervisor(supervisor_config(m_config), settings.register_again || !m_shared_key), m_now(now) {
    m_address = to_string(m_core.address());
    m_gateway_endpoint = parse_listener(m_config.gateway_listener);
}

Client::~Client() = default;

ClientOutput Client::take() { return std::exchange(m_out, ClientOutput{}); }

ClientOutput Client::start(TimePoint now) {
    m_now = now;
    apply(m_supervisor.start(now));
    return take();
}

void Client::apply(SupervisorActions actions) {
    for (auto& action : actions) {
        std::visit(
            [&](auto& a) {
                using T = std::decay_t<decltype(a)>;
                if constexpr (std::is_same_v<T, supervise::FetchTopology>) {
                    m_out.fetch_topology = true;
                } else if constexpr (std::is_same_v<T, supervise::Connect>) {
                    m_link.reset();
                    m_connecting = m_gateway_endpoint;
                    m_out.connect = m_gateway_endpoint;
                } else if constexpr (std::is_same_v<T, supervise::Register>) {
                    m_out.gateway.push_back(m_link.begin_register(m_rng, m_wall_clock()));
                } else if constexpr (std::is_same_v<T, supervise::Authenticate>) {
                    if (m_shared_key)
                        m_out.gateway.push_back(m_link.begin_authenticate(*m_shared_key, m_rng, m_wall_clock()));
                    else
                        m_out.gateway.push_back(m_link.begin_register(m_rng, m_wall_clock()));
                } else if constexpr (std::is_same_v<T, supervise::CloseConnection>) {
                    m_out.close_gateway = true;
                    m_link.reset();
                    m_pending_acks.clear(); // unacknowledged deliveries come again on the next connection
                } else if constexpr (std::is_same_v<T, supervise::Ready>) {
                    m_out.ready = true;
                } else if constexpr (std::is_same_v<T, supervise::StartupFailed>) {
                    m_out.startup_failed = std::move(a.reason);
                } else {
                    log(a);
                }
            },
            action);
    }
}

// --- topology --------------------------------------------------------------------------------------------

ClientOutput Client::on_topology(wire::directory::Topology topology, TimePoint now) {
    m_now = now;
    m_core.set_topology(topology, now);
    for (const auto& g : topology.gateways)
        if (g.identity_key == m_config.gateway_identity) {
            if (auto endpoint = parse_listener(g.client_listener)) {
                m_gateway_endpoint = *endpoint;
                m_config.gateway_listener = g.client_listener;
            }
        }
    m_topology = std::move(topology);
    apply(m_supervisor.on_topology(now, m_core.routable(), m_gateway_endpoint.has_value()));
    pump();
    return take();
}

ClientOutput Client::on_topology_failed(const std::string& reason, TimePoint now) {
    m_now = now;
    apply(m_supervisor.on_topology_failed(now, reason));
    return take();
}

// --- the gateway connection ---------------------------------------------------------------------------

ClientOutput Client::on_gateway_connected(TimePoint now) {
    m_now = now;
    m_link.reset();
    apply(m_supervisor.on_connected(now));
    return take();
}

ClientOutput Client::on_gateway_connect_failed(const std::string& error, TimePoint now) {
    m_now = now;
    std::string where = "the gateway";
    if (m_connecting) where += " at " + m_connecting->host + ":" + std::to_string(m_connecting->port);
    apply(m_supervisor.on_connect_failed(now, "cannot reach " + where + ": " + error));
    return take();
}

ClientOutput Client::on_gateway_message(std::span<const std::uint8_t> data, bool binary, TimePoint now) {
    m_now = now;
    if (!binary) {
        apply(m_supervisor.on_lost(now, "the gateway sent a text frame"));
        return take();
    }
    LinkOutput out = m_link.on_frame(data);
    for (auto& frame : out.frames) m_out.gateway.push_back(std::move(frame));
    bool refused = false;
    for (auto& event : out.events) {
        if (auto* registered = std::get_if<LinkRegistered>(&event)) {
            ready(std::move(registered->shared_key));
        } else if (std::holds_alternative<LinkAuthenticated>(event)) {
            ready(std::nullopt);
        } else if (auto* delivered = std::get_if<LinkDelivered>(&event)) {
            deliver(*delivered);
        } else if (auto* r = std::get_if<LinkRefused>(&event)) {
            refused = true;
            apply(m_supervisor.on_refused(now, r->code, r->during_authentication, r->reason));
        }
    }
    if (out.close && !refused) apply(m_supervisor.on_lost(now, "protocol error"));
    pump();
    return take();
}

ClientOutput Client::on_gateway_closed(const std::string& why, TimePoint now) {
    m_now = now;
    apply(m_supervisor.on_lost(now, why));
    return take();
}

void Client::ready(std::optional<wire::gateway::SharedKey> new_key) {
    const bool registered = new_key.has_value();
    if (new_key) {
        m_shared_key = std::move(new_key);
        if (auto saved = save_shared_key(m_config, *m_shared_key); !saved)
            spdlog::error("could not store the gateway's shared key: {}", saved.error().message());
        if (m_save_config) {
            if (auto saved = save_config(m_config, m_config_file); !saved)
                spdlog::error("could not update the config: {}", saved.error().message());
            m_save_config = false;
        }
    }
    apply(m_supervisor.on_ready(m_now, registered));
}

void Client::deliver(const LinkDelivered& delivered) {
    // Handled in full before the id is acknowledged: a crash before the ack makes the gateway
    // deliver it again, and the core drops what it has already seen.
    for (auto& event : m_core.on_delivered(delivered.message, m_now)) {
        if (auto* received = std::get_if<MessageReceived>(&event)) {
            if (m_application) {
                m_out.received.push_back(std::move(*received));
                continue;
            }
            for (auto& push : m_api.on_received(*received)) m_out.api.push_back(std::move(push));
        } else if (auto* done = std::get_if<MessageDelivered>(&event)) {
            spdlog::debug("message {} delivered", done->id);
        } else if (auto* failed = std::get_if<MessageFailed>(&event)) {
            spdlog::warn("message {} abandoned: {}", failed->id, failed->reason);
        }
    }
    m_pending_acks.push_back(delivered.id);
}

/// Emits every due packet and acknowledges handled deliveries. While the link is down the core is
/// not polled: real messages wait in its queue and the Poisson streams restart on reconnection.
void Client::pump() {
    if (m_link.state() != LinkState::ready) return;
    for (int rounds = 0; rounds < MAX_POLL_ROUNDS; ++rounds) {
        auto packets = m_core.poll(m_now);
        for (const auto& p : packets)
            if (auto frame = m_link.send_packet(p)) m_out.gateway.push_back(std::move(*frame));
        if (packets.empty() || m_core.next_wakeup() > m_now) break;
    }
    for (auto& event : m_core.drain_events())
        if (auto* failed = std::get_if<MessageFailed>(&event))
            spdlog::warn("message {} abandoned: {}", failed->id, failed->reason);
    if (!m_pending_acks.empty()) {
        for (auto& frame : m_link.ack(m_pending_acks)) m_out.gateway.push_back(std::move(frame));
        m_pending_acks.clear();
    }
}

// --- the API ------------------------------------------------------------------------------------------------

void Client::api_open(ApiSessionId session) { m_api.open(session); }

void Client::api_close(ApiSessionId session) { m_api.close(session); }

ClientOutput Client::on_api_message(ApiSessionId session, std::span<const std::uint8_t> data, bool binary,
                                    TimePoint now) {
    m_now = now;
    for (auto& frame : m_api.on_message(session, data, binary)) m_out.api.push_back(ApiPush{session, std::move(frame)});
    pump();
    return take();
}

std::vector<wire::client_api::Response> Client::on_api_request(ApiSessionId session,
                                                               const wire::client_api::Request& request, TimePoint now,
                                                               ClientOutput& out) {
    m_now = now;
    auto responses = m_api.handle(session, request, ApiEncoding::binary);
    pump();
    out = take();
    return responses;
}

wire::client_api::Response Client::api_error(std::string message) { return m_api.error(std::move(message)); }

Expected<void> Client::send(std::span<const std::uint8_t> message, const ParsedAddress& recipient,
                            std::size_t reply_surbs) {
    auto id = m_core.send(message, recipient, m_now, reply_surbs);
    if (!id) {
        // The recipient (or its gateway) may have joined after our last refresh: look again now.
        if (id.error() == Errc::invalid_address || id.error() == Errc::no_route)
            apply(m_supervisor.request_topology(m_now));
        return Unexpected(id.error());
    }
    spdlog::debug("message {} queued: {} bytes", *id, message.size());
    return {};
}

Expected<void> Client::reply(const SenderTag& tag, std::span<const std::uint8_t> message) {
    return m_core.reply(tag, message, m_now);
}

Expected<void> Client::send_message(std::span<const std::uint8_t> message, const ParsedAddress& recipient,
                                    std::size_t reply_surbs, TimePoint now, ClientOutput& out) {
    m_now = now;
    auto sent = send(message, recipient, reply_surbs);
    pump();
    out = take();
    return sent;
}

Expected<void> Client::send_reply(const SenderTag& tag, std::span<const std::uint8_t> message, TimePoint now,
                                  ClientOutput& out) {
    m_now = now;
    auto sent = reply(tag, message);
    pump();
    out = take();
    return sent;
}

std::vector<std::string> Client::clients() {
    std::vector<std::string> out;
    for (const auto& g : m_topology.gateways)
        for (const auto& c : g.registered_clients) {
            Address a;
            a.identity.bytes = c.bytes; // the gateway lists its clients' Ed25519 identities
            a.gateway = g.identity_key;
            out.push_back(to_string(a));
        }
    return out;
}

std::string Client::own_address() { return m_address; }

// --- time -------------------------------------------------------------------------------------------------

ClientOutput Client::tick(TimePoint now) {
    m_now = now;
    apply(m_supervisor.tick(now));
    pump();
    return take();
}

TimePoint Client::next_wakeup() const {
    TimePoint t = m_supervisor.next_wakeup();
    if (m_link.state() == LinkState::ready) t = std::min(t, m_core.next_wakeup());
    return t;
}

} // namespace nym::client
