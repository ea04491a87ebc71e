// nym-validator: the Nym ledger as the ABCI application of one CometBFT validator
// (docs/protocol/ledger.md). CometBFT connects to it (proxy_app = "tcp://127.0.0.1:26658").
#include <node/logging.hpp>
#include <runtime/loop.hpp>
#include <validator/daemon.hpp>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    CLI::App app{"nym-validator: the Nym ledger, served over ABCI to a CometBFT validator"};
    nym::validator::DaemonConfig config;
    std::string data_dir;
    std::string log_level = "info";
    app.add_option("--data-dir", data_dir, "folder of the ledger's database (created if missing)")->required();
    app.add_option("--host", config.listen_host, "address CometBFT connects to")->capture_default_str();
    app.add_option("--port", config.listen_port, "ABCI port (CometBFT's proxy_app); 0 = any free port")
        ->capture_default_str();
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();
    app.set_version_flag("--version", std::string("nym-validator ") + NYM_VERSION);
    CLI11_PARSE(app, argc, argv);
    config.data_dir = data_dir;

    if (!nym::node::init_logging("nym-validator", log_level)) {
        std::fprintf(stderr, "nym-validator: invalid --log-level '%s'\n", log_level.c_str());
        return 2;
    }
    nym::runtime::Loop loop;
    nym::validator::Daemon daemon(loop, config);
    auto bound = daemon.start();
    if (!bound) {
        std::fprintf(stderr, "nym-validator: %s\n", bound.error().message.c_str());
        return 1;
    }
    std::printf("nym-validator listening on %s:%u (ABCI), ledger at height %llu\n", config.listen_host.c_str(),
                static_cast<unsigned>(*bound), static_cast<unsigned long long>(daemon.height()));
    std::fflush(stdout);
    loop.run();
    return 0;
}
