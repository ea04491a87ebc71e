#include <gateway/config.hpp>

#include <crypto/pem.hpp>

#include <toml++/toml.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

namespace nym::gateway {
namespace {

constexpr std::uintmax_t MAX_CONFIG_FILE_SIZE = 1024 * 1024;
constexpr std::uint64_t MAX_RETRIEVAL_LIMIT = 1000;
constexpr std::int64_t MAX_SECONDS = 10ll * 365 * 24 * 3600; ///< no interval beyond ten years

Unexpected<ConfigError> config_fail(Errc e, std::string detail = {}) {
    return Unexpected<ConfigError>(ConfigError(make_error_code(e), std::move(detail)));
}

bool valid_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > MAX_ID_LENGTH) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

bool valid_host(std::string_view host) noexcept {
    if (host.empty() || host.size() > 253) return false;
    if (host == "0.0.0.0" || host == "::" || host == "[::]") return false; // must be reachable, not a wildcard
    return std::all_of(host.begin(), host.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u < 0x7f && c != '/' && c != '"' && c != '\\';
    });
}

bool valid_url(std::string_view url) noexcept {
    std::string_view rest;
    if (url.starts_with("http://")) rest = url.substr(7);
    else if (url.starts_with("https://")) rest = url.substr(8);
    else return false;
    const auto host = rest.substr(0, rest.find('/'));
    return !host.empty() && url.size() <= 2048 &&
           std::all_of(url.begin(), url.end(), [](char c) {
               const auto u = static_cast<unsigned char>(c);
               return u > 0x20 && u < 0x7f && c != '"' && c != '\\';
           });
}

bool valid_port(int port) noexcept { return port >= 1 && port <= 65535; }

// A TOML basic string: quotes, backslashes and control characters escaped.
std::string quote(std::string_view s) {
    static constexpr char HEX[] = "0123456789abcdef";
    std::string out = "\"";
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (u < 0x20 || u == 0x7f) {
            out += "\\u00";
            out.push_back(HEX[u >> 4]);
            out.push_back(HEX[u & 0x0f]);
        } else {
            out.push_back(c);
        }
    }
    out.push_back('"');
    return out;
}

const toml::node* find(const toml::table& root, std::string_view path) { return root.at_path(path).node(); }

ConfigResult<std::string> get_string(const toml::table& root, std::string_view path) {
    const toml::node* n = find(root, path);
    if (n == nullptr) return config_fail(Errc::invalid_config, std::string(path) + ": missing");
    const auto* v = n->as_string();
    if (v == nullptr) return config_fail(Errc::invalid_config, std::string(path) + ": must be a string");
    return std::string(v->get());
}

ConfigResult<std::int64_t> get_integer(const toml::table& root, std::string_view path) {
    const toml::node* n = find(root, path);
    if (n == nullptr) return config_fail(Errc::invalid_config, std::string(path) + ": missing");
    const auto* v = n->as_integer();
    if (v == nullptr) return config_fail(Errc::invalid_config, std::string(path) + ": must be an integer");
    return v->get();
}

/// An optional integer in [min, max]: the default when absent.
ConfigResult<std::int64_t> get_ranged(const toml::table& root, std::string_view path, std::int64_t fallback,
                                      std::int64_t min, std::int64_t max) {
    if (find(root, path) == nullptr) return fallback;
    auto v = get_integer(root, path);
    if (!v) return v;
    if (*v < min || *v > max)
        return config_fail(Errc::invalid_config,
                           std::string(path) + ": must be in " + std::to_string(min) + ".." + std::to_string(max));
    return v;
}

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& value) {
    std::filesystem::path p(value);
    if (p.is_relative() && !base.empty()) p = base / p;
    return p;
}

ConfigResult<void> write_file_atomically(const std::filesystem::path& path, std::string_view text) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) return config_fail(Errc::io_error, path.parent_path().string() + ": " + ec.message());
    const std::filesystem::path tmp = path.string() + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return config_fail(Errc::io_error, tmp.string());
    std::size_t written = 0;
    while (written < text.size()) {
        const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n <= 0) {
            ::close(fd);
            return config_fail(Errc::io_error, tmp.string());
        }
        written += static_cast<std::size_t>(n);
    }
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!synced || ::rename(tmp.c_str(), path.c_str()) != 0) return config_fail(Errc::io_error, path.string());
    return {};
}

