// nym-loadgen against a real nym-mixnode on loopback: a short run at a low rate (spawned node, and an
// attached one), and a run with the wrong node key, which must show up as total loss — so the tool's
// own accounting is checked, not only that it prints numbers.
#include <crypto/base58.hpp>
#include <crypto/rng.hpp>
#include <crypto/x25519.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <chrono>
#include <filesystem>
#include <netinet/in.h>
#include <sys/socket.h>
#include <string>
#include <unistd.h>
#include <vector>

#include "process.hpp"

namespace nym::functional {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

/// Runs nym-loadgen with --json --quiet and parses its report; null JSON on failure.
json run_loadgen(std::vector<std::string> args, int* exit_code = nullptr) {
    args.insert(args.end(), {"--json", "--quiet", "--pure-duration", "200ms", "--warmup", "300ms", "--drain", "2s"});
    auto process = Process::start(NYM_LOADGEN_BIN, args);
    if (!process) return json();
    std::string out;
    while (auto line = process->read_line(60s)) out += *line + "\n";
    const auto status = process->wait(10s);
    if (exit_code != nullptr) *exit_code = status.value_or(-1);
    const std::string errors = process->drain_stderr();
    if (!errors.empty()) std::fprintf(stderr, "nym-loadgen stderr:\n%s\n", errors.c_str());
    return json::parse(out, nullptr, false);
}

TEST(Loadgen, SpawnedNodeForwardsEveryPacketAtALowRate) {
    int code = -1;
    const json report = run_loadgen({"--mixnode-bin", NYM_MIXNODE_BIN, "--rate", "300", "--duration", "1s"}, &code);
    ASSERT_TRUE(report.is_object()) << "no JSON report";
    EXPECT_EQ(code, 0);
    EXPECT_TRUE(report["node"]["spawned"].get<bool>());
    EXPECT_GT(report["pure"]["reference_rate"].get<double>(), 0);
    ASSERT_EQ(report["probes"].size(), 1u);
    const json& probe = report["probes"][0];
    EXPECT_EQ(probe["sent"].get<std::uint64_t>(), 300u); // 1 s at 300/s after the 300 ms warm-up
    EXPECT_EQ(probe["received"].get<std::uint64_t>(), probe["sent"].get<std::uint64_t>());
    EXPECT_EQ(probe["loss"].get<double>(), 0.0);
    EXPECT_EQ(probe["unmatched_frames"].get<std::uint64_t>(), 0u);
    // Every packet crossed two loopback connections and an X25519 hop: more than 10 µs, and at
    // 300 packets/s nowhere near a second.
    EXPECT_GT(probe["latency"]["p50_us"].get<double>(), 10);
    EXPECT_LT(probe["latency"]["max_us"].get<double>(), 1e6);
    EXPECT_NEAR(probe["throughput"].get<double>(), 300, 30);
    EXPECT_GT(report["ratio"].get<double>(), 0);

    // The floor at this rate: the paced hop's own work, and one frame between two sleeping threads
    // 300 times a second for the 200 ms measurement, every one of them read.
    const json& pure = report["pure"];
    EXPECT_GT(pure["paced_work_cpu_us_per_hop"].get<double>(), 0);
    EXPECT_LT(pure["paced_work_cpu_us_per_hop"].get<double>(), pure["paced_cpu_us_per_hop"].get<double>());
    const json& wake = report["wake_floor"];
    EXPECT_EQ(wake["error"].get<std::string>(), "");
    EXPECT_EQ(wake["frames"].get<std::uint64_t>(), 60u);
    EXPECT_GT(wake["receiver_cpu_us"].get<double>(), 0);
    EXPECT_GT(wake["sender_cpu_us"].get<double>(), 0);
    EXPECT_GT(wake["latency_us"]["p50"].get<double>(), 0);
    EXPECT_DOUBLE_EQ(wake["floor_cpu_us_per_packet"].get<double>(),
                     pure["paced_work_cpu_us_per_hop"].get<double>() + wake["receiver_cpu_us"].get<double>() +
                         wake["sender_cpu_us"].get<double>());
    EXPECT_GT(report["cpu_over_floor"].get<double>(), 0);
}

class LoadgenAttached : public ::testing::Test {
protected:
    void SetUp() override {
        m_root = std::filesystem::temp_directory_path() / ("nym-loadgen-functional-" + std::to_string(::getpid()));
        std::filesystem::remove_all(m_root);
        auto init =
            Process::start(NYM_MIXNODE_BIN, {"init", "--id", "lg", "--layer", "1", "--host", "127.0.0.1", "--port",
                                             "1789", "--directory", "http://127.0.0.1:9", "--root", m_root.string()});
        ASSERT_TRUE(init);
        const std::string prefix = "sphinx key (x25519):";
        while (auto line = init->read_line(10s)) {
            if (line->rfind(prefix, 0) == 0) {
                m_key = line->substr(prefix.size());
                m_key.erase(0, m_key.find_first_not_of(' '));
            }
        }
        ASSERT_EQ(init->wait(10s), 0);
        ASSERT_FALSE(m_key.empty());
        // The node fetches its topology from the load generator, which names its sink as the next hop.
        m_directory_port = free_port();
        ASSERT_NE(m_directory_port, 0);
        auto run = Process::start(NYM_MIXNODE_BIN,
                                  {"run", "--id", "lg", "--root", m_root.string(), "--port", "0", "--workers", "1",
                                   "--log-level", "error", "--heartbeat-interval", "300ms", "--directory",
                                   "http://127.0.0.1:" + std::to_string(m_directory_port)});
        ASSERT_TRUE(run);
        m_node.emplace(std::move(*run));
        auto line = m_node->read_line(10s);
        ASSERT_TRUE(line);
        const auto at = line->find("127.0.0.1:");
        ASSERT_NE(at, std::string::npos) << *line;
        m_port = static_cast<std::uint16_t>(std::stoul(line->substr(at + 10)));
    }
    void TearDown() override {
        m_node.reset();
        std::filesystem::remove_all(m_root);
    }

