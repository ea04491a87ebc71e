#include <gateway/config.hpp>

#include <sstream>

namespace nym::gateway {
namespace {

constexpr std::uint64_t MAX_RETRIEVAL_LIMIT = 1000;
constexpr std::int64_t MAX_SECONDS = 10ll * 365 * 24 * 3600; ///< no interval beyond ten years

using node::config_fail;

bool valid_port(int port) noexcept { return port >= 1 && port <= 65535; }

} // namespace

StoreLimits Config::store_limits() const noexcept {
    StoreLimits limits;
    limits.max_messages_per_client = max_messages_per_client;
    limits.max_bytes_per_client = max_bytes_per_client;
    limits.min_free_bytes = min_free_bytes;
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
    if (!node::valid_id(c.id)) return config_fail(ConfigErrc::invalid_id, "gateway.id");
    if (!node::valid_host(c.host) || node::unspecified_address(c.host))
        return config_fail(ConfigErrc::invalid_host, "gateway.host: a reachable host name or IP");
    if (!valid_port(c.mix_port)) return config_fail(ConfigErrc::invalid_port, "gateway.mix_port");
    if (!valid_port(c.clients_port)) return config_fail(ConfigErrc::invalid_port, "gateway.clients_port");
    if (c.mix_port == c.clients_port)
        return config_fail(ConfigErrc::invalid_port, "gateway.clients_port: must differ from mix_port");
    if (!node::valid_http_url(c.directory_url))
        return config_fail(ConfigErrc::invalid_url, "gateway.directory: must be an http:// or https:// URL");
    const std::pair<const std::filesystem::path*, const char*> paths[] = {
        {&c.private_identity_key_file, "keys.private_identity_key_file"},
        {&c.public_identity_key_file, "keys.public_identity_key_file"},
        {&c.private_sphinx_key_file, "keys.private_sphinx_key_file"},
        {&c.public_sphinx_key_file, "keys.public_sphinx_key_file"},
        {&c.database_file, "storage.database_file"},
    };
    for (const auto& [path, name] : paths)
        if (path->empty()) return config_fail(ConfigErrc::missing_field, name);
    if (c.max_messages_per_client == 0 || c.max_messages_per_client > static_cast<std::uint64_t>(INT64_MAX))
        return config_fail(ConfigErrc::invalid_value, "storage.max_messages_per_client: must be positive");
    if (c.max_bytes_per_client < wire::gateway::MAX_DELIVER_SIZE ||
        c.max_bytes_per_client > static_cast<std::uint64_t>(INT64_MAX))
        return config_fail(ConfigErrc::invalid_value,
                           "storage.max_bytes_per_client: must hold at least one 32 KiB message");
    if (c.message_max_age.count() <= 0 || c.message_max_age.count() > MAX_SECONDS)
        return config_fail(ConfigErrc::invalid_value,
                           "storage.message_max_age_secs: must be positive (at most ten years)");
    if (c.cleanup_interval.count() <= 0 || c.cleanup_interval.count() > MAX_SECONDS)
        return config_fail(ConfigErrc::invalid_value,
                           "storage.cleanup_interval_secs: must be positive (at most ten years)");
    if (c.message_retrieval_limit == 0 || c.message_retrieval_limit > MAX_RETRIEVAL_LIMIT)
        return config_fail(ConfigErrc::invalid_value, "storage.message_retrieval_limit: must be 1-1000");
    return {};
}

std::string render_config(const Config& c) {
    std::ostringstream out;
    out << "# nym-gateway configuration, written by `nym-gateway init`.\n"
        << "# Flags given on the command line override these values.\n\n"
        << "[gateway]\n"
        << "# Name of this gateway; its files live under <root>/<id>/ (root: ~/.nym/gateways).\n"
        << "id = " << node::toml_quote(c.id) << "\n"
        << "# Host name or IP that mix nodes and clients use to reach this gateway; announced to the directory.\n"
        << "host = " << node::toml_quote(c.host) << "\n"
        << "# TCP port for Sphinx packets from the last mix layer (Nym's default 1789).\n"
        << "mix_port = " << c.mix_port << "\n"
        << "# Websocket port for clients (Nym's default 9000).\n"
        << "clients_port = " << c.clients_port << "\n"
        << "# Base URL of the directory server that lists this gateway and its registered clients.\n"
        << "directory = " << node::toml_quote(c.directory_url) << "\n\n"
        << "[keys]\n"
        << "# Ed25519 identity: signs the directory heartbeat and the registration handshake. The private\n"
        << "# file is mode 0600; its base58 public key is this gateway's identity.\n"
        << "private_identity_key_file = " << node::toml_quote(c.private_identity_key_file.string()) << "\n"
        << "public_identity_key_file = " << node::toml_quote(c.public_identity_key_file.string()) << "\n"
        << "# X25519 Sphinx key: unwraps packets addressed to this gateway (the last hop). Private file 0600.\n"
        << "private_sphinx_key_file = " << node::toml_quote(c.private_sphinx_key_file.string()) << "\n"
        << "public_sphinx_key_file = " << node::toml_quote(c.public_sphinx_key_file.string()) << "\n\n"
        << "[storage]\n"
        << "# SQLite database of messages waiting for their clients and of the clients' shared keys. It\n"
        << "# holds secrets, so it is created mode 0600. A message is deleted once its client acknowledges it.\n"
        << "database_file = " << node::toml_quote(c.database_file.string()) << "\n"
        << "# Per-client quota: a message that would exceed either limit is dropped, not stored.\n"
        << "max_messages_per_client = " << c.max_messages_per_client << "\n"
        << "max_bytes_per_client = " << c.max_bytes_per_client << "\n"
        << "# Messages older than this many seconds are deleted, delivered or not (Nym: 24 h).\n"
        << "message_max_age_secs = " << c.message_max_age.count() << "\n"
        << "# How often, in seconds, expired messages are deleted (Nym: hourly).\n"
        << "cleanup_interval_secs = " << c.cleanup_interval.count() << "\n"
        << "# Stored messages pushed per batch when a client connects (Nym: 100).\n"
        << "message_retrieval_limit = " << c.message_retrieval_limit << "\n"
        << "# Free bytes kept on the database's file system: below this, messages and registrations are\n"
        << "# refused (and counted) so that acknowledged messages can still be deleted. 0 = no reserve.\n"
        << "min_free_bytes = " << c.min_free_bytes << "\n\n"
        << "[clients]\n"
        << "# A client connection that has not registered or authenticated this many seconds after it\n"
        << "# opened is closed.\n"
        << "authentication_timeout_secs = " << c.authentication_timeout.count() << "\n"
        << "# Client connections open at once from one IP address; more are refused.\n"
        << "max_connections_per_ip = " << c.max_connections_per_ip << "\n"
        << "# Registrations need no prior secret: at most this many per minute from one IP address, and\n"
        << "# in total; more are refused (busy).\n"
        << "registrations_per_minute_per_ip = " << c.registrations_per_minute_per_ip << "\n"
        << "registrations_per_minute = " << c.registrations_per_minute << "\n"
        << "# A registration that was never followed by an authentication, holds no message and is not\n"
        << "# connected is deleted this many seconds after it was made (by the expiry sweep).\n"
        << "unused_registration_ttl_secs = " << c.unused_registration_ttl.count() << "\n\n"
        << "[admin]\n"
        << "# An HTTP listener on 127.0.0.1 only, for the operator: GET /api/stats with per-client\n"
        << "# counters (the client port's /api/stats has aggregate counts only). Off unless enabled here\n"
        << "# or with `run --admin-port`.\n"
        << "enabled = " << (c.admin_enabled ? "true" : "false") << "\n"
        << "port = " << c.admin_port << "\n";
    return out.str();
}

ConfigResult<Config> parse_config(std::string_view text, const std::filesystem::path& base_dir) {
    auto parsed = node::ConfigDocument::parse(text);
    if (!parsed) return Unexpected(parsed.error());
    const node::ConfigDocument& doc = *parsed;
    Config c;
    const Config defaults;
    auto id = doc.string("gateway.id");
    if (!id) return Unexpected(id.error());
    c.id = *id;
    auto host = doc.string("gateway.host");
    if (!host) return Unexpected(host.error());
    c.host = *host;
    auto mix_port = doc.integer_or("gateway.mix_port", DEFAULT_MIX_PORT);
    if (!mix_port) return Unexpected(mix_port.error());
    if (*mix_port < 1 || *mix_port > 65535) return config_fail(ConfigErrc::invalid_port, "gateway.mix_port");
    c.mix_port = static_cast<int>(*mix_port);
    auto clients_port = doc.integer_or("gateway.clients_port", DEFAULT_CLIENTS_PORT);
    if (!clients_port) return Unexpected(clients_port.error());
    if (*clients_port < 1 || *clients_port > 65535) return config_fail(ConfigErrc::invalid_port, "gateway.clients_port");
    c.clients_port = static_cast<int>(*clients_port);
    auto directory = doc.string("gateway.directory");
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
        auto v = doc.string(name);
        if (!v) return Unexpected(v.error());
        *field = node::resolve_path(base_dir, *v);
    }

