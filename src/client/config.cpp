#include <client/config.hpp>

#include <util/duration.hpp>

#include <crypto/base58.hpp>
#include <crypto/pem.hpp>

#include <toml++/toml.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

namespace nym::client {
namespace {

using std::chrono::microseconds;

constexpr std::uintmax_t MAX_CONFIG_FILE_SIZE = 1024 * 1024;
constexpr std::int64_t MAX_DURATION_US = util::MAX_DURATION.count(); ///< one year
constexpr std::size_t MIN_REQUEST_SIZE = 1024;
constexpr std::size_t MAX_REQUEST_SIZE = 256u * 1024 * 1024;
constexpr std::size_t MAX_MESSAGE_SIZE = 256u * 1024 * 1024;
constexpr std::int64_t MAX_RETRANSMISSIONS = 1'000'000;

Unexpected<ConfigError> config_fail(Errc e, std::string detail = {}) {
    return Unexpected<ConfigError>(ConfigError(e, std::move(detail)));
}

bool valid_url(std::string_view url) noexcept {
    std::string_view rest;
    if (url.starts_with("http://")) rest = url.substr(7);
    else if (url.starts_with("https://")) rest = url.substr(8);
    else return false;
    const auto host = rest.substr(0, rest.find('/'));
    return !host.empty() && url.size() <= 2048 && std::all_of(url.begin(), url.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u < 0x7f && c != '"' && c != '\\';
    });
}

bool valid_listener(std::string_view text) noexcept {
    if (text.empty()) return true; // unknown until the topology names it
    return text.size() <= 512 && std::all_of(text.begin(), text.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u < 0x7f && c != '"' && c != '\\';
    });
}

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

ConfigResult<std::string> get_string_or(const toml::table& root, std::string_view path, std::string fallback) {
    if (find(root, path) == nullptr) return fallback;
    return get_string(root, path);
}

/// An optional integer in [min, max]: the default when absent.
ConfigResult<std::int64_t> get_ranged(const toml::table& root, std::string_view path, std::int64_t fallback,
                                      std::int64_t min, std::int64_t max) {
    const toml::node* n = find(root, path);
    if (n == nullptr) return fallback;
    const auto* v = n->as_integer();
    if (v == nullptr) return config_fail(Errc::invalid_config, std::string(path) + ": must be an integer");
    if (v->get() < min || v->get() > max)
        return config_fail(Errc::invalid_config,
                           std::string(path) + ": must be in " + std::to_string(min) + ".." + std::to_string(max));
    return v->get();
}

ConfigResult<bool> get_bool(const toml::table& root, std::string_view path, bool fallback) {
    const toml::node* n = find(root, path);
    if (n == nullptr) return fallback;
    const auto* v = n->as_boolean();
    if (v == nullptr) return config_fail(Errc::invalid_config, std::string(path) + ": must be true or false");
    return v->get();
}

ConfigResult<double> get_double(const toml::table& root, std::string_view path, double fallback) {
    const toml::node* n = find(root, path);
    if (n == nullptr) return fallback;
    if (const auto* i = n->as_integer()) return static_cast<double>(i->get());
    const auto* v = n->as_floating_point();
    if (v == nullptr) return config_fail(Errc::invalid_config, std::string(path) + ": must be a number");
    return v->get();
}

ConfigResult<microseconds> get_duration(const toml::table& root, std::string_view path, microseconds fallback) {
    const toml::node* n = find(root, path);
    if (n == nullptr) return fallback;
    const auto* v = n->as_string();
    if (v == nullptr)
        return config_fail(Errc::invalid_config, std::string(path) + ": must be a duration string such as \"15ms\"");
    auto d = parse_duration(v->get());
    if (!d) return config_fail(Errc::invalid_config, std::string(path) + ": not a duration (use e.g. \"15ms\", \"2s\")");
    return *d;
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

std::string ConfigError::message() const {
    std::string m = code.message();
    if (!detail.empty()) m += " (" + detail + ")";
    return m;
}

bool valid_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > MAX_ID_LENGTH) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
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

