#include "credential_net.hpp"

#include <coconut/key_files.hpp>
#include <crypto/rng.hpp>
#include <runtime/blocking.hpp>
#include <util/hex.hpp>

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

constexpr const char* PIPE_ACCOUNT = "0x00000000000000000000000000000000000c0ffe";

crypto::Secp256k1SecretKey account_key(std::uint8_t tag, std::uint8_t n) {
    std::array<std::uint8_t, 32> raw{};
    raw[0] = tag;
    raw[1] = 0x5e;
    raw[31] = n;
    return *crypto::Secp256k1SecretKey::from_bytes(raw);
}

void write_text(const fs::path& path, const std::string& text, bool secret = false) {
    fs::create_directories(path.parent_path());
    {
        std::ofstream out(path, std::ios::trunc);
        out << text;
    }
    fs::permissions(path, secret ? fs::perms::owner_read | fs::perms::owner_write
                                 : fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                       fs::perms::others_read);
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string quote(const std::string& s) {
    return "\"" + s + "\"";
}

std::string tail(const std::string& text, std::size_t n = 4000) {
    return text.size() <= n ? text : text.substr(text.size() - n);
}

std::string decimal_or_number(const nlohmann::json& j) {
    if (j.is_string()) return j.get<std::string>();
    if (j.is_number_unsigned()) return std::to_string(j.get<std::uint64_t>());
    return {};
}

std::string base64_decode_text(const std::string& in) {
    static const std::string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    int val = 0, bits = -8;
    for (char c : in) {
        if (c == '=') break;
        const auto pos = chars.find(c);
        if (pos == std::string::npos) break;
        val = (val << 6) + static_cast<int>(pos);
        bits += 6;
        if (bits >= 0) {
            out.push_back(static_cast<char>((val >> bits) & 0xff));
            bits -= 8;
        }
    }
    return out;
}

} // namespace

std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

CredentialNet::CredentialNet(NetOptions options) : m_options(std::move(options)) {
    static int counter = 0;
    m_dir =
        fs::temp_directory_path() / ("nym_credentials_" + std::to_string(::getpid()) + "_" + std::to_string(++counter));
    fs::remove_all(m_dir);
    fs::create_directories(m_dir / "logs");
    crypto::DeterministicRng rng(0xC0C0 + static_cast<std::uint64_t>(counter));
    const auto& params = *coconut::Parameters::setup(5);
    m_issuer_keys = *coconut::ttp_keygen(params, m_options.threshold, m_options.issuer_keys, rng);
    for (std::size_t i = 1; i <= m_options.verifiers + m_options.extra_verifier_keys; ++i)
        m_verifier_keys.push_back(account_key(0x03, static_cast<std::uint8_t>(i)));
    for (std::size_t i = 1; i <= m_options.providers; ++i)
        m_provider_keys.push_back(account_key(0x04, static_cast<std::uint8_t>(i)));
    for (std::size_t i = 0; i <= m_options.extra_clients; ++i)
        m_client_keys.push_back(account_key(0x01, static_cast<std::uint8_t>(i + 1)));
    for (std::size_t i = 1; i <= m_options.ethereum_watchers; ++i)
        m_watcher_keys.push_back(account_key(0x05, static_cast<std::uint8_t>(i)));
    if (m_options.validators == ValidatorNet::NODES)
        m_valnet = std::make_unique<ValidatorNet>("credentials" + std::to_string(counter));
    m_rpc_port = free_port();
    m_p2p_port = free_port();
    m_abci_port = free_port();
    for (std::size_t i = 0; i < m_options.issuer_keys; ++i) m_issuer_ports.push_back(free_port());
    for (std::size_t i = 0; i < m_options.providers; ++i) m_provider_ports.push_back(free_port());
}

CredentialNet::~CredentialNet() {
    // The services first, the ledger last (so that they do not log its disappearance).
    for (auto& [name, p] : m_processes) {
        if (name != "cometbft" && name != "validator" && !p.stop(SIGTERM, 5s)) p.stop(SIGKILL, 5s);
    }
    for (const char* name : {"cometbft", "validator"}) {
        auto it = m_processes.find(name);
        if (it != m_processes.end() && !it->second.stop(SIGTERM, 10s)) it->second.stop(SIGKILL, 5s);
    }
    m_processes.clear();
    if (std::getenv("NYM_KEEP_TEST_DIRS") == nullptr) {
        std::error_code ec;
        fs::remove_all(m_dir, ec);
    }
}