    auto max_messages = doc.integer_in_or("storage.max_messages_per_client", 1, INT64_MAX,
                                          static_cast<std::int64_t>(defaults.max_messages_per_client));
    if (!max_messages) return Unexpected(max_messages.error());
    c.max_messages_per_client = static_cast<std::uint64_t>(*max_messages);
    auto max_bytes = doc.integer_in_or("storage.max_bytes_per_client", 1, INT64_MAX,
                                       static_cast<std::int64_t>(defaults.max_bytes_per_client));
    if (!max_bytes) return Unexpected(max_bytes.error());
    c.max_bytes_per_client = static_cast<std::uint64_t>(*max_bytes);
    auto max_age = doc.integer_in_or("storage.message_max_age_secs", 1, MAX_SECONDS, defaults.message_max_age.count());
    if (!max_age) return Unexpected(max_age.error());
    c.message_max_age = std::chrono::seconds(*max_age);
    auto cleanup = doc.integer_in_or("storage.cleanup_interval_secs", 1, MAX_SECONDS, defaults.cleanup_interval.count());
    if (!cleanup) return Unexpected(cleanup.error());
    c.cleanup_interval = std::chrono::seconds(*cleanup);
    auto retrieval = doc.integer_in_or("storage.message_retrieval_limit", 1,
                                       static_cast<std::int64_t>(MAX_RETRIEVAL_LIMIT), defaults.message_retrieval_limit);
    if (!retrieval) return Unexpected(retrieval.error());
    c.message_retrieval_limit = static_cast<std::uint32_t>(*retrieval);
    auto reserve = doc.integer_in_or("storage.min_free_bytes", 0, INT64_MAX,
                                     static_cast<std::int64_t>(defaults.min_free_bytes));
    if (!reserve) return Unexpected(reserve.error());
    c.min_free_bytes = static_cast<std::uint64_t>(*reserve);
    auto auth_timeout = doc.integer_in_or("clients.authentication_timeout_secs", 1, 3600,
                                          defaults.authentication_timeout.count());
    if (!auth_timeout) return Unexpected(auth_timeout.error());
    c.authentication_timeout = std::chrono::seconds(*auth_timeout);
    auto per_ip = doc.integer_in_or("clients.max_connections_per_ip", 1, 1'000'000, defaults.max_connections_per_ip);
    if (!per_ip) return Unexpected(per_ip.error());
    c.max_connections_per_ip = static_cast<std::uint32_t>(*per_ip);
    auto reg_ip = doc.integer_in_or("clients.registrations_per_minute_per_ip", 1, 1'000'000,
                                    defaults.registrations_per_minute_per_ip);
    if (!reg_ip) return Unexpected(reg_ip.error());
    c.registrations_per_minute_per_ip = static_cast<std::uint32_t>(*reg_ip);
    auto reg_total = doc.integer_in_or("clients.registrations_per_minute", 1, 1'000'000, defaults.registrations_per_minute);
    if (!reg_total) return Unexpected(reg_total.error());
    c.registrations_per_minute = static_cast<std::uint32_t>(*reg_total);
    auto ttl = doc.integer_in_or("clients.unused_registration_ttl_secs", 1, MAX_SECONDS,
                                 defaults.unused_registration_ttl.count());
    if (!ttl) return Unexpected(ttl.error());
    c.unused_registration_ttl = std::chrono::seconds(*ttl);
    auto admin = doc.boolean_or("admin.enabled", defaults.admin_enabled);
    if (!admin) return Unexpected(admin.error());
    c.admin_enabled = *admin;
    auto admin_port = doc.integer_or("admin.port", defaults.admin_port);
    if (!admin_port) return Unexpected(admin_port.error());
    if (*admin_port < 1 || *admin_port > 65535) return config_fail(ConfigErrc::invalid_port, "admin.port");
    c.admin_port = static_cast<int>(*admin_port);