ConfigResult<void> write_key(const std::filesystem::path& path, std::string_view label,
                             std::span<const std::uint8_t> body, crypto::FileSecrecy secrecy) {
    if (auto r = crypto::write_pem_file(path, label, body, secrecy); !r)
        return config_fail(Errc::key_file_error, path.string() + ": " + r.error().message());
    return {};
}

ConfigResult<std::vector<std::uint8_t>> read_key(const std::filesystem::path& path, std::string_view label,
                                                 crypto::FileSecrecy secrecy) {
    auto block = crypto::read_pem_file(path, label, secrecy);
    if (!block) return config_fail(Errc::key_file_error, path.string() + ": " + block.error().message());
    if (block->body.size() != 32) {
        crypto::secure_wipe(block->body.data(), block->body.size());
        return config_fail(Errc::key_file_error, path.string() + ": key is not 32 bytes");
    }
    return std::move(block->body);
}

} // namespace

std::string ConfigError::message() const {
    std::string m = code.message();
    if (!detail.empty()) m += " (" + detail + ")";
    return m;
}

StoreLimits Config::store_limits() const noexcept {
    StoreLimits limits;
    limits.max_messages_per_client = max_messages_per_client;
    limits.max_bytes_per_client = max_bytes_per_client;
    return limits;
}

Config merge(Config base, const ConfigOverrides& o) {
    if (o.host) base.host = *o.host;
    if (o.mix_port) base.mix_port = *o.mix_port;
    if (o.clients_port) base.clients_port = *o.clients_port;
    if (o.directory_url) base.directory_url = *o.directory_url;
    if (o.database_file) base.database_file = *o.database_file;
    if (o.max_messages_per_client) base.max_messages_per_client = *o.max_messages_per_client;
    if (o.max_bytes_per_client) base.max_bytes_per_client = *o.max_bytes_per_client;
    if (o.message_max_age) base.message_max_age = *o.message_max_age;
    if (o.cleanup_interval) base.cleanup_interval = *o.cleanup_interval;
    return base;
}

ConfigResult<void> validate(const Config& c) {
    if (!valid_id(c.id)) return config_fail(Errc::invalid_config, "gateway.id: 1-64 characters of A-Z a-z 0-9 _ -");
    if (!valid_host(c.host)) return config_fail(Errc::invalid_config, "gateway.host: a reachable host name or IP");
    if (!valid_port(c.mix_port)) return config_fail(Errc::invalid_config, "gateway.mix_port: must be 1-65535");
    if (!valid_port(c.clients_port)) return config_fail(Errc::invalid_config, "gateway.clients_port: must be 1-65535");
    if (c.mix_port == c.clients_port)
        return config_fail(Errc::invalid_config, "gateway.clients_port: must differ from mix_port");
    if (!valid_url(c.directory_url))
        return config_fail(Errc::invalid_config, "gateway.directory: must be an http:// or https:// URL");
    const std::pair<const std::filesystem::path*, const char*> paths[] = {
        {&c.private_identity_key_file, "keys.private_identity_key_file"},
        {&c.public_identity_key_file, "keys.public_identity_key_file"},
        {&c.private_sphinx_key_file, "keys.private_sphinx_key_file"},
        {&c.public_sphinx_key_file, "keys.public_sphinx_key_file"},
        {&c.database_file, "storage.database_file"},
    };
    for (const auto& [path, name] : paths)
        if (path->empty()) return config_fail(Errc::invalid_config, std::string(name) + ": missing");
    if (c.max_messages_per_client == 0 || c.max_messages_per_client > static_cast<std::uint64_t>(INT64_MAX))
        return config_fail(Errc::invalid_config, "storage.max_messages_per_client: must be positive");
    if (c.max_bytes_per_client < wire::gateway::MAX_DELIVER_SIZE ||
        c.max_bytes_per_client > static_cast<std::uint64_t>(INT64_MAX))
        return config_fail(Errc::invalid_config, "storage.max_bytes_per_client: must hold at least one 32 KiB message");
    if (c.message_max_age.count() <= 0 || c.message_max_age.count() > MAX_SECONDS)
        return config_fail(Errc::invalid_config, "storage.message_max_age_secs: must be positive (at most ten years)");
    if (c.cleanup_interval.count() <= 0 || c.cleanup_interval.count() > MAX_SECONDS)
        return config_fail(Errc::invalid_config, "storage.cleanup_interval_secs: must be positive (at most ten years)");
    if (c.message_retrieval_limit == 0 || c.message_retrieval_limit > MAX_RETRIEVAL_LIMIT)
        return config_fail(Errc::invalid_config, "storage.message_retrieval_limit: must be 1-1000");
    return {};
}

