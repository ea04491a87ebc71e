// nym-network-requester: opens the TCP connections of SOCKS streams that arrive through the mixnet,
// for destinations its allow-list names (docs/protocol/socks5.md).
//   nym-network-requester init --id ID [--gateway KEY] [--directory URL] [--allow-list FILE] [--root DIR]
//                              [--force] [traffic flags]
//   nym-network-requester run  --id ID [--allow-list FILE] [traffic flags] [--log-level info]
// init prints "address: <identity>@<gateway>" (what SOCKS clients give as --provider); run prints one
// stdout line once the mixnet link is up: "nym-network-requester running, address <address>, <n> allow-list rules".
#include <client/config.hpp>
#include <client/daemon_init.hpp>
#include <crypto/rng.hpp>
#include <runtime/loop.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <node/logging.hpp>
#include <requester/config.hpp>
#include <requester/daemon.hpp>
#include <string>

namespace {

using namespace nym;

struct Flags {
    std::string id, root, gateway, allow_list, log_level = "info";
    bool force = false;
    client::ConfigFlags config;
};

int fail(const std::string& message) {
    std::fprintf(stderr, "error: %s\n", message.c_str());
    return 1;
}

void add_common(CLI::App* cmd, Flags& f) {
    auto& c = f.config;
    cmd->add_option("--id", f.id, "requester id (folder under the root)")->required();
    cmd->add_option("--root", f.root, "folder holding the requesters (default: $HOME/.nym/network-requesters)");
    cmd->add_option("--allow-list", f.allow_list, "file of allowed host:port patterns (default: config/allowed.list)");
    cmd->add_option("--gateway", f.gateway, "base58 identity of the gateway to register at (default: random)");
    cmd->add_option("--directory", c.directory, "directory server URL, e.g. http://127.0.0.1:8080");
    cmd->add_option("--packet-delay", c.packet_delay, "mean per-hop delay, e.g. 15ms");
    cmd->add_option("--ack-delay", c.ack_delay, "mean per-hop delay of SURB-acks, e.g. 15ms");
    cmd->add_option("--send-delay", c.send_delay, "mean gap of the main Poisson stream, e.g. 20ms");
    cmd->add_option("--loop-delay", c.loop_delay, "mean gap of the loop-cover stream, e.g. 200ms");
    cmd->add_flag("--disable-cover", c.disable_cover, "no cover traffic: real packets sent as soon as queued");
    cmd->add_flag("--disable-loop-cover", c.disable_loop_cover, "no loop-cover stream");
    cmd->add_flag("--disable-main-poisson", c.disable_main_poisson, "send real packets as soon as queued");
    cmd->add_option("--log-level", f.log_level, "trace, debug, info, warn, error")->capture_default_str();
}

struct Common {
    std::filesystem::path root;
    std::optional<crypto::Ed25519PublicKey> gateway;
    client::ConfigOverrides overrides;
};

std::optional<Common> prepare(Flags& f) {
    if (!node::init_logging("nym-network-requester", f.log_level)) {
        fail("invalid --log-level '" + f.log_level + "' (use trace, debug, info, warn, error)");
        return std::nullopt;
    }
    if (!client::valid_id(f.id)) {
        fail("invalid --id '" + f.id + "': 1-64 characters of A-Z a-z 0-9 _ -");
        return std::nullopt;
    }
    f.config.socket_type = "none";
    auto root = node::resolve_root(f.root, requester::ROLE_FOLDER);
    auto gateway = client::parse_gateway_flag(f.gateway);
    auto overrides = client::overrides_from(f.config);
    const std::string error = !root        ? root.error().message()
                              : !gateway   ? gateway.error()
                              : !overrides ? overrides.error()
                                           : "";
    if (!error.empty()) {
        fail(error);
        return std::nullopt;
    }
    return Common{*root, *gateway, *overrides};
}

int run_init(Flags& flags) {
    auto common = prepare(flags);
    if (!common) return 1;
    const auto file = client::config_path(common->root, flags.id);
    auto done = client::initialise(client::merge(client::default_config(common->root, flags.id), common->overrides),
                                   file, common->gateway, flags.force, crypto::system_rng());
    if (!done) return fail(done.error());
    requester::RequesterFile settings;
    if (!flags.allow_list.empty()) settings.allow_list = std::filesystem::absolute(flags.allow_list);
    if (auto saved = requester::save_requester_file(settings, requester::requester_file_path(common->root, flags.id));
        !saved)
        return fail(saved.error().message());
    std::fputs(client::init_report(*done, file).c_str(), stdout);
    std::fflush(stdout);
    return 0;
}

int run_run(Flags& flags) {
    auto common = prepare(flags);
    if (!common) return 1;
    auto file = requester::load_requester_file(requester::requester_file_path(common->root, flags.id));
    if (!file) return fail(file.error().message());
    const std::filesystem::path allow_path =
        flags.allow_list.empty() ? file->allow_list : std::filesystem::path(flags.allow_list);
    auto text = node::read_text_file(allow_path, node::MAX_CONFIG_FILE_SIZE);
    if (!text) return fail("allow-list: " + text.error().message());
    auto allow = socks5::AllowList::parse(*text);
    if (!allow) return fail("allow-list " + allow_path.string() + ": " + allow.error());
    auto client_settings = client::run_settings(common->root, flags.id, common->overrides, common->gateway);
    if (!client_settings) return fail(client_settings.error());
    requester::RequesterSettings settings;
    settings.client = std::move(*client_settings);
    settings.allow = std::move(*allow);
    settings.max_streams = file->max_streams;
    settings.max_streams_per_client = file->max_streams_per_client;
    settings.connect_timeout = file->connect_timeout;
    settings.idle_timeout = file->idle_timeout;
    runtime::Loop loop;
    requester::Daemon daemon(loop, std::move(settings));
    auto started = daemon.start([](const requester::Daemon& d) {
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
    CLI::App app{"nym-network-requester: opens the connections of SOCKS clients that reach it through the mixnet"};
    app.set_version_flag("--version", std::string("nym-network-requester ") + NYM_VERSION);
    app.require_subcommand(1);
    Flags init_flags, run_flags;
    CLI::App* init =
        app.add_subcommand("init", "create keys, register at a gateway, write the config and an empty allow-list");
    add_common(init, init_flags);
    init->add_flag("--force", init_flags.force, "replace an existing requester with the same id");
    CLI::App* run = app.add_subcommand("run", "run the requester and its mixnet client");
    add_common(run, run_flags);
    CLI11_PARSE(app, argc, argv);
    if (init->parsed()) return run_init(init_flags);
    if (run->parsed()) return run_run(run_flags);
    return 1;
}
