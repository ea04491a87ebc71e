// nym-eth-pipe: the client's side of the Ethereum pipe, and the development chain's set-up.
//
//   nym-eth-pipe keygen --out clientAccount.key        a new account key (0600); prints its address
//   nym-eth-pipe address --key clientAccount.key
//   nym-eth-pipe transfer --key clientAccount.key --amount 1 --ethereum URL --validator URL
//                         --token ADDR --pipe ADDR [--confirmations N]
//       transfers N Nym ERC20 tokens to the pipe account, waits for the confirmations and for the
//       watchers' credit on the ledger (ethereum::pipe_tokens)
//   nym-eth-pipe dev-setup --ethereum URL --deployer-key F --artifact NymToken.json --fund ADDR ...
//       funds the deployer and the accounts with ether from the node's developer account, deploys
//       the token and hands each account tokens; prints "token=0x..." and "start_block=N"
//   nym-eth-pipe balance --ethereum URL --token ADDR [--validator URL] --account ADDR
#include <crypto/rng.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <ethereum/account_key.hpp>
#include <ethereum/dev_chain.hpp>
#include <ethereum/pipe.hpp>
#include <ethereum/session.hpp>
#include <filesystem>
#include <string>
#include <vector>

namespace {

using namespace nym;

int fail(const std::string& message) {
    std::fprintf(stderr, "nym-eth-pipe: %s\n", message.c_str());
    return 1;
}

bool parse_urls(const std::vector<std::string>& texts, std::vector<runtime::Url>& out) {
    for (const auto& t : texts) {
        auto u = runtime::parse_url(t);
        if (!u) return false;
        out.push_back(*u);
    }
    return true;
}

std::filesystem::path default_artifact(const char* argv0) {
    // <build>/bin/nym-eth-pipe -> <build>/contracts/NymToken.json
    std::error_code ec;
    auto exe = std::filesystem::canonical("/proc/self/exe", ec);
    if (ec) exe = argv0;
    return exe.parent_path().parent_path() / "contracts" / "NymToken.json";
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"nym-eth-pipe: pipe Nym ERC20 tokens into the Nym ledger"};
    app.set_version_flag("--version", std::string("nym-eth-pipe ") + NYM_VERSION);
    app.require_subcommand(1);
    std::string key_file, out_file, ethereum_url = "http://127.0.0.1:8545", token, pipe, account, artifact;
    std::vector<std::string> validators, fund;
    std::uint64_t amount = 1, confirmations = 1, decimals = 18, supply = 1'000'000, tokens_each = 100, ether_each = 10;

    auto* keygen = app.add_subcommand("keygen", "write a new account key (0600) and print its address");
    keygen->add_option("--out", out_file, "the key file")->required();
    auto* address = app.add_subcommand("address", "print the address of an account key");
    address->add_option("--key", key_file, "the key file")->required();
    auto* transfer = app.add_subcommand("transfer", "pipe tokens into the ledger");
    transfer->add_option("--key", key_file, "the client's account key (clientAccount.key)")->required();
    transfer->add_option("--amount", amount, "whole tokens")->capture_default_str();
    transfer->add_option("--ethereum", ethereum_url, "Ethereum JSON-RPC URL")->capture_default_str();
    transfer->add_option("--validator", validators, "CometBFT RPC URL (repeatable)")->required();
    transfer->add_option("--token", token, "the ERC20 contract")->required();
    transfer->add_option("--pipe", pipe, "the pipe account")->required();
    transfer->add_option("--confirmations", confirmations, "as the watchers count them")->capture_default_str();
    transfer->add_option("--decimals", decimals, "the token's decimals")->capture_default_str();
    auto* setup = app.add_subcommand("dev-setup", "deploy the token on a development chain and fund accounts");
    setup->add_option("--ethereum", ethereum_url, "Ethereum JSON-RPC URL")->capture_default_str();
    setup->add_option("--deployer-key", key_file, "the deployer's key (created if missing)")->required();
    setup->add_option("--artifact", artifact, "NymToken.json (default: <build>/contracts/NymToken.json)");
    setup->add_option("--supply", supply, "whole tokens minted to the deployer")->capture_default_str();
    setup->add_option("--fund", fund, "an account to give ether and tokens (repeatable)");
    setup->add_option("--tokens-each", tokens_each, "whole tokens per funded account")->capture_default_str();
    setup->add_option("--ether-each", ether_each, "ether per funded account")->capture_default_str();
    auto* balance = app.add_subcommand("balance", "an account's token balance (and ledger balance)");
    balance->add_option("--ethereum", ethereum_url, "Ethereum JSON-RPC URL")->capture_default_str();
    balance->add_option("--token", token, "the ERC20 contract")->required();
    balance->add_option("--validator", validators, "CometBFT RPC URL");
    balance->add_option("--account", account, "the account")->required();
    CLI11_PARSE(app, argc, argv);

