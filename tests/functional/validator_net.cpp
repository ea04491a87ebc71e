#include "validator_net.hpp"

#include <runtime/blocking.hpp>
#include <util/hex.hpp>

#include <csignal>
#include <fstream>
#include <netinet/in.h>
#include <sstream>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace nym::functional {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

bool port_free(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

/// A block of 40 ports whose 12 validator ports are free, below Linux's ephemeral range, varied by
/// pid so that two test processes rarely try the same block.
std::uint16_t free_base_port() {
    const unsigned start = 27000 + (static_cast<unsigned>(::getpid()) % 100) * 50;
    for (unsigned i = 0; i < 100; ++i) {
        const auto base = static_cast<std::uint16_t>(27000 + ((start - 27000 + i * 50) % 5000));
        bool ok = true;
        for (int k = 0; k < ValidatorNet::NODES && ok; ++k)
            for (int p = 0; p < 3 && ok; ++p) ok = port_free(static_cast<std::uint16_t>(base + 10 * k + p));
        if (ok) return base;
    }
    return 0;
}

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

} // namespace

ValidatorNet::ValidatorNet(const std::string& test)
    : m_dir(fs::temp_directory_path() / ("nym-validators-" + test + "-" + std::to_string(::getpid()))), m_apps(NODES),
      m_nodes(NODES) {
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
}

ValidatorNet::~ValidatorNet() {
    for (auto& n : m_nodes) n.reset(); // CometBFT first, then its app
    for (auto& a : m_apps) a.reset();
    if (!m_keep && std::getenv("NYM_KEEP_TEST_DIRS") == nullptr) {
        std::error_code ec;
        fs::remove_all(m_dir, ec);
    }
}

std::string ValidatorNet::unavailable() {
    if (::access(NYM_COMETBFT_BIN, X_OK) != 0)
        return std::string("no cometbft at ") + NYM_COMETBFT_BIN + " (tools/install-deps.sh installs it)";
    if (std::system("python3 -c 'import json' >/dev/null 2>&1") != 0) return "python3 is missing";
    return "";
}

bool ValidatorNet::build(std::string& why, const std::vector<std::string>& extra) {
    const std::uint16_t base = free_base_port();
    if (base == 0) {
        why = "no free block of ports";
        return false;
    }
    const fs::path bin = fs::path(NYM_VALIDATOR_BIN).parent_path();
    std::string cmd = "NYM_BIN=" + shell_quote(bin.string()) + " COMETBFT=" + shell_quote(NYM_COMETBFT_BIN) +
                      " python3 " + shell_quote(std::string(NYM_SOURCE_DIR) + "/tools/validators.py") +
                      " build --dir " + shell_quote(m_dir.string()) + " --base-port " + std::to_string(base) +
                      " --timeout-commit 300ms --cometbft-log-level info";
    for (const auto& e : extra) cmd += " " + shell_quote(e);
    cmd += " >" + shell_quote((m_dir / "build.log").string()) + " 2>&1";
    if (std::system(cmd.c_str()) != 0) {
        std::ifstream in(m_dir / "build.log");
        why = "validators.py build failed: " + std::string(std::istreambuf_iterator<char>(in), {});
        return false;
    }
    std::ifstream in(m_dir / "network.json");
    m_manifest = nlohmann::json::parse(in, nullptr, false);
    if (m_manifest.is_discarded()) {
        why = "network.json does not parse";
        return false;
    }
    fs::create_directories(m_dir / "logs");
    return true;
}

std::uint16_t ValidatorNet::rpc_port(int k) const {
    return m_manifest.at("nodes").at(static_cast<std::size_t>(k)).at("rpc_port").get<std::uint16_t>();
}