bool CredentialNet::fail(std::string why) {
    m_why = std::move(why);
    return false;
}

std::string CredentialNet::node_url() const {
    return "http://127.0.0.1:" + std::to_string(m_rpc_port);
}

std::string CredentialNet::ethereum_toml() const {
    if (m_ethereum.token().empty()) return {};
    return "\n[ethereum]\nrpc_url = " + quote(m_ethereum.url()) + "\ntoken = " + quote(m_ethereum.token()) +
           "\npipe_account = " + quote(PIPE_ACCOUNT) + "\nconfirmations = " + std::to_string(m_options.confirmations) +
           "\npoll_interval_ms = 100\nconfirmation_timeout_ms = 60000\ncredit_timeout_ms = 60000\n";
}

bool CredentialNet::start_ethereum() {
    if (m_options.ethereum_watchers == 0) return true;
    if (!m_ethereum.start(m_dir / "ethereum", m_dir / "logs" / "geth.log")) return fail(m_ethereum.why());
    std::vector<std::string> clients;
    for (const auto& k : m_client_keys) clients.push_back(k.address().to_hex());
    if (!m_ethereum.deploy(clients, 100)) return fail(m_ethereum.why());
    return true;
}

bool CredentialNet::write_watchers() {
    WatcherSetup setup{PIPE_ACCOUNT, {}, m_options.chain_id, m_options.confirmations};
    if (m_valnet) {
        for (int k = 0; k < ValidatorNet::NODES; ++k)
            setup.validators.push_back("http://127.0.0.1:" + std::to_string(m_valnet->rpc_port(k)));
    } else {
        setup.validators.push_back(node_url());
    }
    for (std::size_t i = 1; i <= m_watcher_keys.size(); ++i) {
        // The key first: `init` keeps a key it finds, and the genesis lists this one.
        const auto dir = m_dir / "ethereum-watchers" / ("watcher" + std::to_string(i));
        write_text(dir / "watcher.key", util::to_hex(m_watcher_keys[i - 1].bytes()) + "\n", true);
        std::string out;
        const auto address = init_watcher(dir, m_ethereum, setup, &out);
        if (address != m_watcher_keys[i - 1].address().to_hex()) return fail("nym-ethereum-watcher init: " + out);
    }
    return true;
}

bool CredentialNet::start_watcher(std::size_t i) {
    const auto name = "watcher" + std::to_string(i);
    auto p = functional::start_watcher(m_dir / "ethereum-watchers" / name, m_dir / "logs" / (name + ".log"));
    if (!p) return fail(name + " did not start: " + tail(log(name)));
    m_processes.erase(name);
    m_processes.emplace(name, std::move(*p));
    return true;
}

void CredentialNet::stop_watcher(std::size_t i, int signal) {
    stop("watcher" + std::to_string(i), signal);
}

std::string CredentialNet::ledger_toml() const {
    // A port nothing listens on (taken from the free range and never bound): a validator that is down.
    static const std::uint16_t dead = free_port();
    std::string nodes = m_options.dead_node_first ? quote("http://127.0.0.1:" + std::to_string(dead)) + ", " : "";
    if (m_valnet) {
        // Every validator's RPC, node0 first: killing node0 makes every service fail over.
        for (int k = 0; k < ValidatorNet::NODES; ++k)
            nodes += (k == 0 ? "" : ", ") + quote("http://127.0.0.1:" + std::to_string(m_valnet->rpc_port(k)));
    } else {
        nodes += quote(node_url());
    }
    return "[ledger]\nnodes = [" + nodes + "]\nchain_id = " + quote(m_options.chain_id) + "\npoll_interval_ms = 50\n";
}

fs::path CredentialNet::client_dir(std::size_t client) const {
    return client == 0 ? m_dir / "localnetdata" / "localclient"
                       : m_dir / "localnetdata" / ("client" + std::to_string(client + 1));
}

