// nym-client's config.toml and key files: round trips, every validation error names its field,
// flag overrides, file modes, and refusal to overwrite an existing client.

#include <client/config.hpp>

#include <crypto/base58.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace nym::client {
namespace {

using namespace std::chrono_literals;

class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "nym-client-test-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) std::abort();
        m_path = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const noexcept { return m_path; }

private:
    std::filesystem::path m_path;
};

unsigned mode_of(const std::filesystem::path& p) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return 0xffff;
    return static_cast<unsigned>(st.st_mode) & 0777u;
}

class ClientConfig : public ::testing::Test {
protected:
    TempDir dir;
    crypto::DeterministicRng rng{3};

    Config sample() {
        Config c = default_config(dir.path(), "alice");
        c.gateway_identity = crypto::Ed25519SecretKey::generate(rng).public_key();
        c.gateway_listener = "ws://127.0.0.1:9000";
        return c;
    }
    std::string text() { return render_config(sample()); }

    /// The config text with `key = ...` line replaced (or appended to `section` when absent).
    static std::string with_line(std::string text, std::string_view key, std::string_view line) {
        std::istringstream in(text);
        std::string out, l;
        bool replaced = false;
        while (std::getline(in, l)) {
            if (l.rfind(std::string(key) + " = ", 0) == 0 && !replaced) {
                out += std::string(line) + "\n";
                replaced = true;
            } else {
                out += l + "\n";
            }
        }
        EXPECT_TRUE(replaced) << key;
        return out;
    }
    static std::string without_line(std::string text, std::string_view key) {
        std::istringstream in(text);
        std::string out, l;
        while (std::getline(in, l))
            if (l.rfind(std::string(key) + " = ", 0) != 0) out += l + "\n";
        return out;
    }
    static std::string error_detail(std::string_view text) {
        auto c = parse_config(text);
        EXPECT_FALSE(c);
        return c ? std::string() : c.error().detail;
    }
};

TEST_F(ClientConfig, RenderedConfigParsesBackIdentically) {
    Config c = sample();
    c.listening_port = 0;
    c.socket_type = SocketType::none;
    c.traffic.average_packet_delay = 50ms;
    c.traffic.message_sending_average_delay = 7ms;
    c.traffic.loop_cover_average_delay = 1s;
    c.traffic.max_retransmissions = 4;
    c.traffic.disable_loop_cover = true;
    c.traffic.ack_wait_multiplier = 2.5;
    c.traffic.max_in_flight = 64;
    c.topology_refresh_rate = 1500ms;
    c.allowed_origins = {"https://app.example", "http://localhost:3000"};
    const std::string t = render_config(c);
    EXPECT_NE(t.find("# "), std::string::npos); // commented
    auto parsed = parse_config(t);
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(render_config(*parsed), t);
    EXPECT_EQ(parsed->gateway_identity, c.gateway_identity);
    EXPECT_EQ(parsed->listening_port, 0);
    EXPECT_EQ(parsed->socket_type, SocketType::none);
    EXPECT_EQ(parsed->traffic.average_packet_delay, 50ms);
    EXPECT_EQ(parsed->traffic.message_sending_average_delay, 7ms);
    EXPECT_EQ(parsed->traffic.max_retransmissions, std::optional<std::uint32_t>(4));
    EXPECT_TRUE(parsed->traffic.disable_loop_cover);
    EXPECT_FALSE(parsed->traffic.disable_main_poisson);
    EXPECT_DOUBLE_EQ(parsed->traffic.ack_wait_multiplier, 2.5);
    EXPECT_EQ(parsed->traffic.max_in_flight, 64u);
    EXPECT_EQ(parsed->topology_refresh_rate, 1500ms);
    EXPECT_EQ(parsed->allowed_origins, c.allowed_origins);
}

