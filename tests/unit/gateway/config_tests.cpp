#include <gateway/config.hpp>

#include "test_util.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

namespace nym::gateway {
namespace {

using test::TempDir;

InitOptions options(const std::filesystem::path& root) {
    InitOptions o;
    o.root = root;
    o.id = "gw1";
    o.host = "10.1.2.3";
    o.mix_port = 1789;
    o.clients_port = 9000;
    o.directory_url = "http://dir.example:8080";
    return o;
}

unsigned mode_of(const std::filesystem::path& p) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return 0;
    return st.st_mode & 0777;
}

TEST(GatewayConfig, InitWritesKeysConfigAndDatabase) {
    TempDir dir;
    crypto::DeterministicRng rng(3);
    auto result = init_gateway(options(dir.path()), rng);
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(result->config_file, dir.path() / "gw1" / "config" / "config.toml");
    const Config& c = result->config;
    EXPECT_EQ(mode_of(c.private_identity_key_file), 0600u);
    EXPECT_EQ(mode_of(c.private_sphinx_key_file), 0600u);
    EXPECT_EQ(mode_of(c.database_file), 0600u);
    EXPECT_TRUE(std::filesystem::exists(c.public_identity_key_file));
    EXPECT_TRUE(std::filesystem::exists(c.public_sphinx_key_file));

    auto loaded = load_config(result->config_file);
    ASSERT_TRUE(loaded) << loaded.error().message();
    EXPECT_EQ(loaded->id, "gw1");
    EXPECT_EQ(loaded->host, "10.1.2.3");
    EXPECT_EQ(loaded->mix_port, 1789);
    EXPECT_EQ(loaded->clients_port, 9000);
    EXPECT_EQ(loaded->directory_url, "http://dir.example:8080");
    EXPECT_EQ(loaded->database_file, c.database_file);
    EXPECT_EQ(loaded->message_max_age, std::chrono::hours(24));
    EXPECT_EQ(loaded->cleanup_interval, std::chrono::hours(1));
    EXPECT_EQ(loaded->message_retrieval_limit, 100u);

    auto keys = load_keys(*loaded);
    ASSERT_TRUE(keys) << keys.error().message();
    EXPECT_EQ(keys->identity_public, result->identity_public);
    EXPECT_EQ(keys->sphinx_public, result->sphinx_public);

    // The config is commented for the operator.
    std::ifstream in(result->config_file);
    std::string text(static_cast<std::size_t>(std::filesystem::file_size(result->config_file)), '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    EXPECT_NE(text.find("# "), std::string::npos);
    EXPECT_NE(text.find("0600"), std::string::npos);
}

TEST(GatewayConfig, InitRefusesToOverwriteWithoutForce) {
    TempDir dir;
    crypto::DeterministicRng rng(4);
    auto first = init_gateway(options(dir.path()), rng);
    ASSERT_TRUE(first);
    auto again = init_gateway(options(dir.path()), rng);
    ASSERT_FALSE(again);
    EXPECT_TRUE(again.error() == ConfigErrc::already_exists);
    auto keys = load_keys(first->config);
    ASSERT_TRUE(keys);
    EXPECT_EQ(keys->identity_public, first->identity_public); // untouched

    InitOptions forced = options(dir.path());
    forced.force = true;
    auto replaced = init_gateway(forced, rng);
    ASSERT_TRUE(replaced);
    EXPECT_NE(replaced->identity_public, first->identity_public);
    EXPECT_EQ(load_keys(replaced->config).value().identity_public, replaced->identity_public);
}

TEST(GatewayConfig, DefaultRootHonoursHome) {
    const char* old = std::getenv("HOME");
    const std::string saved = old != nullptr ? old : "";
    ::setenv("HOME", "/some/home", 1);
    auto root = default_root();
    ASSERT_TRUE(root);
    EXPECT_EQ(*root, std::filesystem::path("/some/home/.nym/gateways"));
    ::setenv("HOME", "", 1);
    auto none = default_root();
    ASSERT_FALSE(none);
    EXPECT_TRUE(none.error() == ConfigErrc::no_home);
    if (old != nullptr) ::setenv("HOME", saved.c_str(), 1);
    else ::unsetenv("HOME");
}

std::string valid_text() {
    return "[gateway]\nid = \"g\"\nhost = \"gw.example\"\nmix_port = 1789\nclients_port = 9000\n"
           "directory = \"https://dir.example\"\n"
           "[keys]\nprivate_identity_key_file = \"data/pi.pem\"\npublic_identity_key_file = \"data/ui.pem\"\n"
           "private_sphinx_key_file = \"data/ps.pem\"\npublic_sphinx_key_file = \"/abs/us.pem\"\n"
           "[storage]\ndatabase_file = \"data/db.sqlite\"\n";
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const auto pos = text.find(from);
    if (pos == std::string::npos) ADD_FAILURE() << "no '" << from << "' in the config text";
    else text.replace(pos, from.size(), to);
    return text;
}

TEST(GatewayConfig, ParsesDefaultsAndResolvesRelativePaths) {
    auto c = parse_config(valid_text(), "/etc/gw/config");
    ASSERT_TRUE(c) << c.error().message();
    EXPECT_EQ(c->private_identity_key_file, std::filesystem::path("/etc/gw/config/data/pi.pem"));
    EXPECT_EQ(c->public_sphinx_key_file, std::filesystem::path("/abs/us.pem"));
    EXPECT_EQ(c->max_messages_per_client, StoreLimits{}.max_messages_per_client);
    EXPECT_EQ(c->message_max_age, std::chrono::seconds(86400));
    auto custom = parse_config(valid_text() + "message_max_age_secs = 60\ncleanup_interval_secs = 5\n"
                                              "max_messages_per_client = 7\nmax_bytes_per_client = 40000\n");
    ASSERT_TRUE(custom) << custom.error().message();
    EXPECT_EQ(custom->message_max_age, std::chrono::seconds(60));
    EXPECT_EQ(custom->cleanup_interval, std::chrono::seconds(5));
    EXPECT_EQ(custom->store_limits().max_messages_per_client, 7u);
    EXPECT_EQ(custom->store_limits().max_bytes_per_client, 40000u);
}

TEST(GatewayConfig, InvalidConfigsGiveTypedErrorsNamingTheField) {
    struct Case {
        std::string text;
        std::string field;
        ConfigErrc code;
    };
    const std::vector<Case> cases{
        {"[gateway\nid = 1", "line", ConfigErrc::parse_error},
        {replaced(valid_text(), "id = \"g\"\n", ""), "gateway.id", ConfigErrc::missing_field},
        {replaced(valid_text(), "id = \"g\"", "id = 5"), "gateway.id", ConfigErrc::wrong_type},
        {replaced(valid_text(), "id = \"g\"", "id = \"a b\""), "gateway.id", ConfigErrc::invalid_id},
        {replaced(valid_text(), "host = \"gw.example\"", "host = \"0.0.0.0\""), "gateway.host", ConfigErrc::invalid_host},
        {replaced(valid_text(), "mix_port = 1789", "mix_port = 70000"), "gateway.mix_port", ConfigErrc::invalid_port},
        {replaced(valid_text(), "clients_port = 9000", "clients_port = 1789"), "gateway.clients_port",
         ConfigErrc::invalid_port},
        {replaced(valid_text(), "clients_port = 9000", "clients_port = \"9000\""), "gateway.clients_port",
         ConfigErrc::wrong_type},
        {replaced(valid_text(), "https://dir.example", "ftp://dir"), "gateway.directory", ConfigErrc::invalid_url},
        {replaced(valid_text(), "database_file = \"data/db.sqlite\"\n", ""), "storage.database_file",
         ConfigErrc::missing_field},
        {valid_text() + "message_max_age_secs = 0\n", "storage.message_max_age_secs", ConfigErrc::invalid_value},
        {valid_text() + "cleanup_interval_secs = -5\n", "storage.cleanup_interval_secs", ConfigErrc::invalid_value},
        {valid_text() + "max_messages_per_client = 0\n", "storage.max_messages_per_client", ConfigErrc::invalid_value},
        {valid_text() + "max_bytes_per_client = 100\n", "storage.max_bytes_per_client", ConfigErrc::invalid_value},
        {valid_text() + "message_retrieval_limit = 5000\n", "storage.message_retrieval_limit",
         ConfigErrc::invalid_value},
    };
    for (const Case& c : cases) {
        auto parsed = parse_config(c.text);
        ASSERT_FALSE(parsed) << c.field;
        EXPECT_TRUE(parsed.error() == c.code) << c.field << ": " << parsed.error().message();
        EXPECT_NE(parsed.error().detail.find(c.field), std::string::npos)
            << "expected '" << c.field << "' in: " << parsed.error().detail;
    }
    TempDir dir;
    auto missing = load_config(dir.path() / "nope.toml");
    ASSERT_FALSE(missing);
    EXPECT_TRUE(missing.error() == ConfigErrc::missing_file);
}

TEST(GatewayConfig, FlagsOverrideTheFile) {
    auto c = parse_config(valid_text());
    ASSERT_TRUE(c);
    ConfigOverrides o;
    o.host = "other.example";
    o.clients_port = 9100;
    o.message_max_age = std::chrono::seconds(3600);
    const Config merged = merge(*c, o);
    EXPECT_EQ(merged.host, "other.example");
    EXPECT_EQ(merged.clients_port, 9100);
    EXPECT_EQ(merged.mix_port, 1789);
    EXPECT_EQ(merged.message_max_age, std::chrono::seconds(3600));
    EXPECT_TRUE(validate(merged));
    o.mix_port = 0;
    auto bad = validate(merge(*c, o));
    ASSERT_FALSE(bad);
    EXPECT_TRUE(bad.error() == ConfigErrc::invalid_port);
}

TEST(GatewayConfig, KeyLoadingRefusesLoosePermissionsAndMismatches) {
    TempDir dir;
    crypto::DeterministicRng rng(5);
    auto result = init_gateway(options(dir.path()), rng);
    ASSERT_TRUE(result);
    Config c = result->config;
    ::chmod(c.private_sphinx_key_file.c_str(), 0644);
    auto loose = load_keys(c);
    ASSERT_FALSE(loose);
    EXPECT_TRUE(loose.error() == ConfigErrc::key_error);
    ::chmod(c.private_sphinx_key_file.c_str(), 0600);
    ASSERT_TRUE(load_keys(c));

    // A public file that belongs to another key.
    c.public_identity_key_file = c.public_sphinx_key_file;
    auto mismatch = load_keys(c);
    ASSERT_FALSE(mismatch);
    EXPECT_TRUE(mismatch.error() == ConfigErrc::key_error);
}

} // namespace
} // namespace nym::gateway
