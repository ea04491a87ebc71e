#include <credentials/config.hpp>

namespace nym::credentials {

using node::config_fail;
using node::ConfigErrc;

namespace {

node::ConfigResult<runtime::Url> http_url(const std::string& text, std::string_view field) {
    auto url = runtime::parse_url(text);
    if (!url || (url->scheme != "http" && url->scheme != "https"))
        return config_fail(ConfigErrc::invalid_url, std::string(field) + ": " + text);
    return *url;
}

node::ConfigResult<crypto::EthereumAddress> address_field(const node::ConfigDocument& doc, std::string_view field) {
    auto text = doc.string(field);
    if (!text) return Unexpected(text.error());
    auto a = crypto::EthereumAddress::from_hex(*text);
    if (!a) return config_fail(ConfigErrc::invalid_value, std::string(field) + ": not an address (0x + 40 hex digits)");
    return *a;
}

node::ConfigResult<EthereumConfig> read_ethereum(const node::ConfigDocument& doc) {
    EthereumConfig e;
    std::int64_t n = 0;
    NYM_CONFIG_READ(e.rpc_url, doc.string("ethereum.rpc_url"));
    NYM_CONFIG_READ(e.rpc, http_url(e.rpc_url, "ethereum.rpc_url"));
    NYM_CONFIG_READ(e.token, address_field(doc, "ethereum.token"));
    NYM_CONFIG_READ(e.pipe_account, address_field(doc, "ethereum.pipe_account"));
    NYM_CONFIG_READ(n, doc.integer_in_or("ethereum.confirmations", 1, 10'000, 2));
    e.confirmations = static_cast<std::uint64_t>(n);
    std::string unit;
    NYM_CONFIG_READ(unit, doc.string_or("ethereum.token_unit", "1000000000000000000"));
    auto unit_value = ethereum::U256::from_decimal(unit);
    if (!unit_value || unit_value->is_zero())
        return config_fail(ConfigErrc::invalid_value, "ethereum.token_unit: a positive decimal number");
    e.token_unit = *unit_value;
    NYM_CONFIG_READ(n, doc.integer_in_or("ethereum.poll_interval_ms", 10, 60'000, 250));
    e.poll = std::chrono::milliseconds(n);
    NYM_CONFIG_READ(n, doc.integer_in_or("ethereum.confirmation_timeout_ms", 1000, 86'400'000, 300'000));
    e.confirmation_timeout = std::chrono::milliseconds(n);
    NYM_CONFIG_READ(n, doc.integer_in_or("ethereum.credit_timeout_ms", 1000, 86'400'000, 300'000));
    e.credit_timeout = std::chrono::milliseconds(n);
    return e;
}

} // namespace

node::ConfigResult<Config> load_config(const std::filesystem::path& file) {
    auto text = node::read_text_file(file);
    if (!text) return Unexpected(text.error());
    auto doc = node::ConfigDocument::parse(*text);
    if (!doc) return Unexpected(doc.error());
    const auto base = file.parent_path();
    Config c;
    std::string path;
    std::int64_t n = 0;
    NYM_CONFIG_READ(path, doc->string("client.account_key"));
    c.account_key_file = node::resolve_path(base, path);
    NYM_CONFIG_READ(path, doc->string_or("client.wallet", "wallet.json"));
    c.wallet_file = node::resolve_path(base, path);
    NYM_CONFIG_READ(n, doc->integer_in_or("client.value", 1, INT64_MAX, 1));
    c.value = static_cast<std::uint64_t>(n);
    NYM_CONFIG_READ(c.issuer_urls, doc->strings("client.issuers"));
    if (c.issuer_urls.empty()) return config_fail(ConfigErrc::invalid_value, "client.issuers: at least one issuer");
    for (const auto& u : c.issuer_urls) {
        runtime::Url url;
        NYM_CONFIG_READ(url, http_url(u, "client.issuers"));
        c.issuers.push_back(url);
    }
    NYM_CONFIG_READ(n, doc->integer_in_or("client.issuer_timeout_ms", 100, 600'000, 3000));
    c.issuer_timeout = std::chrono::milliseconds(n);
    NYM_CONFIG_READ(n, doc->integer_in_or("client.fetch_timeout_ms", 100, 3'600'000, 30000));
    c.fetch_timeout = std::chrono::milliseconds(n);
    NYM_CONFIG_READ(c.provider_url, doc->string("client.provider"));
    NYM_CONFIG_READ(c.provider, http_url(c.provider_url, "client.provider"));
    std::string address;
    NYM_CONFIG_READ(address, doc->string_or("client.provider_address", ""));
    if (!address.empty()) {
        auto a = crypto::EthereumAddress::from_hex(address);
        if (!a) return config_fail(ConfigErrc::invalid_value, "client.provider_address: not an address");
        c.provider_address = *a;
    }
    NYM_CONFIG_READ(n, doc->integer_in_or("client.spend_timeout_ms", 100, 3'600'000, 30000));
    c.spend_timeout = std::chrono::milliseconds(n);
    NYM_CONFIG_READ(c.ledger, chain::read_ledger_config(*doc));
    if (doc->has("ethereum")) NYM_CONFIG_READ(c.ethereum, read_ethereum(*doc));
    return c;
}

} // namespace nym::credentials
