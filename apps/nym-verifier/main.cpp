// nym-verifier: a credential verifier that follows the ledger and votes on every deposited credential
// (docs/protocol/credentials.md).   nym-verifier -f verifiers/verifier1/config.toml
#include <runtime/loop.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <node/logging.hpp>
#include <string>
#include <verifier/config.hpp>
#include <verifier/daemon.hpp>

int main(int argc, char** argv) {
    CLI::App app{"nym-verifier: verifies the credentials deposited on the Nym ledger and votes on them"};
    std::string config_file;
    std::string log_level = "info";
    app.add_option("-f,--config", config_file, "the verifier's config.toml")->required();
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();
    bool print_address = false;
    app.add_flag("--print-address", print_address, "print the account address of the configured key and exit");
    app.set_version_flag("--version", std::string("nym-verifier ") + NYM_VERSION);
    CLI11_PARSE(app, argc, argv);

    if (!nym::node::init_logging("nym-verifier", log_level)) {
        std::fprintf(stderr, "nym-verifier: invalid --log-level '%s'\n", log_level.c_str());
        return 2;
    }
    auto config = nym::verifier::load_config(config_file);
    if (!config) {
        std::fprintf(stderr, "nym-verifier: %s: %s\n", config_file.c_str(), config.error().message().c_str());
        return 2;
    }
    if (print_address) {
        auto key = nym::chain::read_account_key(config->account_key_file);
        if (!key) return std::fprintf(stderr, "nym-verifier: %s\n", key.error().message().c_str()), 2;
        std::printf("%s\n", key->address().to_hex().c_str());
        return 0;
    }
    auto keys = nym::verifier::load_keys(*config);
    if (!keys) {
        std::fprintf(stderr, "nym-verifier: %s\n", keys.error().message().c_str());
        return 2;
    }
    nym::runtime::LoopOptions loop_options;
    loop_options.worker_threads = config->workers;
    nym::runtime::Loop loop(loop_options);
    nym::verifier::Daemon daemon(loop, *config, std::move(*keys));
    if (auto started = daemon.start(); !started) {
        std::fprintf(stderr, "nym-verifier: %s\n", started.error().c_str());
        return 1;
    }
    std::printf("nym-verifier %s following chain %s from height %llu\n", daemon.address().c_str(),
                config->ledger.chain_id.c_str(), static_cast<unsigned long long>(daemon.processed_height() + 1));
    std::fflush(stdout);
    loop.run();
    return 0;
}