ConfigResult<void> validate(const Config& c) {
    if (!valid_id(c.id)) return config_fail(Errc::invalid_config, "client.id: 1-64 characters of A-Z a-z 0-9 _ -");
    if (!valid_url(c.directory_url))
        return config_fail(Errc::invalid_config, "client.directory: must be an http:// or https:// URL");
    if (c.gateway_identity == crypto::Ed25519PublicKey{})
        return config_fail(Errc::invalid_config, "gateway.id: missing");
    if (!valid_listener(c.gateway_listener))
        return config_fail(Errc::invalid_config, "gateway.listener: must be a ws://host:port URL");
    const std::pair<const std::filesystem::path*, const char*> paths[] = {
        {&c.private_identity_key_file, "keys.private_identity_key_file"},
        {&c.public_identity_key_file, "keys.public_identity_key_file"},
        {&c.gateway_shared_key_file, "keys.gateway_shared_key_file"},
    };
    for (const auto& [path, name] : paths)
        if (path->empty()) return config_fail(Errc::invalid_config, std::string(name) + ": missing");
    if (c.listening_port < 0 || c.listening_port > 65535)
        return config_fail(Errc::invalid_config, "socket.listening_port: must be 0-65535 (0 = any free port)");
    if (c.max_request_size < MIN_REQUEST_SIZE || c.max_request_size > MAX_REQUEST_SIZE)
        return config_fail(Errc::invalid_config, "socket.max_request_size: must be 1 KiB - 256 MiB");

    const auto& t = c.traffic;
    const std::pair<microseconds, const char*> delays[] = {
        {t.average_packet_delay, "traffic.average_packet_delay"},
        {t.average_ack_delay, "traffic.average_ack_delay"},
        {t.ack_wait_addition, "acknowledgements.ack_wait_addition"},
    };
    for (const auto& [d, name] : delays)
        if (!duration_in_range(d, true))
            return config_fail(Errc::invalid_config, std::string(name) + ": must be 0 to one year");
    const std::pair<microseconds, const char*> rates[] = {
        {t.message_sending_average_delay, "traffic.message_sending_average_delay"},
        {t.loop_cover_average_delay, "cover_traffic.loop_cover_traffic_average_delay"},
        {c.topology_refresh_rate, "topology.topology_refresh_rate"},
        {c.topology_resolution_timeout, "topology.topology_resolution_timeout"},
        {c.gateway_connection_timeout, "gateway.connection_timeout"},
    };
    for (const auto& [d, name] : rates)
        if (!duration_in_range(d, false))
            return config_fail(Errc::invalid_config, std::string(name) + ": must be positive (at most one year)");
    if (t.message_sending_average_delay < microseconds(100) || t.loop_cover_average_delay < microseconds(100))
        return config_fail(Errc::invalid_config, "traffic: Poisson mean gaps must be at least 100us");
    if (!std::isfinite(t.ack_wait_multiplier) || t.ack_wait_multiplier < 1.0 || t.ack_wait_multiplier > 100.0)
        return config_fail(Errc::invalid_config, "acknowledgements.ack_wait_multiplier: must be 1-100");
    if (t.max_retransmissions && *t.max_retransmissions > MAX_RETRANSMISSIONS)
        return config_fail(Errc::invalid_config, "traffic.maximum_number_of_retransmissions: at most 1000000");
    if (t.max_message_size == 0 || t.max_message_size > MAX_MESSAGE_SIZE)
        return config_fail(Errc::invalid_config, "traffic.max_message_size: must be 1 B - 256 MiB");
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
        << "id = " << quote(c.id) << "\n"
        << "# Base URL of the directory server that publishes the mixnet topology.\n"
        << "directory = " << quote(c.directory_url) << "\n\n"
        << "[gateway]\n"
        << "# Base58 Ed25519 identity of the gateway this client registered at. It is half of the client's\n"
        << "# address (identity@gateway). `nym-client run --gateway KEY` registers at another gateway and\n"
        << "# rewrites this value (the address changes with it).\n"
        << "id = " << quote(crypto::base58_encode(c.gateway_identity.bytes)) << "\n"
        << "# The gateway's client websocket when the client last saw it; the topology's value wins.\n"
        << "listener = " << quote(c.gateway_listener) << "\n"
        << "# How long to wait for the gateway's websocket handshake.\n"
        << "connection_timeout = " << quote(format_duration(c.gateway_connection_timeout)) << "\n\n"
        << "[keys]\n"
        << "# Ed25519 identity: the client's address, the Sphinx destination and the key that end-to-end\n"
        << "# encryption is derived from. The private file is mode 0600.\n"
        << "private_identity_key_file = " << quote(c.private_identity_key_file.string()) << "\n"
        << "public_identity_key_file = " << quote(c.public_identity_key_file.string()) << "\n"
        << "# The key agreed with the gateway at registration; authenticates every reconnection. 0600.\n"
        << "gateway_shared_key_file = " << quote(c.gateway_shared_key_file.string()) << "\n\n"
        << "[socket]\n"
        << "# How applications talk to this client: 'websocket' (ws://127.0.0.1:<port>/mix, loopback only),\n"
        << "# 'tcp' (accepted here but not served by this version) or 'none'.\n"
        << "socket_type = " << quote(to_string(c.socket_type)) << "\n"
        << "# Port of the websocket API (seed default 9001; 0 = any free port, printed at start).\n"
        << "listening_port = " << c.listening_port << "\n"
        << "# Largest API request frame in bytes; larger ones are answered with an error.\n"
        << "max_request_size = " << c.max_request_size << "\n\n"
        << "[traffic]\n"
        << "# Mean of the exponentially distributed delay each mix node holds a packet (Nym: 15ms).\n"
        << "average_packet_delay = " << quote(format_duration(t.average_packet_delay)) << "\n"
        << "# Mean gap of the main Poisson stream: each tick sends a queued real packet or else cover (Nym: 20ms).\n"
        << "message_sending_average_delay = " << quote(format_duration(t.message_sending_average_delay)) << "\n"
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
        << "loop_cover_traffic_average_delay = " << quote(format_duration(t.loop_cover_average_delay)) << "\n"
        << "disable_loop_cover_traffic_stream = " << (t.disable_loop_cover ? "true" : "false") << "\n\n"
        << "[acknowledgements]\n"
        << "# Per-hop mean delay of the SURB-acks that confirm each packet's arrival.\n"
        << "average_ack_delay = " << quote(format_duration(t.average_ack_delay)) << "\n"
        << "# A packet is resent when no ack arrived within multiplier x expected round trip + addition.\n"
        << "ack_wait_multiplier = " << t.ack_wait_multiplier << "\n"
        << "ack_wait_addition = " << quote(format_duration(t.ack_wait_addition)) << "\n\n"
        << "[topology]\n"
        << "# How often the topology is fetched again from the directory, and the timeout of one fetch.\n"
        << "topology_refresh_rate = " << quote(format_duration(c.topology_refresh_rate)) << "\n"
        << "topology_resolution_timeout = " << quote(format_duration(c.topology_resolution_timeout)) << "\n";
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
    const Config defaults;
#define NYM_TRY_ASSIGN(target, expr)                                                                                   \
    do {                                                                                                               \
        auto nym_v = (expr);                                                                                           \
        if (!nym_v) return Unexpected(nym_v.error());                                                                  \
        target = *nym_v;                                                                                               \
    } while (false)

    NYM_TRY_ASSIGN(c.id, get_string(root, "client.id"));
    NYM_TRY_ASSIGN(c.directory_url, get_string(root, "client.directory"));

    std::string gateway;
    NYM_TRY_ASSIGN(gateway, get_string(root, "gateway.id"));
    auto gateway_bytes = crypto::base58_decode(gateway);
    if (!gateway_bytes || gateway_bytes->size() != 32)
        return config_fail(Errc::invalid_config, "gateway.id: must be a base58 Ed25519 key (32 bytes)");
    std::copy(gateway_bytes->begin(), gateway_bytes->end(), c.gateway_identity.bytes.begin());
    NYM_TRY_ASSIGN(c.gateway_listener, get_string_or(root, "gateway.listener", ""));
    NYM_TRY_ASSIGN(c.gateway_connection_timeout,
                   get_duration(root, "gateway.connection_timeout", defaults.gateway_connection_timeout));

    const std::pair<std::filesystem::path*, const char*> paths[] = {
        {&c.private_identity_key_file, "keys.private_identity_key_file"},
        {&c.public_identity_key_file, "keys.public_identity_key_file"},
        {&c.gateway_shared_key_file, "keys.gateway_shared_key_file"},
    };
    for (const auto& [field, name] : paths) {
        auto v = get_string(root, name);
        if (!v) return Unexpected(v.error());
        *field = resolve(base_dir, *v);
    }

    std::string socket_type;
    NYM_TRY_ASSIGN(socket_type, get_string_or(root, "socket.socket_type", std::string(to_string(defaults.socket_type))));
    auto type = parse_socket_type(socket_type);
    if (!type) return config_fail(Errc::invalid_config, "socket.socket_type: must be 'websocket', 'tcp' or 'none'");
    c.socket_type = *type;
    std::int64_t port = 0;
    NYM_TRY_ASSIGN(port, get_ranged(root, "socket.listening_port", DEFAULT_API_PORT, 0, 65535));
    c.listening_port = static_cast<int>(port);
    std::int64_t request_size = 0;
    NYM_TRY_ASSIGN(request_size, get_ranged(root, "socket.max_request_size",
                                            static_cast<std::int64_t>(defaults.max_request_size),
                                            static_cast<std::int64_t>(MIN_REQUEST_SIZE),
                                            static_cast<std::int64_t>(MAX_REQUEST_SIZE)));
    c.max_request_size = static_cast<std::size_t>(request_size);

    auto& t = c.traffic;
    const auto& dt = defaults.traffic;
    NYM_TRY_ASSIGN(t.average_packet_delay, get_duration(root, "traffic.average_packet_delay", dt.average_packet_delay));
    NYM_TRY_ASSIGN(t.message_sending_average_delay,
                   get_duration(root, "traffic.message_sending_average_delay", dt.message_sending_average_delay));
    NYM_TRY_ASSIGN(t.disable_main_poisson,
                   get_bool(root, "traffic.disable_main_poisson_packet_distribution", dt.disable_main_poisson));
    std::int64_t in_flight = 0;
    NYM_TRY_ASSIGN(in_flight, get_ranged(root, "traffic.max_in_flight", static_cast<std::int64_t>(dt.max_in_flight),
                                         8, 65536));
    t.max_in_flight = static_cast<std::size_t>(in_flight);
    if (find(root, "traffic.maximum_number_of_retransmissions") != nullptr) {
        std::int64_t retransmissions = 0;
        NYM_TRY_ASSIGN(retransmissions,
                       get_ranged(root, "traffic.maximum_number_of_retransmissions", 0, 0, MAX_RETRANSMISSIONS));
        t.max_retransmissions = static_cast<std::uint32_t>(retransmissions);
    }
    std::int64_t message_size = 0;
    NYM_TRY_ASSIGN(message_size, get_ranged(root, "traffic.max_message_size",
                                            static_cast<std::int64_t>(dt.max_message_size), 1,
                                            static_cast<std::int64_t>(MAX_MESSAGE_SIZE)));
    t.max_message_size = static_cast<std::size_t>(message_size);
    NYM_TRY_ASSIGN(t.loop_cover_average_delay,
                   get_duration(root, "cover_traffic.loop_cover_traffic_average_delay", dt.loop_cover_average_delay));
    NYM_TRY_ASSIGN(t.disable_loop_cover,
                   get_bool(root, "cover_traffic.disable_loop_cover_traffic_stream", dt.disable_loop_cover));
    NYM_TRY_ASSIGN(t.average_ack_delay, get_duration(root, "acknowledgements.average_ack_delay", dt.average_ack_delay));
    NYM_TRY_ASSIGN(t.ack_wait_multiplier,
                   get_double(root, "acknowledgements.ack_wait_multiplier", dt.ack_wait_multiplier));
    NYM_TRY_ASSIGN(t.ack_wait_addition, get_duration(root, "acknowledgements.ack_wait_addition", dt.ack_wait_addition));
    NYM_TRY_ASSIGN(c.topology_refresh_rate,
                   get_duration(root, "topology.topology_refresh_rate", defaults.topology_refresh_rate));
    NYM_TRY_ASSIGN(c.topology_resolution_timeout,
                   get_duration(root, "topology.topology_resolution_timeout", defaults.topology_resolution_timeout));
#undef NYM_TRY_ASSIGN

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
    return std::filesystem::path(home) / ".nym" / "clients";
}