    if (auto v = validate(c); !v) return Unexpected(v.error());
    return c;
}

ConfigResult<Config> load_config(const std::filesystem::path& path) {
    auto text = node::read_text_file(path);
    if (!text) return Unexpected(text.error());
    auto c = parse_config(*text, path.parent_path());
    if (!c) return Unexpected(ConfigError(c.error().code, path.string() + ": " + c.error().detail));
    return c;
}

ConfigResult<void> save_config(const Config& config, const std::filesystem::path& path) {
    if (auto v = validate(config); !v) return v;
    return node::write_file_atomically(path, render_config(config));
}

ConfigResult<std::filesystem::path> default_root() { return node::default_root(ROLE_FOLDER); }

std::filesystem::path config_path(const std::filesystem::path& root, std::string_view id) {
    return node::config_path(root, id);
}

ConfigResult<GatewayKeys> load_keys(const Config& config) {
    using crypto::FileSecrecy;
    GatewayKeys keys;
    auto identity = node::read_key_array<32>(config.private_identity_key_file, IDENTITY_SECRET_PEM_LABEL,
                                             FileSecrecy::secret_file);
    if (!identity) return Unexpected(identity.error());
    keys.identity = crypto::Ed25519SecretKey::from_seed(std::span<const std::uint8_t, 32>(*identity));
    crypto::secure_wipe(identity->data(), identity->size());
    keys.identity_public = keys.identity.public_key();

    auto sphinx = node::read_key_array<32>(config.private_sphinx_key_file, SPHINX_SECRET_PEM_LABEL,
                                           FileSecrecy::secret_file);
    if (!sphinx) return Unexpected(sphinx.error());
    keys.sphinx = crypto::X25519SecretKey::from_bytes(std::span<const std::uint8_t, 32>(*sphinx));
    crypto::secure_wipe(sphinx->data(), sphinx->size());
    keys.sphinx_public = keys.sphinx.public_key();

    auto identity_public = node::read_key_array<32>(config.public_identity_key_file, IDENTITY_PUBLIC_PEM_LABEL,
                                                    FileSecrecy::public_file);
    if (!identity_public) return Unexpected(identity_public.error());
    if (*identity_public != keys.identity_public.bytes)
        return config_fail(ConfigErrc::key_error,
                           config.public_identity_key_file.string() + ": does not match the private key");
    auto sphinx_public = node::read_key_array<32>(config.public_sphinx_key_file, SPHINX_PUBLIC_PEM_LABEL,
                                                  FileSecrecy::public_file);
    if (!sphinx_public) return Unexpected(sphinx_public.error());
    if (*sphinx_public != keys.sphinx_public.bytes)
        return config_fail(ConfigErrc::key_error,
                           config.public_sphinx_key_file.string() + ": does not match the private key");
    return keys;
}

