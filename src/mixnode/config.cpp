#include <mixnode/config.hpp>

#include <crypto/pem.hpp>

#include <toml++/toml.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

namespace nym::mixnode {
namespace {

constexpr std::uintmax_t MAX_CONFIG_FILE_SIZE = 1024 * 1024;

class ConfigCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "nym.mixnode.config"; }
    std::string message(int code) const override {
        switch (static_cast<ConfigErrc>(code)) {
        case ConfigErrc::missing_file: return "config file not found";
        case ConfigErrc::unreadable_file: return "config file cannot be read";
        case ConfigErrc::parse_error: return "config file is not valid TOML";
        case ConfigErrc::missing_field: return "required config field missing";
        case ConfigErrc::wrong_type: return "config field has the wrong type";
        case ConfigErrc::invalid_id: return "invalid node id (1-64 characters of A-Z a-z 0-9 _ -)";
        case ConfigErrc::invalid_layer: return "invalid layer (must be 1, 2 or 3)";
        case ConfigErrc::invalid_port: return "invalid port (must be 1-65535)";
        case ConfigErrc::invalid_host: return "invalid host";
        case ConfigErrc::invalid_url: return "invalid directory URL (must be http:// or https://)";
        case ConfigErrc::invalid_value: return "config value out of range";
        case ConfigErrc::already_exists: return "a node with this id already exists (use --force to replace it)";
        case ConfigErrc::io_error: return "cannot write node files";
        case ConfigErrc::key_error: return "key file missing or invalid";
        case ConfigErrc::no_home: return "HOME is not set (pass --root)";
        }
        return "unknown config error";
    }
};

Unexpected<ConfigError> config_fail(ConfigErrc e, std::string detail = {}) {
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
    return std::all_of(host.begin(), host.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u < 0x7f && c != '/' && c != '"' && c != '\\';
    });
}

bool unspecified_address(std::string_view host) noexcept {
    return host == "0.0.0.0" || host == "::" || host == "[::]";
}

bool valid_url(std::string_view url) noexcept {
    std::string_view rest;
    if (url.starts_with("http://")) rest = url.substr(7);
    else if (url.starts_with("https://")) rest = url.substr(8);
    else return false;
    const auto host = rest.substr(0, rest.find('/'));
    return !host.empty() && valid_host(host) && url.size() <= 2048;
}

// A TOML basic string: quotes, backslashes and control characters escaped.
std::string quote(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20 || u == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(u));
            out += buf;
        } else {
            out += c;
        }
    }
    out += '"';
    return out;
}

// --- reading fields -----------------------------------------------------------------------------

const toml::node* find(const toml::table& root, std::string_view path) { return root.at_path(path).node(); }

ConfigResult<std::string> get_string(const toml::table& root, std::string_view path) {
    const toml::node* n = find(root, path);
    if (n == nullptr) return config_fail(ConfigErrc::missing_field, std::string(path));
    const auto* s = n->as_string();
    if (s == nullptr) return config_fail(ConfigErrc::wrong_type, std::string(path) + " (expected a string)");
    return s->get();
}

ConfigResult<std::int64_t> get_integer(const toml::table& root, std::string_view path) {
    const toml::node* n = find(root, path);
    if (n == nullptr) return config_fail(ConfigErrc::missing_field, std::string(path));
    const auto* i = n->as_integer();
    if (i == nullptr) return config_fail(ConfigErrc::wrong_type, std::string(path) + " (expected an integer)");
    return i->get();
}

ConfigResult<double> get_float(const toml::table& root, std::string_view path) {
    const toml::node* n = find(root, path);
    if (n == nullptr) return config_fail(ConfigErrc::missing_field, std::string(path));
    if (const auto* f = n->as_floating_point()) return f->get();
    if (const auto* i = n->as_integer()) return static_cast<double>(i->get());
    return config_fail(ConfigErrc::wrong_type, std::string(path) + " (expected a number)");
}

