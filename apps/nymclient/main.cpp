// nymclient: the Nym credential client (docs/protocol/credentials.md §6). With no subcommand it runs
// the whole credential sequence — with an [ethereum] section it first pipes the credential's value in
// from Ethereum — and prints the provider's answer, true or false (exit code 0, 1, or 3 when the
// provider had not decided by spend_timeout_ms; 2 for a bad config):
//   nymclient -f localnetdata/localclient/config.toml
//   nymclient -f config.toml [--json] balance | pipe [--amount N] | request [--value V] |
//                                     fetch [--credential ID] | spend [--credential ID] | list | address
#include <runtime/loop.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <credentials/config.hpp>
#include <credentials/daemon.hpp>
#include <credentials/daemon_pipe.hpp>
#include <cstdio>
#include <node/logging.hpp>
#include <string>

int main(int argc, char** argv) {
    using nym::credentials::SpendResult;
    CLI::App app{"nymclient: buys a Coconut credential on the Nym ledger, collects it from the issuers and spends it "
                 "at a provider"};
    std::string config_file, log_level = "info", id;
    bool json_output = false;
    std::uint64_t value = 0, amount = 0;
    app.add_option("-f,--config", config_file, "the client's config.toml")->required();
    app.add_flag("--json", json_output, "print one JSON document (steps and result) on stdout");
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();
    app.set_version_flag("--version", std::string("nymclient ") + NYM_VERSION);
    app.footer("Exit code: 0 when the provider answered true (or the subcommand succeeded); 3 when its answer was "
               "still pending (deposited, the verifiers' decision not in by spend_timeout_ms: it may yet be "
               "accepted); 1 for any other false or error; 2 for a bad config.");
    auto* balance_cmd = app.add_subcommand("balance", "connect to the ledger and show the account");
    auto* pipe_cmd = app.add_subcommand(
        "pipe", "pipe Nym ERC20 tokens from Ethereum into the ledger account (needs an [ethereum] section)");
    pipe_cmd->add_option("--amount", amount, "whole tokens (default: the config's credential value)");
    auto* request_cmd = app.add_subcommand("request", "pay for a credential (debit on the ledger)");
    request_cmd->add_option("--value", value, "the credential's value (default: the config's)");
    auto* fetch_cmd = app.add_subcommand("fetch", "collect, unblind and aggregate the partial credentials");
    fetch_cmd->add_option("--credential", id, "its id (default: the latest requested)");
    auto* spend_cmd = app.add_subcommand("spend", "re-randomize and spend an issued credential at the provider");
    spend_cmd->add_option("--credential", id, "its id (default: the oldest issued)");
    auto* list_cmd = app.add_subcommand("list", "the credentials in the wallet");
    auto* address_cmd = app.add_subcommand("address", "the account address of the configured key");
    app.require_subcommand(0, 1);
    CLI11_PARSE(app, argc, argv);

    if (!nym::node::init_logging("nymclient", json_output ? "warn" : log_level)) {
        std::fprintf(stderr, "nymclient: invalid --log-level '%s'\n", log_level.c_str());
        return 2;
    }
    auto config = nym::credentials::load_config(config_file);
    if (!config) {
        std::fprintf(stderr, "nymclient: %s: %s\n", config_file.c_str(), config.error().message().c_str());
        return 2;
    }
    auto account = nym::chain::read_account_key(config->account_key_file);
    if (!account) {
        std::fprintf(stderr, "nymclient: %s\n", account.error().message().c_str());
        return 2;
    }
    nlohmann::json out{{"steps", nlohmann::json::array()}};
    nym::credentials::ClientHooks hooks;
    hooks.on_step = [&out](const nym::credentials::Step& s) {
        nlohmann::json facts = nlohmann::json::object();
        for (const auto& [k, v] : s.facts) facts[k] = v;
        out["steps"].push_back(
            {{"step", s.name}, {"ok", s.ok}, {"detail", s.detail}, {"facts", facts}, {"at_ms", s.at_ms}});
    };
    nym::runtime::Loop loop;
    // The Ethereum pipe signs with the same key: the watchers credit the sender's own address.
    if (config->ethereum) hooks.pipe_tokens = nym::credentials::ethereum_pipe(loop, *config, *account);
    nym::credentials::Client client(loop, *config, std::move(*account), std::move(hooks));
    if (auto opened = client.open_wallet(); !opened) {
        std::fprintf(stderr, "nymclient: %s\n", opened.error().c_str());
        return 2;
    }
    int code = 1;
    std::string text;
    auto finish = [&](bool ok, std::string line, nlohmann::json result) {
        code = ok ? 0 : 1;
        text = std::move(line);
        out["ok"] = ok;
        out["result"] = std::move(result);
        loop.stop();
    };
    auto on_spend = [&](nym::Expected<SpendResult, std::string> r) {
        if (!r) return finish(false, "error: " + r.error(), r.error());
        finish(r->answer.accepted(), r->answer.accepted() ? "true" : "false",
               nlohmann::json::parse(nym::wire::credentials::to_json(r->answer)));
        // Not refused, not yet decided: the credential was deposited and may still be accepted.
        if (r->answer.outcome == nym::wire::credentials::SpendOutcome::pending) code = 3;
    };
    auto on_id = [&](nym::Expected<std::string, std::string> r) {
        if (!r) return finish(false, "error: " + r.error(), r.error());
        finish(true, *r, *r);
    };
    if (*address_cmd) {
        text = client.address();
        out["ok"] = true;
        out["result"] = text;
        code = 0;
    } else if (*list_cmd) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& c : client.wallet()) {
            list.push_back({{"id", c.id()},
                            {"value", c.value},
                            {"state", std::string(nym::credentials::state_name(c.state))},
                            {"height", c.height},
                            {"note", c.note}});
            text += c.id() + " " + std::string(nym::credentials::state_name(c.state)) + " value " +
                    std::to_string(c.value) + (c.note.empty() ? "" : " (" + c.note + ")") + "\n";
        }
        out["ok"] = true;
        out["result"] = list;
        code = 0;
    } else {
        if (*balance_cmd) {
            client.connect(
                [&](nym::Expected<nym::credentials::LedgerView, std::string> v) {
                    if (!v) return finish(false, "error: " + v.error(), v.error());
                    finish(true, std::to_string(v->balance),
                           {{"address", client.address()}, {"balance", std::to_string(v->balance)}});
                },
                false);
        } else if (*pipe_cmd) {
            if (!config->ethereum) {
                std::fprintf(stderr, "nymclient: %s: no [ethereum] section: nothing to pipe from\n",
                             config_file.c_str());
                return 2;
            }
            client.pipe(amount ? amount : config->value, [&](nym::Expected<std::uint64_t, std::string> b) {
                if (!b) return finish(false, "error: " + b.error(), b.error());
                finish(true, std::to_string(*b), {{"address", client.address()}, {"balance", std::to_string(*b)}});
            });
        } else if (*request_cmd) {
            client.request(value ? value : config->value, on_id);
        } else if (*fetch_cmd) {
            client.fetch(id, on_id);
        } else if (*spend_cmd) {
            client.spend(id, on_spend);
        } else {
            client.run(on_spend);
        }
        loop.run();
    }
    if (json_output)
        std::printf("%s\n", out.dump(2).c_str());
    else
        std::printf("%s%s", text.c_str(), !text.empty() && text.back() == '\n' ? "" : "\n");
    return code;
}
