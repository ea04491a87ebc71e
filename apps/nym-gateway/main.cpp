// nym-gateway: the mixnet's store-and-forward provider (docs/protocol/gateway.md).
//   nym-gateway init --id ID --host H [--mix-port 1789] [--clients-port 9000] [--directory URL] [--root DIR] [--force]
//   nym-gateway run  --id ID [--root DIR] [overrides]     (networking not yet available: exits 2)
#include <gateway/config.hpp>
#include <gateway/message_store.hpp>

#include <crypto/base58.hpp>
#include <crypto/rng.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <optional>
#include <string>

namespace {

namespace gw = nym::gateway;

constexpr int EXIT_CONFIG_ERROR = 1;
constexpr int EXIT_NOT_AVAILABLE = 2;

std::optional<std::filesystem::path> resolve_root(const std::string& root_flag) {
    if (!root_flag.empty()) return std::filesystem::path(root_flag);
    auto root = gw::default_root();
    if (!root) {
        std::fprintf(stderr, "nym-gateway: %s\n", root.error().message().c_str());
        return std::nullopt;
    }
    return *root;
}

int run_init(const gw::InitOptions& options_in, const std::string& root_flag) {
    auto root = resolve_root(root_flag);
    if (!root) return EXIT_CONFIG_ERROR;
    gw::InitOptions options = options_in;
    options.root = *root;
    auto result = gw::init_gateway(options, nym::crypto::system_rng());
    if (!result) {
        std::fprintf(stderr, "nym-gateway init: %s\n", result.error().message().c_str());
        return EXIT_CONFIG_ERROR;
    }
    const gw::Config& c = result->config;
    std::printf("Initialised gateway '%s'\n", c.id.c_str());
    std::printf("  identity key (ed25519): %s\n", nym::crypto::base58_encode(result->identity_public.bytes).c_str());
    std::printf("  sphinx key (x25519):    %s\n", nym::crypto::base58_encode(result->sphinx_public.bytes).c_str());
    std::printf("  mix address:            %s:%d\n", c.host.c_str(), c.mix_port);
    std::printf("  clients address:        ws://%s:%d\n", c.host.c_str(), c.clients_port);
    std::printf("  directory:              %s\n", c.directory_url.c_str());
    std::printf("  config:                 %s\n", result->config_file.c_str());
    std::printf("  private identity key:   %s (0600)\n", c.private_identity_key_file.c_str());
    std::printf("  private sphinx key:     %s (0600)\n", c.private_sphinx_key_file.c_str());
    std::printf("  message database:       %s (0600)\n", c.database_file.c_str());
    return 0;
}

int run_run(const std::string& id, const std::string& root_flag, const gw::ConfigOverrides& overrides) {
    if (!id.empty()) {
        auto root = resolve_root(root_flag);
        if (!root) return EXIT_CONFIG_ERROR;
        auto loaded = gw::load_config(gw::config_path(*root, id));
        if (!loaded) {
            std::fprintf(stderr, "nym-gateway run: %s\n", loaded.error().message().c_str());
            return EXIT_CONFIG_ERROR;
        }
        const gw::Config config = gw::merge(std::move(*loaded), overrides);
        if (auto v = gw::validate(config); !v) {
            std::fprintf(stderr, "nym-gateway run: %s\n", v.error().message().c_str());
            return EXIT_CONFIG_ERROR;
        }
        if (auto keys = gw::load_keys(config); !keys) {
            std::fprintf(stderr, "nym-gateway run: %s\n", keys.error().message().c_str());
            return EXIT_CONFIG_ERROR;
        }
    }
    std::fprintf(stderr,
                 "nym-gateway run: not yet available: this build has the gateway's message store, client protocol\n"
                 "and config, but not its networking (mix listener, client websocket, directory heartbeat).\n");
    return EXIT_NOT_AVAILABLE;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"nym-gateway: store-and-forward provider of the Nym mixnet"};
    app.require_subcommand(1);

    gw::InitOptions init_options;
    std::string init_root;
    CLI::App* init = app.add_subcommand("init", "create keys and a config under ~/.nym/gateways/<id>/");
    init->add_option("--id", init_options.id, "gateway id (1-64 of A-Z a-z 0-9 _ -)")->required();
    init->add_option("--host", init_options.host, "host name or IP announced to mix nodes and clients")->required();
    init->add_option("--mix-port", init_options.mix_port, "port for packets from mix layer 3")->capture_default_str();
    init->add_option("--clients-port", init_options.clients_port, "client websocket port")->capture_default_str();
    init->add_option("--directory", init_options.directory_url, "directory server URL")->capture_default_str();
    init->add_option("--root", init_root, "folder holding gateways (default $HOME/.nym/gateways)");
    init->add_flag("--force", init_options.force, "overwrite an existing gateway's keys and config");

    std::string run_id;
    std::string run_root;
    gw::ConfigOverrides overrides;
    std::optional<std::string> host;
    std::optional<int> mix_port;
    std::optional<int> clients_port;
    std::optional<std::string> directory;
    std::optional<std::uint64_t> max_age_secs;
    CLI::App* run = app.add_subcommand("run", "run the gateway (not yet available in this build)");
    run->add_option("--id", run_id, "gateway id");
    run->add_option("--root", run_root, "folder holding gateways (default $HOME/.nym/gateways)");
    run->add_option("--host", host, "override gateway.host");
    run->add_option("--mix-port", mix_port, "override gateway.mix_port");
    run->add_option("--clients-port", clients_port, "override gateway.clients_port");
    run->add_option("--directory", directory, "override gateway.directory");
    run->add_option("--message-max-age", max_age_secs, "override storage.message_max_age_secs");

    CLI11_PARSE(app, argc, argv);

    if (init->parsed()) return run_init(init_options, init_root);
    overrides.host = host;
    overrides.mix_port = mix_port;
    overrides.clients_port = clients_port;
    overrides.directory_url = directory;
    if (max_age_secs) overrides.message_max_age = std::chrono::seconds(static_cast<std::int64_t>(*max_age_secs));
    return run_run(run_id, run_root, overrides);
}