/// A non-negative integer no larger than `max`, else invalid_value naming the field.
ConfigResult<std::uint64_t> get_count(const toml::table& root, std::string_view path, std::uint64_t max) {
    auto v = get_integer(root, path);
    if (!v) return Unexpected(v.error());
    if (*v < 0 || static_cast<std::uint64_t>(*v) > max)
        return config_fail(ConfigErrc::invalid_value, std::string(path) + " out of range");
    return static_cast<std::uint64_t>(*v);
}

// Narrows a range-checked integer field (layer, port) to int; out-of-int-range values become -1
// so that validate() rejects them with the field's own error.
int to_int(std::int64_t v) noexcept {
    if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) return -1;
    return static_cast<int>(v);
}

ConfigResult<void> write_text_file(const std::filesystem::path& path, std::string_view text) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) return config_fail(ConfigErrc::io_error, path.parent_path().string() + ": " + ec.message());
    auto tmp = path;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) return config_fail(ConfigErrc::io_error, tmp.string());
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        out.flush();
        if (!out) return config_fail(ConfigErrc::io_error, tmp.string());
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::filesystem::remove(tmp, ec);
        return config_fail(ConfigErrc::io_error, path.string());
    }
    return {};
}

ConfigResult<void> write_key(const std::filesystem::path& path, std::string_view label,
                             std::span<const std::uint8_t> body, crypto::FileSecrecy secrecy) {
    auto r = crypto::write_pem_file(path, label, body, secrecy);
    if (!r) return config_fail(ConfigErrc::io_error, path.string() + ": " + r.error().message());
    return {};
}

template <std::size_t N>
ConfigResult<std::array<std::uint8_t, N>> read_key(const std::filesystem::path& path, std::string_view label,
                                                   crypto::FileSecrecy secrecy) {
    auto block = crypto::read_pem_file(path, label, secrecy);
    if (!block) return config_fail(ConfigErrc::key_error, path.string() + ": " + block.error().message());
    if (block->body.size() != N)
        return config_fail(ConfigErrc::key_error, path.string() + ": key has " + std::to_string(block->body.size()) +
                                                      " bytes, expected " + std::to_string(N));
    std::array<std::uint8_t, N> out{};
    std::copy(block->body.begin(), block->body.end(), out.begin());
    crypto::secure_wipe(block->body.data(), block->body.size());
    return out;
}

} // namespace

const std::error_category& config_category() noexcept {
    static const ConfigCategory category;
    return category;
}

std::string ConfigError::message() const {
    std::string m = code.message();
    if (!detail.empty()) m += ": " + detail;
    return m;
}

ReplayFilterConfig Config::replay_filter_config() const noexcept {
    ReplayFilterConfig c;
    const auto secs = static_cast<std::uint64_t>(std::max<std::chrono::seconds::rep>(replay_epoch.count(), 1));
    c.expected_packets_per_epoch = replay_expected_packets_per_second * secs;
    c.fp_rate = replay_fp_rate;
    return c;
}

Config merge(Config base, const ConfigOverrides& o) {
    if (o.layer) base.layer = *o.layer;
    if (o.listen_host) base.listen_host = *o.listen_host;
    if (o.listen_port) base.listen_port = *o.listen_port;
    if (o.announce_host) base.announce_host = *o.announce_host;
    if (o.directory_url) base.directory_url = *o.directory_url;
    if (o.max_delay) base.max_delay = *o.max_delay;
    if (o.egress_queue_length) base.egress_queue_length = *o.egress_queue_length;
    if (o.worker_threads) base.worker_threads = *o.worker_threads;
    if (o.replay_fp_rate) base.replay_fp_rate = *o.replay_fp_rate;
    if (o.replay_expected_packets_per_second)
        base.replay_expected_packets_per_second = *o.replay_expected_packets_per_second;
    if (o.metrics_interval) base.metrics_interval = *o.metrics_interval;
    if (o.heartbeat_interval) base.heartbeat_interval = *o.heartbeat_interval;
    return base;
}

