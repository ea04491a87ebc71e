#include <coconut/key_files.hpp>
#include <crypto/secret.hpp>
#include <util/hex.hpp>

#include <algorithm>
#include <chain/config.hpp>
#include <chain/rpc_client.hpp>
#include <sys/stat.h>

namespace nym::chain {

using node::config_fail;
using node::ConfigErrc;

node::ConfigResult<LedgerConfig> read_ledger_config(const node::ConfigDocument& doc) {
    LedgerConfig c;
    auto nodes = doc.strings("ledger.nodes");
    if (!nodes) return Unexpected(nodes.error());
    auto urls = parse_node_urls(*nodes);
    if (!urls) return config_fail(ConfigErrc::invalid_url, "ledger.nodes: " + urls.error());
    c.node_urls = *nodes;
    c.nodes = std::move(*urls);
    auto chain_id = doc.string("ledger.chain_id");
    if (!chain_id) return Unexpected(chain_id.error());
    if (chain_id->empty() || chain_id->size() > 50)
        return config_fail(ConfigErrc::invalid_value, "ledger.chain_id: 1 to 50 characters");
    c.chain_id = *chain_id;
    auto poll = doc.integer_in_or("ledger.poll_interval_ms", 10, 60'000, 100);
    if (!poll) return Unexpected(poll.error());
    c.poll_interval = std::chrono::milliseconds(*poll);
    return c;
}

std::string ledger_config_toml(const std::vector<std::string>& node_urls, std::string_view chain_id,
                               std::chrono::milliseconds poll_interval) {
    std::string nodes;
    for (const auto& u : node_urls) nodes += (nodes.empty() ? "" : ", ") + node::toml_quote(u);
    return "[ledger]\n"
           "# CometBFT RPC of one or more validators; a node that does not answer is skipped\n"
           "nodes = [" +
           nodes +
           "]\n"
           "chain_id = " +
           node::toml_quote(chain_id) +
           "\n"
           "# how often to ask for the next block once at the chain's tip\n"
           "poll_interval_ms = " +
           std::to_string(poll_interval.count()) + "\n";
}

node::ConfigResult<std::vector<coconut::VerificationKey>> read_issuer_keys(const std::filesystem::path& folder) {
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
        const auto name = entry.path().filename().string();
        if (name.rfind("threshold-verificationKey-", 0) == 0 && entry.path().extension() == ".pem")
            files.push_back(entry.path());
    }
    if (ec) return config_fail(ConfigErrc::key_error, folder.string() + ": " + ec.message());
    if (files.empty())
        return config_fail(ConfigErrc::key_error, folder.string() + " holds no threshold-verificationKey-*.pem");
    std::vector<coconut::VerificationKey> keys;
    for (const auto& f : files) {
        auto key = coconut::read_verification_key_file(f);
        if (!key) return config_fail(ConfigErrc::key_error, f.string() + ": " + key.error().message());
        keys.push_back(std::move(*key));
    }
    std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
    return keys;
}

node::ConfigResult<crypto::Secp256k1SecretKey> read_account_key(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return config_fail(ConfigErrc::key_error, path.string() + ": cannot read it");
    if ((st.st_mode & 077) != 0)
        return config_fail(ConfigErrc::key_error, path.string() + " is readable by others (chmod 600 it)");
    auto text = node::read_text_file(path, 4096);
    if (!text) return config_fail(ConfigErrc::key_error, text.error().message());
    std::string_view hex = *text;
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r' || hex.back() == ' ' || hex.back() == '\t'))
        hex.remove_suffix(1);
    while (!hex.empty() && (hex.front() == ' ' || hex.front() == '\t')) hex.remove_prefix(1);
    auto key = crypto::Secp256k1SecretKey::from_hex(hex);
    crypto::secure_wipe(text->data(), text->size());
    if (!key) return config_fail(ConfigErrc::key_error, path.string() + ": not a secp256k1 key (64 hex digits)");
    return std::move(*key);
}

node::ConfigResult<void> write_account_key(const std::filesystem::path& path, const crypto::Secp256k1SecretKey& key) {
    std::string hex = util::to_hex(key.bytes()) + "\n";
    auto written = node::write_file_atomically(path, hex, node::FileMode::secret_file);
    crypto::secure_wipe(hex.data(), hex.size());
    return written;
}

} // namespace nym::chain
