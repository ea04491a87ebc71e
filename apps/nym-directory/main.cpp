// nym-directory: the presence / topology / metrics server of the mixnet (docs/protocol/directory.md).
#include <util/duration.hpp>
#include <directory/service.hpp>
#include <runtime/http_server.hpp>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

namespace {

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"nym-directory: presence, topology and metrics server of the Nym mixnet"};
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    std::string presence_timeout = "10s";
    std::string swagger_dir = NYM_SWAGGER_UI_DIR;
    std::string log_level = "info";
    std::size_t body_limit = 64 * 1024;
    app.add_option("--host", host, "address to listen on")->capture_default_str();
    app.add_option("--port", port, "TCP port (0 = any free port)")->capture_default_str();
    app.add_option("--presence-timeout", presence_timeout, "drop nodes silent for this long (e.g. 10s, 500ms)")
        ->capture_default_str();
    app.add_option("--swagger-dir", swagger_dir, "folder of the swagger-ui-dist npm package")->capture_default_str();
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();
    app.add_option("--body-limit", body_limit, "largest request body in bytes")->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    // Logs go to stderr: stdout carries only the "listening on" line that scripts and tests read.
    spdlog::set_default_logger(spdlog::stderr_color_mt("nym-directory"));
    spdlog::set_level(spdlog::level::from_str(log_level));
    const auto timeout = nym::util::parse_flag_duration(presence_timeout);
    if (!timeout || timeout->count() <= 0) {
        std::fprintf(stderr, "nym-directory: invalid --presence-timeout '%s' (use e.g. 10s or 500ms)\n",
                     presence_timeout.c_str());
        return 2;
    }

    nym::directory::ServiceConfig config;
    config.registry.presence_timeout = *timeout;
    config.swagger_dir = swagger_dir;
    nym::directory::DirectoryService service(config, nym::directory::system_clock_ms);

    nym::runtime::ServerOptions options;
    options.host = host;
    options.port = port;
    options.body_limit = body_limit;
    options.server_name = "nym-directory";
    nym::runtime::HttpServer server(options);
    service.install(server);

    auto bound = server.listen();
    if (!bound) {
        std::fprintf(stderr, "nym-directory: cannot listen on %s:%u: %s\n", host.c_str(), static_cast<unsigned>(port),
                     bound.error().message().c_str());
        return 1;
    }
    std::printf("nym-directory listening on http://%s:%u (topology: /api/presence/topology, docs: /swagger/)\n",
                host.c_str(), static_cast<unsigned>(*bound));
    std::fflush(stdout);
    server.run();
    spdlog::info("nym-directory stopped");
    return 0;
}
