// nym-client: a Nym mixnet client with seed 003's websocket API (docs/protocol/client-api.md).
//   nym-client init --id ID [--gateway KEY] [--directory URL] [--socket-type websocket|tcp|none] [--port 9001]
//                   [--root DIR] [--force] [traffic flags]
//   nym-client run  --id ID [the same flags] [--log-level info]
// init creates the identity key, registers at a gateway from the directory's topology and writes
// the config; it prints "address: <identity>@<gateway>". run prints exactly one stdout line once
// the gateway link is up: "nym-client listening on ws://127.0.0.1:<port>/mix, address <address>".

#include "daemon.hpp"
#include "network.hpp"

#include <client/config.hpp>
#include <client/core.hpp>

#include <crypto/base58.hpp>
#include <crypto/rng.hpp>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

// GCC 12 reports a false "potential null pointer dereference" in std::string moves inlined into
// CLI11's header-only helpers (CLI/StringTools.hpp).
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>

namespace {

using namespace nym;
using namespace nym::client;

/// Flags shared by init and run. Strings stay empty when not given, so the config keeps its value.
struct Flags {
    std::string id;
    std::string root;
    std::string gateway;
    std::string directory;
    std::string socket_type;
    std::optional<int> port;
    bool force = false;
    std::string packet_delay, ack_delay, send_delay, loop_delay, ack_wait_addition, topology_refresh;
    std::optional<double> ack_wait_multiplier;
    std::optional<std::uint32_t> max_retransmissions;
    std::optional<std::size_t> max_message_size;
    std::optional<std::size_t> max_request_size;
    bool disable_cover = false;
    bool disable_loop_cover = false;
    bool disable_main_poisson = false;
    std::string log_level = "info";
};

int fail(const std::string& message) {
    std::fprintf(stderr, "error: %s\n", message.c_str());
    return 1;
}

void add_common(CLI::App* cmd, Flags& f) {
    cmd->add_option("--id", f.id, "client id (folder under the root)")->required();
    cmd->add_option("--root", f.root, "folder holding client folders (default: $HOME/.nym/clients)");
    cmd->add_option("--gateway", f.gateway, "base58 identity of the gateway to register at (default: random)");
    cmd->add_option("--directory", f.directory, "directory server URL, e.g. http://127.0.0.1:8080");
    cmd->add_option("--socket-type", f.socket_type, "websocket, tcp (not served in this version) or none");
    cmd->add_option("--port", f.port, "websocket API port on 127.0.0.1; 0 = any free port (default 9001)");
    cmd->add_option("--packet-delay", f.packet_delay, "mean per-hop delay, e.g. 15ms");
    cmd->add_option("--ack-delay", f.ack_delay, "mean per-hop delay of SURB-acks, e.g. 15ms");
    cmd->add_option("--send-delay", f.send_delay, "mean gap of the main Poisson stream, e.g. 20ms");
    cmd->add_option("--loop-delay", f.loop_delay, "mean gap of the loop-cover stream, e.g. 200ms");
    cmd->add_option("--ack-wait-addition", f.ack_wait_addition, "added to the ack timeout, e.g. 1500ms");
    cmd->add_option("--ack-wait-multiplier", f.ack_wait_multiplier, "multiplies the expected round trip (>= 1)");
    cmd->add_option("--max-retransmissions", f.max_retransmissions, "resends of a packet before giving up");
    cmd->add_option("--max-message-size", f.max_message_size, "largest message accepted by send, in bytes");
    cmd->add_option("--max-request-size", f.max_request_size, "largest API request frame, in bytes");
    cmd->add_option("--topology-refresh", f.topology_refresh, "topology refresh period, e.g. 30s");
    cmd->add_flag("--disable-cover", f.disable_cover,
                  "no cover traffic at all: no loop-cover stream, real packets sent as soon as queued");
    cmd->add_flag("--disable-loop-cover", f.disable_loop_cover, "no loop-cover stream");
    cmd->add_flag("--disable-main-poisson", f.disable_main_poisson,
                  "send real packets as soon as queued, without the main Poisson stream");
    cmd->add_option("--log-level", f.log_level, "trace, debug, info, warn, error")->capture_default_str();
}

/// The flags as config overrides; std::nullopt (after printing why) when one is malformed.
std::optional<ConfigOverrides> overrides_of(const Flags& f) {
    ConfigOverrides o;
    if (!f.directory.empty()) o.directory_url = f.directory;
    if (!f.socket_type.empty()) {
        auto type = parse_socket_type(f.socket_type);
        if (!type) {
            fail("invalid --socket-type '" + f.socket_type + "' (use websocket, tcp or none)");
            return std::nullopt;
        }
        o.socket_type = *type;
    }
    if (f.port) o.listening_port = *f.port;
    const std::pair<const std::string*, std::optional<std::chrono::microseconds>*> durations[] = {
        {&f.packet_delay, &o.average_packet_delay},
        {&f.ack_delay, &o.average_ack_delay},
        {&f.send_delay, &o.message_sending_average_delay},
        {&f.loop_delay, &o.loop_cover_average_delay},
        {&f.ack_wait_addition, &o.ack_wait_addition},
        {&f.topology_refresh, &o.topology_refresh_rate},
    };
    for (const auto& [text, target] : durations) {
        if (text->empty()) continue;
        auto d = parse_duration(*text);
        if (!d) {
            fail("invalid duration '" + *text + "' (use e.g. 15ms, 2s, 500us)");
            return std::nullopt;
        }
        *target = *d;
    }
    o.ack_wait_multiplier = f.ack_wait_multiplier;
    o.max_retransmissions = f.max_retransmissions;
    o.max_message_size = f.max_message_size;
    o.max_request_size = f.max_request_size;
    if (f.disable_cover) {
        o.disable_loop_cover = true;
        o.disable_main_poisson = true;
    }
    if (f.disable_loop_cover) o.disable_loop_cover = true;
    if (f.disable_main_poisson) o.disable_main_poisson = true;
    return o;
}

std::optional<std::filesystem::path> resolve_root(const std::string& root_flag) {
    if (!root_flag.empty()) return std::filesystem::path(root_flag);
    auto root = default_root();
    if (!root) {
        fail(root.error().message());
        return std::nullopt;
    }
    return *root;
}

std::optional<crypto::Ed25519PublicKey> parse_gateway_flag(const std::string& text, bool& bad) {
    bad = false;
    if (text.empty()) return std::nullopt;
    auto bytes = crypto::base58_decode(text);
    if (!bytes || bytes->size() != 32) {
        bad = true;
        return std::nullopt;
    }
    crypto::Ed25519PublicKey key;
    std::copy(bytes->begin(), bytes->end(), key.bytes.begin());
    return key;
}

bool setup_logging(const std::string& level) {
    static const char* const LEVELS[] = {"trace", "debug", "info", "warn", "warning", "error", "critical", "off"};
    if (std::find(std::begin(LEVELS), std::end(LEVELS), level) == std::end(LEVELS)) {
        fail("invalid --log-level '" + level + "' (use trace, debug, info, warn, error)");
        return false;
    }
    spdlog::set_default_logger(spdlog::stderr_color_mt("nym-client"));
    spdlog::set_level(spdlog::level::from_str(level));
    return true;
}

int run_init(const Flags& flags) {
    if (!setup_logging(flags.log_level)) return 1;
    if (!valid_id(flags.id)) return fail("invalid --id '" + flags.id + "': 1-64 characters of A-Z a-z 0-9 _ -");
    auto root = resolve_root(flags.root);
    if (!root) return 1;
    bool bad_gateway = false;
    const auto wanted = parse_gateway_flag(flags.gateway, bad_gateway);
    if (bad_gateway) return fail("invalid --gateway '" + flags.gateway + "': expected a base58 Ed25519 key");
    auto overrides = overrides_of(flags);
    if (!overrides) return 1;

    const auto file = config_path(*root, flags.id);
    std::error_code ec;
    if (!flags.force && std::filesystem::exists(file, ec))
        return fail("client '" + flags.id + "' already exists at " + client_directory(*root, flags.id).string() +
                    " (use --force to replace it)");

    Config config = merge(default_config(*root, flags.id), *overrides);
    auto& rng = crypto::system_rng();
    const auto identity = crypto::Ed25519SecretKey::generate(rng);

    // Network first, files last: a failed init leaves nothing behind.
    auto topology = app::fetch_topology(config.directory_url, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                                  config.topology_resolution_timeout));
    if (!topology) return fail(topology.error().message());
    auto gateway = app::choose_gateway(*topology, wanted, rng);
    if (!gateway) return fail(gateway.error().message());
    config.gateway_identity = gateway->identity_key;
    config.gateway_listener = gateway->client_listener;
    if (auto valid = validate(config); !valid) return fail(valid.error().message());
    auto key = app::register_at(*gateway, identity, rng,
                                std::chrono::duration_cast<std::chrono::milliseconds>(config.gateway_connection_timeout));
    if (!key) return fail(key.error().message());
    if (auto written = write_client(config, file, identity, *key, flags.force); !written)
        return fail(written.error().message());

