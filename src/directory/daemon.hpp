#pragma once
// The running directory: its service's routes on an HTTP server attached to the process's loop.

#include <directory/service.hpp>
#include <directory/services.hpp>
#include <runtime/http_client.hpp>
#include <runtime/http_server.hpp>
#include <runtime/loop.hpp>
#include <util/expected.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nym::directory {

struct DaemonConfig {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;          ///< 0 = any free port
    std::size_t body_limit = 64 * 1024; ///< largest request body
    ServiceConfig service;
    /// A CometBFT node's RPC (http://host:port) whose read-only methods GET /api/chain/<method>
    /// forwards for the dashboard; none = those routes answer 404.
    std::optional<runtime::Url> cometbft_rpc;
    /// Issuers and providers whose health GET /api/services reports (--issuer, --provider): each is
    /// asked for its status every `service_poll_interval`, one request at a time, each bounded by
    /// `service_timeout`.
    std::vector<ServiceEndpoint> services;
    std::chrono::milliseconds service_poll_interval{2000};
    std::chrono::milliseconds service_timeout{1500};
};

class ServiceMonitor;

class Daemon {
public:
    Daemon(runtime::Loop& loop, DaemonConfig config, Clock clock = system_clock_ms);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    /// Binds the listener; the bound port, or the system error (e.g. address in use).
    [[nodiscard]] Expected<std::uint16_t> start();

    [[nodiscard]] DirectoryService& service() noexcept { return m_service; }
    [[nodiscard]] const DaemonConfig& config() const noexcept { return m_config; }

private:
    DaemonConfig m_config;
    DirectoryService m_service;
    runtime::HttpServer m_server;
    /// For the /api/chain/ routes; declared after the server so it dies first (its pending
    /// callbacks, which answer through the server, are then abandoned).
    std::unique_ptr<runtime::HttpClient> m_chain_client;
    std::shared_ptr<ServiceMonitor> m_monitor; ///< none when no service is configured
};

} // namespace nym::directory
