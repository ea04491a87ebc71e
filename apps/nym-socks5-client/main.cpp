// nym-socks5-client: a SOCKS4/4a/5 proxy on 127.0.0.1 whose connections go through the mixnet to a
// network requester (docs/protocol/socks5.md).
//   nym-socks5-client init --id ID --provider ADDRESS [--gateway KEY] [--directory URL] [--port 1080]
//                          [--root DIR] [--force] [traffic flags]
//   nym-socks5-client run  --id ID [--provider ADDRESS] [--port P] [traffic flags] [--log-level info]
// run prints one stdout line once the mixnet link is up:
//   "nym-socks5-client listening on socks5://127.0.0.1:<port>, address <address>, provider <provider>"
#include <client/config.hpp>
#include <client/daemon_init.hpp>
#include <crypto/rng.hpp>
#include <runtime/loop.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <node/logging.hpp>
#include <socks5/daemon.hpp>
#include <socks5/daemon_config.hpp>
#include <string>

namespace {

using namespace nym;

struct Flags {
    std::string id, root, gateway, provider, log_level = "info", requester_timeout;
    std::optional<int> port;
    bool force = false;
    client::ConfigFlags config;
};

int fail(const std::string& message) {
    std::fprintf(stderr, "error: %s\n", message.c_str());
    return 1;
}

void add_common(CLI::App* cmd, Flags& f) {
    auto& c = f.config;
    cmd->add_option("--id", f.id, "client id (folder under the root)")->required();
    cmd->add_option("--root", f.root, "folder holding the clients (default: $HOME/.nym/socks5-clients)");
    cmd->add_option("--provider", f.provider, "the network requester's address, <identity>@<gateway>");
    cmd->add_option("--port", f.port, "SOCKS port on 127.0.0.1; 0 = any free port (default 1080)");
    cmd->add_option("--gateway", f.gateway, "base58 identity of the gateway to register at (default: random)");
    cmd->add_option("--directory", c.directory, "directory server URL, e.g. http://127.0.0.1:8080");
    cmd->add_option("--packet-delay", c.packet_delay, "mean per-hop delay, e.g. 15ms");
    cmd->add_option("--ack-delay", c.ack_delay, "mean per-hop delay of SURB-acks, e.g. 15ms");
    cmd->add_option("--send-delay", c.send_delay, "mean gap of the main Poisson stream, e.g. 20ms");
    cmd->add_option("--loop-delay", c.loop_delay, "mean gap of the loop-cover stream, e.g. 200ms");
    cmd->add_option("--ack-wait-addition", c.ack_wait_addition, "added to the ack timeout, e.g. 1500ms");
    cmd->add_option("--max-retransmissions", c.max_retransmissions, "resends of a packet before giving up");
    cmd->add_option("--requester-timeout", f.requester_timeout,
                    "silence of the requester that resets the streams, e.g. 20s");
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
    if (!node::init_logging("nym-socks5-client", f.log_level)) {
        fail("invalid --log-level '" + f.log_level + "' (use trace, debug, info, warn, error)");
        return std::nullopt;
    }
    if (!client::valid_id(f.id)) {
        fail("invalid --id '" + f.id + "': 1-64 characters of A-Z a-z 0-9 _ -");
        return std::nullopt;
    }
    f.config.socket_type = "none";
    auto root = node::resolve_root(f.root, socks5::PROXY_ROLE_FOLDER);
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
    if (flags.provider.empty()) return fail("--provider is required: the network requester's address");
    if (auto p = client::parse_address(flags.provider); !p || !p->gateway)
        return fail("invalid --provider '" + flags.provider + "': expected <identity>@<gateway>");
    const auto file = client::config_path(common->root, flags.id);
    auto done = client::initialise(client::merge(client::default_config(common->root, flags.id), common->overrides),
                                   file, common->gateway, flags.force, crypto::system_rng());
    if (!done) return fail(done.error());
    socks5::ProxyFile proxy;
    proxy.provider = flags.provider;
    if (flags.port) proxy.port = *flags.port;
    if (auto saved = socks5::save_proxy_file(proxy, socks5::proxy_file_path(common->root, flags.id)); !saved)
        return fail(saved.error().message());
    std::fputs(client::init_report(*done, file).c_str(), stdout);
    std::printf("provider: %s\nsocks port: %d\n", proxy.provider.c_str(), proxy.port);
    std::fflush(stdout);
    return 0;
}

int run_run(Flags& flags) {
    auto common = prepare(flags);
    if (!common) return 1;
    auto proxy = socks5::load_proxy_file(socks5::proxy_file_path(common->root, flags.id));
    if (!proxy) return fail(proxy.error().message());
    auto client_settings = client::run_settings(common->root, flags.id, common->overrides, common->gateway);
    if (!client_settings) return fail(client_settings.error());
    socks5::ProxySettings settings;
    settings.client = std::move(*client_settings);
    settings.provider = flags.provider.empty() ? proxy->provider : flags.provider;
    const int port = flags.port.value_or(proxy->port);
    if (port < 0 || port > 65535) return fail("invalid --port " + std::to_string(port));
    settings.port = static_cast<std::uint16_t>(port);
    settings.window = proxy->window;
    settings.requester_timeout = proxy->requester_timeout;
    if (!flags.requester_timeout.empty()) {
        auto t = client::parse_duration(flags.requester_timeout);
        if (!t || t->count() == 0) return fail("invalid --requester-timeout '" + flags.requester_timeout + "'");
        settings.requester_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*t);
    }
    runtime::Loop loop;
    socks5::Daemon daemon(loop, std::move(settings));
    auto started = daemon.start([](const socks5::Daemon& d) {
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
    CLI::App app{"nym-socks5-client: a SOCKS5 proxy on 127.0.0.1 that sends its connections through the mixnet"};
    app.set_version_flag("--version", std::string("nym-socks5-client ") + NYM_VERSION);
    app.require_subcommand(1);
    Flags init_flags, run_flags;
    CLI::App* init = app.add_subcommand("init", "create keys, register at a gateway, write the config");
    add_common(init, init_flags);
    init->add_flag("--force", init_flags.force, "replace an existing client with the same id");
    CLI::App* run = app.add_subcommand("run", "run the SOCKS proxy and its mixnet client");
    add_common(run, run_flags);
    CLI11_PARSE(app, argc, argv);
    if (init->parsed()) return run_init(init_flags);
    if (run->parsed()) return run_run(run_flags);
    return 1;
}
