// nym-issuer: a Coconut credential issuer that follows the ledger (docs/protocol/credentials.md).
//   nym-issuer -f issuers/issuer1/config.toml
#include <runtime/loop.hpp>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <malloc.h>
#include <cstdio>
#include <issuer/config.hpp>
#include <issuer/daemon.hpp>
#include <node/logging.hpp>
#include <string>

int main(int argc, char** argv) {
    CLI::App app{"nym-issuer: blind-signs the credential requests committed on the Nym ledger and serves the partial "
                 "credentials"};
    std::string config_file;
    std::string log_level = "info";
    int port = -1;
    app.add_option("-f,--config", config_file, "the issuer's config.toml")->required();
    app.add_option("--port", port, "HTTP port, overriding the config (0 = any free port)");
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();
    app.set_version_flag("--version", std::string("nym-issuer ") + NYM_VERSION);
    CLI11_PARSE(app, argc, argv);

    if (!nym::node::init_logging("nym-issuer", log_level)) {
        std::fprintf(stderr, "nym-issuer: invalid --log-level '%s'\n", log_level.c_str());
        return 2;
    }
    auto config = nym::issuer::load_config(config_file);
    if (!config) {
        std::fprintf(stderr, "nym-issuer: %s: %s\n", config_file.c_str(), config.error().message().c_str());
        return 2;
    }
    if (port >= 0) config->listen_port = static_cast<std::uint16_t>(port);
    auto keys = nym::issuer::load_keys(*config);
    if (!keys) {
        std::fprintf(stderr, "nym-issuer: %s\n", keys.error().message().c_str());
        return 2;
    }
    const auto index = keys->verification.index;
    // Block results of busy blocks are large (about 2 KB of JSON per credential request): keep freed
    // memory instead of mapping and unmapping it for every block (measured: ~5% of the CPU time).
    mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
    nym::runtime::LoopOptions loop_options;
    loop_options.worker_threads = config->workers;
    nym::runtime::Loop loop(loop_options);
    nym::issuer::Daemon daemon(loop, *config, std::move(*keys));
    auto bound = daemon.start();
    if (!bound) {
        std::fprintf(stderr, "nym-issuer: %s\n", bound.error().c_str());
        return 1;
    }
    std::printf("nym-issuer %llu listening on http://%s:%u (chain %s, processed height %llu)\n",
                static_cast<unsigned long long>(index), config->listen_host.c_str(), static_cast<unsigned>(*bound),
                config->ledger.chain_id.c_str(), static_cast<unsigned long long>(daemon.processed_height()));
    std::fflush(stdout);
    loop.run();
    return 0;
}