bool ValidatorNet::start_app(int k) {
    const auto& n = m_manifest.at("nodes").at(static_cast<std::size_t>(k));
    const std::string name = n.at("app");
    auto p = Process::start_logged(NYM_VALIDATOR_BIN,
                                   {"--data-dir", n.at("ledger_dir").get<std::string>(), "--host", "127.0.0.1",
                                    "--port", std::to_string(n.at("abci_port").get<int>()), "--log-level", "info"},
                                   (m_dir / "logs" / (name + ".log")).string());
    if (!p) return false;
    m_apps[static_cast<std::size_t>(k)].emplace(std::move(*p));
    auto line = m_apps[static_cast<std::size_t>(k)]->read_line(30s);
    return line && line->find("nym-validator listening on") != std::string::npos;
}

bool ValidatorNet::start_node(int k) {
    const auto& n = m_manifest.at("nodes").at(static_cast<std::size_t>(k));
    const std::string log = (m_dir / "logs" / (n.at("name").get<std::string>() + ".log")).string();
    // CometBFT logs to stdout: straight into its log file, never into a pipe nobody drains.
    auto p = Process::start("/bin/sh", {"-c", "exec " + shell_quote(NYM_COMETBFT_BIN) + " start --home " +
                                                  shell_quote(n.at("home").get<std::string>()) + " >>" +
                                                  shell_quote(log) + " 2>&1"});
    if (!p) return false;
    m_nodes[static_cast<std::size_t>(k)].emplace(std::move(*p));
    return true;
}

bool ValidatorNet::start_all(std::uint64_t min_height) {
    for (int k = 0; k < NODES; ++k)
        if (!start_app(k)) return false;
    for (int k = 0; k < NODES; ++k)
        if (!start_node(k)) return false;
    for (int k = 0; k < NODES; ++k)
        if (!wait_height(k, min_height, 90s)) return false;
    return true;
}

void ValidatorNet::stop_app(int k, int signal) {
    auto& p = m_apps[static_cast<std::size_t>(k)];
    if (p) p->stop(signal, 10s);
    p.reset();
}

void ValidatorNet::stop_node(int k, int signal) {
    auto& p = m_nodes[static_cast<std::size_t>(k)];
    if (p) p->stop(signal, 15s);
    p.reset();
}

nlohmann::json ValidatorNet::rpc(int k, const std::string& method, const nlohmann::json& params, std::string* error,
                                 std::chrono::milliseconds timeout) const {
    const nlohmann::json request = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", params}};
    runtime::ClientOptions options;
    options.timeout = timeout;
    auto r = runtime::http_request("127.0.0.1", rpc_port(k), "POST", "/", request.dump(), runtime::CONTENT_TYPE_JSON,
                                   options);
    if (!r) {
        if (error) *error = method + ": " + r.error().message();
        return nullptr;
    }
    auto body = nlohmann::json::parse(r->body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
        if (error) *error = method + ": not JSON: " + r->body.substr(0, 200);
        return nullptr;
    }
    if (body.contains("error")) {
        if (error) *error = method + ": " + body["error"].dump();
        return nullptr;
    }
    return body.value("result", nlohmann::json());
}

nlohmann::json ValidatorNet::broadcast(int k, const std::vector<std::uint8_t>& tx, const std::string& method,
                                       std::string* error) const {
    return rpc(k, method, {{"tx", base64_encode(tx)}}, error, 30s);
}

QueryAnswer ValidatorNet::query(int k, const std::string& path, const std::vector<std::uint8_t>& data,
                                std::int64_t height) const {
    QueryAnswer out;
    std::string error;
    auto r = rpc(k, "abci_query",
                 {{"path", path}, {"data", util::to_hex(data)}, {"height", std::to_string(height)}, {"prove", false}},
                 &error);
    if (r.is_null()) {
        out.code = 0xffffffff;
        out.log = error;
        return out;
    }
    const auto& resp = r["response"];
    // CometBFT writes empty bytes as null.
    const auto text = [&](const char* key) {
        return resp.contains(key) && resp[key].is_string() ? resp[key].get<std::string>() : std::string();
    };
    out.code = resp.value("code", 0u);
    out.log = text("log");
    out.value = base64_decode(text("value"));
    out.height = text("height").empty() ? 0 : std::stoll(text("height"));
    return out;
}