std::string render_config(const Config& c) {
    std::ostringstream out;
    out << "# nym-gateway configuration, written by `nym-gateway init`.\n"
        << "# Flags given on the command line override these values.\n\n"
        << "[gateway]\n"
        << "# Name of this gateway; its files live under <root>/<id>/ (root: ~/.nym/gateways).\n"
        << "id = " << quote(c.id) << "\n"
        << "# Host name or IP that mix nodes and clients use to reach this gateway; announced to the directory.\n"
        << "host = " << quote(c.host) << "\n"
        << "# TCP port for Sphinx packets from the last mix layer (Nym's default 1789).\n"
        << "mix_port = " << c.mix_port << "\n"
        << "# Websocket port for clients (Nym's default 9000).\n"
        << "clients_port = " << c.clients_port << "\n"
        << "# Base URL of the directory server that lists this gateway and its registered clients.\n"
        << "directory = " << quote(c.directory_url) << "\n\n"
        << "[keys]\n"
        << "# Ed25519 identity: signs the directory heartbeat and the registration handshake. The private\n"
        << "# file is mode 0600; its base58 public key is this gateway's identity.\n"
        << "private_identity_key_file = " << quote(c.private_identity_key_file.string()) << "\n"
        << "public_identity_key_file = " << quote(c.public_identity_key_file.string()) << "\n"
        << "# X25519 Sphinx key: unwraps packets addressed to this gateway (the last hop). Private file 0600.\n"
        << "private_sphinx_key_file = " << quote(c.private_sphinx_key_file.string()) << "\n"
        << "public_sphinx_key_file = " << quote(c.public_sphinx_key_file.string()) << "\n\n"
        << "[storage]\n"
        << "# SQLite database of messages waiting for their clients and of the clients' shared keys. It\n"
        << "# holds secrets, so it is created mode 0600. A message is deleted once its client acknowledges it.\n"
        << "database_file = " << quote(c.database_file.string()) << "\n"
        << "# Per-client quota: a message that would exceed either limit is dropped, not stored.\n"
        << "max_messages_per_client = " << c.max_messages_per_client << "\n"
        << "max_bytes_per_client = " << c.max_bytes_per_client << "\n"
        << "# Messages older than this many seconds are deleted, delivered or not (Nym: 24 h).\n"
        << "message_max_age_secs = " << c.message_max_age.count() << "\n"
        << "# How often, in seconds, expired messages are deleted (Nym: hourly).\n"
        << "cleanup_interval_secs = " << c.cleanup_interval.count() << "\n"
        << "# Stored messages pushed per batch when a client connects (Nym: 100).\n"
        << "message_retrieval_limit = " << c.message_retrieval_limit << "\n";
    return out.str();
}