TEST_F(ClientConfig, DefaultsFollowSeedAndNym) {
    auto parsed = parse_config(text());
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->listening_port, 9001);
    EXPECT_EQ(parsed->socket_type, SocketType::websocket);
    EXPECT_EQ(parsed->traffic.average_packet_delay, 15ms);
    EXPECT_EQ(parsed->traffic.message_sending_average_delay, 20ms);
    EXPECT_EQ(parsed->traffic.loop_cover_average_delay, 200ms);
    EXPECT_FALSE(parsed->traffic.max_retransmissions.has_value());
    EXPECT_EQ(parsed->topology_refresh_rate, 30s);
    EXPECT_TRUE(parsed->allowed_origins.empty()) << "no web page may use the API unless allowed";
}

TEST_F(ClientConfig, OptionalKeysFallBackToDefaults) {
    std::string t = text();
    for (const char* key : {"listening_port", "socket_type", "average_packet_delay", "topology_refresh_rate",
                            "ack_wait_multiplier", "disable_loop_cover_traffic_stream", "listener"})
        t = without_line(t, key);
    auto parsed = parse_config(t);
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(parsed->listening_port, DEFAULT_API_PORT);
    EXPECT_EQ(parsed->traffic.average_packet_delay, 15ms);
    EXPECT_TRUE(parsed->gateway_listener.empty());
}

TEST_F(ClientConfig, EveryBadValueIsRefusedNamingItsField) {
    const std::string t = text();
    EXPECT_NE(error_detail("[client\nid = 1").find("line"), std::string::npos);
    EXPECT_NE(error_detail(without_line(t, "id")).find("client.id"), std::string::npos);
    EXPECT_NE(error_detail(with_line(t, "id", "id = 5")).find("client.id (expected a string)"), std::string::npos);
    EXPECT_NE(error_detail(with_line(t, "id", "id = \"a b\"")).find("client.id"), std::string::npos);
    EXPECT_NE(error_detail(with_line(t, "directory", "directory = \"ftp://x\"")).find("client.directory"),
              std::string::npos);
    // [gateway] id is the second "id = " line.
    const std::string bad_gateway = [&] {
        std::string s = t;
        const auto pos = s.find("\nid = ", s.find("[gateway]"));
        const auto end = s.find('\n', pos + 1);
        return s.replace(pos, end - pos, "\nid = \"not-base58-0OIl\"");
    }();
    EXPECT_NE(error_detail(bad_gateway).find("gateway.id"), std::string::npos);
    EXPECT_NE(error_detail(with_line(t, "socket_type", "socket_type = \"udp\"")).find("socket.socket_type"),
              std::string::npos);
    EXPECT_NE(error_detail(with_line(t, "listening_port", "listening_port = 70000")).find("socket.listening_port"),
              std::string::npos);
    EXPECT_NE(error_detail(with_line(t, "listening_port", "listening_port = \"9001\"")).find("expected an integer"),
              std::string::npos);
    EXPECT_NE(error_detail(with_line(t, "average_packet_delay", "average_packet_delay = \"15 parsecs\""))
                  .find("traffic.average_packet_delay"),
              std::string::npos);
    EXPECT_NE(error_detail(with_line(t, "average_packet_delay", "average_packet_delay = 15"))
                  .find("traffic.average_packet_delay"),
              std::string::npos);
    EXPECT_NE(error_detail(with_line(t, "message_sending_average_delay", "message_sending_average_delay = \"0ms\""))
                  .find("traffic.message_sending_average_delay"),
              std::string::npos);
    EXPECT_NE(error_detail(with_line(t, "ack_wait_multiplier", "ack_wait_multiplier = 0.5"))
                  .find("ack_wait_multiplier"),
              std::string::npos);
    EXPECT_NE(error_detail(with_line(t, "disable_loop_cover_traffic_stream", "disable_loop_cover_traffic_stream = 1"))
                  .find("expected true or false"),
              std::string::npos);
    EXPECT_NE(error_detail(without_line(t, "gateway_shared_key_file")).find("keys.gateway_shared_key_file"),
              std::string::npos);
    EXPECT_NE(error_detail(with_line(t, "max_message_size", "max_message_size = 0")).find("traffic.max_message_size"),
              std::string::npos);
    EXPECT_NE(error_detail(with_line(t, "max_in_flight", "max_in_flight = 2")).find("traffic.max_in_flight"),
              std::string::npos);
    EXPECT_NE(error_detail(with_line(t, "allowed_origins", "allowed_origins = [\"null\"]"))
                  .find("socket.allowed_origins"),
              std::string::npos);
    EXPECT_NE(error_detail(with_line(t, "allowed_origins", "allowed_origins = \"https://a.example\""))
                  .find("socket.allowed_origins"),
              std::string::npos);
    auto missing = parse_config(without_line(t, "id"));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error(), ConfigErrc::missing_field);
    auto wrong = parse_config(with_line(t, "listening_port", "listening_port = \"9001\""));
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error(), ConfigErrc::wrong_type);
    auto range = parse_config(with_line(t, "listening_port", "listening_port = 70000"));
    ASSERT_FALSE(range);
    EXPECT_EQ(range.error(), ConfigErrc::invalid_value);
    auto not_toml = parse_config("[client\nid = 1");
    ASSERT_FALSE(not_toml);
    EXPECT_EQ(not_toml.error(), ConfigErrc::parse_error);
}

