#include <mixnode/config.hpp>

#include <crypto/base58.hpp>
#include <crypto/pem.hpp>
#include <mixnode/replay_state.hpp>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <sstream>

namespace nym::mixnode {
namespace {

using node::config_fail;
using node::toml_quote;

// Narrows a range-checked integer field (layer, port) to int; out-of-int-range values become -1
// so that validate() rejects them with the field's own error.
int to_int(std::int64_t v) noexcept {
    if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) return -1;
    return static_cast<int>(v);
}

} // namespace

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
    if (!node::valid_id(c.id)) return config_fail(ConfigErrc::invalid_id, "mixnode.id");
    if (c.layer < MIN_LAYER || c.layer > MAX_LAYER)
        return config_fail(ConfigErrc::invalid_value, "mixnode.layer (must be 1, 2 or 3)");
    if (!node::valid_host(c.listen_host)) return config_fail(ConfigErrc::invalid_host, "mixnode.listen_host");
    if (c.listen_port < 1 || c.listen_port > 65535) return config_fail(ConfigErrc::invalid_port, "mixnode.listen_port");
    if (!node::valid_host(c.announce_host) || node::unspecified_address(c.announce_host))
        return config_fail(ConfigErrc::invalid_host, "mixnode.announce_host (must be an address others can reach)");
    if (!node::valid_http_url(c.directory_url))
        return config_fail(ConfigErrc::invalid_url, "mixnode.directory_url (must be http:// or https://)");
    for (const auto* p : {&c.private_identity_key_file, &c.public_identity_key_file, &c.private_sphinx_key_file,
                          &c.public_sphinx_key_file, &c.replay_state_file})
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
    const auto params = BloomParameters::blocked(c.replay_filter_config().expected_packets_per_epoch, c.replay_fp_rate);
    if (params.bits / 8 > (8ULL << 30))
        return config_fail(ConfigErrc::invalid_value, "replay_protection: filters would need more than 16 GiB");
    if (c.metrics_interval < milliseconds(100) || c.metrics_interval > milliseconds(86'400'000))
        return config_fail(ConfigErrc::invalid_value, "reporting.metrics_interval_ms (100..86400000)");
    if (c.heartbeat_interval < milliseconds(100) || c.heartbeat_interval > milliseconds(86'400'000))
        return config_fail(ConfigErrc::invalid_value, "reporting.heartbeat_interval_ms (100..86400000)");
    if (c.inbound_idle_timeout.count() < 0 || c.inbound_idle_timeout.count() > 86'400)
        return config_fail(ConfigErrc::invalid_value, "limits.inbound_idle_timeout_secs (0..86400)");
    if (c.max_inbound_connections < 1 || c.max_inbound_connections > 1'000'000)
        return config_fail(ConfigErrc::invalid_value, "limits.max_inbound_connections (1..1000000)");
    if (c.max_inbound_per_ip > 1'000'000)
        return config_fail(ConfigErrc::invalid_value, "limits.max_inbound_per_ip (0..1000000)");
    return {};
}

