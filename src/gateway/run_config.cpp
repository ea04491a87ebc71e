#include <gateway/run_config.hpp>

#include <runtime/http.hpp>
#include <util/duration.hpp>

namespace nym::gateway {
namespace {

Unexpected<std::string> refuse(std::string message) { return Unexpected<std::string>(std::move(message)); }

} // namespace

Expected<PreparedRun, std::string> prepare_run(const RunFlags& flags) {
    auto root = node::resolve_root(flags.root, ROLE_FOLDER);
    if (!root) return refuse(root.error().message());
    auto loaded = load_config(config_path(*root, flags.id));
    if (!loaded) {
        if (loaded.error() == ConfigErrc::missing_file)
            return refuse("no gateway '" + flags.id + "' under " + root->string() + " (run `nym-gateway init --id " +
                          flags.id + " ...` first)");
        return refuse(loaded.error().message());
    }

    ConfigOverrides overrides;
    overrides.directory_url = flags.directory;
    // Port 0 (any free port) is for the listener only; the config keeps its own port numbers valid.
    if (flags.mix_port && *flags.mix_port != 0) overrides.mix_port = flags.mix_port;
    if (flags.clients_port && *flags.clients_port != 0) overrides.clients_port = flags.clients_port;
    if (flags.max_age_secs)
        overrides.message_max_age = std::chrono::seconds(static_cast<std::int64_t>(*flags.max_age_secs));
    if (!flags.cleanup_interval.empty()) {
        auto d = util::parse_flag_duration(flags.cleanup_interval);
        if (!d || d->count() < 1000)
            return refuse("invalid --cleanup-interval '" + flags.cleanup_interval + "' (at least 1s, e.g. 1h)");
        overrides.cleanup_interval = std::chrono::duration_cast<std::chrono::seconds>(*d);
    }
    // The announced host: --announce-host, else a specific --host, else the config's host.
    if (flags.announce_host) {
        overrides.host = flags.announce_host;
    } else if (flags.host && !node::unspecified_address(*flags.host)) {
        overrides.host = flags.host;
    }

    PreparedRun run;
    run.daemon.config = merge(std::move(*loaded), overrides);
    const Config& config = run.daemon.config;
    if (auto valid = validate(config); !valid) return refuse(valid.error().message());
    auto keys = load_keys(config);
    if (!keys) return refuse(keys.error().message());
    run.keys = std::move(*keys);
    auto heartbeat = util::parse_flag_duration(flags.heartbeat_interval);
    if (!heartbeat || heartbeat->count() < 10)
        return refuse("invalid --heartbeat-interval '" + flags.heartbeat_interval + "' (e.g. 500ms or 2s)");
    run.daemon.heartbeat_interval = *heartbeat;
    if (!runtime::parse_url(config.directory_url))
        return refuse("unusable directory URL '" + config.directory_url + "'");
    auto store = MessageStore::open(config.database_file, config.store_limits());
    if (!store)
        return refuse("cannot open the message store " + config.database_file.string() + ": " +
                      store.error().message());
    run.store = std::move(*store);

    run.daemon.listen_host = flags.host.value_or(config.host);
    const int mix_port = flags.mix_port.value_or(config.mix_port);
    const int clients_port = flags.clients_port.value_or(config.clients_port);
    if (mix_port < 0 || mix_port > 65535) return refuse("--mix-port must be 0-65535");
    if (clients_port < 0 || clients_port > 65535) return refuse("--clients-port must be 0-65535");
    run.daemon.mix_port = static_cast<std::uint16_t>(mix_port);
    run.daemon.clients_port = static_cast<std::uint16_t>(clients_port);
    if (flags.admin_port) {
        if (*flags.admin_port < 0 || *flags.admin_port > 65535) return refuse("--admin-port must be 0-65535");
        run.daemon.admin_port = static_cast<std::uint16_t>(*flags.admin_port);
    } else if (config.admin_enabled) {
        run.daemon.admin_port = static_cast<std::uint16_t>(config.admin_port);
    }
    return run;
}

} // namespace nym::gateway