    if (keygen->parsed()) {
        crypto::SystemRng rng;
        auto key = crypto::Secp256k1SecretKey::generate(rng);
        if (auto w = ethereum::write_account_key(out_file, key); !w) return fail(w.error().message());
        std::printf("%s\n", key.address().to_hex().c_str());
        return 0;
    }
    if (address->parsed()) {
        auto key = ethereum::read_account_key(key_file);
        if (!key) return fail(key.error().message());
        std::printf("%s\n", key->address().to_hex().c_str());
        return 0;
    }
    auto eth = runtime::parse_url(ethereum_url);
    std::vector<runtime::Url> validator_urls;
    if (!eth || !parse_urls(validators, validator_urls)) return fail("invalid URL");
    const ethereum::U256 unit = ethereum::U256::pow10(static_cast<unsigned>(decimals));

    if (transfer->parsed()) {
        auto key = ethereum::read_account_key(key_file);
        if (!key) return fail(key.error().message());
        auto t = ethereum::parse_address_hex(token);
        auto p = ethereum::parse_address_hex(pipe);
        if (!t || !p) return fail("--token and --pipe take 0x + 40 hex digits");
        ethereum::PipeOptions options;
        options.ethereum = *eth;
        options.validators = validator_urls;
        options.token = *t;
        options.pipe_account = *p;
        options.amount = amount;
        options.unit = unit;
        options.confirmations = confirmations;
        auto report = ethereum::pipe_tokens(
            *key, options, [](ethereum::PipeStage, const std::string& step, const ethereum::PipeReport&) {
                std::printf("%s\n", step.c_str());
                std::fflush(stdout);
            });
        if (!report) return fail(report.error().message());
        std::printf("transaction=%s block=%llu confirmed_at=%llu ledger_height_at_confirmation=%llu "
                    "ledger_height_credited=%llu confirmation_to_credit_ms=%lld\n",
                    ethereum::to_data_hex(report->transaction).c_str(),
                    static_cast<unsigned long long>(report->ethereum_block),
                    static_cast<unsigned long long>(report->confirmed_at),
                    static_cast<unsigned long long>(report->ledger_height_at_confirmation),
                    static_cast<unsigned long long>(report->ledger_height_credited),
                    static_cast<long long>(
                        std::chrono::duration_cast<std::chrono::milliseconds>(report->confirmation_to_credit).count()));
        return 0;
    }

    ethereum::Session session(*eth);
    if (balance->parsed()) {
        auto t = ethereum::parse_address_hex(token);
        auto a = ethereum::parse_address_hex(account);
        if (!t || !a) return fail("--token and --account take 0x + 40 hex digits");
        auto held = session.token_balance(*t, *a);
        if (!held) return fail(held.error().message());
        std::printf("tokens=%s\n", held->divmod(unit.low_u64()).quotient.to_decimal().c_str());
        if (!validator_urls.empty()) {
            auto ledger = ethereum::ledger_balance(validator_urls, *a);
            if (!ledger) return fail(ledger.error().message());
            std::printf("ledger=%llu\n", static_cast<unsigned long long>(*ledger));
        }
        return 0;
    }

    // dev-setup
    if (!std::filesystem::exists(key_file)) {
        crypto::SystemRng rng;
        if (auto w = ethereum::write_account_key(key_file, crypto::Secp256k1SecretKey::generate(rng)); !w) {
            return fail(w.error().message());
        }
    }
    auto deployer = ethereum::read_account_key(key_file);
    if (!deployer) return fail(deployer.error().message());
    auto loaded =
        ethereum::read_token_artifact(artifact.empty() ? default_artifact(argv[0]) : std::filesystem::path(artifact));
    if (!loaded) return fail(loaded.error().message());
    std::vector<ethereum::Address> accounts{deployer->address()};
    for (const auto& f : fund) {
        auto a = ethereum::parse_address_hex(f);
        if (!a) return fail("--fund takes 0x + 40 hex digits: " + f);
        accounts.push_back(*a);
    }
    const auto wei = *ethereum::U256::pow10(18).checked_mul(ether_each);
    if (auto funded = ethereum::fund_from_developer_account(session, accounts, wei); !funded) {
        return fail("funding: " + funded.error().message());
    }
    auto deployed = ethereum::deploy_token(session, *deployer, *loaded, *unit.checked_mul(supply));
    if (!deployed) return fail("deploying: " + deployed.error().message());
    for (std::size_t i = 1; i < accounts.size(); ++i) {
        auto sent =
            ethereum::transfer_tokens(session, *deployer, deployed->token, accounts[i], *unit.checked_mul(tokens_each));
        if (!sent) return fail("handing out tokens: " + sent.error().message());
    }
    std::printf("token=%s\nstart_block=%llu\ndeployer=%s\n", deployed->token.to_hex().c_str(),
                static_cast<unsigned long long>(deployed->block), deployer->address().to_hex().c_str());
    return 0;
}
