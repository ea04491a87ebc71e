#include <crypto/errors.hpp>
#include <crypto/pem.hpp>
#include <crypto/rng.hpp>

#include <fstream>
#include <sys/stat.h>

#include "test_support.hpp"

namespace nym::crypto {
namespace {

namespace fs = std::filesystem;

class PemFiles : public ::testing::Test {
protected:
    void SetUp() override {
        std::array<std::uint8_t, 8> r{};
        system_rng().fill(r);
        m_dir = fs::temp_directory_path() / ("nym_pem_tests_" + test::to_hex(r));
        fs::create_directories(m_dir);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(m_dir, ec);
    }
    static unsigned mode_of(const fs::path& p) {
        struct stat st {};
        EXPECT_EQ(::stat(p.c_str(), &st), 0);
        return static_cast<unsigned>(st.st_mode & 0777);
    }
    static void write_text(const fs::path& p, const std::string& text, ::mode_t mode) {
        { std::ofstream(p, std::ios::binary) << text; }
        ::chmod(p.c_str(), mode);
    }
    fs::path m_dir;
};

std::vector<std::uint8_t> sample(std::size_t n) {
    std::vector<std::uint8_t> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i * 31 + 7);
    return v;
}

TEST(Pem, EncodeHasArmourAnd64ColumnLines) {
    const auto body = sample(100); // 136 base64 characters -> 64 + 64 + 8
    const auto text = pem_encode("X25519 PRIVATE KEY", body);
    EXPECT_EQ(text.rfind("-----BEGIN X25519 PRIVATE KEY-----\n", 0), 0u);
    EXPECT_NE(text.find("\n-----END X25519 PRIVATE KEY-----\n"), std::string::npos);
    std::vector<std::size_t> line_lengths;
    std::size_t start = 0;
    for (std::size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
        line_lengths.push_back(nl - start);
        start = nl + 1;
    }
    ASSERT_EQ(line_lengths.size(), 5u);
    EXPECT_EQ(line_lengths[1], 64u);
    EXPECT_EQ(line_lengths[2], 64u);
    EXPECT_EQ(line_lengths[3], 8u);
}

TEST(Pem, KnownEncoding) {
    const std::vector<std::uint8_t> body{'n', 'y', 'm'};
    EXPECT_EQ(pem_encode("TEST", body), "-----BEGIN TEST-----\nbnlt\n-----END TEST-----\n");
    const std::vector<std::uint8_t> two{0xff, 0xfe};
    EXPECT_EQ(pem_encode("T", two), "-----BEGIN T-----\n//4=\n-----END T-----\n");
}

TEST(Pem, RoundTripsManySizes) {
    for (std::size_t n : {1u, 2u, 3u, 32u, 47u, 48u, 49u, 64u, 1000u}) {
        const auto body = sample(n);
        const auto block = pem_decode(pem_encode("ED25519 PUBLIC KEY", body));
        ASSERT_TRUE(block) << n;
        EXPECT_EQ(block->label, "ED25519 PUBLIC KEY");
        EXPECT_EQ(block->body, body) << n;
    }
}

TEST(Pem, LabelsMayContainInnerHyphens) {
    const auto block = pem_decode(pem_encode("NYM-X25519 KEY", std::vector<std::uint8_t>{1, 2, 3}));
    ASSERT_TRUE(block);
    EXPECT_EQ(block->label, "NYM-X25519 KEY");
    EXPECT_EQ(pem_decode("-----BEGIN K------\nbnlt\n-----END K------\n").error(), Errc::invalid_pem);
}

TEST(Pem, AcceptsCrlfAndSurroundingText) {
    const auto block = pem_decode("comment line\r\n-----BEGIN K-----\r\nbnlt\r\n-----END K-----\r\ntrailer");
    ASSERT_TRUE(block);
    EXPECT_EQ(block->label, "K");
    EXPECT_EQ(block->body, (std::vector<std::uint8_t>{'n', 'y', 'm'}));
}

TEST(Pem, MalformedInputGivesTypedErrors) {
    const char* bad[] = {
        "",
        "garbage",
        "-----BEGIN K-----\nbnlt\n",                      // no END
        "-----BEGIN K-----\nbnlt\n-----END L-----\n",     // END label differs
        "-----BEGIN K-----\nbn*t\n-----END K-----\n",     // not base64
        "-----BEGIN K-----\nbnl\n-----END K-----\n",      // truncated base64
        "-----BEGIN K-----\n\n-----END K-----\n",         // empty body
        "-----BEGIN -----\nbnlt\n-----END -----\n",       // empty label
        "-----BEGIN K-----junk\nbnlt\n-----END K-----\n", // text after the armour
        "-----BEGIN K",                                   // truncated armour
    };
    for (const char* text : bad) {
        const auto r = pem_decode(text);
        ASSERT_FALSE(r) << text;
        EXPECT_EQ(r.error(), Errc::invalid_pem) << text;
    }
    // Truncation at every point of a real encoding fails cleanly, never crashes.
    const auto good = pem_encode("KEY", sample(64));
    for (std::size_t n = 0; n + 1 < good.size(); ++n) {
        const auto r = pem_decode(std::string_view(good).substr(0, n));
        EXPECT_FALSE(r) << n;
    }
}

TEST_F(PemFiles, SecretFileIs0600AndRoundTrips) {
    const auto path = m_dir / "keys" / "private_identity.pem"; // parent folder is created
    const auto body = sample(32);
    ASSERT_TRUE(write_pem_file(path, "ED25519 PRIVATE KEY", body, FileSecrecy::secret_file));
    EXPECT_EQ(mode_of(path), 0600u);
    const auto block = read_pem_file(path, "ED25519 PRIVATE KEY", FileSecrecy::secret_file);
    ASSERT_TRUE(block);
    EXPECT_EQ(block->body, body);
    // No temporary file is left behind.
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(m_dir / "keys")) ++entries;
    EXPECT_EQ(entries, 1u);
}