void CredentialNet::configure_client(const std::vector<std::size_t>& issuers, std::size_t provider, std::size_t client,
                                     const std::vector<std::uint16_t>& extra_issuer_ports) {
    std::string list;
    for (auto i : issuers)
        list += (list.empty() ? "" : ", ") + quote("http://127.0.0.1:" + std::to_string(issuer_port(i)));
    for (auto port : extra_issuer_ports)
        list += (list.empty() ? "" : ", ") + quote("http://127.0.0.1:" + std::to_string(port));
    const auto dir = client_dir(client);
    write_text(dir / "config.toml",
               "# nymclient (written by the functional tests)\n[client]\naccount_key = \"clientAccount.key\"\n"
               "wallet = \"wallet.json\"\nvalue = 1\nissuers = [" +
                   list +
                   "]\nissuer_timeout_ms = 2000\n"
                   "fetch_timeout_ms = 20000\nprovider = " +
                   quote("http://127.0.0.1:" + std::to_string(provider_port(provider))) +
                   "\nprovider_address = " + quote(m_provider_keys.at(provider - 1).address().to_hex()) +
                   "\nspend_timeout_ms = " + std::to_string(m_options.spend_timeout.count() + 15000) + "\n\n" +
                   ledger_toml() + ethereum_toml());
}

