// nym-mixnode: a Loopix mix node. `init` creates a node's keys and config; `run` runs
// mixnode::Daemon on one runtime::Loop (docs/protocol/framing.md "Running a node").
#include <crypto/rng.hpp>
#include <mixnode/config.hpp>
#include <mixnode/daemon.hpp>
#include <runtime/loop.hpp>
#include <util/duration.hpp>

#include <node/config_file.hpp>
#include <node/logging.hpp>
#include <node/net.hpp>

// GCC 12 reports a false "potential null pointer dereference" in std::string moves inlined into
// CLI11's header-only helpers (CLI/StringTools.hpp); this file does nothing else that could trip it.
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

namespace {

using namespace nym;

int fail(const std::string& message) {
    std::fprintf(stderr, "error: %s\n", message.c_str());
    return 1;
}

int run_init(mixnode::InitOptions options, const std::string& root_flag) {
    auto root = node::resolve_root(root_flag, mixnode::ROLE_FOLDER);
    if (!root) return fail(root.error().message());
    options.root = *root;
    auto result = mixnode::init_node(options, crypto::system_rng());
    if (!result) return fail(result.error().message());
    std::fputs(mixnode::describe(*result).c_str(), stdout);
    return 0;
}

struct RunFlags {
    std::string id;
    std::optional<int> port;
    mixnode::ConfigOverrides overrides;
    bool reset_replay_state = false;
    std::string log_level = "info";
};

/// A duration flag ("500ms", "2s") parsed into `target`.
void add_duration(CLI::App& app, const std::string& flag, std::optional<std::chrono::milliseconds>& target,
                  const std::string& help) {
    app.add_option_function<std::string>(
        flag,
        [flag, &target](const std::string& value) {
            const auto parsed = util::parse_flag_duration(value);
            if (!parsed) throw CLI::ValidationError(flag, "invalid duration '" + value + "' (use e.g. 500ms or 2s)");
            target = *parsed;
        },
        help);
}

int run_node(const RunFlags& flags, const std::string& root_flag) {
    if (!node::init_logging("nym-mixnode", flags.log_level))
        return fail("invalid --log-level '" + flags.log_level + "'");
    auto root = node::resolve_root(root_flag, mixnode::ROLE_FOLDER);
    if (!root) return fail(root.error().message());
    auto loaded = mixnode::load_config(node::config_path(*root, flags.id));
    if (!loaded) {
        std::fprintf(stderr, "error: cannot load mix node '%s' (run `nym-mixnode init --id %s ...` first)\n",
                     flags.id.c_str(), flags.id.c_str());
        return fail(loaded.error().message());
    }
    mixnode::ConfigOverrides overrides = flags.overrides;
    if (flags.port && *flags.port != 0) overrides.listen_port = flags.port;
    mixnode::Config config = mixnode::merge(*loaded, overrides);
    if (auto valid = mixnode::validate(config); !valid) return fail(valid.error().message());
    auto keys = mixnode::load_keys(config);
    if (!keys) return fail(keys.error().message());
    if (flags.port == 0) config.listen_port = 0; // any free port (tests, the load generator)

    runtime::LoopOptions options;
    options.worker_threads = config.worker_threads;
    runtime::Loop loop(options);
    auto state = mixnode::open_replay_state(config, keys->sphinx, flags.reset_replay_state, node::unix_seconds(),
                                            crypto::system_rng());
    if (!state) return fail(state.error().message());
    mixnode::Daemon daemon(loop, config, *keys, std::move(*state), crypto::system_rng());
    auto bound = daemon.start();
    if (!bound) return fail(bound.error());
    std::printf("nym-mixnode listening on %s:%u (layer %d, announced as %s)\n", config.listen_host.c_str(),
                static_cast<unsigned>(*bound), config.layer, daemon.announced_address().c_str());
    std::fflush(stdout);
    loop.run();
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"nym-mixnode: a Loopix mix node of the Nym mixnet"};
    app.set_version_flag("--version", std::string("nym-mixnode ") + NYM_VERSION);
    app.require_subcommand(1);

    std::string root;
    mixnode::InitOptions init_options;
    std::string announce_host;
    CLI::App* init = app.add_subcommand("init", "create the keys and config of a new mix node");
    init->add_option("--id", init_options.id, "node id (folder under ~/.nym/mixnodes/)")->required();
    init->add_option("--layer", init_options.layer, "mix layer, 1-3")->required();
    init->add_option("--host", init_options.host, "address to listen on")->required();
    init->add_option("--port", init_options.port, "port to listen on")->default_val(mixnode::DEFAULT_MIX_PORT);
    init->add_option("--announce-host", announce_host, "address announced to others (default: --host)");
    init->add_option("--directory", init_options.directory_url, "directory server URL")->required();
    init->add_option("--root", root, "folder holding node folders (default: $HOME/.nym/mixnodes)");
    init->add_flag("--force", init_options.force, "replace the keys and config of an existing id");

    RunFlags run_flags;
    CLI::App* run = app.add_subcommand("run", "run a mix node");
    run->add_option("--id", run_flags.id, "node id")->required();
    run->add_option("--root", root, "folder holding node folders (default: $HOME/.nym/mixnodes)");
    auto& o = run_flags.overrides;
    run->add_option("--host", o.listen_host, "address to listen on (overrides the config)");
    run->add_option("--port", run_flags.port, "port to listen on; 0 = any free port (overrides the config)");
    run->add_option("--announce-host", o.announce_host, "address announced to the directory");
    run->add_option("--directory", o.directory_url, "directory server URL (overrides the config)");
    run->add_option("--workers", o.worker_threads,
                    "threads unwrapping Sphinx packets: 1 = the network thread itself, N > 1 = N workers beside "
                    "it (overrides the config)");
    add_duration(*run, "--max-delay", o.max_delay, "clamp of the per-hop delay, e.g. 10s");
    add_duration(*run, "--heartbeat-interval", o.heartbeat_interval, "presence heartbeat period, e.g. 1500ms");
    add_duration(*run, "--metrics-interval", o.metrics_interval, "metrics report period, e.g. 1s");
    run->add_flag("--reset-replay-state", run_flags.reset_replay_state,
                  "start with a new Sphinx key and an empty replay filter (the old key's packets are refused)");
    run->add_option("--log-level", run_flags.log_level, "trace, debug, info, warn, error")->capture_default_str();

    CLI11_PARSE(app, argc, argv);

    if (init->parsed()) {
        if (!announce_host.empty()) init_options.announce_host = announce_host;
        return run_init(init_options, root);
    }
    if (run->parsed()) return run_node(run_flags, root);
    return 1;
}