ConfigResult<InitResult> init_gateway(const InitOptions& options, crypto::Rng& rng) {
    using crypto::FileSecrecy;
    const std::filesystem::path dir = node::node_directory(options.root, options.id);
    const std::filesystem::path data = node::data_directory(options.root, options.id);
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
        return config_fail(ConfigErrc::already_exists, dir.string());

    const auto identity = crypto::Ed25519SecretKey::generate(rng);
    const auto sphinx = crypto::X25519SecretKey::generate(rng);
    InitResult result;
    result.identity_public = identity.public_key();
    result.sphinx_public = sphinx.public_key();

    if (auto r = node::write_key(c.private_identity_key_file, IDENTITY_SECRET_PEM_LABEL, identity.seed(), FileSecrecy::secret_file); !r)
        return Unexpected(r.error());
    if (auto r = node::write_key(c.public_identity_key_file, IDENTITY_PUBLIC_PEM_LABEL, result.identity_public.bytes,
                           FileSecrecy::public_file);
        !r)
        return Unexpected(r.error());
    if (auto r = node::write_key(c.private_sphinx_key_file, SPHINX_SECRET_PEM_LABEL, sphinx.bytes(), FileSecrecy::secret_file); !r)
        return Unexpected(r.error());
    if (auto r = node::write_key(c.public_sphinx_key_file, SPHINX_PUBLIC_PEM_LABEL, result.sphinx_public.bytes,
                           FileSecrecy::public_file);
        !r)
        return Unexpected(r.error());
    // Create the database now, so init fails early on a file system SQLite cannot use. An existing
    // database (init --force) is kept: its messages still belong to their clients.
    if (auto store = MessageStore::open(c.database_file, c.store_limits()); !store)
        return config_fail(ConfigErrc::io_error, c.database_file.string() + ": " + store.error().message());
    if (auto r = save_config(c, config_file); !r) return Unexpected(r.error());

    result.config = std::move(c);
    result.config_file = config_file;
    return result;
}

} // namespace nym::gateway
