#include <client/config.hpp>

#include <client/api_access.hpp>

#include <util/duration.hpp>

#include <crypto/base58.hpp>
#include <crypto/pem.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>

namespace nym::client {
namespace {

using std::chrono::microseconds;
using node::config_fail;
using node::ConfigDocument;

constexpr std::int64_t MAX_DURATION_US = util::MAX_DURATION.count(); ///< one year
constexpr std::size_t MIN_REQUEST_SIZE = 1024;
constexpr std::size_t MAX_REQUEST_SIZE = 256u * 1024 * 1024;
constexpr std::size_t MAX_MESSAGE_SIZE = 256u * 1024 * 1024;
constexpr std::int64_t MAX_RETRANSMISSIONS = 1'000'000;

bool valid_listener(std::string_view text) noexcept {
    if (text.empty()) return true; // unknown until the topology names it
    return text.size() <= 512 && std::all_of(text.begin(), text.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u < 0x7f && c != '"' && c != '\\';
    });
}

/// An optional duration string ("15ms"): the default when absent.
ConfigResult<microseconds> get_duration(const ConfigDocument& doc, std::string_view path, microseconds fallback) {
    if (!doc.has(path)) return fallback;
    auto text = doc.string(path);
    if (!text)
        return config_fail(ConfigErrc::wrong_type, std::string(path) + ": must be a duration string such as \"15ms\"");
    auto d = parse_duration(*text);
    if (!d) return config_fail(ConfigErrc::invalid_value, std::string(path) + ": not a duration (use e.g. \"15ms\", \"2s\")");
    return *d;
}

bool duration_in_range(microseconds d, bool allow_zero) noexcept {
    return d.count() <= MAX_DURATION_US && (allow_zero ? d.count() >= 0 : d.count() > 0);
}

} // namespace

std::string_view to_string(SocketType type) noexcept {
    switch (type) {
    case SocketType::websocket: return "websocket";
    case SocketType::tcp: return "tcp";
    case SocketType::none: return "none";
    }
    return "none";
}

std::optional<SocketType> parse_socket_type(std::string_view text) noexcept {
    std::string lower(text.size(), '\0');
    std::transform(text.begin(), text.end(), lower.begin(), [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    });
    if (lower == "websocket") return SocketType::websocket;
    if (lower == "tcp") return SocketType::tcp;
    if (lower == "none") return SocketType::none;
    return std::nullopt;
}

std::optional<microseconds> parse_duration(std::string_view text) noexcept {
    return util::parse_duration(text, std::chrono::milliseconds(1)); // a bare number counts milliseconds
}

std::string format_duration(microseconds d) {
    const std::int64_t us = d.count();
    if (us != 0 && us % 3'600'000'000 == 0) return std::to_string(us / 3'600'000'000) + "h";
    if (us != 0 && us % 60'000'000 == 0) return std::to_string(us / 60'000'000) + "m";
    if (us != 0 && us % 1'000'000 == 0) return std::to_string(us / 1'000'000) + "s";
    if (us % 1000 == 0) return std::to_string(us / 1000) + "ms";
    return std::to_string(us) + "us";
}

