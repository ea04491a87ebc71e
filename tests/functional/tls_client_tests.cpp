// runtime::HttpClient over TLS against a real TLS server (`openssl s_server -www`): the
// certificate is checked against the trusted roots and the host name, and what fails to verify is
// refused. Skips, saying so, without the openssl command.
#include "process.hpp"

#include <runtime/http_client.hpp>
#include <runtime/loop.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <future>
#include <random>
#include <thread>

namespace nym::functional {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

bool accepts(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

class TlsClientTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (std::system("command -v openssl >/dev/null 2>&1") != 0) GTEST_SKIP() << "the openssl command is not installed";
        dir = fs::temp_directory_path() / ("nym_tls_test_" + std::to_string(::getpid()));
        fs::create_directories(dir);
        // A self-signed certificate for localhost / 127.0.0.1, and one for another name only.
        ASSERT_EQ(make_cert("good", "subjectAltName=DNS:localhost,IP:127.0.0.1"), 0);
        ASSERT_EQ(make_cert("other", "subjectAltName=DNS:other.example"), 0);
        runtime::LoopOptions options;
        options.handle_signals = false;
        loop = std::make_unique<runtime::Loop>(options);
        thread = std::thread([this] { loop->run(); });
    }
    void TearDown() override {
        if (loop) {
            loop->stop();
            thread.join();
        }
        server.reset();
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    int make_cert(const std::string& name, const std::string& san) {
        const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
                                "-subj /CN=nym-test -addext '" + san + "' -keyout '" + (dir / (name + ".key")).string() +
                                "' -out '" + (dir / (name + ".pem")).string() + "' >/dev/null 2>&1";
        return std::system(cmd.c_str());
    }
    /// Starts s_server with the named certificate on a free port; the port, or 0.
    std::uint16_t serve(const std::string& name) {
        std::mt19937 pick(static_cast<unsigned>(::getpid()));
        for (int attempt = 0; attempt < 20; ++attempt) {
            const auto port = static_cast<std::uint16_t>(20000 + pick() % 30000);
            server.reset();
            auto started = Process::start("/usr/bin/env", {"openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(port),
                                                     "-cert", (dir / (name + ".pem")).string(), "-key",
                                                     (dir / (name + ".key")).string(), "-www", "-quiet"});
            if (!started) return 0;
            server.emplace(std::move(*started));
            // Ready once it accepts a TCP connection.
            for (int i = 0; i < 50; ++i) {
                if (accepts(port)) return port;
                if (server->wait(20ms)) break; // it exited (port taken): try another
            }
            server.reset();
        }
        return 0;
    }
    Expected<runtime::HttpResult> get(const std::string& host, std::uint16_t port, std::string ca_file) {
        runtime::ClientOptions options;
        options.timeout = 5s;
        options.ca_file = std::move(ca_file);
        runtime::HttpClient client(*loop, options);
        std::promise<Expected<runtime::HttpResult>> result;
        runtime::HttpCall call{host, port, "GET", "/", "", "", true};
        client.request(call, [&](Expected<runtime::HttpResult> r) { result.set_value(std::move(r)); });
        auto value = result.get_future().get();
        return value;
    }
    fs::path dir;
    std::optional<Process> server;
    std::unique_ptr<runtime::Loop> loop;
    std::thread thread;
};

TEST_F(TlsClientTest, TrustedCertificateForTheHostIsAccepted) {
    const auto port = serve("good");
    ASSERT_NE(port, 0) << "openssl s_server did not start";
    auto r = get("127.0.0.1", port, (dir / "good.pem").string());
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->status, 200u);
    EXPECT_NE(r->body.find("s_server"), std::string::npos);
    r = get("localhost", port, (dir / "good.pem").string());
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->status, 200u);
}

TEST_F(TlsClientTest, UntrustedOrMisnamedCertificatesAreRefused) {
    const auto port = serve("good");
    ASSERT_NE(port, 0);
    // Not in the system's trust store.
    EXPECT_FALSE(get("127.0.0.1", port, ""));
    // Trusted, but the server presents a certificate for another name.
    server.reset();
    const auto other = serve("other");
    ASSERT_NE(other, 0);
    auto r = get("127.0.0.1", other, (dir / "other.pem").string());
    EXPECT_FALSE(r);
}

} // namespace
} // namespace nym::functional
