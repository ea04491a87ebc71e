// nym-client: a Nym mixnet client with a websocket API for applications (docs/protocol/client-api.md).
//   nym-client init --id ID [--gateway KEY] [--directory URL] [--socket-type websocket|tcp|none] [--port 9001]
//                   [--root DIR] [--force] [traffic flags]
//   nym-client run  --id ID [the same flags] [--log-level info]
// init prints "address: <identity>@<gateway>"; run prints exactly one stdout line once the gateway
// link is up: "nym-client listening on ws://127.0.0.1:<port>/mix, address <address>" (tcp://... with
// socket type tcp).
#include <client/daemon.hpp>
#include <client/daemon_init.hpp>
#include <node/logging.hpp>

#include <crypto/rng.hpp>
#include <runtime/loop.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

namespace {

using namespace nym::client;

struct Flags {
    std::string id, root, gateway, log_level = "info";
    bool force = false;
    ConfigFlags config;
};

int fail(const std::string& message) {
    std::fprintf(stderr, "error: %s\n", message.c_str());
    return 1;
}

void add_common(CLI::App* cmd, Flags& f) {
    ConfigFlags& c = f.config;
    cmd->add_option("--id", f.id, "client id (folder under the root)")->required();
    cmd->add_option("--root", f.root, "folder holding client folders (default: $HOME/.nym/clients)");
    cmd->add_option("--gateway", f.gateway, "base58 identity of the gateway to register at (default: random)");
    cmd->add_option("--directory", c.directory, "directory server URL, e.g. http://127.0.0.1:8080");
    cmd->add_option("--socket-type", c.socket_type, "websocket, tcp (protobuf, see the docs) or none");
    cmd->add_option("--port", c.port, "API port on 127.0.0.1; 0 = any free port (default 9001)");
    cmd->add_option("--packet-delay", c.packet_delay, "mean per-hop delay, e.g. 15ms");
    cmd->add_option("--ack-delay", c.ack_delay, "mean per-hop delay of SURB-acks, e.g. 15ms");
    cmd->add_option("--send-delay", c.send_delay, "mean gap of the main Poisson stream, e.g. 20ms");
    cmd->add_option("--loop-delay", c.loop_delay, "mean gap of the loop-cover stream, e.g. 200ms");
    cmd->add_option("--ack-wait-addition", c.ack_wait_addition, "added to the ack timeout, e.g. 1500ms");
    cmd->add_option("--ack-wait-multiplier", c.ack_wait_multiplier, "multiplies the expected round trip (>= 1)");
    cmd->add_option("--max-retransmissions", c.max_retransmissions, "resends of a packet before giving up");
    cmd->add_option("--max-message-size", c.max_message_size, "largest message accepted by send, in bytes");
    cmd->add_option("--max-request-size", c.max_request_size, "largest API request frame, in bytes");
    cmd->add_option("--topology-refresh", c.topology_refresh, "topology refresh period, e.g. 30s");
    cmd->add_flag("--disable-cover", c.disable_cover,
                  "no cover traffic at all: no loop-cover stream, real packets sent as soon as queued");
    cmd->add_flag("--disable-loop-cover", c.disable_loop_cover, "no loop-cover stream");
    cmd->add_flag("--disable-main-poisson", c.disable_main_poisson,
                  "send real packets as soon as queued, without the main Poisson stream");
    cmd->add_option("--log-level", f.log_level, "trace, debug, info, warn, error")->capture_default_str();
}

/// What both commands start with: logging, id, root, --gateway and the overrides (std::nullopt
/// after printing the error).
struct Common {
    std::filesystem::path root;
    std::optional<nym::crypto::Ed25519PublicKey> gateway;
    ConfigOverrides overrides;
};
std::optional<Common> prepare(const Flags& f) {
    if (!nym::node::init_logging("nym-client", f.log_level)) {
        fail("invalid --log-level '" + f.log_level + "' (use trace, debug, info, warn, error)");
        return std::nullopt;
    }
    if (!valid_id(f.id)) {
        fail("invalid --id '" + f.id + "': 1-64 characters of A-Z a-z 0-9 _ -");
        return std::nullopt;
    }
    auto root = f.root.empty() ? default_root() : ConfigResult<std::filesystem::path>(f.root);
    auto gateway = parse_gateway_flag(f.gateway);
    auto overrides = overrides_from(f.config);
    const std::string error = !root ? root.error().message() : !gateway ? gateway.error() : !overrides ? overrides.error() : "";
    if (!error.empty()) {
        fail(error);
        return std::nullopt;
    }
    return Common{*root, *gateway, *overrides};
}

int run_init(const Flags& flags) {
    auto common = prepare(flags);
    if (!common) return 1;
    const auto file = config_path(common->root, flags.id);
    auto done = initialise(merge(default_config(common->root, flags.id), common->overrides), file, common->gateway,
                           flags.force, nym::crypto::system_rng());
    if (!done) return fail(done.error());
    std::fputs(init_report(*done, file).c_str(), stdout);
    std::fflush(stdout);
    return 0;
}

int run_run(const Flags& flags) {
    auto common = prepare(flags);
    if (!common) return 1;
    auto settings = run_settings(common->root, flags.id, common->overrides, common->gateway);
    if (!settings) return fail(settings.error());
    nym::runtime::Loop loop;
    Daemon daemon(loop, std::move(*settings));
    auto started = daemon.start([](const Daemon& d) {
        std::printf("%s\n", d.ready_line().c_str());
        std::fflush(stdout);
    });
    if (!started) return fail(started.error());
    loop.run();
    if (daemon.failure()) return fail(*daemon.failure());
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"nym-client: a Nym mixnet client with a websocket API on 127.0.0.1"};
    app.set_version_flag("--version", std::string("nym-client ") + NYM_VERSION);
    app.require_subcommand(1);
    Flags init_flags, run_flags;
    CLI::App* init = app.add_subcommand("init", "create keys, register at a gateway and write the config");
    add_common(init, init_flags);
    init->add_flag("--force", init_flags.force, "replace an existing client with the same id");
    CLI::App* run = app.add_subcommand("run", "run the client and its websocket API");
    add_common(run, run_flags);
    CLI11_PARSE(app, argc, argv);
    if (init->parsed()) return run_init(init_flags);
    if (run->parsed()) return run_run(run_flags);
    return 1;
}