Expected<ConfigOverrides, std::string> overrides_from(const ConfigFlags& f) {
    ConfigOverrides o;
    if (!f.directory.empty()) o.directory_url = f.directory;
    if (!f.socket_type.empty()) {
        auto type = parse_socket_type(f.socket_type);
        if (!type) return Unexpected("invalid --socket-type '" + f.socket_type + "' (use websocket, tcp or none)");
        o.socket_type = *type;
    }
    o.listening_port = f.port;
    const std::pair<const std::string*, std::optional<microseconds>*> durations[] = {
        {&f.packet_delay, &o.average_packet_delay},
        {&f.ack_delay, &o.average_ack_delay},
        {&f.send_delay, &o.message_sending_average_delay},
        {&f.loop_delay, &o.loop_cover_average_delay},
        {&f.ack_wait_addition, &o.ack_wait_addition},
        {&f.topology_refresh, &o.topology_refresh_rate},
    };
    for (const auto& [text, target] : durations) {
        if (text->empty()) continue;
        auto d = parse_duration(*text);
        if (!d) return Unexpected("invalid duration '" + *text + "' (use e.g. 15ms, 2s, 500us)");
        *target = *d;
    }
    o.ack_wait_multiplier = f.ack_wait_multiplier;
    o.max_retransmissions = f.max_retransmissions;
    o.max_message_size = f.max_message_size;
    o.max_request_size = f.max_request_size;
    if (f.disable_cover || f.disable_loop_cover) o.disable_loop_cover = true;
    if (f.disable_cover || f.disable_main_poisson) o.disable_main_poisson = true;
    return o;
}

Expected<std::optional<crypto::Ed25519PublicKey>, std::string> parse_gateway_flag(std::string_view text) {
    if (text.empty()) return std::optional<crypto::Ed25519PublicKey>();
    auto bytes = crypto::base58_decode(text);
    if (!bytes || bytes->size() != 32)
        return Unexpected("invalid --gateway '" + std::string(text) + "': expected a base58 Ed25519 key");
    crypto::Ed25519PublicKey key;
    std::copy(bytes->begin(), bytes->end(), key.bytes.begin());
    return std::optional<crypto::Ed25519PublicKey>(key);
}

Config merge(Config base, const ConfigOverrides& o) {
    if (o.directory_url) base.directory_url = *o.directory_url;
    if (o.socket_type) base.socket_type = *o.socket_type;
    if (o.listening_port) base.listening_port = *o.listening_port;
    if (o.max_request_size) base.max_request_size = *o.max_request_size;
    if (o.average_packet_delay) base.traffic.average_packet_delay = *o.average_packet_delay;
    if (o.average_ack_delay) base.traffic.average_ack_delay = *o.average_ack_delay;
    if (o.message_sending_average_delay) base.traffic.message_sending_average_delay = *o.message_sending_average_delay;
    if (o.loop_cover_average_delay) base.traffic.loop_cover_average_delay = *o.loop_cover_average_delay;
    if (o.ack_wait_addition) base.traffic.ack_wait_addition = *o.ack_wait_addition;
    if (o.ack_wait_multiplier) base.traffic.ack_wait_multiplier = *o.ack_wait_multiplier;
    if (o.max_retransmissions) base.traffic.max_retransmissions = *o.max_retransmissions;
    if (o.max_message_size) base.traffic.max_message_size = *o.max_message_size;
    if (o.disable_main_poisson) base.traffic.disable_main_poisson = *o.disable_main_poisson;
    if (o.disable_loop_cover) base.traffic.disable_loop_cover = *o.disable_loop_cover;
    if (o.topology_refresh_rate) base.topology_refresh_rate = *o.topology_refresh_rate;
    return base;
}

Expected<ClientSettings, std::string> run_settings(const std::filesystem::path& root, std::string_view id,
                                                   const ConfigOverrides& overrides,
                                                   const std::optional<crypto::Ed25519PublicKey>& gateway) {
    ClientSettings settings;
    settings.config_file = config_path(root, id);
    auto loaded = load_config(settings.config_file);
    if (!loaded && loaded.error() == ConfigErrc::missing_file)
        return Unexpected("client '" + std::string(id) + "' does not exist (no " + settings.config_file.string() +
                          "; run `nym-client init --id " + std::string(id) + "` first)");
    if (!loaded) return Unexpected(loaded.error().message());
    settings.config = merge(*loaded, overrides);
    if (gateway && *gateway != settings.config.gateway_identity) {
        settings.config.gateway_identity = *gateway;
        settings.config.gateway_listener.clear();
        settings.register_again = true;
    }
    if (auto valid = validate(settings.config); !valid) return Unexpected(valid.error().message());
    return settings;
}

