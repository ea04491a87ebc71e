// nym-provider: the dummy service provider that accepts Coconut credential spends and redeems them on
// the ledger (docs/protocol/credentials.md).   nym-provider -f providers/provider1/config.toml
#include <runtime/loop.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <node/logging.hpp>
#include <provider/config.hpp>
#include <provider/daemon.hpp>
#include <string>

int main(int argc, char** argv) {
    CLI::App app{
        "nym-provider: a dummy service provider that takes Coconut credential spends and answers true or false"};
    std::string config_file;
    std::string log_level = "info";
    int port = -1;
    app.add_option("-f,--config", config_file, "the provider's config.toml")->required();
    app.add_option("--port", port, "HTTP port, overriding the config (0 = any free port)");
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();
    bool print_address = false;
    app.add_flag("--print-address", print_address, "print the account address of the configured key and exit");
    app.set_version_flag("--version", std::string("nym-provider ") + NYM_VERSION);
    CLI11_PARSE(app, argc, argv);

    if (!nym::node::init_logging("nym-provider", log_level)) {
        std::fprintf(stderr, "nym-provider: invalid --log-level '%s'\n", log_level.c_str());
        return 2;
    }
    auto config = nym::provider::load_config(config_file);
    if (!config) {
        std::fprintf(stderr, "nym-provider: %s: %s\n", config_file.c_str(), config.error().message().c_str());
        return 2;
    }
    if (port >= 0) config->listen_port = static_cast<std::uint16_t>(port);
    if (print_address) {
        auto key = nym::chain::read_account_key(config->account_key_file);
        if (!key) return std::fprintf(stderr, "nym-provider: %s\n", key.error().message().c_str()), 2;
        std::printf("%s\n", key->address().to_hex().c_str());
        return 0;
    }
    auto keys = nym::provider::load_keys(*config);
    if (!keys) {
        std::fprintf(stderr, "nym-provider: %s\n", keys.error().message().c_str());
        return 2;
    }
    nym::runtime::LoopOptions loop_options;
    loop_options.worker_threads = config->workers;
    nym::runtime::Loop loop(loop_options);
    nym::provider::Daemon daemon(loop, *config, std::move(*keys));
    auto bound = daemon.start();
    if (!bound) {
        std::fprintf(stderr, "nym-provider: %s\n", bound.error().c_str());
        return 1;
    }
    std::printf("nym-provider %s listening on http://%s:%u (chain %s)\n", daemon.address().c_str(),
                config->listen_host.c_str(), static_cast<unsigned>(*bound), config->ledger.chain_id.c_str());
    std::fflush(stdout);
    loop.run();
    return 0;
}