TEST_F(ClientConfig, FlagsOverrideTheFile) {
    Config c = sample();
    ConfigOverrides o;
    o.listening_port = 0;
    o.socket_type = SocketType::tcp;
    o.directory_url = "http://10.0.0.1:9999";
    o.average_packet_delay = 1ms;
    o.message_sending_average_delay = 5ms;
    o.loop_cover_average_delay = 50ms;
    o.disable_loop_cover = true;
    o.max_retransmissions = 3;
    o.topology_refresh_rate = 2s;
    const Config m = merge(c, o);
    EXPECT_EQ(m.listening_port, 0);
    EXPECT_EQ(m.socket_type, SocketType::tcp);
    EXPECT_EQ(m.directory_url, "http://10.0.0.1:9999");
    EXPECT_EQ(m.traffic.average_packet_delay, 1ms);
    EXPECT_EQ(m.traffic.message_sending_average_delay, 5ms);
    EXPECT_EQ(m.traffic.loop_cover_average_delay, 50ms);
    EXPECT_TRUE(m.traffic.disable_loop_cover);
    EXPECT_EQ(m.traffic.max_retransmissions, std::optional<std::uint32_t>(3));
    EXPECT_EQ(m.topology_refresh_rate, 2s);
    EXPECT_EQ(m.gateway_identity, c.gateway_identity); // untouched
    EXPECT_TRUE(validate(m));
    ConfigOverrides bad;
    bad.listening_port = 65536;
    EXPECT_FALSE(validate(merge(c, bad)));
}

TEST_F(ClientConfig, CommandLineFlagsBecomeOverridesOrNameTheBadFlag) {
    ConfigFlags f;
    f.socket_type = "None";
    f.port = 0;
    f.packet_delay = "5ms";
    f.topology_refresh = "2s";
    f.disable_cover = true;
    auto o = overrides_from(f);
    ASSERT_TRUE(o) << o.error();
    EXPECT_EQ(o->socket_type, SocketType::none);
    EXPECT_EQ(o->listening_port, 0);
    EXPECT_EQ(o->average_packet_delay, std::optional<std::chrono::microseconds>(5ms));
    EXPECT_EQ(o->topology_refresh_rate, std::optional<std::chrono::microseconds>(2s));
    EXPECT_EQ(o->disable_loop_cover, true);
    EXPECT_EQ(o->disable_main_poisson, true);
    EXPECT_FALSE(o->directory_url);
    f.socket_type = "udp";
    EXPECT_EQ(overrides_from(f).error(), "invalid --socket-type 'udp' (use websocket, tcp or none)");
    f.socket_type.clear();
    f.send_delay = "fast";
    EXPECT_EQ(overrides_from(f).error(), "invalid duration 'fast' (use e.g. 15ms, 2s, 500us)");

    EXPECT_FALSE(*parse_gateway_flag(""));
    const auto key = crypto::Ed25519SecretKey::generate(rng).public_key();
    EXPECT_EQ(*parse_gateway_flag(crypto::base58_encode(key.bytes)), std::optional<crypto::Ed25519PublicKey>(key));
    EXPECT_EQ(parse_gateway_flag("0OIl").error(), "invalid --gateway '0OIl': expected a base58 Ed25519 key");
}

