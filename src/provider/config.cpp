#include <chain/credential.hpp>
#include <provider/config.hpp>

namespace nym::provider {

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
    NYM_CONFIG_READ(c.listen_host, doc->string_or("provider.listen_host", c.listen_host));
    if (!node::valid_host(c.listen_host)) return config_fail(ConfigErrc::invalid_host, "provider.listen_host");
    NYM_CONFIG_READ(n, doc->integer_in_or("provider.listen_port", 0, 65535, DEFAULT_PORT));
    c.listen_port = static_cast<std::uint16_t>(n);
    NYM_CONFIG_READ(path, doc->string("provider.account_key"));
    c.account_key_file = node::resolve_path(base, path);
    NYM_CONFIG_READ(path, doc->string_or("provider.issuer_keys", "issuerKeys"));
    c.issuer_keys_dir = node::resolve_path(base, path);
    NYM_CONFIG_READ(n, doc->integer_in("provider.issuer_threshold", 1, 255));
    c.issuer_threshold = static_cast<std::uint32_t>(n);
    NYM_CONFIG_READ(n, doc->integer_in_or("provider.spend_timeout_ms", 100, 600'000, 10000));
    c.spend_timeout = std::chrono::milliseconds(n);
    NYM_CONFIG_READ(n, doc->integer_in_or("provider.nonce_lifetime_ms", 1000, 3'600'000, 60000));
    c.nonce_lifetime = std::chrono::milliseconds(n);
    NYM_CONFIG_READ(n, doc->integer_in_or("provider.workers", 1, 64, 1));
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
    return Keys{std::move(*account), std::move(*aggregate)};
}

} // namespace nym::provider
