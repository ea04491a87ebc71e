// nym-ethereum-watcher: follows the Nym ERC20 token on Ethereum and sends the ledger one signed
// watcher notice per confirmed transfer to the pipe account (docs/protocol/ethereum.md).
//
//   nym-ethereum-watcher init --dir ethereum-watchers/watcher1 --ethereum URL --token ADDR --pipe ADDR
//                             --validator URL [--validator URL ...] --chain-id ID [--confirmations N] ...
//   nym-ethereum-watcher run --dir ethereum-watchers/watcher1
//   nym-ethereum-watcher address --dir ethereum-watchers/watcher1
#include <crypto/rng.hpp>
#include <runtime/loop.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <ethereum/account_key.hpp>
#include <ethereum/jsonrpc.hpp>
#include <filesystem>
#include <node/logging.hpp>
#include <string>
#include <vector>
#include <watcher/daemon.hpp>

namespace {

int fail(const std::string& message) {
    std::fprintf(stderr, "nym-ethereum-watcher: %s\n", message.c_str());
    return 1;
}

} // namespace

int main(int argc, char** argv) {
    using namespace nym;
    CLI::App app{"nym-ethereum-watcher: pipes ERC20 transfers to the pipe account into the Nym ledger"};
    app.set_version_flag("--version", std::string("nym-ethereum-watcher ") + NYM_VERSION);
    app.require_subcommand(1);
    std::string dir;
    std::string log_level = "info";
    watcher::Config config;
    std::string token;
    std::string pipe;
    std::string unit = config.token_unit.to_decimal();
    std::uint64_t poll_ms = 1000;
    bool force = false;

    auto* init = app.add_subcommand("init", "create the folder: config.toml and a new watcher.key (0600)");
    init->add_option("--dir", dir, "the watcher's folder")->required();
    init->add_option("--ethereum", config.ethereum_url, "Ethereum JSON-RPC URL")->capture_default_str();
    init->add_option("--token", token, "the ERC20 contract address")->required();
    init->add_option("--pipe", pipe, "the pipe account address")->required();
    init->add_option("--validator", config.validators, "CometBFT RPC URL (repeat for failover)")->required();
    init->add_option("--chain-id", config.chain_id, "the ledger's chain id")->capture_default_str();
    init->add_option("--confirmations", config.confirmations, "confirmations before a block is taken")
        ->capture_default_str();
    init->add_option("--start-block", config.start_block, "first block to look at")->capture_default_str();
    init->add_option("--token-unit", unit, "ERC20 base units per ledger unit")->capture_default_str();
    init->add_option("--poll-ms", poll_ms, "Ethereum polling interval")->capture_default_str();
    init->add_flag("--force", force, "overwrite an existing config (the key is kept)");
    auto* run = app.add_subcommand("run", "follow the chain and notify the ledger");
    run->add_option("--dir", dir, "the watcher's folder")->required();
    run->add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();
    auto* address = app.add_subcommand("address", "print the watcher's account address (for the genesis)");
    address->add_option("--dir", dir, "the watcher's folder")->required();
    CLI11_PARSE(app, argc, argv);

    const std::filesystem::path folder(dir);
    if (init->parsed()) {
        auto t = ethereum::parse_address_hex(token);
        auto p = ethereum::parse_address_hex(pipe);
        auto u = ethereum::U256::from_decimal(unit);
        if (!t || !p) return fail("--token and --pipe take 0x + 40 hex digits");
        if (!u) return fail("--token-unit takes a decimal number");
        config.token = *t;
        config.pipe_account = *p;
        config.token_unit = *u;
        config.ethereum_poll = std::chrono::milliseconds(poll_ms);
        crypto::SystemRng rng;
        auto created = watcher::init_folder(folder, config, force, rng);
        if (!created) return fail(created.error().message());
        std::printf("address %s\n", created->to_hex().c_str());
        return 0;
    }

    auto loaded = watcher::load_config(folder);
    if (!loaded) return fail(loaded.error().message());
    auto key = ethereum::read_account_key(loaded->key_file);
    if (!key) return fail(key.error().message());
    if (address->parsed()) {
        std::printf("%s\n", key->address().to_hex().c_str());
        return 0;
    }
    if (!node::init_logging("nym-ethereum-watcher", log_level)) return fail("invalid --log-level " + log_level);
    runtime::Loop loop;
    watcher::Daemon daemon(loop, *loaded, std::move(*key));
    auto first = daemon.start();
    if (!first) return fail(first.error().message);
    // Printed from the loop, once run() handles SIGTERM: a script that reads the line may stop us.
    loop.post([&] {
        std::printf("nym-ethereum-watcher %s following %s from block %llu\n", daemon.address().to_hex().c_str(),
                    loaded->ethereum_url.c_str(), static_cast<unsigned long long>(*first));
        std::fflush(stdout);
    });
    loop.run();
    return 0;
}