ConfigResult<Config> parse_config(std::string_view text, const std::filesystem::path& base_dir) {
    toml::table root;
    try {
        root = toml::parse(text);
    } catch (const toml::parse_error& e) {
        std::ostringstream where;
        where << "line " << e.source().begin.line << ": " << e.description();
        return config_fail(Errc::invalid_config, where.str());
    }
    Config c;
    auto id = get_string(root, "gateway.id");
    if (!id) return Unexpected(id.error());
    c.id = *id;
    auto host = get_string(root, "gateway.host");
    if (!host) return Unexpected(host.error());
    c.host = *host;
    auto mix_port = get_ranged(root, "gateway.mix_port", DEFAULT_MIX_PORT, 1, 65535);
    if (!mix_port) return Unexpected(mix_port.error());
    c.mix_port = static_cast<int>(*mix_port);
    auto clients_port = get_ranged(root, "gateway.clients_port", DEFAULT_CLIENTS_PORT, 1, 65535);
    if (!clients_port) return Unexpected(clients_port.error());
    c.clients_port = static_cast<int>(*clients_port);
    auto directory = get_string(root, "gateway.directory");
    if (!directory) return Unexpected(directory.error());
    c.directory_url = *directory;

    const std::pair<std::filesystem::path*, const char*> paths[] = {
        {&c.private_identity_key_file, "keys.private_identity_key_file"},
        {&c.public_identity_key_file, "keys.public_identity_key_file"},
        {&c.private_sphinx_key_file, "keys.private_sphinx_key_file"},
        {&c.public_sphinx_key_file, "keys.public_sphinx_key_file"},
        {&c.database_file, "storage.database_file"},
    };
    for (const auto& [field, name] : paths) {
        auto v = get_string(root, name);
        if (!v) return Unexpected(v.error());
        *field = resolve(base_dir, *v);
    }

    const Config defaults;
    auto max_messages = get_ranged(root, "storage.max_messages_per_client",
                                   static_cast<std::int64_t>(defaults.max_messages_per_client), 1, INT64_MAX);
    if (!max_messages) return Unexpected(max_messages.error());
    c.max_messages_per_client = static_cast<std::uint64_t>(*max_messages);
    auto max_bytes = get_ranged(root, "storage.max_bytes_per_client",
                                static_cast<std::int64_t>(defaults.max_bytes_per_client), 1, INT64_MAX);
    if (!max_bytes) return Unexpected(max_bytes.error());
    c.max_bytes_per_client = static_cast<std::uint64_t>(*max_bytes);
    auto max_age = get_ranged(root, "storage.message_max_age_secs", defaults.message_max_age.count(), 1, MAX_SECONDS);
    if (!max_age) return Unexpected(max_age.error());
    c.message_max_age = std::chrono::seconds(*max_age);
    auto cleanup = get_ranged(root, "storage.cleanup_interval_secs", defaults.cleanup_interval.count(), 1, MAX_SECONDS);
    if (!cleanup) return Unexpected(cleanup.error());
    c.cleanup_interval = std::chrono::seconds(*cleanup);
    auto retrieval = get_ranged(root, "storage.message_retrieval_limit", defaults.message_retrieval_limit, 1,
                                static_cast<std::int64_t>(MAX_RETRIEVAL_LIMIT));
    if (!retrieval) return Unexpected(retrieval.error());
    c.message_retrieval_limit = static_cast<std::uint32_t>(*retrieval);

    if (auto v = validate(c); !v) return Unexpected(v.error());
    return c;
}

ConfigResult<Config> load_config(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return config_fail(Errc::config_missing, path.string());
    const auto size = std::filesystem::file_size(path, ec);
    if (ec || size > MAX_CONFIG_FILE_SIZE) return config_fail(Errc::io_error, path.string() + ": unreadable or too large");
    std::ifstream in(path, std::ios::binary);
    if (!in) return config_fail(Errc::io_error, path.string());
    std::ostringstream text;
    text << in.rdbuf();
    auto c = parse_config(text.str(), path.parent_path());
    if (!c) return Unexpected(ConfigError(c.error().code, path.string() + ": " + c.error().detail));
    return c;
}

ConfigResult<void> save_config(const Config& config, const std::filesystem::path& path) {
    if (auto v = validate(config); !v) return v;
    return write_file_atomically(path, render_config(config));
}

ConfigResult<std::filesystem::path> default_root() {
    const char* home = std::getenv("HOME");
    if (home == nullptr || *home == '\0') return config_fail(Errc::no_home);
    return std::filesystem::path(home) / ".nym" / "gateways";
}

std::filesystem::path gateway_directory(const std::filesystem::path& root, std::string_view id) {
    return root / std::string(id);
}

std::filesystem::path config_path(const std::filesystem::path& root, std::string_view id) {
    return gateway_directory(root, id) / "config" / std::string(CONFIG_FILE_NAME);
}

