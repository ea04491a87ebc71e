#include <cstdint>
#include <ethereum/account_key.hpp>
#include <ethereum/jsonrpc.hpp>
#include <sstream>
#include <watcher/config.hpp>

namespace nym::watcher {

using node::config_fail;
using node::ConfigErrc;

FollowerConfig Config::follower() const {
    FollowerConfig f;
    f.token = token;
    f.pipe_account = pipe_account;
    f.confirmations = confirmations;
    f.start_block = start_block;
    f.max_range = max_blocks_per_query;
    f.unit = token_unit;
    f.poll_interval = ethereum_poll;
    f.backoff_initial = backoff_initial;
    f.backoff_max = backoff_max;
    return f;
}

NotifierConfig Config::notifier() const {
    NotifierConfig n;
    n.chain_id = chain_id;
    n.pipe_account = pipe_account;
    n.commit_poll = commit_poll;
    n.commit_timeout = commit_timeout;
    n.backoff_initial = backoff_initial;
    n.backoff_max = backoff_max;
    return n;
}

namespace {

node::ConfigResult<Address> address_field(const node::ConfigDocument& doc, std::string_view path) {
    auto text = doc.string(path);
    if (!text) return Unexpected(text.error());
    auto address = ethereum::parse_address_hex(*text);
    if (!address)
        return config_fail(ConfigErrc::invalid_value,
                           std::string(path) + ": not an Ethereum address (0x + 40 hex digits)");
    return *address;
}

node::ConfigResult<std::chrono::milliseconds> ms_field(const node::ConfigDocument& doc, std::string_view path,
                                                       std::chrono::milliseconds fallback) {
    auto v = doc.integer_in_or(path, 1, 3'600'000, fallback.count());
    if (!v) return Unexpected(v.error());
    return std::chrono::milliseconds(*v);
}

} // namespace

node::ConfigResult<void> validate(const Config& c) {
    if (!node::valid_http_url(c.ethereum_url))
        return config_fail(ConfigErrc::invalid_url, "ethereum.rpc_url: " + c.ethereum_url);
    if (c.validators.empty()) return config_fail(ConfigErrc::missing_field, "ledger.validators: at least one");
    for (const auto& v : c.validators) {
        if (!node::valid_http_url(v)) return config_fail(ConfigErrc::invalid_url, "ledger.validators: " + v);
    }
    if (c.confirmations == 0) return config_fail(ConfigErrc::invalid_value, "ethereum.confirmations: at least 1");
    if (c.max_blocks_per_query == 0)
        return config_fail(ConfigErrc::invalid_value, "ethereum.max_blocks_per_query: at least 1");
    if (c.token_unit.is_zero() || !c.token_unit.fits_u64()) {
        return config_fail(ConfigErrc::invalid_value, "ethereum.token_unit: 1 to 2^64 - 1 base units");
    }
    if (c.chain_id.empty() || c.chain_id.size() > 50) return config_fail(ConfigErrc::invalid_value, "ledger.chain_id");
    return {};
}

node::ConfigResult<Config> load_config(const std::filesystem::path& dir) {
    const auto path = dir / node::CONFIG_FILE_NAME;
    auto text = node::read_text_file(path);
    if (!text) return Unexpected(text.error());
    auto doc = node::ConfigDocument::parse(*text);
    if (!doc) return Unexpected(doc.error());
    Config c;
    auto url = doc->string("ethereum.rpc_url");
    if (!url) return Unexpected(url.error());
    c.ethereum_url = *url;
    auto token = address_field(*doc, "ethereum.token");
    if (!token) return Unexpected(token.error());
    c.token = *token;
    auto pipe = address_field(*doc, "ethereum.pipe_account");
    if (!pipe) return Unexpected(pipe.error());
    c.pipe_account = *pipe;
    auto confirmations = doc->integer_in_or("ethereum.confirmations", 1, 10'000, 2);
    if (!confirmations) return Unexpected(confirmations.error());
    c.confirmations = static_cast<std::uint64_t>(*confirmations);
    auto start = doc->integer_in_or("ethereum.start_block", 0, INT64_MAX, 0);
    if (!start) return Unexpected(start.error());
    c.start_block = static_cast<std::uint64_t>(*start);
    auto range = doc->integer_in_or("ethereum.max_blocks_per_query", 1, 100'000, 1000);
    if (!range) return Unexpected(range.error());
    c.max_blocks_per_query = static_cast<std::uint64_t>(*range);
    auto unit = doc->string_or("ethereum.token_unit", "1000000000000000000");
    if (!unit) return Unexpected(unit.error());
    auto unit_value = ethereum::U256::from_decimal(*unit);
    if (!unit_value) return config_fail(ConfigErrc::invalid_value, "ethereum.token_unit: a decimal number");
    c.token_unit = *unit_value;
    auto eth_poll = ms_field(*doc, "ethereum.poll_interval_ms", c.ethereum_poll);
    if (!eth_poll) return Unexpected(eth_poll.error());
    c.ethereum_poll = *eth_poll;

    auto chain = doc->string("ledger.chain_id");
    if (!chain) return Unexpected(chain.error());
    c.chain_id = *chain;
    auto validators = doc->strings("ledger.validators");
    if (!validators) return Unexpected(validators.error());
    c.validators = *validators;
    auto commit_poll = ms_field(*doc, "ledger.commit_poll_ms", c.commit_poll);
    if (!commit_poll) return Unexpected(commit_poll.error());
    c.commit_poll = *commit_poll;
    auto commit_timeout = ms_field(*doc, "ledger.commit_timeout_ms", c.commit_timeout);
    if (!commit_timeout) return Unexpected(commit_timeout.error());
    c.commit_timeout = *commit_timeout;

    auto backoff_initial = ms_field(*doc, "retry.initial_ms", c.backoff_initial);
    if (!backoff_initial) return Unexpected(backoff_initial.error());
    c.backoff_initial = *backoff_initial;
    auto backoff_max = ms_field(*doc, "retry.max_ms", c.backoff_max);
    if (!backoff_max) return Unexpected(backoff_max.error());
    c.backoff_max = *backoff_max;

    auto key = doc->string_or("watcher.key_file", std::string(KEY_FILE_NAME));
    if (!key) return Unexpected(key.error());
    c.key_file = node::resolve_path(dir, *key);
    auto progress = doc->string_or("watcher.progress_file", std::string(PROGRESS_FILE_NAME));
    if (!progress) return Unexpected(progress.error());
    c.progress_file = node::resolve_path(dir, *progress);

    auto valid = validate(c);
    if (!valid) return Unexpected(valid.error());
    return c;
}

std::string render_config(const Config& c) {
    std::ostringstream out;
    out << "# nym-ethereum-watcher: follows the Nym ERC20 token on Ethereum and notifies the ledger of\n"
        << "# every confirmed transfer to the pipe account (docs/protocol/ethereum.md).\n\n"
        << "[ethereum]\n"
        << "# JSON-RPC of an Ethereum node\n"
        << "rpc_url = " << node::toml_quote(c.ethereum_url) << "\n"
        << "# the ERC20 contract and the account that tokens are piped into\n"
        << "token = " << node::toml_quote(c.token.to_checksum_hex()) << "\n"
        << "pipe_account = " << node::toml_quote(c.pipe_account.to_checksum_hex()) << "\n"
        << "# a block is taken once head - number + 1 >= confirmations\n"
        << "confirmations = " << c.confirmations << "\n"
        << "# the first block to look at (the token's deployment) when there is no progress yet\n"
        << "start_block = " << c.start_block << "\n"
        << "max_blocks_per_query = " << c.max_blocks_per_query << "\n"
        << "# ERC20 base units per ledger unit (10^decimals: one token is one ledger unit)\n"
        << "token_unit = " << node::toml_quote(c.token_unit.to_decimal()) << "\n"
        << "poll_interval_ms = " << c.ethereum_poll.count() << "\n\n"
        << "[ledger]\n"
        << "chain_id = " << node::toml_quote(c.chain_id) << "\n"
        << "# CometBFT RPC of validators, tried in turn when one cannot be reached\n"
        << "validators = [";
    for (std::size_t i = 0; i < c.validators.size(); ++i) out << (i ? ", " : "") << node::toml_quote(c.validators[i]);
    out << "]\n"
        << "commit_poll_ms = " << c.commit_poll.count() << "\n"
        << "# a notice admitted but not committed by then is broadcast again\n"
        << "commit_timeout_ms = " << c.commit_timeout.count() << "\n\n"
        << "[retry]\n"
        << "# back-off after a failure, doubling up to max_ms\n"
        << "initial_ms = " << c.backoff_initial.count() << "\n"
        << "max_ms = " << c.backoff_max.count() << "\n\n"
        << "[watcher]\n"
        << "key_file = " << node::toml_quote(c.key_file.string()) << "\n"
        << "progress_file = " << node::toml_quote(c.progress_file.string()) << "\n";
    return out.str();
}

node::ConfigResult<Address> init_folder(const std::filesystem::path& dir, Config config, bool force, crypto::Rng& rng) {
    auto valid = validate(config);
    if (!valid) return Unexpected(valid.error());
    const auto config_file = dir / node::CONFIG_FILE_NAME;
    std::error_code ec;
    if (std::filesystem::exists(config_file, ec) && !force) {
        return config_fail(ConfigErrc::already_exists, config_file.string() + " (--force to overwrite)");
    }
    const auto key_file = dir / KEY_FILE_NAME;
    if (!std::filesystem::exists(key_file, ec)) {
        auto written = ethereum::write_account_key(key_file, crypto::Secp256k1SecretKey::generate(rng));
        if (!written) return config_fail(ConfigErrc::io_error, written.error().message());
    }
    auto key = ethereum::read_account_key(key_file);
    if (!key) return config_fail(ConfigErrc::key_error, key.error().message());
    config.key_file = KEY_FILE_NAME;
    config.progress_file = PROGRESS_FILE_NAME;
    auto written = node::write_file_atomically(config_file, render_config(config));
    if (!written) return Unexpected(written.error());
    return key->address();
}

node::ConfigResult<std::optional<std::uint64_t>> read_progress(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return std::optional<std::uint64_t>{};
    auto text = node::read_text_file(path);
    if (!text) return Unexpected(text.error());
    auto doc = node::ConfigDocument::parse(*text);
    if (!doc) return Unexpected(doc.error());
    auto last = doc->integer_in("last_block", 0, INT64_MAX);
    if (!last) return Unexpected(last.error());
    return std::optional<std::uint64_t>{static_cast<std::uint64_t>(*last)};
}

node::ConfigResult<void> write_progress(const std::filesystem::path& path, std::uint64_t last_block) {
    return node::write_file_atomically(path, "# the last Ethereum block this watcher has processed\nlast_block = " +
                                                 std::to_string(last_block) + "\n");
}

} // namespace nym::watcher
