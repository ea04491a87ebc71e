#include <credentials/config.hpp>

namespace nym::credentials {

using node::config_fail;
using node::ConfigErrc;

#define NYM_READ(target, expr)                                                                                         \
    do {                                                                                                               \
        auto nym_read_ = (expr);                                                                                       \
        if (!nym_read_) return Unexpected(nym_read_.error());                                                          \
        target = std::move(*nym_read_);                                                                                \
    } while (0)

namespace {

node::ConfigResult<runtime::Url> http_url(const std::string& text, std::string_view field) {
    auto url = runtime::parse_url(text);
    if (!url || (url->scheme != "http" && url->scheme != "https"))
        return config_fail(ConfigErrc::invalid_url, std::string(field) + ": " + text);
    return *url;
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
    NYM_READ(path, doc->string("client.account_key"));
    c.account_key_file = node::resolve_path(base, path);
    NYM_READ(path, doc->string_or("client.wallet", "wallet.json"));
    c.wallet_file = node::resolve_path(base, path);
    NYM_READ(n, doc->integer_in_or("client.value", 1, INT64_MAX, 1));
    c.value = static_cast<std::uint64_t>(n);
    NYM_READ(c.issuer_urls, doc->strings("client.issuers"));
    if (c.issuer_urls.empty()) return config_fail(ConfigErrc::invalid_value, "client.issuers: at least one issuer");
    for (const auto& u : c.issuer_urls) {
        runtime::Url url;
        NYM_READ(url, http_url(u, "client.issuers"));
        c.issuers.push_back(url);
    }
    NYM_READ(n, doc->integer_in_or("client.issuer_timeout_ms", 100, 600'000, 3000));
    c.issuer_timeout = std::chrono::milliseconds(n);
    NYM_READ(n, doc->integer_in_or("client.fetch_timeout_ms", 100, 3'600'000, 30000));
    c.fetch_timeout = std::chrono::milliseconds(n);
    NYM_READ(c.provider_url, doc->string("client.provider"));
    NYM_READ(c.provider, http_url(c.provider_url, "client.provider"));
    std::string address;
    NYM_READ(address, doc->string_or("client.provider_address", ""));
    if (!address.empty()) {
        auto a = crypto::EthereumAddress::from_hex(address);
        if (!a) return config_fail(ConfigErrc::invalid_value, "client.provider_address: not an address");
        c.provider_address = *a;
    }
    NYM_READ(n, doc->integer_in_or("client.spend_timeout_ms", 100, 3'600'000, 30000));
    c.spend_timeout = std::chrono::milliseconds(n);
    NYM_READ(c.ledger, chain::read_ledger_config(*doc));
    return c;
}

} // namespace nym::credentials