ConfigResult<void> validate(const Config& c) {
    using std::chrono::milliseconds;
    if (!valid_id(c.id)) return config_fail(ConfigErrc::invalid_id, "mixnode.id");
    if (c.layer < MIN_LAYER || c.layer > MAX_LAYER) return config_fail(ConfigErrc::invalid_layer, "mixnode.layer");
    if (!valid_host(c.listen_host)) return config_fail(ConfigErrc::invalid_host, "mixnode.listen_host");
    if (c.listen_port < 1 || c.listen_port > 65535) return config_fail(ConfigErrc::invalid_port, "mixnode.listen_port");
    if (!valid_host(c.announce_host) || unspecified_address(c.announce_host))
        return config_fail(ConfigErrc::invalid_host, "mixnode.announce_host (must be an address others can reach)");
    if (!valid_url(c.directory_url)) return config_fail(ConfigErrc::invalid_url, "mixnode.directory_url");
    for (const auto* p : {&c.private_identity_key_file, &c.public_identity_key_file, &c.private_sphinx_key_file,
                          &c.public_sphinx_key_file})
        if (p->empty()) return config_fail(ConfigErrc::missing_field, "keys.* (a key file path is empty)");
    if (c.max_delay < milliseconds::zero() || c.max_delay > milliseconds(3'600'000))
        return config_fail(ConfigErrc::invalid_value, "mixing.max_delay_ms (0..3600000)");
    if (c.egress_queue_length < 1 || c.egress_queue_length > 1'000'000)
        return config_fail(ConfigErrc::invalid_value, "mixing.egress_queue_length (1..1000000)");
    if (c.worker_threads < 1 || c.worker_threads > 256)
        return config_fail(ConfigErrc::invalid_value, "mixing.worker_threads (1..256)");
    if (!(c.replay_fp_rate > 0.0 && c.replay_fp_rate < 0.5))
        return config_fail(ConfigErrc::invalid_value, "replay_protection.false_positive_rate (0 < p < 0.5)");
    if (c.replay_expected_packets_per_second < 1 || c.replay_expected_packets_per_second > 1'000'000)
        return config_fail(ConfigErrc::invalid_value, "replay_protection.expected_packets_per_second (1..1000000)");
    if (c.replay_epoch.count() < 60 || c.replay_epoch.count() > 7 * 24 * 3600)
        return config_fail(ConfigErrc::invalid_value, "replay_protection.epoch_secs (60..604800)");
    // Memory of the two filters must stay sane: refuse configs above 16 GiB.
    const auto params = BloomParameters::optimal(c.replay_filter_config().expected_packets_per_epoch, c.replay_fp_rate);
    if (params.bits / 8 > (8ULL << 30))
        return config_fail(ConfigErrc::invalid_value, "replay_protection: filters would need more than 16 GiB");
    if (c.metrics_interval < milliseconds(100) || c.metrics_interval > milliseconds(86'400'000))
        return config_fail(ConfigErrc::invalid_value, "reporting.metrics_interval_ms (100..86400000)");
    if (c.heartbeat_interval < milliseconds(100) || c.heartbeat_interval > milliseconds(86'400'000))
        return config_fail(ConfigErrc::invalid_value, "reporting.heartbeat_interval_ms (100..86400000)");
    return {};
}