TEST_F(ClientConfig, RunSettingsComeFromTheFileTheFlagsAndTheGatewayFlag) {
    auto missing = run_settings(dir.path(), "nobody", {}, std::nullopt);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error(), "client 'nobody' does not exist (no " + config_path(dir.path(), "nobody").string() +
                                   "; run `nym-client init --id nobody` first)");
    Config c = sample();
    ASSERT_TRUE(write_client(c, config_path(dir.path(), "alice"), crypto::Ed25519SecretKey::generate(rng),
                             wire::gateway::SharedKey{}, false));
    ConfigOverrides o;
    o.listening_port = 0;
    auto same = run_settings(dir.path(), "alice", o, c.gateway_identity);
    ASSERT_TRUE(same) << same.error();
    EXPECT_EQ(same->config.listening_port, 0);
    EXPECT_FALSE(same->register_again);
    EXPECT_EQ(same->config_file, config_path(dir.path(), "alice"));
    const auto other = crypto::Ed25519SecretKey::generate(rng).public_key();
    auto moved = run_settings(dir.path(), "alice", {}, other);
    ASSERT_TRUE(moved);
    EXPECT_TRUE(moved->register_again);
    EXPECT_EQ(moved->config.gateway_identity, other);
    EXPECT_TRUE(moved->config.gateway_listener.empty());
    o.listening_port = 70000;
    EXPECT_FALSE(run_settings(dir.path(), "alice", o, std::nullopt));
}

TEST_F(ClientConfig, DurationsParseAndFormat) {
    EXPECT_EQ(parse_duration("15ms"), std::optional<std::chrono::microseconds>(15ms));
    EXPECT_EQ(parse_duration("15"), std::optional<std::chrono::microseconds>(15ms));
    EXPECT_EQ(parse_duration("2s"), std::optional<std::chrono::microseconds>(2s));
    EXPECT_EQ(parse_duration("500us"), std::optional<std::chrono::microseconds>(500us));
    EXPECT_EQ(parse_duration("5m"), std::optional<std::chrono::microseconds>(5min));
    EXPECT_EQ(parse_duration("1h"), std::optional<std::chrono::microseconds>(1h));
    EXPECT_EQ(parse_duration("0ms"), std::optional<std::chrono::microseconds>(0us));
    for (const char* bad : {"", "ms", "-5ms", "1.5s", "15 ms", "15parsecs", "9999999999999h", "10000h"})
        EXPECT_FALSE(parse_duration(bad)) << bad;
    EXPECT_EQ(format_duration(15ms), "15ms");
    EXPECT_EQ(format_duration(30s), "30s");
    EXPECT_EQ(format_duration(1500ms), "1500ms");
    EXPECT_EQ(format_duration(250us), "250us");
    EXPECT_EQ(format_duration(5min), "5m");
    EXPECT_EQ(format_duration(0us), "0ms");
}

TEST_F(ClientConfig, SocketTypesAreCaseInsensitive) {
    EXPECT_EQ(parse_socket_type("WebSocket"), SocketType::websocket);
    EXPECT_EQ(parse_socket_type("TCP"), SocketType::tcp);
    EXPECT_EQ(parse_socket_type("None"), SocketType::none);
    EXPECT_FALSE(parse_socket_type("udp"));
    EXPECT_FALSE(parse_socket_type(""));
}