ConfigResult<void> validate(const Config& c) {
    if (!valid_id(c.id)) return config_fail(ConfigErrc::invalid_id, "client.id: 1-64 characters of A-Z a-z 0-9 _ -");
    if (!node::valid_http_url(c.directory_url))
        return config_fail(ConfigErrc::invalid_url, "client.directory: must be an http:// or https:// URL");
    if (c.gateway_identity == crypto::Ed25519PublicKey{})
        return config_fail(ConfigErrc::missing_field, "gateway.id: missing");
    if (!valid_listener(c.gateway_listener))
        return config_fail(ConfigErrc::invalid_value, "gateway.listener: must be a ws://host:port URL");
    const std::pair<const std::filesystem::path*, const char*> paths[] = {
        {&c.private_identity_key_file, "keys.private_identity_key_file"},
        {&c.public_identity_key_file, "keys.public_identity_key_file"},
        {&c.gateway_shared_key_file, "keys.gateway_shared_key_file"},
    };
    for (const auto& [path, name] : paths)
        if (path->empty()) return config_fail(ConfigErrc::missing_field, std::string(name) + ": missing");
    if (c.listening_port < 0 || c.listening_port > 65535)
        return config_fail(ConfigErrc::invalid_port, "socket.listening_port: must be 0-65535 (0 = any free port)");
    for (const auto& origin : c.allowed_origins)
        if (!normalise_origin(origin))
            return config_fail(ConfigErrc::invalid_value,
                               "socket.allowed_origins: '" + origin.substr(0, 64) + "' is not an origin (e.g. \"https://app.example\")");
    if (c.max_request_size < MIN_REQUEST_SIZE || c.max_request_size > MAX_REQUEST_SIZE)
        return config_fail(ConfigErrc::invalid_value, "socket.max_request_size: must be 1 KiB - 256 MiB");

    const auto& t = c.traffic;
    const std::pair<microseconds, const char*> delays[] = {
        {t.average_packet_delay, "traffic.average_packet_delay"},
        {t.average_ack_delay, "traffic.average_ack_delay"},
        {t.ack_wait_addition, "acknowledgements.ack_wait_addition"},
    };
    for (const auto& [d, name] : delays)
        if (!duration_in_range(d, true))
            return config_fail(ConfigErrc::invalid_value, std::string(name) + ": must be 0 to one year");
    const std::pair<microseconds, const char*> rates[] = {
        {t.message_sending_average_delay, "traffic.message_sending_average_delay"},
        {t.loop_cover_average_delay, "cover_traffic.loop_cover_traffic_average_delay"},
        {c.topology_refresh_rate, "topology.topology_refresh_rate"},
        {c.topology_resolution_timeout, "topology.topology_resolution_timeout"},
        {c.gateway_connection_timeout, "gateway.connection_timeout"},
    };
    for (const auto& [d, name] : rates)
        if (!duration_in_range(d, false))
            return config_fail(ConfigErrc::invalid_value, std::string(name) + ": must be positive (at most one year)");
    if (t.message_sending_average_delay < microseconds(100) || t.loop_cover_average_delay < microseconds(100))
        return config_fail(ConfigErrc::invalid_value, "traffic: Poisson mean gaps must be at least 100us");
    if (!std::isfinite(t.ack_wait_multiplier) || t.ack_wait_multiplier < 1.0 || t.ack_wait_multiplier > 100.0)
        return config_fail(ConfigErrc::invalid_value, "acknowledgements.ack_wait_multiplier: must be 1-100");
    if (t.max_retransmissions && *t.max_retransmissions > MAX_RETRANSMISSIONS)
        return config_fail(ConfigErrc::invalid_value, "traffic.maximum_number_of_retransmissions: at most 1000000");
    if (t.max_message_size == 0 || t.max_message_size > MAX_MESSAGE_SIZE)
        return config_fail(ConfigErrc::invalid_value, "traffic.max_message_size: must be 1 B - 256 MiB");
    return {};
}

