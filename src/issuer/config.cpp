#include <coconut/key_files.hpp>

#include <chain/credential.hpp>
#include <issuer/config.hpp>

namespace nym::issuer {

using node::config_fail;
using node::ConfigErrc;

node::ConfigResult<Config> load_config(const std::filesystem::path& file) {
    auto text = node::read_text_file(file);
    if (!text) return Unexpected(text.error());
    auto doc = node::ConfigDocument::parse(*text);
    if (!doc) return Unexpected(doc.error());
    const auto base = file.parent_path();
    Config c;
    std::int64_t n = 0;
    std::string path;
    NYM_CONFIG_READ(c.listen_host, doc->string_or("issuer.listen_host", c.listen_host));
    if (!node::valid_host(c.listen_host)) return config_fail(ConfigErrc::invalid_host, "issuer.listen_host");
    NYM_CONFIG_READ(n, doc->integer_in_or("issuer.listen_port", 0, 65535, DEFAULT_PORT));
    c.listen_port = static_cast<std::uint16_t>(n);
    NYM_CONFIG_READ(path, doc->string("issuer.secret_key"));
    c.secret_key_file = node::resolve_path(base, path);
    NYM_CONFIG_READ(path, doc->string("issuer.verification_key"));
    c.verification_key_file = node::resolve_path(base, path);
    NYM_CONFIG_READ(path, doc->string_or("issuer.data_dir", "data"));
    c.data_dir = node::resolve_path(base, path);
    NYM_CONFIG_READ(n, doc->integer_in_or("issuer.workers", 1, 64, 1));
    c.workers = static_cast<std::uint32_t>(n);
    NYM_CONFIG_READ(c.ledger, chain::read_ledger_config(*doc));
    return c;
}

std::string config_toml(const Config& c) {
    return "# nym-issuer: blind-signs the credential requests committed on the ledger\n"
           "[issuer]\n"
           "listen_host = " +
           node::toml_quote(c.listen_host) +
           "\n"
           "listen_port = " +
           std::to_string(c.listen_port) +
           "\n"
           "# the issuer's threshold Coconut keys (relative paths are relative to this file)\n"
           "secret_key = " +
           node::toml_quote(c.secret_key_file.string()) +
           "\n"
           "verification_key = " +
           node::toml_quote(c.verification_key_file.string()) +
           "\n"
           "# the partial-credential database\n"
           "data_dir = " +
           node::toml_quote(c.data_dir.string()) +
           "\n"
           "# threads that blind-sign\n"
           "workers = " +
           std::to_string(c.workers) + "\n\n" +
           chain::ledger_config_toml(c.ledger.node_urls, c.ledger.chain_id, c.ledger.poll_interval);
}

node::ConfigResult<Keys> load_keys(const Config& config) {
    auto secret = coconut::read_secret_key_file(config.secret_key_file);
    if (!secret)
        return config_fail(ConfigErrc::key_error, config.secret_key_file.string() + ": " + secret.error().message());
    auto verification = coconut::read_verification_key_file(config.verification_key_file);
    if (!verification)
        return config_fail(ConfigErrc::key_error,
                           config.verification_key_file.string() + ": " + verification.error().message());
    if (secret->ys.size() != chain::CREDENTIAL_ATTRIBUTES)
        return config_fail(ConfigErrc::key_error,
                           config.secret_key_file.string() + ": a key for " + std::to_string(secret->ys.size()) +
                               " attributes, credentials have " + std::to_string(chain::CREDENTIAL_ATTRIBUTES));
    // The verification key must be this secret key's: alpha = g2^x, beta_i = g2^{y_i}, same index.
    bool matches = secret->index == verification->index && verification->betas.size() == secret->ys.size() &&
                   coconut::G2::generator() * secret->x == verification->alpha;
    for (std::size_t i = 0; matches && i < secret->ys.size(); ++i)
        matches = coconut::G2::generator() * secret->ys[i] == verification->betas[i];
    if (!matches)
        return config_fail(ConfigErrc::key_error, config.verification_key_file.string() +
                                                      " is not the verification key of " +
                                                      config.secret_key_file.string());
    return Keys{std::move(*secret), std::move(*verification)};
}

} // namespace nym::issuer