bool CredentialNet::prepare() {
    const std::size_t n = m_options.issuer_keys, t = m_options.threshold;
    if (m_valnet && !build_validator_net()) return false;
    // Issuers: each its own key pair, as the seed's issuers/issuerN/coconutkeys/.
    for (std::size_t i = 1; i <= n; ++i) {
        const auto dir = m_dir / "issuers" / ("issuer" + std::to_string(i));
        const auto& kp = m_issuer_keys[i - 1];
        const auto sk = coconut::secret_key_file_name(kp.secret.index, 5, n, t);
        const auto vk = coconut::verification_key_file_name(kp.secret.index, 5, n, t);
        fs::create_directories(dir / "coconutkeys");
        if (!coconut::write_secret_key_file(dir / "coconutkeys" / sk, kp.secret) ||
            !coconut::write_verification_key_file(dir / "coconutkeys" / vk, kp.verification))
            return fail("cannot write issuer keys");
        write_text(dir / "config.toml",
                   "[issuer]\nlisten_host = \"127.0.0.1\"\nlisten_port = " + std::to_string(m_issuer_ports[i - 1]) +
                       "\nsecret_key = " + quote("coconutkeys/" + sk) +
                       "\nverification_key = " + quote("coconutkeys/" + vk) + "\ndata_dir = \"data\"\nworkers = " +
                       std::to_string(m_options.issuer_workers) + "\n\n" + ledger_toml());
    }
    auto write_issuer_keys = [&](const fs::path& dir) {
        fs::create_directories(dir);
        for (const auto& kp : m_issuer_keys)
            if (!coconut::write_verification_key_file(
                    dir / coconut::verification_key_file_name(kp.verification.index, 5, n, t), kp.verification))
                return false;
        return true;
    };
    for (std::size_t i = 1; i <= m_options.verifiers; ++i) {
        const auto dir = m_dir / "verifiers" / ("verifier" + std::to_string(i));
        write_text(dir / "accountKey" / "verifier.key", util::to_hex(m_verifier_keys[i - 1].bytes()) + "\n", true);
        if (!write_issuer_keys(dir / "issuerKeys")) return fail("cannot write issuer keys");
        write_text(dir / "config.toml",
                   "[verifier]\naccount_key = \"accountKey/verifier.key\"\nissuer_keys = \"issuerKeys\"\n"
                   "issuer_threshold = " +
                       std::to_string(t) + "\ndata_dir = \"data\"\nvote_timeout_ms = 15000\n\n" + ledger_toml());
    }
    for (std::size_t i = 1; i <= m_options.providers; ++i) {
        const auto dir = m_dir / "providers" / ("provider" + std::to_string(i));
        write_text(dir / "accountKey" / "provider.key", util::to_hex(m_provider_keys[i - 1].bytes()) + "\n", true);
        if (!write_issuer_keys(dir / "issuerKeys")) return fail("cannot write issuer keys");
        write_text(dir / "config.toml",
                   "[provider]\nlisten_host = \"127.0.0.1\"\nlisten_port = " + std::to_string(m_provider_ports[i - 1]) +
                       "\naccount_key = \"accountKey/provider.key\"\nissuer_keys = \"issuerKeys\"\n"
                       "issuer_threshold = " +
                       std::to_string(t) + "\nspend_timeout_ms = " + std::to_string(m_options.spend_timeout.count()) +
                       "\n\n" + ledger_toml());
    }
    if (!m_ethereum.token().empty() && !write_watchers()) return false;
    std::vector<std::size_t> seed_issuers;
    for (std::size_t i = 1; i <= std::min<std::size_t>(3, n); ++i) seed_issuers.push_back(i);
    for (std::size_t c = 0; c < m_client_keys.size(); ++c) {
        write_text(client_dir(c) / "clientAccount.key", util::to_hex(m_client_keys[c].bytes()) + "\n", true);
        configure_client(seed_issuers, 1, c);
    }

    if (m_valnet) return true;
    // The validator: cometbft init, then our ports, block interval and genesis app_state.
    const auto home = m_dir / "nodes" / "node0";
    auto init = Process::start(NYM_COMETBFT_BIN, {"init", "--home", home.string()});
    if (!init || init->wait(60s) != 0) return fail("cometbft init failed");
    std::string config = read_text(home / "config" / "config.toml");
    std::stringstream in(config), out;
    std::string line, section;
    while (std::getline(in, line)) {
        if (!line.empty() && line.front() == '[') section = line;
        if (line.rfind("proxy_app = ", 0) == 0)
            line = "proxy_app = \"tcp://127.0.0.1:" + std::to_string(m_abci_port) + "\"";
        else if (line.rfind("laddr = ", 0) == 0 && section == "[rpc]")
            line = "laddr = \"tcp://127.0.0.1:" + std::to_string(m_rpc_port) + "\"";
        else if (line.rfind("laddr = ", 0) == 0 && section == "[p2p]")
            line = "laddr = \"tcp://127.0.0.1:" + std::to_string(m_p2p_port) + "\"";
        else if (line.rfind("timeout_commit = ", 0) == 0)
            line = "timeout_commit = \"" + std::to_string(m_options.block_interval.count()) + "ms\"";
        else if (line.rfind("addr_book_strict = ", 0) == 0)
            line = "addr_book_strict = false";
        else if (line.rfind("moniker = ", 0) == 0)
            line = "moniker = \"node0\"";
        out << line << "\n";
    }
    write_text(home / "config" / "config.toml", out.str());

    nlohmann::json genesis = nlohmann::json::parse(read_text(home / "config" / "genesis.json"));
    genesis["chain_id"] = m_options.chain_id;
    nlohmann::json verifiers = nlohmann::json::array(), keys = nlohmann::json::array(),
                   accounts = nlohmann::json::array();
    for (const auto& k : m_verifier_keys) verifiers.push_back(k.address().to_hex());
    for (const auto& kp : m_issuer_keys) keys.push_back(util::to_hex(kp.verification.encode()));
    for (const auto& k : m_client_keys)
        accounts.push_back({{"address", k.address().to_hex()}, {"balance", std::to_string(m_options.client_balance)}});
    genesis["app_state"] = {{"chain_id", m_options.chain_id},
                            {"pipe_account", PIPE_ACCOUNT},
                            {"verifiers", {{"threshold", m_options.verifier_threshold}, {"addresses", verifiers}}},
                            {"issuers", {{"threshold", t}, {"verification_keys", keys}}},
                            {"accounts", accounts}};
    if (!m_watcher_keys.empty()) {
        nlohmann::json watchers = nlohmann::json::array();
        for (const auto& k : m_watcher_keys) watchers.push_back(k.address().to_hex());
        genesis["app_state"]["watchers"] = {{"threshold", m_options.watcher_threshold}, {"addresses", watchers}};
    }
    write_text(home / "config" / "genesis.json", genesis.dump(2));
    return true;
}

