#include <mixnode/config.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

namespace nym::mixnode {
namespace {

namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::random_device rd;
        m_root = fs::temp_directory_path() / ("nym-mixnode-test-" + std::to_string(rd()));
        fs::create_directories(m_root);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(m_root, ec);
    }

    InitOptions options(std::string id = "mix1") const {
        InitOptions o;
        o.root = m_root;
        o.id = std::move(id);
        o.layer = 2;
        o.host = "127.0.0.1";
        o.port = 1800;
        o.directory_url = "http://127.0.0.1:8080";
        return o;
    }

    static unsigned mode_of(const fs::path& p) {
        struct stat st {};
        if (::stat(p.c_str(), &st) != 0) return 0xFFFF;
        return static_cast<unsigned>(st.st_mode) & 0777U;
    }

    static void write(const fs::path& p, std::string_view text) {
        std::ofstream out(p, std::ios::trunc);
        out << text;
    }

    fs::path m_root;
    crypto::DeterministicRng m_rng{7};
};

TEST_F(ConfigTest, InitWritesKeysAndConfigThatLoadBack) {
    auto r = init_node(options(), m_rng);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->config_file, m_root / "mix1" / "config" / "config.toml");
    ASSERT_TRUE(fs::exists(r->config_file));

    auto loaded = load_config(r->config_file);
    ASSERT_TRUE(loaded) << loaded.error().message();
    EXPECT_EQ(loaded->id, "mix1");
    EXPECT_EQ(loaded->layer, 2);
    EXPECT_EQ(loaded->listen_host, "127.0.0.1");
    EXPECT_EQ(loaded->listen_port, 1800);
    EXPECT_EQ(loaded->announce_host, "127.0.0.1");
    EXPECT_EQ(loaded->directory_url, "http://127.0.0.1:8080");
    EXPECT_EQ(loaded->max_delay, std::chrono::milliseconds(10'000));
    EXPECT_EQ(loaded->egress_queue_length, 2000u);
    EXPECT_EQ(loaded->worker_threads, 1u);
    EXPECT_DOUBLE_EQ(loaded->replay_fp_rate, 1e-5);
    EXPECT_EQ(loaded->private_sphinx_key_file, r->config.private_sphinx_key_file);

    auto keys = load_keys(*loaded);
    ASSERT_TRUE(keys) << keys.error().message();
    EXPECT_EQ(keys->identity_public, r->identity_public);
    EXPECT_EQ(keys->sphinx_public, r->sphinx_public);
    EXPECT_EQ(keys->sphinx.public_key(), r->sphinx_public);
}

TEST_F(ConfigTest, SecretFilesAre0600) {
    auto r = init_node(options(), m_rng);
    ASSERT_TRUE(r);
    EXPECT_EQ(mode_of(r->config.private_identity_key_file), 0600U);
    EXPECT_EQ(mode_of(r->config.private_sphinx_key_file), 0600U);
    EXPECT_TRUE(fs::exists(r->config.public_identity_key_file));
    EXPECT_TRUE(fs::exists(r->config.public_sphinx_key_file));
    // A secret file opened up to others is refused when loading.
    fs::permissions(r->config.private_sphinx_key_file, fs::perms::others_read, fs::perm_options::add);
    auto keys = load_keys(r->config);
    ASSERT_FALSE(keys);
    EXPECT_TRUE(keys.error() == ConfigErrc::key_error);
}

TEST_F(ConfigTest, RefusesToOverwriteUnlessForced) {
    auto first = init_node(options(), m_rng);
    ASSERT_TRUE(first);
    auto again = init_node(options(), m_rng);
    ASSERT_FALSE(again);
    EXPECT_TRUE(again.error() == ConfigErrc::already_exists);
    auto forced_opts = options();
    forced_opts.force = true;
    auto forced = init_node(forced_opts, m_rng);
    ASSERT_TRUE(forced) << forced.error().message();
    EXPECT_NE(forced->sphinx_public, first->sphinx_public);
}

TEST_F(ConfigTest, InitValidatesBeforeWriting) {
    auto o = options("bad/../id");
    auto r = init_node(o, m_rng);
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error() == ConfigErrc::invalid_id);
    o = options();
    o.layer = 4;
    r = init_node(o, m_rng);
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error() == ConfigErrc::invalid_value);
    EXPECT_FALSE(fs::exists(m_root / "mix1"));
    o = options();
    o.port = 70000;
    EXPECT_TRUE(init_node(o, m_rng).error() == ConfigErrc::invalid_port);
    o = options();
    o.host = "0.0.0.0"; // listening everywhere needs an explicit announce address
    EXPECT_TRUE(init_node(o, m_rng).error() == ConfigErrc::invalid_host);
    o.announce_host = "mix1.example.org";
    EXPECT_TRUE(init_node(o, m_rng));
}

