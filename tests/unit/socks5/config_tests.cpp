// The SOCKS client's socks5.toml and the requester's requester.toml (+ its allow-list): written,
// read back, and refused with an error naming the field.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <requester/config.hpp>
#include <socks5/allow_list.hpp>
#include <socks5/daemon_config.hpp>

namespace nym {
namespace {

namespace fs = std::filesystem;

class ConfigFiles : public ::testing::Test {
protected:
    void SetUp() override {
        char templ[] = "/tmp/nym-socks5-config-XXXXXX";
        ASSERT_NE(mkdtemp(templ), nullptr);
        dir = templ;
    }
    void TearDown() override { fs::remove_all(dir); }
    void write(const fs::path& p, const std::string& text) {
        fs::create_directories(p.parent_path());
        std::ofstream(p) << text;
    }
    fs::path dir;
};

TEST_F(ConfigFiles, ProxyFileRoundTrips) {
    socks5::ProxyFile f;
    f.provider = "8fj3@9kd2";
    f.port = 0;
    f.window = 65536;
    f.requester_timeout = std::chrono::seconds(7);
    const auto path = socks5::proxy_file_path(dir, "sc");
    EXPECT_EQ(path, dir / "sc" / "config" / "socks5.toml");
    ASSERT_TRUE(socks5::save_proxy_file(f, path));
    auto back = socks5::load_proxy_file(path);
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(back->provider, f.provider);
    EXPECT_EQ(back->port, 0);
    EXPECT_EQ(back->window, 65536u);
    EXPECT_EQ(back->requester_timeout, std::chrono::seconds(7));
}

TEST_F(ConfigFiles, ProxyFileErrorsNameTheField) {
    const auto path = dir / "socks5.toml";
    write(path, "port = 1080\n");
    EXPECT_NE(socks5::load_proxy_file(path).error().message().find("provider"), std::string::npos);
    write(path, "provider = \"a@b\"\nport = 70000\n");
    EXPECT_NE(socks5::load_proxy_file(path).error().message().find("port"), std::string::npos);
    write(path, "provider = \"a@b\"\nrequester_timeout = \"soon\"\n");
    EXPECT_NE(socks5::load_proxy_file(path).error().message().find("requester_timeout"), std::string::npos);
    EXPECT_FALSE(socks5::load_proxy_file(dir / "missing.toml"));
}

TEST_F(ConfigFiles, RequesterFileWritesADenyAllAllowList) {
    requester::RequesterFile f;
    f.max_streams = 10;
    f.idle_timeout = std::chrono::seconds(30);
    const auto path = requester::requester_file_path(dir, "nr");
    ASSERT_TRUE(requester::save_requester_file(f, path));
    auto back = requester::load_requester_file(path);
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(back->max_streams, 10u);
    EXPECT_EQ(back->max_streams_per_client, 128u);
    EXPECT_EQ(back->idle_timeout, std::chrono::seconds(30));
    EXPECT_EQ(back->allow_list, path.parent_path() / "allowed.list");
    auto text = node::read_text_file(back->allow_list, 4096);
    ASSERT_TRUE(text);
    auto list = socks5::AllowList::parse(*text);
    ASSERT_TRUE(list);
    EXPECT_EQ(list->size(), 0u); // nothing allowed until the operator lists it
    // An existing allow-list is kept.
    write(back->allow_list, "example.com:443\n");
    ASSERT_TRUE(requester::save_requester_file(f, path));
    EXPECT_EQ(*node::read_text_file(back->allow_list, 4096), "example.com:443\n");
}

TEST_F(ConfigFiles, RequesterFileErrors) {
    const auto path = dir / "requester.toml";
    write(path, "max_streams = 0\n");
    EXPECT_NE(requester::load_requester_file(path).error().message().find("max_streams"), std::string::npos);
    write(path, "idle_timeout = \"0s\"\n");
    EXPECT_NE(requester::load_requester_file(path).error().message().find("idle_timeout"), std::string::npos);
    write(path, "allow_list = \"/etc/nym/allowed.list\"\n");
    EXPECT_EQ(requester::load_requester_file(path)->allow_list, fs::path("/etc/nym/allowed.list"));
}

} // namespace
} // namespace nym