bool CredentialNet::build_validator_net() {
    if (const auto why = ValidatorNet::unavailable(); !why.empty()) return fail(why);
    if (m_options.verifiers + m_options.extra_verifier_keys > 3 || m_options.providers > 2 ||
        m_options.ethereum_watchers > 3)
        return fail("tools/validators.py registers 3 verifiers, 2 providers and 3 watchers");
    const std::size_t n = m_options.issuer_keys, t = m_options.threshold;
    // The genesis of tools/validators.py: our issuers' verification keys (--issuer-keys), our
    // clients' balances (--accounts) and its own verifier accounts at our threshold.
    const auto keys = m_dir / "genesis" / "issuerKeys";
    fs::create_directories(keys);
    for (const auto& kp : m_issuer_keys)
        if (!coconut::write_verification_key_file(
                keys / coconut::verification_key_file_name(kp.verification.index, 5, n, t), kp.verification))
            return fail("cannot write issuer keys");
    nlohmann::json accounts = nlohmann::json::array();
    for (const auto& k : m_client_keys)
        accounts.push_back({{"address", k.address().to_hex()}, {"balance", std::to_string(m_options.client_balance)}});
    write_text(m_dir / "genesis" / "accounts.json", accounts.dump(2));
    std::string why;
    if (!m_valnet->build(why, {"--chain-id", m_options.chain_id, "--issuer-keys", keys.string(), "--issuer-threshold",
                               std::to_string(t), "--accounts", (m_dir / "genesis" / "accounts.json").string(),
                               "--verifier-threshold", std::to_string(m_options.verifier_threshold), "--timeout-commit",
                               std::to_string(m_options.block_interval.count()) + "ms", "--watcher-threshold",
                               std::to_string(m_options.watcher_threshold)}))
        return fail(why);
    // Its genesis lists its own watcher accounts: the Ethereum watchers use their keys.
    m_watcher_keys.clear();
    for (std::size_t i = 1; i <= m_options.ethereum_watchers; ++i)
        m_watcher_keys.push_back(m_valnet->key("watcher" + std::to_string(i)));
    m_verifier_keys.clear();
    for (std::size_t i = 1; i <= m_options.verifiers + m_options.extra_verifier_keys; ++i)
        m_verifier_keys.push_back(m_valnet->key("verifier" + std::to_string(i)));
    m_provider_keys.clear();
    for (std::size_t i = 1; i <= m_options.providers; ++i)
        m_provider_keys.push_back(m_valnet->key("provider" + std::to_string(i)));
    m_query_node = 0;
    m_rpc_port = m_valnet->rpc_port(0);
    return true;
}

