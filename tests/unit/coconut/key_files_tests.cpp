#include <coconut/key_files.hpp>

#include <crypto/errors.hpp>
#include <crypto/pem.hpp>
#include <crypto/rng.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace nym::coconut {
namespace {

namespace fs = std::filesystem;

class KeyFilesTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir = fs::temp_directory_path() /
                ("nym-coconut-keys-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(m_dir);
    }
    void TearDown() override { fs::remove_all(m_dir); }
    fs::path m_dir;
};

TEST(KeyFileNames, FollowTheSeedsPattern) {
    EXPECT_EQ(secret_key_file_name(3, 5, 5, 3), "threshold-secretKey-id=3-attrs=5-n=5-t=3.pem");
    EXPECT_EQ(verification_key_file_name(1, 5, 5, 3), "threshold-verificationKey-id=1-attrs=5-n=5-t=3.pem");
}

TEST_F(KeyFilesTest, WritesTheWholeSetWithOwnerOnlySecretKeys) {
    crypto::DeterministicRng rng(31);
    auto params = Parameters::setup(5);
    ASSERT_TRUE(params);
    auto keys = ttp_keygen(*params, 3, 5, rng);
    ASSERT_TRUE(keys);
    auto written = write_threshold_key_set(m_dir, *keys, 3);
    ASSERT_TRUE(written) << written.error().message();
    EXPECT_EQ(written->size(), 5u * 2 + 5u);
    for (std::size_t i = 1; i <= 5; ++i) {
        const fs::path folder = m_dir / ("issuer-" + std::to_string(i)) / "coconutkeys";
        const fs::path sk = folder / secret_key_file_name(i, 5, 5, 3);
        const fs::path vk = folder / verification_key_file_name(i, 5, 5, 3);
        const fs::path vk_all = m_dir / "issuerKeys" / verification_key_file_name(i, 5, 5, 3);
        ASSERT_TRUE(fs::exists(sk)) << sk;
        ASSERT_TRUE(fs::exists(vk)) << vk;
        ASSERT_TRUE(fs::exists(vk_all)) << vk_all;
        struct stat st {};
        ASSERT_EQ(::stat(sk.c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0600u) << sk;
        std::ifstream in(sk);
        std::string first;
        std::getline(in, first);
        EXPECT_EQ(first, "-----BEGIN COCONUT THRESHOLD SECRET KEY-----");

        auto sk_back = read_secret_key_file(sk);
        ASSERT_TRUE(sk_back) << sk_back.error().message();
        EXPECT_EQ(sk_back->encode(), (*keys)[i - 1].secret.encode());
        auto vk_back = read_verification_key_file(vk_all);
        ASSERT_TRUE(vk_back) << vk_back.error().message();
        EXPECT_TRUE(*vk_back == (*keys)[i - 1].verification);
    }
    // A secret key file opened up to the group is refused.
    const fs::path sk1 = m_dir / "issuer-1" / "coconutkeys" / secret_key_file_name(1, 5, 5, 3);
    fs::permissions(sk1, fs::perms::group_read, fs::perm_options::add);
    auto refused = read_secret_key_file(sk1);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error(), crypto::Errc::insecure_permissions);
    // The wrong label is refused.
    auto mislabelled = read_verification_key_file(sk1);
    ASSERT_FALSE(mislabelled);
    EXPECT_EQ(mislabelled.error(), crypto::Errc::pem_label_mismatch);
    // A file whose body is not a key gives the decoder's error.
    const fs::path junk = m_dir / "junk.pem";
    ASSERT_TRUE(crypto::write_pem_file(junk, VERIFICATION_KEY_PEM_LABEL, std::vector<std::uint8_t>{1, 2, 3},
                                       crypto::FileSecrecy::public_file));
    EXPECT_EQ(read_verification_key_file(junk).error(), Errc::truncated);
}

TEST_F(KeyFilesTest, RejectsBadThreshold) {
    crypto::DeterministicRng rng(32);
    auto params = Parameters::setup(2);
    auto keys = ttp_keygen(*params, 2, 3, rng);
    ASSERT_TRUE(keys);
    EXPECT_EQ(write_threshold_key_set(m_dir, *keys, 0).error(), Errc::invalid_parameters);
    EXPECT_EQ(write_threshold_key_set(m_dir, *keys, 4).error(), Errc::invalid_parameters);
}

} // namespace
} // namespace nym::coconut
