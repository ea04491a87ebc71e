// nym-gateway: the mixnet's store-and-forward provider (docs/protocol/gateway.md).
//   nym-gateway init --id ID --host H [--mix-port 1789] [--clients-port 9000] [--directory URL] [--root DIR] [--force]
//   nym-gateway run  --id ID [--root DIR] [--host H] [--mix-port P] [--clients-port P] [--announce-host H]
//                    [--directory URL] [--heartbeat-interval 2s] [--log-level info] ...
// The running gateway is gateway::Daemon (src/gateway/daemon.hpp) on one runtime::Loop.
#include <gateway/config.hpp>
#include <gateway/daemon.hpp>
#include <gateway/run_config.hpp>

#include <crypto/base58.hpp>
#include <crypto/rng.hpp>
#include <node/config_file.hpp>
#include <node/logging.hpp>
#include <runtime/loop.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <string>

namespace {

namespace gw = nym::gateway;

int fail(const char* command, const std::string& message) {
    std::fprintf(stderr, "nym-gateway%s: %s\n", command, message.c_str());
    return 1;
}

int run_init(gw::InitOptions options, const std::string& root_flag) {
    auto root = nym::node::resolve_root(root_flag, gw::ROLE_FOLDER);
    if (!root) return fail("", root.error().message());
    options.root = *root;
    auto result = gw::init_gateway(options, nym::crypto::system_rng());
    if (!result) return fail(" init", result.error().message());
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

int run_gateway(const gw::RunFlags& flags, const std::string& log_level) {
    if (!nym::node::init_logging("nym-gateway", log_level))
        return fail(" run", "invalid --log-level '" + log_level + "' (trace, debug, info, warn, error, off)");
    auto prepared = gw::prepare_run(flags);
    if (!prepared) return fail(" run", prepared.error());
    nym::runtime::Loop loop;
    gw::Daemon daemon(loop, std::move(prepared->daemon), std::move(prepared->keys), std::move(prepared->store));
    auto started = daemon.start([](const gw::Listening& at) {
        std::printf("nym-gateway listening on mix %s, clients %s\n", at.mix_address.c_str(), at.client_listener.c_str());
        if (at.admin) std::printf("nym-gateway admin on %s (GET /api/stats)\n", at.admin->c_str());
        std::fflush(stdout);
    });
    if (!started) return fail(" run", started.error());
    loop.run();
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"nym-gateway: store-and-forward provider of the Nym mixnet"};
    app.set_version_flag("--version", std::string("nym-gateway ") + NYM_VERSION);
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

    gw::RunFlags flags;
    std::string log_level = "info";
    CLI::App* run = app.add_subcommand("run", "run the gateway");
    run->add_option("--id", flags.id, "gateway id")->required();
    run->add_option("--root", flags.root, "folder holding gateways (default $HOME/.nym/gateways)");
    run->add_option("--host", flags.host, "address to listen on (default: the config's host)");
    run->add_option("--announce-host", flags.announce_host, "address announced to the directory (overrides gateway.host)");
    run->add_option("--mix-port", flags.mix_port, "mix port; 0 = any free port (overrides gateway.mix_port)");
    run->add_option("--clients-port", flags.clients_port,
                    "client websocket port; 0 = any free port (overrides gateway.clients_port)");
    run->add_option("--directory", flags.directory, "directory server URL (overrides gateway.directory)");
    run->add_option("--admin-port", flags.admin_port,
                    "serve per-client stats on 127.0.0.1:PORT; 0 = any free port (overrides [admin])");
    run->add_option("--message-max-age", flags.max_age_secs, "seconds a message is kept (overrides the config)");
    run->add_option("--cleanup-interval", flags.cleanup_interval, "period of the expiry sweep, e.g. 1h");
    run->add_option("--heartbeat-interval", flags.heartbeat_interval, "presence heartbeat period, e.g. 500ms or 2s")
        ->capture_default_str();
    run->add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();

    CLI11_PARSE(app, argc, argv);

    // Every expected failure is a typed error turned into one line above; this is the last guard so
    // that even an unexpected exception (e.g. out of memory) ends as one line, never a crash dump.
    try {
        if (init->parsed()) return run_init(init_options, init_root);
        return run_gateway(flags, log_level);
    } catch (const std::exception& e) {
        return fail("", std::string("fatal: ") + e.what());
    }
}