std::string render_config(const Config& c) {
    std::ostringstream o;
    o << "# nym-mixnode configuration, written by `nym-mixnode init`.\n"
         "# Command-line flags of `nym-mixnode run` override the values here.\n"
         "\n"
         "[mixnode]\n"
         "# Name of this node; also the folder under ~/.nym/mixnodes/.\n"
         "id = " << toml_quote(c.id) << "\n"
         "# Mix layer this node serves in (1, 2 or 3): clients route L1 -> L2 -> L3.\n"
         "layer = " << c.layer << "\n"
         "# Address and TCP port to listen on for Sphinx packets from clients, gateways and mixes.\n"
         "listen_host = " << toml_quote(c.listen_host) << "\n"
         "listen_port = " << c.listen_port << "\n"
         "# Address announced to the directory: what others connect to (not 0.0.0.0).\n"
         "announce_host = " << toml_quote(c.announce_host) << "\n"
         "# Directory server: heartbeats (presence) and metrics are posted here.\n"
         "directory_url = " << toml_quote(c.directory_url) << "\n"
         "\n"
         "[keys]\n"
         "# Ed25519 identity key pair (signs heartbeats). The private file must stay mode 0600.\n"
         "private_identity_key_file = " << toml_quote(c.private_identity_key_file.string()) << "\n"
         "public_identity_key_file = " << toml_quote(c.public_identity_key_file.string()) << "\n"
         "# X25519 Sphinx key pair (unwraps packets). The private file must stay mode 0600.\n"
         "private_sphinx_key_file = " << toml_quote(c.private_sphinx_key_file.string()) << "\n"
         "public_sphinx_key_file = " << toml_quote(c.public_sphinx_key_file.string()) << "\n"
         "# Sphinx key epochs and replay filters, saved at every key rotation and at shutdown (0600).\n"
         "replay_state_file = " << toml_quote(c.replay_state_file.string()) << "\n"
         "\n"
         "[mixing]\n"
         "# Longest delay honoured, in milliseconds; longer header delays are cut to this (Nym: 10 s).\n"
         "max_delay_ms = " << c.max_delay.count() << "\n"
         "# Packets buffered per next hop; beyond this they are dropped and counted (Nym: 2000).\n"
         "egress_queue_length = " << c.egress_queue_length << "\n"
         "# Threads unwrapping Sphinx packets. 1: the network thread unwraps everything it reads (no\n"
         "# hand-off between threads; up to one core of Sphinx work). N > 1: N worker threads beside it.\n"
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
         "heartbeat_interval_ms = " << c.heartbeat_interval.count() << "\n"
         "\n"
         "[limits]\n"
         "# An inbound connection that sends nothing for this many seconds is closed (0 = never).\n"
         "inbound_idle_timeout_secs = " << c.inbound_idle_timeout.count() << "\n"
         "# Inbound connections at a time, in all and from one IP address (0 = no per-IP cap).\n"
         "max_inbound_connections = " << c.max_inbound_connections << "\n"
         "max_inbound_per_ip = " << c.max_inbound_per_ip << "\n";
    return o.str();
}