TEST_F(ConfigTest, LoadErrorsAreTyped) {
    EXPECT_TRUE(load_config(m_root / "nope.toml").error() == ConfigErrc::missing_file);
    write(m_root / "broken.toml", "[mixnode\nid = 1");
    EXPECT_TRUE(load_config(m_root / "broken.toml").error() == ConfigErrc::parse_error);

    auto r = init_node(options(), m_rng);
    ASSERT_TRUE(r);
    const std::string good = render_config(r->config);
    auto replace = [&](std::string_view from, std::string_view to) {
        std::string t = good;
        const auto at = t.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        t.replace(at, from.size(), to);
        return t;
    };
    EXPECT_TRUE(parse_config(good));
    EXPECT_TRUE(parse_config(replace("layer = 2", "layer = 7")).error() == ConfigErrc::invalid_value);
    EXPECT_TRUE(parse_config(replace("layer = 2", "layer = \"two\"")).error() == ConfigErrc::wrong_type);
    EXPECT_TRUE(parse_config(replace("layer = 2", "")).error() == ConfigErrc::missing_field);
    EXPECT_TRUE(parse_config(replace("listen_port = 1800", "listen_port = 0")).error() == ConfigErrc::invalid_port);
    EXPECT_TRUE(parse_config(replace("listen_port = 1800", "listen_port = 99999999999")).error() ==
                ConfigErrc::invalid_port);
    EXPECT_TRUE(parse_config(replace("http://127.0.0.1:8080", "ftp://x")).error() == ConfigErrc::invalid_url);
    EXPECT_TRUE(parse_config(replace("worker_threads = 1", "worker_threads = 0")).error() ==
                ConfigErrc::invalid_value);
    EXPECT_TRUE(parse_config(replace("max_delay_ms = 10000", "max_delay_ms = -1")).error() ==
                ConfigErrc::invalid_value);
    EXPECT_TRUE(parse_config(replace("false_positive_rate = 1e-05", "false_positive_rate = 0.9")).error() ==
                ConfigErrc::invalid_value);
    const auto err = parse_config(replace("layer = 2", "layer = 7")).error();
    EXPECT_NE(err.message().find("mixnode.layer"), std::string::npos);
}

TEST_F(ConfigTest, FilesFromBeforeKeyEpochsAndLimitsStillLoad) {
    auto r = init_node(options(), m_rng);
    ASSERT_TRUE(r);
    EXPECT_TRUE(fs::exists(r->config.replay_state_file)) << "init writes the first replay state";
    EXPECT_EQ(mode_of(r->config.replay_state_file), 0600U);
    std::string text = render_config(r->config);
    auto drop_line = [&](std::string_view key) {
        const auto at = text.find(key);
        ASSERT_NE(at, std::string::npos) << key;
        text.erase(at, text.find('\n', at) - at + 1);
    };
    drop_line("replay_state_file =");
    drop_line("[limits]");
    drop_line("inbound_idle_timeout_secs =");
    drop_line("max_inbound_connections =");
    drop_line("max_inbound_per_ip =");
    auto old = parse_config(text);
    ASSERT_TRUE(old) << old.error().message();
    EXPECT_TRUE(old->replay_state_predates);
    EXPECT_EQ(old->replay_state_file, r->config.replay_state_file) << "beside the private Sphinx key";
    EXPECT_EQ(old->inbound_idle_timeout, std::chrono::seconds(120));
    EXPECT_EQ(old->max_inbound_per_ip, 64u);
    auto current = parse_config(render_config(r->config));
    ASSERT_TRUE(current);
    EXPECT_FALSE(current->replay_state_predates);
}

TEST_F(ConfigTest, TheFileIsCommented) {
    auto r = init_node(options(), m_rng);
    ASSERT_TRUE(r);
    std::string text(static_cast<std::size_t>(fs::file_size(r->config_file)), '\0');
    std::ifstream in(r->config_file, std::ios::binary);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    EXPECT_NE(text.find("# Mix layer"), std::string::npos);
    EXPECT_NE(text.find("# Longest delay"), std::string::npos);
}

TEST_F(ConfigTest, StringsAreEscaped) {
    auto r = init_node(options(), m_rng);
    ASSERT_TRUE(r);
    Config c = r->config;
    c.directory_url = "http://host/path\"with\\odd";
    auto parsed = parse_config(render_config(c));
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(parsed->directory_url, c.directory_url);
}

TEST(ConfigMerge, FlagsOverrideFileValues) {
    Config base;
    base.id = "m";
    base.layer = 1;
    base.listen_port = 1789;
    base.announce_host = "a.example";
    base.worker_threads = 1;
    ConfigOverrides o;
    o.layer = 3;
    o.listen_port = 2000;
    o.worker_threads = 2;
    o.max_delay = std::chrono::milliseconds(500);
    const Config merged = merge(base, o);
    EXPECT_EQ(merged.layer, 3);
    EXPECT_EQ(merged.listen_port, 2000);
    EXPECT_EQ(merged.worker_threads, 2u);
    EXPECT_EQ(merged.max_delay, std::chrono::milliseconds(500));
    EXPECT_EQ(merged.id, "m");                       // untouched
    EXPECT_EQ(merged.announce_host, "a.example");    // untouched
    EXPECT_EQ(merge(base, ConfigOverrides{}).layer, 1);
}

TEST(ConfigPaths, RootFromHome) {
    const char* old = std::getenv("HOME");
    const std::string saved = old != nullptr ? old : "";
    ::setenv("HOME", "/tmp/some-home", 1);
    auto root = node::default_root(ROLE_FOLDER);
    ASSERT_TRUE(root);
    EXPECT_EQ(*root, fs::path("/tmp/some-home/.nym/mixnodes"));
    ::unsetenv("HOME");
    EXPECT_TRUE(node::default_root(ROLE_FOLDER).error() == ConfigErrc::no_home);
    if (old != nullptr) ::setenv("HOME", saved.c_str(), 1);
    EXPECT_EQ(node::config_path("/r", "x"), fs::path("/r/x/config/config.toml"));
}

TEST(ConfigReplay, FilterSizeFollowsConfig) {
    Config c;
    c.replay_expected_packets_per_second = 100;
    c.replay_epoch = std::chrono::seconds(3600);
    const auto rc = c.replay_filter_config();
    EXPECT_EQ(rc.expected_packets_per_epoch, 360'000u);
    EXPECT_DOUBLE_EQ(rc.fp_rate, 1e-5);
}

} // namespace
} // namespace nym::mixnode
