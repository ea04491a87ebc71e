// nym-directory: the presence / topology / metrics server of the mixnet (docs/protocol/directory.md).
#include <directory/daemon.hpp>
#include <node/logging.hpp>
#include <runtime/loop.hpp>
#include <util/duration.hpp>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

int main(int argc, char** argv) {
    CLI::App app{"nym-directory: presence, topology and metrics server of the Nym mixnet"};
    nym::directory::DaemonConfig config;
    std::string presence_timeout = "10s";
    std::string swagger_dir = NYM_SWAGGER_UI_DIR;
    std::string uplot_dir = NYM_UPLOT_DIR;
    std::string cometbft_rpc;
    std::vector<std::string> issuers;
    std::vector<std::string> providers;
    std::string log_level = "info";
    app.add_option("--host", config.host, "address to listen on")->capture_default_str();
    app.add_option("--port", config.port, "TCP port (0 = any free port)")->capture_default_str();
    app.add_option("--presence-timeout", presence_timeout, "drop nodes silent for this long (e.g. 10s, 500ms)")
        ->capture_default_str();
    app.add_option("--swagger-dir", swagger_dir, "folder of the swagger-ui-dist npm package")->capture_default_str();
    app.add_option("--uplot-dir", uplot_dir, "folder of the uplot npm package's dist/ (the dashboard's charts)")
        ->capture_default_str();
    app.add_option("--cometbft-rpc", cometbft_rpc,
                   "a validator's CometBFT RPC (http://host:port) the dashboard reads through /api/chain/");
    app.add_option("--issuer", issuers,
                   "an nym-issuer's base URL (http://host:port) whose health the dashboard shows (repeatable)");
    app.add_option("--provider", providers,
                   "an nym-provider's base URL (http://host:port) whose health the dashboard shows (repeatable)");
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();
    app.add_option("--body-limit", config.body_limit, "largest request body in bytes")->capture_default_str();
    bool allow_foreign_hosts = false;
    app.add_flag(
        "--allow-foreign-hosts", allow_foreign_hosts,
        "accept nodes announcing an address other than the one their heartbeats come from (nodes behind a proxy)");
    app.set_version_flag("--version", std::string("nym-directory ") + NYM_VERSION);
    CLI11_PARSE(app, argc, argv);

    // Logs go to stderr: stdout carries only the "listening on" line that scripts and tests read.
    if (!nym::node::init_logging("nym-directory", log_level)) {
        std::fprintf(stderr, "nym-directory: invalid --log-level '%s'\n", log_level.c_str());
        return 2;
    }
    const auto timeout = nym::util::parse_flag_duration(presence_timeout);
    if (!timeout || timeout->count() <= 0) {
        std::fprintf(stderr, "nym-directory: invalid --presence-timeout '%s' (use e.g. 10s or 500ms)\n",
                     presence_timeout.c_str());
        return 2;
    }
    config.service.registry.presence_timeout = *timeout;
    config.service.swagger_dir = swagger_dir;
    config.service.uplot_dir = uplot_dir;
    if (!cometbft_rpc.empty()) {
        auto url = nym::runtime::parse_url(cometbft_rpc);
        if (!url || url->scheme != "http") {
            std::fprintf(stderr, "nym-directory: invalid --cometbft-rpc '%s' (use e.g. http://127.0.0.1:26657)\n",
                         cometbft_rpc.c_str());
            return 2;
        }
        config.cometbft_rpc = *url;
    }
    for (const auto& [kind, urls] : {std::pair{nym::directory::ServiceKind::issuer, &issuers},
                                     std::pair{nym::directory::ServiceKind::provider, &providers}}) {
        for (const auto& text : *urls) {
            auto endpoint = nym::directory::parse_service_url(kind, text);
            if (!endpoint) {
                std::fprintf(stderr, "nym-directory: invalid --%s '%s': %s\n",
                             std::string(nym::directory::to_string(kind)).c_str(), text.c_str(),
                             endpoint.error().message().c_str());
                return 2;
            }
            config.services.push_back(std::move(*endpoint));
        }
    }
    config.service.registry.host_must_match_sender = !allow_foreign_hosts;

    nym::runtime::Loop loop;
    nym::directory::Daemon daemon(loop, config);
    auto bound = daemon.start();
    if (!bound) {
        std::fprintf(stderr, "nym-directory: cannot listen on %s:%u: %s\n", config.host.c_str(),
                     static_cast<unsigned>(config.port), bound.error().message().c_str());
        return 1;
    }
    std::printf("nym-directory listening on http://%s:%u (topology: /api/presence/topology, docs: /swagger/, "
                "dashboard: /dashboard/)\n",
                config.host.c_str(), static_cast<unsigned>(*bound));
    std::fflush(stdout);
    loop.run();
    spdlog::info("nym-directory stopped");
    return 0;
}