std::string render_config(const Config& c) {
    std::ostringstream o;
    o << "# nym-mixnode configuration, written by `nym-mixnode init`.\n"
         "# Command-line flags of `nym-mixnode run` override the values here.\n"
         "\n"
         "[mixnode]\n"
         "# Name of this node; also the folder under ~/.nym/mixnodes/.\n"
         "id = " << quote(c.id) << "\n"
         "# Mix layer this node serves in (1, 2 or 3): clients route L1 -> L2 -> L3.\n"
         "layer = " << c.layer << "\n"
         "# Address and TCP port to listen on for Sphinx packets from clients, gateways and mixes.\n"
         "listen_host = " << quote(c.listen_host) << "\n"
         "listen_port = " << c.listen_port << "\n"
         "# Address announced to the directory: what others connect to (not 0.0.0.0).\n"
         "announce_host = " << quote(c.announce_host) << "\n"
         "# Directory server: heartbeats (presence) and metrics are posted here.\n"
         "directory_url = " << quote(c.directory_url) << "\n"
         "\n"
         "[keys]\n"
         "# Ed25519 identity key pair (signs heartbeats). The private file must stay mode 0600.\n"
         "private_identity_key_file = " << quote(c.private_identity_key_file.string()) << "\n"
         "public_identity_key_file = " << quote(c.public_identity_key_file.string()) << "\n"
         "# X25519 Sphinx key pair (unwraps packets). The private file must stay mode 0600.\n"
         "private_sphinx_key_file = " << quote(c.private_sphinx_key_file.string()) << "\n"
         "public_sphinx_key_file = " << quote(c.public_sphinx_key_file.string()) << "\n"
         "\n"
         "[mixing]\n"
         "# Longest delay honoured, in milliseconds; longer header delays are cut to this (Nym: 10 s).\n"
         "max_delay_ms = " << c.max_delay.count() << "\n"
         "# Packets buffered per next hop; beyond this they are dropped and counted (Nym: 2000).\n"
         "egress_queue_length = " << c.egress_queue_length << "\n"
         "# Threads unwrapping Sphinx packets.\n"
         "worker_threads = " << c.worker_threads << "\n"
         "\n"
         "[replay_protection]\n"
         "# Bloom filter over packet replay tags, sized up front for\n"
         "#   n = expected_packets_per_second * epoch_secs tags at false-positive rate p:\n"
         "#   bits = ceil(-n ln p / (ln 2)^2) per filter, two filters (current + previous key epoch).\n"
         "# A false positive drops an honest packet as a replay.\n"
         "false_positive_rate = " << c.replay_fp_rate << "\n"
         "expected_packets_per_second = " << c.replay_expected_packets_per_second << "\n"
         "# Lifetime of one Sphinx key plus its overlap (Nym: 24 h + 1 h).\n"
         "epoch_secs = " << c.replay_epoch.count() << "\n"
         "\n"
         "[reporting]\n"
         "# How often metrics are sent to the directory, in milliseconds.\n"
         "metrics_interval_ms = " << c.metrics_interval.count() << "\n"
         "# How often a signed presence heartbeat is sent to the directory, in milliseconds.\n"
         "heartbeat_interval_ms = " << c.heartbeat_interval.count() << "\n";
    return o.str();
}

