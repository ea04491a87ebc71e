// nym-mixnode: a Loopix mix node. `init` creates a node's keys and config; `run` (networking) is
// being added on top of the runtime library.

#include <crypto/base58.hpp>
#include <crypto/rng.hpp>
#include <mixnode/config.hpp>
#include <mixnode/replay_filter.hpp>

// GCC 12 reports a false "potential null pointer dereference" in std::string moves inlined into
// CLI11's header-only helpers (CLI/StringTools.hpp); this file does nothing else that could trip it.
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

namespace {

using namespace nym;

constexpr int EXIT_NOT_AVAILABLE = 2;

int print_error(const mixnode::ConfigError& e) {
    std::fprintf(stderr, "error: %s\n", e.message().c_str());
    return 1;
}

int run_init(const mixnode::InitOptions& given, const std::string& root_flag) {
    mixnode::InitOptions options = given;
    if (root_flag.empty()) {
        auto root = mixnode::default_root();
        if (!root) return print_error(root.error());
        options.root = *root;
    } else {
        options.root = root_flag;
    }
    auto result = mixnode::init_node(options, crypto::system_rng());
    if (!result) return print_error(result.error());

    const auto params = mixnode::BloomParameters::optimal(
        result->config.replay_filter_config().expected_packets_per_epoch, result->config.replay_fp_rate);
    std::printf("Initialised mix node '%s' (layer %d)\n", result->config.id.c_str(), result->config.layer);
    std::printf("identity key (ed25519): %s\n", crypto::base58_encode(result->identity_public.bytes).c_str());
    std::printf("sphinx key (x25519):    %s\n", crypto::base58_encode(result->sphinx_public.bytes).c_str());
    std::printf("config: %s\n", result->config_file.string().c_str());
    std::printf("replay filter: %.1f MB (2 filters of %llu bits, k = %u, for %llu packets per epoch at p = %g)\n",
                2.0 * static_cast<double>(params.memory_bytes()) / 1e6, static_cast<unsigned long long>(params.bits),
                params.hash_count, static_cast<unsigned long long>(params.expected_items), params.fp_rate);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"nym-mixnode: a Loopix mix node of the Nym mixnet"};
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

    std::string run_id;
    CLI::App* run = app.add_subcommand("run", "run a mix node (not yet available)");
    run->add_option("--id", run_id, "node id");
    run->add_option("--root", root, "folder holding node folders (default: $HOME/.nym/mixnodes)");
    run->allow_extras();

    CLI11_PARSE(app, argc, argv);

    if (init->parsed()) {
        if (!announce_host.empty()) init_options.announce_host = announce_host;
        return run_init(init_options, root);
    }
    if (run->parsed()) {
        std::fprintf(stderr, "error: `nym-mixnode run` is not yet available in this build: the mix node's "
                             "networking has not landed. Use `init` to create a node.\n");
        return EXIT_NOT_AVAILABLE;
    }
    return 1;
}
