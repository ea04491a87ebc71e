#pragma once
// The running directory: its service's routes on an HTTP server attached to the process's loop.

#include <directory/service.hpp>
#include <runtime/http_server.hpp>
#include <runtime/loop.hpp>
#include <util/expected.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace nym::directory {

struct DaemonConfig {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;           ///< 0 = any free port
    std::size_t body_limit = 64 * 1024;  ///< largest request body
    ServiceConfig service;
};

class Daemon {
public:
    Daemon(runtime::Loop& loop, DaemonConfig config, Clock clock = system_clock_ms);

    /// Binds the listener; the bound port, or the system error (e.g. address in use).
    [[nodiscard]] Expected<std::uint16_t> start();

    [[nodiscard]] DirectoryService& service() noexcept { return m_service; }
    [[nodiscard]] const DaemonConfig& config() const noexcept { return m_config; }

private:
    DaemonConfig m_config;
    DirectoryService m_service;
    runtime::HttpServer m_server;
};

} // namespace nym::directory