std::filesystem::path client_directory(const std::filesystem::path& root, std::string_view id) {
    return root / std::string(id);
}

std::filesystem::path config_path(const std::filesystem::path& root, std::string_view id) {
    return client_directory(root, id) / "config" / std::string(CONFIG_FILE_NAME);
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
    ClientKeys keys;
    auto identity = read_key(config.private_identity_key_file, IDENTITY_SECRET_PEM_LABEL, FileSecrecy::secret_file);
    if (!identity) return Unexpected(identity.error());
    keys.identity = crypto::Ed25519SecretKey::from_seed(std::span<const std::uint8_t, 32>(identity->data(), 32));
    crypto::secure_wipe(identity->data(), identity->size());
    keys.identity_public = keys.identity.public_key();
    auto identity_public = read_key(config.public_identity_key_file, IDENTITY_PUBLIC_PEM_LABEL, FileSecrecy::public_file);
    if (!identity_public) return Unexpected(identity_public.error());
    if (!std::equal(identity_public->begin(), identity_public->end(), keys.identity_public.bytes.begin()))
        return config_fail(Errc::key_file_error,
                           config.public_identity_key_file.string() + ": does not match the private key");
    return keys;
}

ConfigResult<wire::gateway::SharedKey> load_shared_key(const Config& config) {
    auto bytes = read_key(config.gateway_shared_key_file, SHARED_KEY_PEM_LABEL, crypto::FileSecrecy::secret_file);
    if (!bytes) return Unexpected(bytes.error());
    wire::gateway::SharedKey key(std::span<const std::uint8_t, 32>(bytes->data(), 32));
    crypto::secure_wipe(bytes->data(), bytes->size());
    return key;
}