std::string render_config(const Config& c) {
    const auto& t = c.traffic;
    std::ostringstream out;
    out << "# nym-client configuration, written by `nym-client init`.\n"
        << "# Flags given to `nym-client run` override these values.\n"
        << "# Durations are strings: an integer and a unit, us, ms, s, m or h (\"15ms\", \"30s\").\n\n"
        << "[client]\n"
        << "# Name of this client; its files live under <root>/<id>/ (root: ~/.nym/clients).\n"
        << "id = " << node::toml_quote(c.id) << "\n"
        << "# Base URL of the directory server that publishes the mixnet topology.\n"
        << "directory = " << node::toml_quote(c.directory_url) << "\n\n"
        << "[gateway]\n"
        << "# Base58 Ed25519 identity of the gateway this client registered at. It is half of the client's\n"
        << "# address (identity@gateway). `nym-client run --gateway KEY` registers at another gateway and\n"
        << "# rewrites this value (the address changes with it).\n"
        << "id = " << node::toml_quote(crypto::base58_encode(c.gateway_identity.bytes)) << "\n"
        << "# The gateway's client websocket when the client last saw it; the topology's value wins.\n"
        << "listener = " << node::toml_quote(c.gateway_listener) << "\n"
        << "# How long to wait for the gateway's websocket handshake.\n"
        << "connection_timeout = " << node::toml_quote(format_duration(c.gateway_connection_timeout)) << "\n\n"
        << "[keys]\n"
        << "# Ed25519 identity: the client's address, the Sphinx destination and the key that end-to-end\n"
        << "# encryption is derived from. The private file is mode 0600.\n"
        << "private_identity_key_file = " << node::toml_quote(c.private_identity_key_file.string()) << "\n"
        << "public_identity_key_file = " << node::toml_quote(c.public_identity_key_file.string()) << "\n"
        << "# The key agreed with the gateway at registration; authenticates every reconnection. 0600.\n"
        << "gateway_shared_key_file = " << node::toml_quote(c.gateway_shared_key_file.string()) << "\n\n"
        << "[socket]\n"
        << "# How applications talk to this client: 'websocket' (ws://127.0.0.1:<port>/mix, loopback only),\n"
        << "# 'tcp' (protobuf requests with an 8-byte length prefix on 127.0.0.1:<port>) or 'none'.\n"
        << "socket_type = " << node::toml_quote(to_string(c.socket_type)) << "\n"
        << "# Port of the API (default 9001; 0 = any free port, printed at start).\n"
        << "listening_port = " << c.listening_port << "\n"
        << "# Largest API request frame in bytes; larger ones are answered with an error.\n"
        << "max_request_size = " << c.max_request_size << "\n"
        << "# Web origins whose pages may open the websocket API, e.g. [\"https://app.example\"]. Programs send no\n"
        << "# Origin and are always served; a browser page from any other site is refused (403), and so is a\n"
        << "# request whose Host is not 127.0.0.1, localhost or [::1] with this port.\n"
        << "allowed_origins = [";
    for (std::size_t i = 0; i < c.allowed_origins.size(); ++i)
        out << (i == 0 ? "" : ", ") << node::toml_quote(c.allowed_origins[i]);
    out << "]\n\n"
        << "[traffic]\n"
        << "# Mean of the exponentially distributed delay each mix node holds a packet (Nym: 15ms).\n"
        << "average_packet_delay = " << node::toml_quote(format_duration(t.average_packet_delay)) << "\n"
        << "# Mean gap of the main Poisson stream: each tick sends a queued real packet or else cover (Nym: 20ms).\n"
        << "message_sending_average_delay = " << node::toml_quote(format_duration(t.message_sending_average_delay)) << "\n"
        << "# Send real packets as soon as they are queued, with no cover on the main stream (less private).\n"
        << "disable_main_poisson_packet_distribution = " << (t.disable_main_poisson ? "true" : "false") << "\n"
        << "# With the Poisson stream off: most fragments sent and not yet acknowledged (congestion window cap).\n"
        << "max_in_flight = " << t.max_in_flight << "\n"
        << "# Retransmissions of an unacknowledged packet before its message is abandoned; absent = unlimited.\n";
    if (t.max_retransmissions)
        out << "maximum_number_of_retransmissions = " << *t.max_retransmissions << "\n";
    else
        out << "# maximum_number_of_retransmissions = 10\n";
    out << "# Largest message accepted by `send`, in bytes; longer messages are split into many packets.\n"
        << "max_message_size = " << t.max_message_size << "\n\n"
        << "[cover_traffic]\n"
        << "# Mean gap of the independent loop-cover Poisson stream (Nym: 200ms).\n"
        << "loop_cover_traffic_average_delay = " << node::toml_quote(format_duration(t.loop_cover_average_delay)) << "\n"
        << "disable_loop_cover_traffic_stream = " << (t.disable_loop_cover ? "true" : "false") << "\n\n"
        << "[acknowledgements]\n"
        << "# Per-hop mean delay of the SURB-acks that confirm each packet's arrival.\n"
        << "average_ack_delay = " << node::toml_quote(format_duration(t.average_ack_delay)) << "\n"
        << "# A packet is resent when no ack arrived within multiplier x expected round trip + addition.\n"
        << "ack_wait_multiplier = " << t.ack_wait_multiplier << "\n"
        << "ack_wait_addition = " << node::toml_quote(format_duration(t.ack_wait_addition)) << "\n\n"
        << "[topology]\n"
        << "# How often the topology is fetched again from the directory, and the timeout of one fetch.\n"
        << "topology_refresh_rate = " << node::toml_quote(format_duration(c.topology_refresh_rate)) << "\n"
        << "topology_resolution_timeout = " << node::toml_quote(format_duration(c.topology_resolution_timeout)) << "\n";
    return out.str();
}