ConfigResult<Config> parse_config(std::string_view text) {
    toml::table root;
    try {
        root = toml::parse(text);
    } catch (const toml::parse_error& e) {
        std::ostringstream where;
        where << e.description() << " (line " << e.source().begin.line << ")";
        return config_fail(ConfigErrc::parse_error, where.str());
    }

    Config c;
#define NYM_READ(target, expr)                                                                                     \
    do {                                                                                                           \
        auto nym_v = (expr);                                                                                       \
        if (!nym_v) return Unexpected(nym_v.error());                                                              \
        target = std::move(*nym_v);                                                                                \
    } while (false)

    std::int64_t layer = 0;
    std::int64_t port = 0;
    std::string key_path;
    NYM_READ(c.id, get_string(root, "mixnode.id"));
    NYM_READ(layer, get_integer(root, "mixnode.layer"));
    c.layer = to_int(layer);
    NYM_READ(c.listen_host, get_string(root, "mixnode.listen_host"));
    NYM_READ(port, get_integer(root, "mixnode.listen_port"));
    c.listen_port = to_int(port);
    NYM_READ(c.announce_host, get_string(root, "mixnode.announce_host"));
    NYM_READ(c.directory_url, get_string(root, "mixnode.directory_url"));
    NYM_READ(key_path, get_string(root, "keys.private_identity_key_file"));
    c.private_identity_key_file = key_path;
    NYM_READ(key_path, get_string(root, "keys.public_identity_key_file"));
    c.public_identity_key_file = key_path;
    NYM_READ(key_path, get_string(root, "keys.private_sphinx_key_file"));
    c.private_sphinx_key_file = key_path;
    NYM_READ(key_path, get_string(root, "keys.public_sphinx_key_file"));
    c.public_sphinx_key_file = key_path;

    std::uint64_t n = 0;
    NYM_READ(n, get_count(root, "mixing.max_delay_ms", 3'600'000));
    c.max_delay = std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(n));
    NYM_READ(c.egress_queue_length, get_count(root, "mixing.egress_queue_length", 1'000'000));
    NYM_READ(n, get_count(root, "mixing.worker_threads", 256));
    c.worker_threads = static_cast<std::uint32_t>(n);
    NYM_READ(c.replay_fp_rate, get_float(root, "replay_protection.false_positive_rate"));
    NYM_READ(c.replay_expected_packets_per_second,
             get_count(root, "replay_protection.expected_packets_per_second", 1'000'000));
    NYM_READ(n, get_count(root, "replay_protection.epoch_secs", 7 * 24 * 3600));
    c.replay_epoch = std::chrono::seconds(static_cast<std::chrono::seconds::rep>(n));
    NYM_READ(n, get_count(root, "reporting.metrics_interval_ms", 86'400'000));
    c.metrics_interval = std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(n));
    NYM_READ(n, get_count(root, "reporting.heartbeat_interval_ms", 86'400'000));
    c.heartbeat_interval = std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(n));
#undef NYM_READ

    if (auto v = validate(c); !v) return Unexpected(v.error());
    return c;
}