TEST_F(PemFiles, PublicFileIs0644AndOverwriteReplacesAtomically) {
    const auto path = m_dir / "public.pem";
    ASSERT_TRUE(write_pem_file(path, "X25519 PUBLIC KEY", sample(32), FileSecrecy::public_file));
    EXPECT_EQ(mode_of(path), 0644u);
    const auto second = sample(33);
    ASSERT_TRUE(write_pem_file(path, "X25519 PUBLIC KEY", second, FileSecrecy::public_file));
    const auto block = read_pem_file(path, "X25519 PUBLIC KEY", FileSecrecy::public_file);
    ASSERT_TRUE(block);
    EXPECT_EQ(block->body, second);
}

TEST_F(PemFiles, ReadRefusesWrongLabelInsecureModeMissingAndHugeFiles) {
    const auto path = m_dir / "secret.pem";
    ASSERT_TRUE(write_pem_file(path, "X25519 PRIVATE KEY", sample(32), FileSecrecy::secret_file));
    EXPECT_EQ(read_pem_file(path, "ED25519 PRIVATE KEY", FileSecrecy::secret_file).error(), Errc::pem_label_mismatch);

    ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
    EXPECT_EQ(read_pem_file(path, "X25519 PRIVATE KEY", FileSecrecy::secret_file).error(), Errc::insecure_permissions);
    ASSERT_EQ(::chmod(path.c_str(), 0604), 0);
    EXPECT_EQ(read_pem_file(path, "X25519 PRIVATE KEY", FileSecrecy::secret_file).error(), Errc::insecure_permissions);
    // A public read does not care about the mode.
    EXPECT_TRUE(read_pem_file(path, "X25519 PRIVATE KEY", FileSecrecy::public_file));

    EXPECT_EQ(read_pem_file(m_dir / "absent.pem", "K", FileSecrecy::public_file).error(), Errc::io_error);
    EXPECT_EQ(read_pem_file(m_dir, "K", FileSecrecy::public_file).error(), Errc::io_error); // a folder

    const auto huge = m_dir / "huge.pem";
    write_text(huge, std::string(PEM_MAX_FILE_SIZE + 1, 'A'), 0600);
    EXPECT_EQ(read_pem_file(huge, "K", FileSecrecy::secret_file).error(), Errc::invalid_length);

    const auto garbage = m_dir / "garbage.pem";
    write_text(garbage, "-----BEGIN K-----\n!!!!\n-----END K-----\n", 0600);
    EXPECT_EQ(read_pem_file(garbage, "K", FileSecrecy::secret_file).error(), Errc::invalid_pem);
}

TEST_F(PemFiles, WriteIntoUnwritableLocationFails) {
    const auto blocker = m_dir / "file";
    write_text(blocker, "x", 0644);
    // A path whose "folder" is a regular file.
    EXPECT_EQ(write_pem_file(blocker / "key.pem", "K", sample(4), FileSecrecy::secret_file).error(), Errc::io_error);
    EXPECT_EQ(write_pem_file(fs::path(), "K", sample(4), FileSecrecy::secret_file).error(), Errc::io_error);
}

} // namespace
} // namespace nym::crypto