ConfigResult<GatewayKeys> load_keys(const Config& config) {
    using crypto::FileSecrecy;
    GatewayKeys keys;
    auto identity = read_key(config.private_identity_key_file, IDENTITY_SECRET_PEM_LABEL, FileSecrecy::secret_file);
    if (!identity) return Unexpected(identity.error());
    keys.identity = crypto::Ed25519SecretKey::from_seed(std::span<const std::uint8_t, 32>(identity->data(), 32));
    crypto::secure_wipe(identity->data(), identity->size());
    keys.identity_public = keys.identity.public_key();

    auto sphinx = read_key(config.private_sphinx_key_file, SPHINX_SECRET_PEM_LABEL, FileSecrecy::secret_file);
    if (!sphinx) return Unexpected(sphinx.error());
    keys.sphinx = crypto::X25519SecretKey::from_bytes(std::span<const std::uint8_t, 32>(sphinx->data(), 32));
    crypto::secure_wipe(sphinx->data(), sphinx->size());
    keys.sphinx_public = keys.sphinx.public_key();

    auto identity_public = read_key(config.public_identity_key_file, IDENTITY_PUBLIC_PEM_LABEL, FileSecrecy::public_file);
    if (!identity_public) return Unexpected(identity_public.error());
    if (!std::equal(identity_public->begin(), identity_public->end(), keys.identity_public.bytes.begin()))
        return config_fail(Errc::key_file_error, config.public_identity_key_file.string() + ": does not match the private key");
    auto sphinx_public = read_key(config.public_sphinx_key_file, SPHINX_PUBLIC_PEM_LABEL, FileSecrecy::public_file);
    if (!sphinx_public) return Unexpected(sphinx_public.error());
    if (!std::equal(sphinx_public->begin(), sphinx_public->end(), keys.sphinx_public.bytes.begin()))
        return config_fail(Errc::key_file_error, config.public_sphinx_key_file.string() + ": does not match the private key");
    return keys;
}

ConfigResult<InitResult> init_gateway(const InitOptions& options, crypto::Rng& rng) {
    using crypto::FileSecrecy;
    const std::filesystem::path dir = gateway_directory(options.root, options.id);
    const std::filesystem::path data = dir / "data";
    Config c;
    c.id = options.id;
    c.host = options.host;
    c.mix_port = options.mix_port;
    c.clients_port = options.clients_port;
    c.directory_url = options.directory_url;
    c.private_identity_key_file = data / "private_identity.pem";
    c.public_identity_key_file = data / "public_identity.pem";
    c.private_sphinx_key_file = data / "private_sphinx.pem";
    c.public_sphinx_key_file = data / "public_sphinx.pem";
    c.database_file = data / std::string(DATABASE_FILE_NAME);
    if (auto v = validate(c); !v) return Unexpected(v.error());

    const std::filesystem::path config_file = config_path(options.root, options.id);
    std::error_code ec;
    if (!options.force && (std::filesystem::exists(config_file, ec) || std::filesystem::exists(c.private_identity_key_file, ec)))
        return config_fail(Errc::config_exists, dir.string());

    const auto identity = crypto::Ed25519SecretKey::generate(rng);
    const auto sphinx = crypto::X25519SecretKey::generate(rng);
    InitResult result;
    result.identity_public = identity.public_key();
    result.sphinx_public = sphinx.public_key();

    if (auto r = write_key(c.private_identity_key_file, IDENTITY_SECRET_PEM_LABEL, identity.seed(), FileSecrecy::secret_file); !r)
        return Unexpected(r.error());
    if (auto r = write_key(c.public_identity_key_file, IDENTITY_PUBLIC_PEM_LABEL, result.identity_public.bytes,
                           FileSecrecy::public_file);
        !r)
        return Unexpected(r.error());
    if (auto r = write_key(c.private_sphinx_key_file, SPHINX_SECRET_PEM_LABEL, sphinx.bytes(), FileSecrecy::secret_file); !r)
        return Unexpected(r.error());
    if (auto r = write_key(c.public_sphinx_key_file, SPHINX_PUBLIC_PEM_LABEL, result.sphinx_public.bytes,
                           FileSecrecy::public_file);
        !r)
        return Unexpected(r.error());
    // Create the database now, so init fails early on a file system SQLite cannot use. An existing
    // database (init --force) is kept: its messages still belong to their clients.
    if (auto store = MessageStore::open(c.database_file, c.store_limits()); !store)
        return config_fail(Errc::io_error, c.database_file.string() + ": " + store.error().message());
    if (auto r = save_config(c, config_file); !r) return Unexpected(r.error());

    result.config = std::move(c);
    result.config_file = config_file;
    return result;
}

} // namespace nym::gateway