    std::filesystem::path m_root;
    std::string m_key;
    std::optional<Process> m_node;
    std::uint16_t m_port = 0;
    std::uint16_t m_directory_port = 0;

    static std::uint16_t free_port() {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        std::uint16_t port = 0;
        if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
            port = ntohs(addr.sin_port);
        ::close(fd);
        return port;
    }
    std::vector<std::string> target_args(const std::string& key) const {
        return {"--target", "127.0.0.1:" + std::to_string(m_port), "--target-key", key, "--directory-port",
                std::to_string(m_directory_port)};
    }
};

TEST_F(LoadgenAttached, DrivesARunningNodeGivenItsKey) {
    auto args = target_args(m_key);
    args.insert(args.end(), {"--target-pid", std::to_string(m_node->pid()), "--rate", "200", "--duration", "1s"});
    const json report = run_loadgen(args);
    ASSERT_TRUE(report.is_object());
    EXPECT_FALSE(report["node"]["spawned"].get<bool>());
    const json& probe = report["probes"][0];
    EXPECT_EQ(probe["sent"].get<std::uint64_t>(), 200u);
    EXPECT_EQ(probe["received"].get<std::uint64_t>(), 200u);
    EXPECT_EQ(probe["loss"].get<double>(), 0.0);
    // With the node's pid, its threads' CPU use over the window is reported.
    EXPECT_FALSE(probe["node_thread_cpu"].empty());
}

TEST_F(LoadgenAttached, WrongNodeKeyShowsAsTotalLoss) {
    // Packets built for another key fail the node's MAC check and are dropped: nothing arrives.
    const auto other = crypto::X25519SecretKey::generate(crypto::system_rng()).public_key();
    auto args = target_args(crypto::base58_encode(other.bytes));
    args.insert(args.end(), {"--rate", "200", "--duration", "500ms"});
    const json report = run_loadgen(args);
    ASSERT_TRUE(report.is_object());
    const json& probe = report["probes"][0];
    EXPECT_EQ(probe["sent"].get<std::uint64_t>(), 100u);
    EXPECT_EQ(probe["received"].get<std::uint64_t>(), 0u);
    EXPECT_EQ(probe["loss"].get<double>(), 1.0);
    EXPECT_FALSE(probe["passed"].get<bool>());
}

TEST(Loadgen, RejectsABadTargetKey) {
    int code = 0;
    const json report = run_loadgen({"--target", "127.0.0.1:1", "--target-key", "not-base58-0OIl"}, &code);
    EXPECT_NE(code, 0);
    EXPECT_FALSE(report.is_object());
}

} // namespace
} // namespace nym::functional