bool CredentialNet::start_daemon(const std::string& name, const std::string& binary, const fs::path& config,
                                 std::vector<std::string> extra) {
    std::vector<std::string> args{"-f", config.string(), "--log-level", "debug"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::string program = binary;
    if (!m_options.issuer_cpus.empty() && name.rfind("issuer", 0) == 0) {
        args.insert(args.begin(), {"-c", m_options.issuer_cpus, binary});
        program = "/usr/bin/taskset";
    }
    auto p = Process::start_logged(program, args, (m_dir / "logs" / (name + ".log")).string());
    if (!p) return fail("cannot start " + name);
    auto line = p->read_line(30s);
    if (!line) return fail(name + " did not start: " + tail(log(name)));
    m_processes.erase(name);
    m_processes.emplace(name, std::move(*p));
    return true;
}

void CredentialNet::stop(const std::string& name, int signal) {
    auto it = m_processes.find(name);
    if (it == m_processes.end()) return;
    if (!it->second.stop(signal, 10s)) it->second.stop(SIGKILL, 5s);
    m_processes.erase(it);
}

bool CredentialNet::start_ledger() {
    if (m_valnet) {
        if (!m_valnet->start_all(2)) return fail("the 4 validators make no blocks: " + m_valnet->log_tail("node0"));
        return true;
    }
    const auto home = m_dir / "nodes" / "node0";
    auto validator = Process::start_logged(
        NYM_VALIDATOR_BIN,
        {"--data-dir", (home / "nymdata").string(), "--port", std::to_string(m_abci_port), "--log-level", "warn"},
        (m_dir / "logs" / "validator.log").string());
    if (!validator || !validator->read_line(30s)) return fail("nym-validator did not start: " + log("validator"));
    m_processes.emplace("validator", std::move(*validator));
    // CometBFT logs to stdout: straight into its log file, so that no pipe can fill up.
    auto cometbft = Process::start_logged("/bin/sh",
                                          {"-c", "exec \"$0\" start --home \"$1\" --log_level info >>\"$2\" 2>&1",
                                           NYM_COMETBFT_BIN, home.string(), (m_dir / "logs" / "cometbft.log").string()},
                                          (m_dir / "logs" / "cometbft.stderr.log").string());
    if (!cometbft) return fail("cannot start cometbft");
    m_processes.emplace("cometbft", std::move(*cometbft));
    if (!wait_height(1, 60s)) return fail("the chain makes no blocks: " + tail(log("cometbft")));
    return true;
}

void CredentialNet::stop_ledger(int signal) {
    if (m_valnet) {
        for (int k = 0; k < ValidatorNet::NODES; ++k) stop_validator(k, signal);
        return;
    }
    stop("cometbft", signal);
    stop("validator", signal);
}

void CredentialNet::stop_validator(int k, int signal) {
    if (!m_valnet) return;
    m_valnet->stop_node(k, signal);
    m_valnet->stop_app(k, signal);
    if (k == m_query_node) {
        m_query_node = (k + 1) % ValidatorNet::NODES;
        m_rpc_port = m_valnet->rpc_port(m_query_node);
    }
}

bool CredentialNet::start_validator(int k) {
    if (!m_valnet) return false;
    if (!m_valnet->start_app(k) || !m_valnet->start_node(k))
        return fail("validator " + std::to_string(k) +
                    " did not start: " + m_valnet->log_tail("app" + std::to_string(k)));
    return true;
}

bool CredentialNet::start_issuer(std::size_t i) {
    const auto name = "issuer" + std::to_string(i);
    return start_daemon(name, NYM_ISSUER_BIN, m_dir / "issuers" / name / "config.toml");
}
std::uint16_t CredentialNet::start_rogue_issuer(std::size_t index) {
    crypto::DeterministicRng rng(0xBAD);
    const auto foreign =
        *coconut::ttp_keygen(*coconut::Parameters::setup(5), m_options.threshold, m_options.issuer_keys, rng);
    const auto& kp = foreign.at(index - 1);
    const auto name = "rogue" + std::to_string(index);
    const auto dir = m_dir / "issuers" / name;
    const auto sk = coconut::secret_key_file_name(kp.secret.index, 5, m_options.issuer_keys, m_options.threshold);
    const auto vk = coconut::verification_key_file_name(kp.secret.index, 5, m_options.issuer_keys, m_options.threshold);
    fs::create_directories(dir / "coconutkeys");
    if (!coconut::write_secret_key_file(dir / "coconutkeys" / sk, kp.secret) ||
        !coconut::write_verification_key_file(dir / "coconutkeys" / vk, kp.verification))
        return 0;
    const auto port = free_port();
    write_text(dir / "config.toml", "[issuer]\nlisten_host = \"127.0.0.1\"\nlisten_port = " + std::to_string(port) +
                                        "\nsecret_key = " + quote("coconutkeys/" + sk) + "\nverification_key = " +
                                        quote("coconutkeys/" + vk) + "\ndata_dir = \"data\"\n\n" + ledger_toml());
    return start_daemon(name, NYM_ISSUER_BIN, dir / "config.toml") ? port : 0;
}

bool CredentialNet::start_verifier(std::size_t i) {
    const auto name = "verifier" + std::to_string(i);
    return start_daemon(name, NYM_VERIFIER_BIN, m_dir / "verifiers" / name / "config.toml");
}
bool CredentialNet::start_provider(std::size_t i) {
    const auto name = "provider" + std::to_string(i);
    return start_daemon(name, NYM_PROVIDER_BIN, m_dir / "providers" / name / "config.toml");
}
void CredentialNet::stop_issuer(std::size_t i, int signal) {
    stop("issuer" + std::to_string(i), signal);
}
void CredentialNet::stop_verifier(std::size_t i, int signal) {
    stop("verifier" + std::to_string(i), signal);
}
void CredentialNet::stop_provider(std::size_t i, int signal) {
    stop("provider" + std::to_string(i), signal);
}

bool CredentialNet::start_all(std::size_t issuers) {
    if (!start_ethereum() || !prepare() || !start_ledger()) return false;
    for (std::size_t i = 1; i <= issuers; ++i)
        if (!start_issuer(i)) return false;
    for (std::size_t i = 1; i <= m_options.verifiers; ++i)
        if (!start_verifier(i)) return false;
    for (std::size_t i = 1; i <= m_options.providers; ++i)
        if (!start_provider(i)) return false;
    for (std::size_t i = 1; i <= m_options.ethereum_watchers; ++i)
        if (!start_watcher(i)) return false;
    return true;
}

ClientRun CredentialNet::run_client(const std::vector<std::string>& args, std::size_t client,
                                    std::chrono::milliseconds timeout) {
    ClientRun run;
    std::vector<std::string> all{"-f", (client_dir(client) / "config.toml").string()};
    all.insert(all.end(), args.begin(), args.end());
    auto p = Process::start(NYMCLIENT_BIN, all);
    if (!p) return run;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto line = p->read_line(
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
        run.err += p->drain_stderr();
        if (!line) break;
        run.out += *line + "\n";
    }
    auto code = p->wait(5s);
    if (!code) code = p->stop(SIGKILL, 5s);
    run.err += p->drain_stderr();
    run.exit_code = code.value_or(-1);
    return run;
}

std::uint64_t CredentialNet::height() {
    auto r = runtime::http_request("127.0.0.1", m_rpc_port, "GET", "/status");
    if (!r || r->status != 200) return 0;
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (j.is_discarded()) return 0;
    try {
        return std::stoull(j["result"]["sync_info"]["latest_block_height"].get<std::string>());
    } catch (...) {
        return 0;
    }
}

bool CredentialNet::wait_height(std::uint64_t h, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (height() > h) return true;
        std::this_thread::sleep_for(100ms);
    }
    return false;
}

