// The watcher's folder: init writes config.toml and a 0600 key, load reads it back field by field,
// errors name the field; the progress file round-trips.
#include <watcher/config.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

using namespace nym;
namespace fs = std::filesystem;

class WatcherConfig : public ::testing::Test {
protected:
    void SetUp() override {
        dir = fs::temp_directory_path() / ("nym-watcher-config-" + std::to_string(::getpid()) + "-" +
                                           ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir);
    }
    void TearDown() override { fs::remove_all(dir); }
    watcher::Config sample() {
        watcher::Config c;
        c.ethereum_url = "http://127.0.0.1:8545";
        c.token = *watcher::Address::from_hex("0x1111111111111111111111111111111111111111");
        c.pipe_account = *watcher::Address::from_hex("0x00000000000000000000000000000000000c0ffe");
        c.confirmations = 3;
        c.start_block = 17;
        c.chain_id = "nym-localnet";
        c.validators = {"http://127.0.0.1:26657", "http://127.0.0.1:26667"};
        return c;
    }
    fs::path dir;
    crypto::DeterministicRng rng{7};
};

TEST_F(WatcherConfig, InitThenLoad) {
    auto address = watcher::init_folder(dir / "watcher1", sample(), false, rng);
    ASSERT_TRUE(address) << address.error().message();
    const auto key = dir / "watcher1" / "watcher.key";
    EXPECT_EQ(fs::status(key).permissions() & (fs::perms::group_all | fs::perms::others_all), fs::perms::none);
    auto loaded = watcher::load_config(dir / "watcher1");
    ASSERT_TRUE(loaded) << loaded.error().message();
    EXPECT_EQ(loaded->token, sample().token);
    EXPECT_EQ(loaded->pipe_account, sample().pipe_account);
    EXPECT_EQ(loaded->confirmations, 3u);
    EXPECT_EQ(loaded->start_block, 17u);
    EXPECT_EQ(loaded->validators, sample().validators);
    EXPECT_EQ(loaded->token_unit, ethereum::U256::pow10(18));
    EXPECT_EQ(loaded->key_file, dir / "watcher1" / "watcher.key");
    EXPECT_EQ(loaded->progress_file, dir / "watcher1" / "progress.toml");
    // A second init keeps the key (same address) and needs --force.
    auto again = watcher::init_folder(dir / "watcher1", sample(), false, rng);
    ASSERT_FALSE(again);
    EXPECT_TRUE(again.error() == node::ConfigErrc::already_exists);
    auto forced = watcher::init_folder(dir / "watcher1", sample(), true, rng);
    ASSERT_TRUE(forced);
    EXPECT_EQ(*forced, *address);
}

TEST_F(WatcherConfig, ErrorsNameTheField) {
    ASSERT_TRUE(watcher::init_folder(dir / "w", sample(), false, rng));
    const auto file = dir / "w" / "config.toml";
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    const std::string good = text.str();
    const auto with = [&](const std::string& from, const std::string& to) {
        std::string s = good;
        s.replace(s.find(from), from.size(), to);
        std::ofstream(file) << s;
        auto loaded = watcher::load_config(dir / "w");
        return loaded ? std::string("loaded") : loaded.error().message();
    };
    EXPECT_NE(with("confirmations = 3", "confirmations = 0").find("ethereum.confirmations"), std::string::npos);
    EXPECT_NE(with("token = \"0x", "token = \"0y").find("ethereum.token"), std::string::npos);
    EXPECT_NE(with("validators = [", "validators = [\"ftp://x\", ").find("ledger.validators"), std::string::npos);
    EXPECT_NE(with("token_unit = \"1000000000000000000\"", "token_unit = \"0\"").find("ethereum.token_unit"),
              std::string::npos);
    EXPECT_NE(with("chain_id = \"nym-localnet\"\n", "").find("ledger.chain_id"), std::string::npos);
}

TEST_F(WatcherConfig, Progress) {
    const auto file = dir / "progress.toml";
    auto none = watcher::read_progress(file);
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);
    ASSERT_TRUE(watcher::write_progress(file, 12345));
    auto some = watcher::read_progress(file);
    ASSERT_TRUE(some && *some);
    EXPECT_EQ(**some, 12345u);
    std::ofstream(file) << "last_block = \"x\"\n";
    EXPECT_FALSE(watcher::read_progress(file));
}

} // namespace
