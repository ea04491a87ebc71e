// nymclient's config.toml: the optional [ethereum] section (the pipe) is read field by field, and
// every bad value is refused naming the field; without the section there is no pipe.
#include <gtest/gtest.h>

#include <credentials/config.hpp>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace nym::credentials {
namespace {

namespace fs = std::filesystem;

const std::string BASE = "[client]\naccount_key = \"clientAccount.key\"\nissuers = [\"http://127.0.0.1:4000\"]\n"
                         "provider = \"http://127.0.0.1:4100\"\n\n[ledger]\nnodes = [\"http://127.0.0.1:26657\"]\n"
                         "chain_id = \"nym-localnet\"\n";
const std::string ETHEREUM = "\n[ethereum]\nrpc_url = \"http://127.0.0.1:8545\"\n"
                             "token = \"0x1111111111111111111111111111111111111111\"\n"
                             "pipe_account = \"0x00000000000000000000000000000000000c0ffe\"\n";

class ClientConfig : public ::testing::Test {
protected:
    void SetUp() override {
        dir = fs::temp_directory_path() / ("nym-client-config-" + std::to_string(::getpid()) + "-" +
                                           ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir);
    }
    void TearDown() override { fs::remove_all(dir); }
    node::ConfigResult<Config> load(const std::string& text) {
        std::ofstream(dir / "config.toml") << text;
        return load_config(dir / "config.toml");
    }
    fs::path dir;
};

TEST_F(ClientConfig, WithoutAnEthereumSectionThereIsNoPipe) {
    auto c = load(BASE);
    ASSERT_TRUE(c) << c.error().message();
    EXPECT_FALSE(c->ethereum);
    EXPECT_EQ(c->account_key_file, dir / "clientAccount.key");
}

TEST_F(ClientConfig, TheEthereumSectionAndItsDefaults) {
    auto c = load(BASE + ETHEREUM);
    ASSERT_TRUE(c) << c.error().message();
    ASSERT_TRUE(c->ethereum);
    EXPECT_EQ(c->ethereum->rpc.port, 8545);
    EXPECT_EQ(c->ethereum->token.to_hex(), "0x1111111111111111111111111111111111111111");
    EXPECT_EQ(c->ethereum->pipe_account.to_hex(), "0x00000000000000000000000000000000000c0ffe");
    EXPECT_EQ(c->ethereum->confirmations, 2u);
    EXPECT_EQ(c->ethereum->token_unit, ethereum::U256::pow10(18));
    EXPECT_EQ(c->ethereum->credit_timeout, std::chrono::minutes(5));

    auto set = load(BASE + ETHEREUM +
                    "confirmations = 5\ntoken_unit = \"1000\"\npoll_interval_ms = 50\ncredit_timeout_ms = 9000\n");
    ASSERT_TRUE(set) << set.error().message();
    EXPECT_EQ(set->ethereum->confirmations, 5u);
    EXPECT_EQ(set->ethereum->token_unit, ethereum::U256(1000));
    EXPECT_EQ(set->ethereum->poll, std::chrono::milliseconds(50));
    EXPECT_EQ(set->ethereum->credit_timeout, std::chrono::milliseconds(9000));
}

TEST_F(ClientConfig, BadEthereumValuesNameTheirField) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"\n[ethereum]\ntoken = \"0x1111111111111111111111111111111111111111\"\n"
         "pipe_account = \"0x00000000000000000000000000000000000c0ffe\"\n",
         "ethereum.rpc_url"},
        {"\n[ethereum]\nrpc_url = \"ftp://x\"\ntoken = \"0x1111111111111111111111111111111111111111\"\n"
         "pipe_account = \"0x00000000000000000000000000000000000c0ffe\"\n",
         "ethereum.rpc_url"},
        {"\n[ethereum]\nrpc_url = \"http://127.0.0.1:8545\"\ntoken = \"0x11\"\n"
         "pipe_account = \"0x00000000000000000000000000000000000c0ffe\"\n",
         "ethereum.token"},
        {"\n[ethereum]\nrpc_url = \"http://127.0.0.1:8545\"\ntoken = \"0x1111111111111111111111111111111111111111\"\n",
         "ethereum.pipe_account"},
        {ETHEREUM + "confirmations = 0\n", "ethereum.confirmations"},
        {ETHEREUM + "token_unit = \"0\"\n", "ethereum.token_unit"},
        {ETHEREUM + "token_unit = \"ten\"\n", "ethereum.token_unit"},
        {ETHEREUM + "credit_timeout_ms = 5\n", "ethereum.credit_timeout_ms"},
    };
    for (const auto& [section, field] : cases) {
        auto c = load(BASE + section);
        ASSERT_FALSE(c) << section;
        EXPECT_NE(c.error().message().find(field), std::string::npos) << c.error().message();
    }
}

} // namespace
} // namespace nym::credentials