namespace {

std::optional<nlohmann::json> query(std::uint16_t port, const std::string& path, const std::string& data_hex) {
    auto r = runtime::http_request("127.0.0.1", port, "GET", "/abci_query?path=%22" + path + "%22&data=0x" + data_hex);
    if (!r) return std::nullopt;
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (j.is_discarded() || !j.contains("result")) return std::nullopt;
    const auto& response = j["result"]["response"];
    if (response.contains("code") && response["code"] != 0) return std::nullopt;
    auto value = nlohmann::json::parse(base64_decode_text(response.value("value", "")), nullptr, false);
    if (value.is_discarded()) return std::nullopt;
    return value;
}

} // namespace

std::optional<std::uint64_t> CredentialNet::balance(const crypto::EthereumAddress& address) {
    auto j = query(m_rpc_port, "/balance", util::to_hex(address.bytes));
    if (!j) return std::nullopt;
    const auto text = decimal_or_number((*j)["balance"]);
    if (text.empty()) return std::nullopt;
    return std::stoull(text);
}

std::optional<nlohmann::json> CredentialNet::zeta(const std::string& zeta_hex) {
    return query(m_rpc_port, "/zeta", zeta_hex);
}

std::vector<std::vector<std::uint8_t>> CredentialNet::block_txs(std::uint64_t h) {
    std::vector<std::vector<std::uint8_t>> out;
    auto r = runtime::http_request("127.0.0.1", m_rpc_port, "GET", "/block?height=" + std::to_string(h));
    if (!r) return out;
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (j.is_discarded() || !j.contains("result")) return out;
    const auto& txs = j["result"]["block"]["data"]["txs"];
    if (!txs.is_array()) return out;
    for (const auto& t : txs) {
        const auto raw = base64_decode_text(t.get<std::string>());
        out.emplace_back(raw.begin(), raw.end());
    }
    return out;
}

std::optional<std::uint32_t> CredentialNet::broadcast(const std::vector<std::uint8_t>& tx) {
    auto r = runtime::http_request("127.0.0.1", m_rpc_port, "GET", "/broadcast_tx_sync?tx=0x" + util::to_hex(tx));
    if (!r) return std::nullopt;
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (j.is_discarded() || !j.contains("result")) return std::nullopt;
    return j["result"].value("code", 0u);
}

int CredentialNet::pid(const std::string& name) const {
    auto it = m_processes.find(name);
    return it == m_processes.end() ? -1 : static_cast<int>(it->second.pid());
}

std::string CredentialNet::log(const std::string& name) const {
    if (m_valnet && (name == "validator" || name == "cometbft"))
        return m_valnet->log_tail(
            name == "validator" ? "app" + std::to_string(m_query_node) : "node" + std::to_string(m_query_node), 40);
    return tail(read_text(m_dir / "logs" / (name + ".log")));
}

} // namespace nym::functional