std::pair<std::uint64_t, std::uint64_t> ValidatorNet::account(int k, const crypto::EthereumAddress& a) const {
    auto q = query(k, "/account", {a.bytes.begin(), a.bytes.end()});
    if (q.code != 0) return {0, 0};
    auto j = nlohmann::json::parse(q.value, nullptr, false);
    if (j.is_discarded()) return {0, 0};
    return {std::stoull(j["balance"].get<std::string>()), std::stoull(j["nonce"].get<std::string>())};
}

std::optional<NodeStatus> ValidatorNet::status(int k) const {
    auto r = rpc(k, "status", nlohmann::json::object(), nullptr, 3s);
    if (r.is_null()) return std::nullopt;
    const auto& s = r["sync_info"];
    return NodeStatus{std::stoull(s["latest_block_height"].get<std::string>()), s["latest_app_hash"]};
}

bool ValidatorNet::wait_height(int k, std::uint64_t height, std::chrono::seconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (auto s = status(k); s && s->height >= height) return true;
        std::this_thread::sleep_for(100ms);
    }
    return false;
}

bool ValidatorNet::wait_app_height(int k, std::uint64_t height, std::chrono::seconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto r = rpc(k, "abci_info", nlohmann::json::object(), nullptr, 3s);
        if (!r.is_null()) {
            const auto& resp = r["response"];
            const auto h = resp.contains("last_block_height") && resp["last_block_height"].is_string()
                               ? std::stoull(resp["last_block_height"].get<std::string>())
                               : 0;
            if (h >= height) return true;
        }
        std::this_thread::sleep_for(20ms);
    }
    return false;
}

std::string ValidatorNet::app_hash_after(int k, std::uint64_t height) const {
    auto r = rpc(k, "block", {{"height", std::to_string(height + 1)}}, nullptr, 3s);
    if (r.is_null()) return "";
    return r["block"]["header"].value("app_hash", "");
}

crypto::Secp256k1SecretKey ValidatorNet::key(const std::string& name) const {
    std::ifstream in(m_manifest.at("accounts").at(name).at("key").get<std::string>());
    std::string hex;
    in >> hex;
    return *crypto::Secp256k1SecretKey::from_hex(hex);
}

crypto::EthereumAddress ValidatorNet::address(const std::string& name) const {
    return *crypto::EthereumAddress::from_hex(m_manifest.at("accounts").at(name).at("address").get<std::string>());
}

std::string ValidatorNet::log_tail(const std::string& name, std::size_t lines) const {
    std::ifstream in(m_dir / "logs" / (name + ".log"));
    std::vector<std::string> all;
    for (std::string line; std::getline(in, line);) all.push_back(line);
    std::ostringstream out;
    for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) out << all[i] << "\n";
    return out.str();
}

std::string base64_encode(const std::vector<std::uint8_t>& bytes) {
    static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const unsigned v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
        for (int s = 18; s >= 0; s -= 6) out += table[(v >> s) & 63];
    }
    if (i + 1 == bytes.size()) {
        const unsigned v = bytes[i] << 16;
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == bytes.size()) {
        const unsigned v = (bytes[i] << 16) | (bytes[i + 1] << 8);
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += table[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

std::string base64_decode(const std::string& text) {
    std::string out;
    unsigned v = 0;
    int bits = 0;
    for (char c : text) {
        int d = -1;
        if (c >= 'A' && c <= 'Z')
            d = c - 'A';
        else if (c >= 'a' && c <= 'z')
            d = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            d = c - '0' + 52;
        else if (c == '+')
            d = 62;
        else if (c == '/')
            d = 63;
        else
            continue;
        v = (v << 6) | static_cast<unsigned>(d);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((v >> bits) & 0xff);
        }
    }
    return out;
}

} // namespace nym::functional