ConfigResult<Config> load_config(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return config_fail(ConfigErrc::missing_file, path.string());
    const auto size = std::filesystem::file_size(path, ec);
    if (ec || size > MAX_CONFIG_FILE_SIZE) return config_fail(ConfigErrc::unreadable_file, path.string());
    std::ifstream in(path, std::ios::binary);
    if (!in) return config_fail(ConfigErrc::unreadable_file, path.string());
    std::string text(static_cast<std::size_t>(size), '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (!in) return config_fail(ConfigErrc::unreadable_file, path.string());
    auto config = parse_config(text);
    if (!config) {
        ConfigError e = config.error();
        e.detail = path.string() + ": " + e.detail;
        return Unexpected<ConfigError>(std::move(e));
    }
    return config;
}

ConfigResult<void> save_config(const Config& config, const std::filesystem::path& path) {
    if (auto v = validate(config); !v) return Unexpected(v.error());
    return write_text_file(path, render_config(config));
}

ConfigResult<std::filesystem::path> default_root() {
    const char* home = std::getenv("HOME");
    if (home == nullptr || *home == '\0') return config_fail(ConfigErrc::no_home);
    return std::filesystem::path(home) / ".nym" / "mixnodes";
}

std::filesystem::path node_directory(const std::filesystem::path& root, std::string_view id) { return root / id; }

std::filesystem::path config_path(const std::filesystem::path& root, std::string_view id) {
    return node_directory(root, id) / "config" / CONFIG_FILE_NAME;
}

ConfigResult<NodeKeys> load_keys(const Config& config) {
    using crypto::FileSecrecy;
    NodeKeys keys;
    {
        auto seed = read_key<crypto::ED25519_SEED_SIZE>(config.private_identity_key_file, IDENTITY_SECRET_PEM_LABEL,
                                                        FileSecrecy::secret_file);
        if (!seed) return Unexpected(seed.error());
        keys.identity = crypto::Ed25519SecretKey::from_seed(*seed);
        crypto::secure_wipe(seed->data(), seed->size());
    }
    auto identity_public = read_key<crypto::ED25519_PUBLIC_KEY_SIZE>(
        config.public_identity_key_file, IDENTITY_PUBLIC_PEM_LABEL, FileSecrecy::public_file);
    if (!identity_public) return Unexpected(identity_public.error());
    keys.identity_public.bytes = *identity_public;
    if (!(keys.identity.public_key() == keys.identity_public))
        return config_fail(ConfigErrc::key_error, "public identity key does not match the private one");
    {
        auto raw = read_key<crypto::X25519_KEY_SIZE>(config.private_sphinx_key_file, SPHINX_SECRET_PEM_LABEL,
                                                     FileSecrecy::secret_file);
        if (!raw) return Unexpected(raw.error());
        keys.sphinx = crypto::X25519SecretKey::from_bytes(*raw);
        crypto::secure_wipe(raw->data(), raw->size());
    }
    auto sphinx_public = read_key<crypto::X25519_KEY_SIZE>(config.public_sphinx_key_file, SPHINX_PUBLIC_PEM_LABEL,
                                                           FileSecrecy::public_file);
    if (!sphinx_public) return Unexpected(sphinx_public.error());
    keys.sphinx_public.bytes = *sphinx_public;
    if (!(keys.sphinx.public_key() == keys.sphinx_public))
        return config_fail(ConfigErrc::key_error, "public Sphinx key does not match the private one");
    return keys;
}

ConfigResult<InitResult> init_node(const InitOptions& options, crypto::Rng& rng) {
    using crypto::FileSecrecy;
    if (!valid_id(options.id)) return config_fail(ConfigErrc::invalid_id, options.id);

    const auto dir = node_directory(options.root, options.id);
    const auto config_file = config_path(options.root, options.id);
    std::error_code ec;
    if (!options.force && std::filesystem::exists(dir, ec))
        return config_fail(ConfigErrc::already_exists, dir.string());

    Config c;
    c.id = options.id;
    c.layer = options.layer;
    c.listen_host = options.host;
    c.listen_port = options.port;
    c.announce_host = options.announce_host.value_or(options.host);
    c.directory_url = options.directory_url;
    const auto data = dir / "data";
    c.private_identity_key_file = data / "private_identity.pem";
    c.public_identity_key_file = data / "public_identity.pem";
    c.private_sphinx_key_file = data / "private_sphinx.pem";
    c.public_sphinx_key_file = data / "public_sphinx.pem";
    // Everything is checked before anything is written, so a bad flag leaves no half-made node.
    if (auto v = validate(c); !v) return Unexpected(v.error());

    const auto identity = crypto::Ed25519SecretKey::generate(rng);
    const auto sphinx = crypto::X25519SecretKey::generate(rng);
    InitResult result;
    result.identity_public = identity.public_key();
    result.sphinx_public = sphinx.public_key();

    if (auto r = write_key(c.private_identity_key_file, IDENTITY_SECRET_PEM_LABEL, identity.seed(),
                           FileSecrecy::secret_file); !r)
        return Unexpected(r.error());
    if (auto r = write_key(c.public_identity_key_file, IDENTITY_PUBLIC_PEM_LABEL, result.identity_public.bytes,
                           FileSecrecy::public_file); !r)
        return Unexpected(r.error());
    if (auto r = write_key(c.private_sphinx_key_file, SPHINX_SECRET_PEM_LABEL, sphinx.bytes(),
                           FileSecrecy::secret_file); !r)
        return Unexpected(r.error());
    if (auto r = write_key(c.public_sphinx_key_file, SPHINX_PUBLIC_PEM_LABEL, result.sphinx_public.bytes,
                           FileSecrecy::public_file); !r)
        return Unexpected(r.error());
    if (auto r = save_config(c, config_file); !r) return Unexpected(r.error());

    result.config = std::move(c);
    result.config_file = config_file;
    return result;
}

} // namespace nym::mixnode