TEST_F(ClientConfig, WriteClientStoresKeysSecretlyAndLoadsBack) {
    Config c = sample();
    const auto identity = crypto::Ed25519SecretKey::generate(rng);
    wire::gateway::SharedKey shared;
    shared.mutable_bytes()[0] = 42;
    const auto file = config_path(dir.path(), "alice");
    ASSERT_TRUE(write_client(c, file, identity, shared, false));
    EXPECT_EQ(mode_of(c.private_identity_key_file), 0600u);
    EXPECT_EQ(mode_of(c.gateway_shared_key_file), 0600u);
    EXPECT_EQ(file, dir.path() / "alice" / "config" / "config.toml");
    EXPECT_EQ(c.private_identity_key_file, dir.path() / "alice" / "data" / "private_identity.pem");

    auto loaded = load_config(file);
    ASSERT_TRUE(loaded) << loaded.error().message();
    EXPECT_EQ(loaded->id, "alice");
    auto keys = load_keys(*loaded);
    ASSERT_TRUE(keys) << keys.error().message();
    EXPECT_EQ(keys->identity_public, identity.public_key());
    auto key = load_shared_key(*loaded);
    ASSERT_TRUE(key);
    EXPECT_TRUE(key->ct_equals(shared));

    // A second init is refused unless forced.
    auto again = write_client(c, file, identity, shared, false);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error(), ConfigErrc::already_exists);
    const auto other = crypto::Ed25519SecretKey::generate(rng);
    ASSERT_TRUE(write_client(c, file, other, shared, true));
    auto reloaded = load_keys(*load_config(file));
    ASSERT_TRUE(reloaded);
    EXPECT_EQ(reloaded->identity_public, other.public_key());
}

TEST_F(ClientConfig, KeyProblemsAreKeyFileErrors) {
    Config c = sample();
    const auto identity = crypto::Ed25519SecretKey::generate(rng);
    const auto file = config_path(dir.path(), "alice");
    ASSERT_TRUE(write_client(c, file, identity, wire::gateway::SharedKey{}, false));
    // A world-readable secret is refused.
    ::chmod(c.private_identity_key_file.c_str(), 0644);
    auto loose = load_keys(c);
    ASSERT_FALSE(loose);
    EXPECT_EQ(loose.error(), ConfigErrc::key_error);
    ::chmod(c.private_identity_key_file.c_str(), 0600);
    // A public key that does not match.
    std::filesystem::copy_file(c.public_identity_key_file, dir.path() / "keep.pem");
    const auto other = crypto::Ed25519SecretKey::generate(rng);
    Config c2 = default_config(dir.path(), "bob");
    c2.gateway_identity = c.gateway_identity;
    ASSERT_TRUE(write_client(c2, config_path(dir.path(), "bob"), other, wire::gateway::SharedKey{}, false));
    std::filesystem::copy_file(c2.public_identity_key_file, c.public_identity_key_file,
                               std::filesystem::copy_options::overwrite_existing);
    auto mismatch = load_keys(c);
    ASSERT_FALSE(mismatch);
    EXPECT_EQ(mismatch.error(), ConfigErrc::key_error);
    EXPECT_NE(mismatch.error().detail.find("does not match"), std::string::npos);
    // Missing shared key.
    std::filesystem::remove(c.gateway_shared_key_file);
    auto missing = load_shared_key(c);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error(), ConfigErrc::key_error);
}

TEST_F(ClientConfig, MissingConfigAndRelativePaths) {
    auto missing = load_config(config_path(dir.path(), "nobody"));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error(), ConfigErrc::missing_file);

    std::string t = text();
    t = with_line(t, "private_identity_key_file", "private_identity_key_file = \"../data/private_identity.pem\"");
    auto parsed = parse_config(t, dir.path() / "alice" / "config");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->private_identity_key_file, dir.path() / "alice" / "config" / "../data/private_identity.pem");
}

TEST_F(ClientConfig, IdsAreRestrictedToSafeCharacters) {
    EXPECT_TRUE(valid_id("alice"));
    EXPECT_TRUE(valid_id("Bob_2-x"));
    EXPECT_FALSE(valid_id(""));
    EXPECT_FALSE(valid_id("../etc"));
    EXPECT_FALSE(valid_id("a/b"));
    EXPECT_FALSE(valid_id(std::string(65, 'a')));
}

TEST_F(ClientConfig, DefaultRootIsUnderHome) {
    const char* old = std::getenv("HOME");
    const std::string saved = old ? old : "";
    ::setenv("HOME", "/home/someone", 1);
    auto root = default_root();
    ASSERT_TRUE(root);
    EXPECT_EQ(*root, std::filesystem::path("/home/someone/.nym/clients"));
    ::setenv("HOME", "", 1);
    auto none = default_root();
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error(), ConfigErrc::no_home);
    if (old) ::setenv("HOME", saved.c_str(), 1);
}

} // namespace
} // namespace nym::client