ConfigResult<void> save_shared_key(const Config& config, const wire::gateway::SharedKey& key) {
    return write_key(config.gateway_shared_key_file, SHARED_KEY_PEM_LABEL, key.bytes(), crypto::FileSecrecy::secret_file);
}

ConfigResult<void> write_client(const Config& config, const std::filesystem::path& config_file,
                                const crypto::Ed25519SecretKey& identity, const wire::gateway::SharedKey& shared_key,
                                bool force) {
    using crypto::FileSecrecy;
    if (auto v = validate(config); !v) return v;
    std::error_code ec;
    if (!force && (std::filesystem::exists(config_file, ec) || std::filesystem::exists(config.private_identity_key_file, ec)))
        return config_fail(Errc::config_exists, config_file.parent_path().parent_path().string());
    const auto identity_public = identity.public_key();
    if (auto r = write_key(config.private_identity_key_file, IDENTITY_SECRET_PEM_LABEL, identity.seed(),
                           FileSecrecy::secret_file);
        !r)
        return r;
    if (auto r = write_key(config.public_identity_key_file, IDENTITY_PUBLIC_PEM_LABEL, identity_public.bytes,
                           FileSecrecy::public_file);
        !r)
        return r;
    if (auto r = save_shared_key(config, shared_key); !r) return r;
    // The config goes last: a client folder with a config is a complete client.
    return save_config(config, config_file);
}

} // namespace nym::client