ConfigResult<Config> parse_config(std::string_view text) {
    auto parsed = node::ConfigDocument::parse(text);
    if (!parsed) return Unexpected(parsed.error());
    const node::ConfigDocument& doc = *parsed;

    Config c;
    std::int64_t n = 0;
    std::string key_path;
    NYM_CONFIG_READ(c.id, doc.string("mixnode.id"));
    NYM_CONFIG_READ(n, doc.integer("mixnode.layer"));
    c.layer = to_int(n);
    NYM_CONFIG_READ(c.listen_host, doc.string("mixnode.listen_host"));
    NYM_CONFIG_READ(n, doc.integer("mixnode.listen_port"));
    c.listen_port = to_int(n);
    NYM_CONFIG_READ(c.announce_host, doc.string("mixnode.announce_host"));
    NYM_CONFIG_READ(c.directory_url, doc.string("mixnode.directory_url"));
    NYM_CONFIG_READ(key_path, doc.string("keys.private_identity_key_file"));
    c.private_identity_key_file = key_path;
    NYM_CONFIG_READ(key_path, doc.string("keys.public_identity_key_file"));
    c.public_identity_key_file = key_path;
    NYM_CONFIG_READ(key_path, doc.string("keys.private_sphinx_key_file"));
    c.private_sphinx_key_file = key_path;
    NYM_CONFIG_READ(key_path, doc.string("keys.public_sphinx_key_file"));
    c.public_sphinx_key_file = key_path;
    c.replay_state_predates = !doc.has("keys.replay_state_file");
    NYM_CONFIG_READ(key_path,
             doc.string_or("keys.replay_state_file", (c.private_sphinx_key_file.parent_path() / "replay_state.bin").string()));
    c.replay_state_file = key_path;

    NYM_CONFIG_READ(n, doc.integer_in("mixing.max_delay_ms", 0, 3'600'000));
    c.max_delay = std::chrono::milliseconds(n);
    NYM_CONFIG_READ(n, doc.integer_in("mixing.egress_queue_length", 0, 1'000'000));
    c.egress_queue_length = static_cast<std::uint64_t>(n);
    NYM_CONFIG_READ(n, doc.integer_in("mixing.worker_threads", 0, 256));
    c.worker_threads = static_cast<std::uint32_t>(n);
    NYM_CONFIG_READ(c.replay_fp_rate, doc.number("replay_protection.false_positive_rate"));
    NYM_CONFIG_READ(n, doc.integer_in("replay_protection.expected_packets_per_second", 0, 1'000'000));
    c.replay_expected_packets_per_second = static_cast<std::uint64_t>(n);
    NYM_CONFIG_READ(n, doc.integer_in("replay_protection.epoch_secs", 0, 7 * 24 * 3600));
    c.replay_epoch = std::chrono::seconds(n);
    NYM_CONFIG_READ(n, doc.integer_in("reporting.metrics_interval_ms", 0, 86'400'000));
    c.metrics_interval = std::chrono::milliseconds(n);
    NYM_CONFIG_READ(n, doc.integer_in("reporting.heartbeat_interval_ms", 0, 86'400'000));
    c.heartbeat_interval = std::chrono::milliseconds(n);
    NYM_CONFIG_READ(n, doc.integer_in_or("limits.inbound_idle_timeout_secs", 0, 86'400, c.inbound_idle_timeout.count()));
    c.inbound_idle_timeout = std::chrono::seconds(n);
    NYM_CONFIG_READ(n, doc.integer_in_or("limits.max_inbound_connections", 1, 1'000'000,
                                  static_cast<std::int64_t>(c.max_inbound_connections)));
    c.max_inbound_connections = static_cast<std::uint64_t>(n);
    NYM_CONFIG_READ(n, doc.integer_in_or("limits.max_inbound_per_ip", 0, 1'000'000,
                                  static_cast<std::int64_t>(c.max_inbound_per_ip)));
    c.max_inbound_per_ip = static_cast<std::uint64_t>(n);

    if (auto v = validate(c); !v) return Unexpected(v.error());
    return c;
}

ConfigResult<Config> load_config(const std::filesystem::path& path) {
    auto text = node::read_text_file(path);
    if (!text) return Unexpected(text.error());
    auto config = parse_config(*text);
    if (!config) {
        ConfigError e = config.error();
        e.detail = path.string() + ": " + e.detail;
        return Unexpected<ConfigError>(std::move(e));
    }
    return config;
}

ConfigResult<void> save_config(const Config& config, const std::filesystem::path& path) {
    if (auto v = validate(config); !v) return Unexpected(v.error());
    return node::write_file_atomically(path, render_config(config));
}

ConfigResult<NodeKeys> load_keys(const Config& config) {
    using crypto::FileSecrecy;
    NodeKeys keys;
    {
        auto seed = node::read_key_array<crypto::ED25519_SEED_SIZE>(config.private_identity_key_file, IDENTITY_SECRET_PEM_LABEL,
                                                        FileSecrecy::secret_file);
        if (!seed) return Unexpected(seed.error());
        keys.identity = crypto::Ed25519SecretKey::from_seed(*seed);
        crypto::secure_wipe(seed->data(), seed->size());
    }
    auto identity_public = node::read_key_array<crypto::ED25519_PUBLIC_KEY_SIZE>(
        config.public_identity_key_file, IDENTITY_PUBLIC_PEM_LABEL, FileSecrecy::public_file);
    if (!identity_public) return Unexpected(identity_public.error());
    keys.identity_public.bytes = *identity_public;
    if (!(keys.identity.public_key() == keys.identity_public))
        return config_fail(ConfigErrc::key_error, "public identity key does not match the private one");
    {
        auto raw = node::read_key_array<crypto::X25519_KEY_SIZE>(config.private_sphinx_key_file, SPHINX_SECRET_PEM_LABEL,
                                                     FileSecrecy::secret_file);
        if (!raw) return Unexpected(raw.error());
        keys.sphinx = crypto::X25519SecretKey::from_bytes(*raw);
        crypto::secure_wipe(raw->data(), raw->size());
    }
    auto sphinx_public = node::read_key_array<crypto::X25519_KEY_SIZE>(config.public_sphinx_key_file, SPHINX_PUBLIC_PEM_LABEL,
                                                           FileSecrecy::public_file);
    if (!sphinx_public) return Unexpected(sphinx_public.error());
    keys.sphinx_public.bytes = *sphinx_public;
    if (!(keys.sphinx.public_key() == keys.sphinx_public))
        return config_fail(ConfigErrc::key_error, "public Sphinx key does not match the private one");
    return keys;
}

ConfigResult<InitResult> init_node(const InitOptions& options, crypto::Rng& rng) {
    using crypto::FileSecrecy;
    if (!node::valid_id(options.id)) return config_fail(ConfigErrc::invalid_id, options.id);

    const auto dir = node::node_directory(options.root, options.id);
    const auto config_file = node::config_path(options.root, options.id);
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
    const auto data = node::data_directory(options.root, options.id);
    c.private_identity_key_file = data / "private_identity.pem";
    c.public_identity_key_file = data / "public_identity.pem";
    c.private_sphinx_key_file = data / "private_sphinx.pem";
    c.public_sphinx_key_file = data / "public_sphinx.pem";
    c.replay_state_file = data / "replay_state.bin";
    // Everything is checked before anything is written, so a bad flag leaves no half-made node.
    if (auto v = validate(c); !v) return Unexpected(v.error());

    const auto identity = crypto::Ed25519SecretKey::generate(rng);
    const auto sphinx = crypto::X25519SecretKey::generate(rng);
    InitResult result;
    result.identity_public = identity.public_key();
    result.sphinx_public = sphinx.public_key();

    if (auto r = node::write_key(c.private_identity_key_file, IDENTITY_SECRET_PEM_LABEL, identity.seed(),
                           FileSecrecy::secret_file); !r)
        return Unexpected(r.error());
    if (auto r = node::write_key(c.public_identity_key_file, IDENTITY_PUBLIC_PEM_LABEL, result.identity_public.bytes,
                           FileSecrecy::public_file); !r)
        return Unexpected(r.error());
    if (auto r = node::write_key(c.private_sphinx_key_file, SPHINX_SECRET_PEM_LABEL, sphinx.bytes(),
                           FileSecrecy::secret_file); !r)
        return Unexpected(r.error());
    if (auto r = node::write_key(c.public_sphinx_key_file, SPHINX_PUBLIC_PEM_LABEL, result.sphinx_public.bytes,
                           FileSecrecy::public_file); !r)
        return Unexpected(r.error());
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    const auto params = BloomParameters::blocked(c.replay_filter_config().expected_packets_per_epoch, c.replay_fp_rate);
    if (auto r = save_replay_state(c.replay_state_file,
                                   encode_replay_state(EpochKeys::first(sphinx, now, rng), c.replay_epoch, nullptr, params));
        !r)
        return Unexpected(r.error());
    if (auto r = save_config(c, config_file); !r) return Unexpected(r.error());

    result.config = std::move(c);
    result.config_file = config_file;
    return result;
}

std::string describe(const InitResult& r) {
    const auto params =
        BloomParameters::blocked(r.config.replay_filter_config().expected_packets_per_epoch, r.config.replay_fp_rate);
    char filter[200];
    std::snprintf(filter, sizeof filter,
                  "replay filter: %.1f MB (2 filters of %llu bits in 64-byte blocks, k = %u, for %llu packets per "
                  "epoch at p = %g)\n",
                  2.0 * static_cast<double>(params.memory_bytes()) / 1e6, static_cast<unsigned long long>(params.bits),
                  params.hash_count, static_cast<unsigned long long>(params.expected_items), params.fp_rate);
    return "Initialised mix node '" + r.config.id + "' (layer " + std::to_string(r.config.layer) + ")\n" +
           "identity key (ed25519): " + crypto::base58_encode(r.identity_public.bytes) + "\n" +
           "sphinx key (x25519):    " + crypto::base58_encode(r.sphinx_public.bytes) + "\n" +
           "config: " + r.config_file.string() + "\n" + filter;
}

} // namespace nym::mixnode