ConfigResult<Config> parse_config(std::string_view text, const std::filesystem::path& base_dir) {
    auto parsed = ConfigDocument::parse(text);
    if (!parsed) return Unexpected(parsed.error());
    const ConfigDocument& doc = *parsed;
    Config c;
    const Config defaults;
#define NYM_TRY_ASSIGN(target, expr)                                                                                   \
    do {                                                                                                               \
        auto nym_v = (expr);                                                                                           \
        if (!nym_v) return Unexpected(nym_v.error());                                                                  \
        target = *nym_v;                                                                                               \
    } while (false)

    NYM_TRY_ASSIGN(c.id, doc.string("client.id"));
    NYM_TRY_ASSIGN(c.directory_url, doc.string("client.directory"));

    std::string gateway;
    NYM_TRY_ASSIGN(gateway, doc.string("gateway.id"));
    auto gateway_bytes = crypto::base58_decode(gateway);
    if (!gateway_bytes || gateway_bytes->size() != 32)
        return config_fail(ConfigErrc::invalid_value, "gateway.id: must be a base58 Ed25519 key (32 bytes)");
    std::copy(gateway_bytes->begin(), gateway_bytes->end(), c.gateway_identity.bytes.begin());
    NYM_TRY_ASSIGN(c.gateway_listener, doc.string_or("gateway.listener", ""));
    NYM_TRY_ASSIGN(c.gateway_connection_timeout,
                   get_duration(doc, "gateway.connection_timeout", defaults.gateway_connection_timeout));

    const std::pair<std::filesystem::path*, const char*> paths[] = {
        {&c.private_identity_key_file, "keys.private_identity_key_file"},
        {&c.public_identity_key_file, "keys.public_identity_key_file"},
        {&c.gateway_shared_key_file, "keys.gateway_shared_key_file"},
    };
    for (const auto& [field, name] : paths) {
        auto v = doc.string(name);
        if (!v) return Unexpected(v.error());
        *field = node::resolve_path(base_dir, *v);
    }

    std::string socket_type;
    NYM_TRY_ASSIGN(socket_type, doc.string_or("socket.socket_type", std::string(to_string(defaults.socket_type))));
    auto type = parse_socket_type(socket_type);
    if (!type) return config_fail(ConfigErrc::invalid_value, "socket.socket_type: must be 'websocket', 'tcp' or 'none'");
    c.socket_type = *type;
    std::int64_t port = 0;
    NYM_TRY_ASSIGN(port, doc.integer_in_or("socket.listening_port", 0, 65535, DEFAULT_API_PORT));
    c.listening_port = static_cast<int>(port);
    std::int64_t request_size = 0;
    NYM_TRY_ASSIGN(request_size, doc.integer_in_or("socket.max_request_size", static_cast<std::int64_t>(MIN_REQUEST_SIZE),
                                                   static_cast<std::int64_t>(MAX_REQUEST_SIZE),
                                                   static_cast<std::int64_t>(defaults.max_request_size)));
    c.max_request_size = static_cast<std::size_t>(request_size);
    NYM_TRY_ASSIGN(c.allowed_origins, doc.strings_or("socket.allowed_origins", {}));

    auto& t = c.traffic;
    const auto& dt = defaults.traffic;
    NYM_TRY_ASSIGN(t.average_packet_delay, get_duration(doc, "traffic.average_packet_delay", dt.average_packet_delay));
    NYM_TRY_ASSIGN(t.message_sending_average_delay,
                   get_duration(doc, "traffic.message_sending_average_delay", dt.message_sending_average_delay));
    NYM_TRY_ASSIGN(t.disable_main_poisson,
                   doc.boolean_or("traffic.disable_main_poisson_packet_distribution", dt.disable_main_poisson));
    std::int64_t in_flight = 0;
    NYM_TRY_ASSIGN(in_flight,
                   doc.integer_in_or("traffic.max_in_flight", 8, 65536, static_cast<std::int64_t>(dt.max_in_flight)));
    t.max_in_flight = static_cast<std::size_t>(in_flight);
    if (doc.has("traffic.maximum_number_of_retransmissions")) {
        std::int64_t retransmissions = 0;
        NYM_TRY_ASSIGN(retransmissions,
                       doc.integer_in("traffic.maximum_number_of_retransmissions", 0, MAX_RETRANSMISSIONS));
        t.max_retransmissions = static_cast<std::uint32_t>(retransmissions);
    }
    std::int64_t message_size = 0;
    NYM_TRY_ASSIGN(message_size, doc.integer_in_or("traffic.max_message_size", 1,
                                                   static_cast<std::int64_t>(MAX_MESSAGE_SIZE),
                                                   static_cast<std::int64_t>(dt.max_message_size)));
    t.max_message_size = static_cast<std::size_t>(message_size);
    NYM_TRY_ASSIGN(t.loop_cover_average_delay,
                   get_duration(doc, "cover_traffic.loop_cover_traffic_average_delay", dt.loop_cover_average_delay));
    NYM_TRY_ASSIGN(t.disable_loop_cover,
                   doc.boolean_or("cover_traffic.disable_loop_cover_traffic_stream", dt.disable_loop_cover));
    NYM_TRY_ASSIGN(t.average_ack_delay, get_duration(doc, "acknowledgements.average_ack_delay", dt.average_ack_delay));
    NYM_TRY_ASSIGN(t.ack_wait_multiplier, doc.number_or("acknowledgements.ack_wait_multiplier", dt.ack_wait_multiplier));
    NYM_TRY_ASSIGN(t.ack_wait_addition, get_duration(doc, "acknowledgements.ack_wait_addition", dt.ack_wait_addition));
    NYM_TRY_ASSIGN(c.topology_refresh_rate,
                   get_duration(doc, "topology.topology_refresh_rate", defaults.topology_refresh_rate));
    NYM_TRY_ASSIGN(c.topology_resolution_timeout,
                   get_duration(doc, "topology.topology_resolution_timeout", defaults.topology_resolution_timeout));
#undef NYM_TRY_ASSIGN

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

std::filesystem::path client_directory(const std::filesystem::path& root, std::string_view id) {
    return node::node_directory(root, id);
}

std::filesystem::path config_path(const std::filesystem::path& root, std::string_view id) {
    return node::config_path(root, id);
}

Config default_config(const std::filesystem::path& root, std::string_view id) {
    Config c;
    c.id = std::string(id);
    const std::filesystem::path data = client_directory(root, id) / "data";
    c.private_identity_key_file = data / "private_identity.pem";
    c.public_identity_key_file = data / "public_identity.pem";
    c.gateway_shared_key_file = data / "gateway_shared_key.pem";
    return c;
}

ConfigResult<ClientKeys> load_keys(const Config& config) {
    using crypto::FileSecrecy;
    auto seed = node::read_key_array<32>(config.private_identity_key_file, IDENTITY_SECRET_PEM_LABEL,
                                         FileSecrecy::secret_file);
    if (!seed) return Unexpected(seed.error());
    ClientKeys keys;
    keys.identity = crypto::Ed25519SecretKey::from_seed(std::span<const std::uint8_t, 32>(*seed));
    crypto::secure_wipe(seed->data(), seed->size());
    keys.identity_public = keys.identity.public_key();
    auto identity_public =
        node::read_key_array<32>(config.public_identity_key_file, IDENTITY_PUBLIC_PEM_LABEL, FileSecrecy::public_file);
    if (!identity_public) return Unexpected(identity_public.error());
    if (*identity_public != keys.identity_public.bytes)
        return config_fail(ConfigErrc::key_error,
                           config.public_identity_key_file.string() + ": does not match the private key");
    return keys;
}

ConfigResult<wire::gateway::SharedKey> load_shared_key(const Config& config) {
    auto bytes = node::read_key_array<32>(config.gateway_shared_key_file, SHARED_KEY_PEM_LABEL,
                                          crypto::FileSecrecy::secret_file);
    if (!bytes) return Unexpected(bytes.error());
    wire::gateway::SharedKey key{std::span<const std::uint8_t, 32>(*bytes)};
    crypto::secure_wipe(bytes->data(), bytes->size());
    return key;
}

ConfigResult<void> save_shared_key(const Config& config, const wire::gateway::SharedKey& key) {
    return node::write_key(config.gateway_shared_key_file, SHARED_KEY_PEM_LABEL, key.bytes(),
                           crypto::FileSecrecy::secret_file);
}

ConfigResult<void> write_client(const Config& config, const std::filesystem::path& config_file,
                                const crypto::Ed25519SecretKey& identity, const wire::gateway::SharedKey& shared_key,
                                bool force) {
    using crypto::FileSecrecy;
    if (auto v = validate(config); !v) return v;
    std::error_code ec;
    if (!force && (std::filesystem::exists(config_file, ec) || std::filesystem::exists(config.private_identity_key_file, ec)))
        return config_fail(ConfigErrc::already_exists, config_file.parent_path().parent_path().string());
    const auto identity_public = identity.public_key();
    if (auto r = node::write_key(config.private_identity_key_file, IDENTITY_SECRET_PEM_LABEL, identity.seed(),
                           FileSecrecy::secret_file);
        !r)
        return r;
    if (auto r = node::write_key(config.public_identity_key_file, IDENTITY_PUBLIC_PEM_LABEL, identity_public.bytes,
                           FileSecrecy::public_file);
        !r)
        return r;
    if (auto r = save_shared_key(config, shared_key); !r) return r;
    // The config goes last: a client folder with a config is a complete client.
    return save_config(config, config_file);
}

} // namespace nym::client