    const Address address{identity.public_key(), gateway->identity_key};
    std::printf("Initialised client '%s'\n", config.id.c_str());
    std::printf("identity key (ed25519): %s\n", app::short_key(address.identity).c_str());
    std::printf("private key: %s\n", config.private_identity_key_file.string().c_str());
    std::printf("gateway: %s at %s (registered, shared key in %s)\n", app::short_key(address.gateway).c_str(),
                config.gateway_listener.c_str(), config.gateway_shared_key_file.string().c_str());
    std::printf("config: %s\n", file.string().c_str());
    std::printf("address: %s\n", to_string(address).c_str());
    std::fflush(stdout);
    return 0;
}

int run_run(const Flags& flags) {
    if (!setup_logging(flags.log_level)) return 1;
    if (!valid_id(flags.id)) return fail("invalid --id '" + flags.id + "': 1-64 characters of A-Z a-z 0-9 _ -");
    auto root = resolve_root(flags.root);
    if (!root) return 1;
    bool bad_gateway = false;
    const auto wanted = parse_gateway_flag(flags.gateway, bad_gateway);
    if (bad_gateway) return fail("invalid --gateway '" + flags.gateway + "': expected a base58 Ed25519 key");
    auto overrides = overrides_of(flags);
    if (!overrides) return 1;

    const auto file = config_path(*root, flags.id);
    auto loaded = load_config(file);
    if (!loaded) {
        if (loaded.error() == Errc::config_missing)
            return fail("client '" + flags.id + "' does not exist (no " + file.string() + "; run `nym-client init --id " +
                        flags.id + "` first)");
        return fail(loaded.error().message());
    }
    app::RunOptions options;
    options.config = merge(*loaded, *overrides);
    options.config_file = file;
    if (wanted && *wanted != options.config.gateway_identity) {
        options.config.gateway_identity = *wanted;
        options.config.gateway_listener.clear();
        options.register_again = true;
    }
    if (auto valid = validate(options.config); !valid) return fail(valid.error().message());
    return app::run_client(std::move(options));
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"nym-client: a Nym mixnet client with a websocket API on 127.0.0.1"};
    app.require_subcommand(1);

    Flags init_flags;
    CLI::App* init = app.add_subcommand("init", "create keys, register at a gateway and write the config");
    add_common(init, init_flags);
    init->add_flag("--force", init_flags.force, "replace an existing client with the same id");

    Flags run_flags;
    CLI::App* run = app.add_subcommand("run", "run the client and its websocket API");
    add_common(run, run_flags);

    CLI11_PARSE(app, argc, argv);
    if (init->parsed()) return run_init(init_flags);
    if (run->parsed()) return run_run(run_flags);
    return 1;
}
