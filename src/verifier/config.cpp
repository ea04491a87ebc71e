#include <chain/credential.hpp>
#include <verifier/config.hpp>

namespace nym::verifier {

using node::config_fail;
using node::ConfigErrc;

node::ConfigResult<Config> load_config(const std::filesystem::path& file) {
    auto text = node::read_text_file(file);
    if (!text) return Unexpected(text.error());
    auto doc = node::ConfigDocument::parse(*text);
    if (!doc) return Unexpected(doc.error());
    const auto base = file.parent_path();
    Config c;
    std::string path;
    std::int64_t n = 0;
    NYM_CONFIG_READ(path, doc->string("verifier.account_key"));
    c.account_key_file = node::resolve_path(base, path);
    NYM_CONFIG_READ(path, doc->string_or("verifier.issuer_keys", "issuerKeys"));
    c.issuer_keys_dir = node::resolve_path(base, path);
    NYM_CONFIG_READ(n, doc->integer_in("verifier.issuer_threshold", 1, 255));
    c.issuer_threshold = static_cast<std::uint32_t>(n);
    NYM_CONFIG_READ(path, doc->string_or("verifier.data_dir", "data"));
    c.data_dir = node::resolve_path(base, path);
    NYM_CONFIG_READ(n, doc->integer_in_or("verifier.vote_timeout_ms", 1000, 3'600'000, 30000));
    c.vote_timeout = std::chrono::milliseconds(n);
    NYM_CONFIG_READ(n, doc->integer_in_or("verifier.workers", 1, 64, 1));
    c.workers = static_cast<std::uint32_t>(n);
    NYM_CONFIG_READ(c.ledger, chain::read_ledger_config(*doc));
    return c;
}

node::ConfigResult<Keys> load_keys(const Config& config) {
    auto account = chain::read_account_key(config.account_key_file);
    if (!account) return Unexpected(account.error());
    auto issuers = chain::read_issuer_keys(config.issuer_keys_dir);
    if (!issuers) return Unexpected(issuers.error());
    auto aggregate = chain::aggregate_issuer_keys(*issuers, config.issuer_threshold);
    if (!aggregate)
        return config_fail(ConfigErrc::key_error, config.issuer_keys_dir.string() + " (threshold " +
                                                      std::to_string(config.issuer_threshold) +
                                                      "): " + aggregate.error().message());
    return Keys{std::move(*account), std::move(*aggregate), issuers->size()};
}

} // namespace nym::verifier
