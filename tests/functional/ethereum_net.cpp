#include "ethereum_net.hpp"

#include <runtime/blocking.hpp>

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <csignal>
#include <fstream>
#include <netinet/in.h>
#include <sstream>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace nym::functional {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::uint16_t any_free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

} // namespace

std::string run_command(const std::string& path, const std::vector<std::string>& args, int* status,
                        std::chrono::milliseconds timeout) {
    auto p = Process::start(path, args);
    if (!p) return {};
    std::string out;
    while (auto line = p->read_line(timeout)) out += *line + "\n";
    auto code = p->wait(10s);
    if (!code) code = p->stop(SIGKILL, 5s);
    if (status != nullptr) *status = code.value_or(-1);
    if (code.value_or(-1) != 0) out += p->drain_stderr();
    return out;
}

std::string line_value(const std::string& out, const std::string& key) {
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key + "=", 0) == 0) return line.substr(key.size() + 1);
    return {};
}

DevChain::~DevChain() {
    stop();
}

void DevChain::stop() {
    if (m_process && !m_process->stop(SIGTERM, 10s)) m_process->stop(SIGKILL, 5s);
    m_process.reset();
}

bool DevChain::start(const fs::path& dir, const fs::path& log) {
    m_dir = dir;
    fs::create_directories(dir);
    m_port = any_free_port();
    m_url = "http://127.0.0.1:" + std::to_string(m_port);
    auto p = Process::start_logged(NYM_GETH_BIN,
                                   {"--dev",
                                    "--dev.period",
                                    "1",
                                    "--datadir",
                                    (dir / "geth").string(),
                                    "--http",
                                    "--http.addr",
                                    "127.0.0.1",
                                    "--http.port",
                                    std::to_string(m_port),
                                    "--http.api",
                                    "eth,net,web3",
                                    "--port",
                                    "0",
                                    "--nodiscover",
                                    "--maxpeers",
                                    "0",
                                    "--authrpc.port",
                                    std::to_string(any_free_port()),
                                    "--ipcdisable",
                                    "--verbosity",
                                    "2"},
                                   log.string());
    if (!p) {
        m_why = "cannot start geth at " + std::string(NYM_GETH_BIN);
        return false;
    }
    m_process.emplace(std::move(*p));
    for (int i = 0; i < 300 && !head(); ++i) std::this_thread::sleep_for(100ms);
    if (!head()) {
        m_why = "geth --dev did not answer on " + m_url;
        return false;
    }
    return true;
}

bool DevChain::deploy(const std::vector<std::string>& accounts, std::uint64_t tokens_each) {
    std::vector<std::string> args{"dev-setup",
                                  "--ethereum",
                                  m_url,
                                  "--deployer-key",
                                  (m_dir / "deployer.key").string(),
                                  "--artifact",
                                  NYM_TOKEN_ARTIFACT,
                                  "--tokens-each",
                                  std::to_string(tokens_each)};
    for (const auto& a : accounts) {
        args.push_back("--fund");
        args.push_back(a);
    }
    int status = -1;
    const auto out = run_command(NYM_ETH_PIPE_BIN, args, &status);
    m_token = line_value(out, "token");
    m_start_block = line_value(out, "start_block");
    if (status != 0 || m_token.empty()) {
        m_why = "nym-eth-pipe dev-setup failed: " + out;
        return false;
    }
    return true;
}

std::optional<std::uint64_t> DevChain::head() const {
    auto r = runtime::http_request("127.0.0.1", m_port, "POST", "/",
                                   R"({"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]})");
    if (!r || r->status != 200) return std::nullopt;
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (j.is_discarded() || !j.contains("result") || !j["result"].is_string()) return std::nullopt;
    return std::stoull(j["result"].get<std::string>(), nullptr, 16);
}

std::string init_watcher(const fs::path& dir, const DevChain& chain, const WatcherSetup& setup, std::string* out) {
    std::vector<std::string> args{"init",
                                  "--dir",
                                  dir.string(),
                                  "--ethereum",
                                  chain.url(),
                                  "--token",
                                  chain.token(),
                                  "--pipe",
                                  setup.pipe_account,
                                  "--chain-id",
                                  setup.chain_id,
                                  "--confirmations",
                                  std::to_string(setup.confirmations),
                                  "--start-block",
                                  chain.start_block(),
                                  "--poll-ms",
                                  "200"};
    for (const auto& v : setup.validators) {
        args.push_back("--validator");
        args.push_back(v);
    }
    int status = -1;
    const auto text = run_command(NYM_WATCHER_BIN, args, &status);
    if (out != nullptr) *out = text;
    if (status != 0) return {};
    // Quicker commits and retries than the defaults, for the tests' sake.
    const auto config = dir / "config.toml";
    std::stringstream current;
    current << std::ifstream(config).rdbuf();
    std::ofstream(config) << replace_all(replace_all(current.str(), "commit_poll_ms = 250", "commit_poll_ms = 100"),
                                         "initial_ms = 500", "initial_ms = 200");
    return trim(replace_all(text, "address ", ""));
}

std::optional<Process> start_watcher(const fs::path& dir, const fs::path& log) {
    auto p =
        Process::start_logged(NYM_WATCHER_BIN, {"run", "--dir", dir.string(), "--log-level", "debug"}, log.string());
    if (!p) return std::nullopt;
    auto line = p->read_line(20s);
    if (!line || line->find("following") == std::string::npos) return std::nullopt;
    return p;
}

} // namespace nym::functional
