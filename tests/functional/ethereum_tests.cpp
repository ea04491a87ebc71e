// The Ethereum pipe with real processes on loopback: geth --dev (the Ethereum development chain),
// one CometBFT validator with nym-validator behind it, nym-ethereum-watcher processes, and the
// client's `nym-eth-pipe transfer`. The token is the NymToken contract compiled at build time and
// deployed by `nym-eth-pipe dev-setup`. Skips, saying so, without geth or cometbft (tools/install-deps.sh).
#include <crypto/rng.hpp>
#include <ledger/tx.hpp>
#include <runtime/blocking.hpp>
#include <util/hex.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <cstdlib>
#include <deque>
#include <ethereum/account_key.hpp>
#include <ethereum/jsonrpc.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <netinet/in.h>
#include <node/cometbft_client.hpp>
#include <regex>
#include <sstream>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "ethereum_net.hpp"
#include "process.hpp"

namespace {

using namespace nym;
using namespace std::chrono_literals;
using json = nlohmann::json;
namespace fs = std::filesystem;
using functional::Process;

constexpr const char* CHAIN_ID = "nym-pipe-test";
const ethereum::Address PIPE = *ethereum::Address::from_hex("0x00000000000000000000000000000000000c0ffe");
constexpr std::uint64_t CONFIRMATIONS = 2;

std::uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
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

std::string run(const std::string& path, const std::vector<std::string>& args, int* status = nullptr) {
    return functional::run_command(path, args, status);
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

/// Puts a started process into a slot (Process can be moved into place, not assigned).
void assign(std::optional<Process>& slot, std::optional<Process> started) {
    slot.reset();
    if (started) slot.emplace(std::move(*started));
}

/// A watcher process and its folder.
struct Watcher {
    fs::path dir;
    std::string address;
    std::optional<Process> process;
};

/// geth --dev + the token + one CometBFT validator with nym-validator + N watchers.
class PipeNet : public ::testing::Test {
protected:
    void SetUp() override {
        if (!fs::exists(NYM_GETH_BIN))
            GTEST_SKIP() << "geth not found at " << NYM_GETH_BIN << " (tools/install-deps.sh)";
        if (!fs::exists(NYM_COMETBFT_BIN))
            GTEST_SKIP() << "cometbft not found at " << NYM_COMETBFT_BIN << " (tools/install-deps.sh)";
        root = fs::temp_directory_path() / ("nym-pipe-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(root);
        fs::create_directories(root / "logs");
    }
    void TearDown() override {
        for (auto& w : watchers) w.process.reset();
        comet.reset();
        validator.reset();
        chain.stop();
        if (!HasFailure())
            fs::remove_all(root);
        else
            std::printf("logs kept in %s\n", root.c_str());
    }

    std::string log(const std::string& name) const { return (root / "logs" / (name + ".log")).string(); }

    // --- Ethereum ---------------------------------------------------------------------------------
    void start_ethereum() {
        const auto started = std::chrono::steady_clock::now();
        ASSERT_TRUE(chain.start(root, log("geth"))) << chain.why();
        std::printf("geth --dev answered after %lld ms\n",
                    static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::steady_clock::now() - started)
                                               .count()));
        eth_url = chain.url();
        // The client's account and the token.
        client_key = (root / "clientAccount.key").string();
        client_address = trim(run(NYM_ETH_PIPE_BIN, {"keygen", "--out", client_key}));
        ASSERT_TRUE(chain.deploy({client_address}, 100)) << chain.why();
        token = chain.token();
        start_block = chain.start_block();
    }

    std::optional<std::uint64_t> eth_head() const { return chain.head(); }

    // --- the ledger --------------------------------------------------------------------------------
    void init_watchers(std::size_t count) {
        rpc_port = free_port();
        for (std::size_t i = 1; i <= count; ++i) add_watcher("watcher" + std::to_string(i));
    }
    Watcher& add_watcher(const std::string& name) {
        Watcher w;
        w.dir = root / "ethereum-watchers" / name;
        std::string out;
        w.address = functional::init_watcher(
            w.dir, chain, {PIPE.to_hex(), {"http://127.0.0.1:" + std::to_string(rpc_port)}, CHAIN_ID, CONFIRMATIONS},
            &out);
        EXPECT_FALSE(w.address.empty()) << out;
        watchers.push_back(std::move(w));
        return watchers.back();
    }

    void start_ledger(std::uint32_t threshold, std::size_t genesis_watchers) {
        const auto home = root / "cometbft";
        int status = -1;
        run(NYM_COMETBFT_BIN, {"init", "--home", home.string()}, &status);
        ASSERT_EQ(status, 0);
        const auto abci_port = free_port();
        const auto config_file = home / "config" / "config.toml";
        std::ifstream in(config_file);
        std::stringstream text;
        text << in.rdbuf();
        std::string config = text.str();
        config = replace_all(config, "proxy_app = \"tcp://127.0.0.1:26658\"",
                             "proxy_app = \"tcp://127.0.0.1:" + std::to_string(abci_port) + "\"");
        config = replace_all(config, "laddr = \"tcp://127.0.0.1:26657\"",
                             "laddr = \"tcp://127.0.0.1:" + std::to_string(rpc_port) + "\"");
        config = replace_all(config, "laddr = \"tcp://0.0.0.0:26656\"",
                             "laddr = \"tcp://127.0.0.1:" + std::to_string(free_port()) + "\"");
        config = replace_all(config, "timeout_commit = \"1s\"", "timeout_commit = \"500ms\"");
        ASSERT_NE(config.find(std::to_string(rpc_port)), std::string::npos);
        std::ofstream(config_file) << config;
        const auto genesis_file = home / "config" / "genesis.json";
        std::ifstream gin(genesis_file);
        json genesis = json::parse(gin);
        genesis["chain_id"] = CHAIN_ID;
        json addresses = json::array();
        for (std::size_t i = 0; i < genesis_watchers; ++i) addresses.push_back(watchers[i].address);
        genesis["app_state"] = json{{"chain_id", CHAIN_ID},
                                    {"pipe_account", PIPE.to_hex()},
                                    {"watchers", {{"threshold", threshold}, {"addresses", addresses}}}};
        std::ofstream(genesis_file) << genesis.dump(2);

        assign(validator,
               Process::start_logged(NYM_VALIDATOR_BIN,
                                     {"--data-dir", (root / "ledger").string(), "--port", std::to_string(abci_port)},
                                     log("nym-validator")));
        ASSERT_TRUE(validator);
        auto line = validator->read_line(30s);
        ASSERT_TRUE(line && line->find("listening") != std::string::npos);
        // CometBFT logs to stdout: into the log file too (a pipe nobody reads would fill and stall
        // consensus). exec keeps the pid CometBFT's, for the signals.
        assign(comet, Process::start_logged("/bin/sh",
                                            {"-c", "exec '" + std::string(NYM_COMETBFT_BIN) + "' start --home '" +
                                                       home.string() + "' >>'" + log("cometbft") + "' 2>&1"},
                                            log("cometbft")));
        ASSERT_TRUE(comet);
        for (int i = 0; i < 300 && ledger_height() < 1; ++i) std::this_thread::sleep_for(100ms);
        ASSERT_GE(ledger_height(), 1u) << "the ledger made no block";
    }

    std::uint64_t ledger_height() const {
        auto r = runtime::http_request("127.0.0.1", rpc_port, "GET", "/status");
        if (!r || r->status != 200) return 0;
        auto s = node::parse_status_response(r->body);
        return s ? s->latest_block_height : 0;
    }

    std::optional<json> query(const std::string& path, std::span<const std::uint8_t> data) const {
        auto r = runtime::http_request("127.0.0.1", rpc_port, "GET", node::abci_query_target(path, data));
        if (!r || r->status != 200) return std::nullopt;
        auto q = node::parse_abci_query_response(r->body);
        if (!q || q->code != 0) return std::nullopt;
        return json::parse(q->value);
    }

    /// The ledger height of the block whose erc20_credit event names `tx_hash` (CometBFT's kv index).
    std::uint64_t credit_height(const std::string& tx_hash) const {
        const std::string target = "/tx_search?query=%22erc20_credit.eth_tx_hash%3D%27" + tx_hash + "%27%22";
        auto r = runtime::http_request("127.0.0.1", rpc_port, "GET", target);
        if (!r || r->status != 200) return 0;
        auto doc = json::parse(r->body, nullptr, false);
        if (doc.is_discarded() || !doc.contains("result") || doc["result"]["txs"].empty()) return 0;
        return std::stoull(doc["result"]["txs"][0]["height"].get<std::string>());
    }

    std::uint64_t balance(const std::string& address) const {
        auto a = ethereum::parse_address_hex(address);
        if (!a) return 0;
        auto j = query("/balance", a->bytes);
        return j ? std::stoull((*j)["balance"].get<std::string>()) : 0;
    }

    std::optional<json> notice_state(const std::string& tx_hash, std::uint32_t log_index) const {
        auto parsed = ethereum::parse_data_hex(tx_hash);
        if (!parsed) return std::nullopt;
        auto bytes = *parsed;
        for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<std::uint8_t>(log_index >> shift));
        return query("/watcher_notice", bytes);
    }

    /// Broadcasts a signed ledger transaction; CheckTx's code.
    std::uint32_t broadcast(const std::vector<std::uint8_t>& tx) const {
        auto r = runtime::http_request("127.0.0.1", rpc_port, "GET", node::broadcast_tx_sync_target(tx));
        EXPECT_TRUE(r && r->status == 200);
        auto b = node::parse_broadcast_response(r ? r->body : "");
        return b ? b->code : 9999;
    }

    // --- watchers -----------------------------------------------------------------------------------
    void start_watcher(Watcher& w) {
        assign(w.process, functional::start_watcher(w.dir, log(w.dir.filename().string())));
        ASSERT_TRUE(w.process) << "the watcher did not start: " << log(w.dir.filename().string());
    }
    void stop_watcher(Watcher& w) {
        if (w.process) {
            EXPECT_EQ(w.process->stop(SIGTERM, 10s), 0);
        }
        w.process.reset();
    }
    std::uint64_t progress(const Watcher& w) const {
        const std::string text = read_file(w.dir / "progress.toml");
        std::smatch m;
        if (!std::regex_search(text, m, std::regex("last_block = ([0-9]+)"))) return 0;
        return std::stoull(m[1]);
    }
    bool wait_progress(const Watcher& w, std::uint64_t block, std::chrono::seconds timeout = 60s) const {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (progress(w) >= block) return true;
            std::this_thread::sleep_for(100ms);
        }
        return false;
    }

    // --- the client -----------------------------------------------------------------------------------
    struct Transfer {
        int status = -1;
        std::string out;
        std::string tx;
        std::uint64_t block = 0;
    };
    Transfer pipe_tokens(std::uint64_t amount) {
        Transfer t;
        t.out = run(NYM_ETH_PIPE_BIN,
                    {"transfer", "--key", client_key, "--amount", std::to_string(amount), "--ethereum", eth_url,
                     "--validator", "http://127.0.0.1:" + std::to_string(rpc_port), "--token", token, "--pipe",
                     PIPE.to_hex(), "--confirmations", std::to_string(CONFIRMATIONS)},
                    &t.status);
        t.tx = value_of_field(t.out, "transaction");
        auto b = value_of_field(t.out, "block");
        t.block = b.empty() ? 0 : std::stoull(b);
        return t;
    }
    static std::string value_of_field(const std::string& out, const std::string& key) {
        std::smatch m;
        if (!std::regex_search(out, m, std::regex("(^|[ \n])" + key + "=([^ \n]+)"))) return {};
        return m[2];
    }
    static std::string trim(std::string s) {
        while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
        return s;
    }

    fs::path root;
    functional::DevChain chain;
    std::optional<Process> validator, comet;
    std::uint16_t rpc_port = 0;
    std::string eth_url, token, start_block, client_key, client_address;
    std::deque<Watcher> watchers; // references stay valid as watchers are added
};

TEST_F(PipeNet, ThresholdTwoCreditsOnceWhateverTheWatchersRepeat) {
    ASSERT_NO_FATAL_FAILURE(start_ethereum());
    ASSERT_NO_FATAL_FAILURE(init_watchers(4));
    ASSERT_NO_FATAL_FAILURE(start_ledger(2, 4));
    for (auto& w : watchers) start_watcher(w);
    // One watcher is down during the transfer and catches up after it.
    stop_watcher(watchers[3]);

    auto first = pipe_tokens(1);
    ASSERT_EQ(first.status, 0) << first.out;
    ASSERT_FALSE(first.tx.empty()) << first.out;
    for (const char* step : {"transferring 1 Nym ERC20 token(s) to the pipe account", "waiting for confirmations",
                             "waiting for the watchers to credit the ledger", "credited: balance 1"}) {
        EXPECT_NE(first.out.find(step), std::string::npos) << step << "\n" << first.out;
    }
    EXPECT_EQ(balance(client_address), 1u);
    auto state = notice_state(first.tx, 0);
    ASSERT_TRUE(state);
    EXPECT_TRUE((*state)["credited"].get<bool>());

    // The fourth watcher returns and reports the transfer: already credited.
    start_watcher(watchers[3]);
    ASSERT_TRUE(wait_progress(watchers[3], first.block));
    EXPECT_EQ(balance(client_address), 1u);

    // Every watcher forgets its progress and reports everything again.
    for (auto& w : watchers) stop_watcher(w);
    for (auto& w : watchers) fs::remove(w.dir / "progress.toml");
    for (auto& w : watchers) start_watcher(w);
    for (auto& w : watchers) ASSERT_TRUE(wait_progress(w, first.block)) << w.dir;
    std::this_thread::sleep_for(1500ms); // a few ledger blocks for anything still in flight
    EXPECT_EQ(balance(client_address), 1u);
    const auto again = notice_state(first.tx, 0);
    ASSERT_TRUE(again);
    EXPECT_TRUE((*again)["credited"].get<bool>());
    EXPECT_EQ((*again)["candidates"].size(), 1u);

    // And the pipe still works: 2 more.
    auto second = pipe_tokens(2);
    ASSERT_EQ(second.status, 0) << second.out;
    EXPECT_EQ(balance(client_address), 3u);
}

TEST_F(PipeNet, ASingleWatcherOrAKeyOutsideTheGenesisCreditsNothing) {
    ASSERT_NO_FATAL_FAILURE(start_ethereum());
    ASSERT_NO_FATAL_FAILURE(init_watchers(4));
    auto& rogue = add_watcher("rogue"); // not in the genesis
    ASSERT_NO_FATAL_FAILURE(start_ledger(2, 4));

    // A forged notice from one genesis watcher for a transfer that never happened: one vote, no credit.
    auto key = ethereum::read_account_key(watchers[0].dir / "watcher.key");
    ASSERT_TRUE(key);
    ledger::WatcherNotice forged;
    forged.eth_tx_hash.fill(0x66);
    forged.pipe_account = PIPE;
    forged.recipient = *ethereum::parse_address_hex(client_address);
    forged.amount = 1000;
    const auto signed_forged = ledger::sign_tx(ledger::Tx{key->address(), 0, forged}, CHAIN_ID, *key).encode();
    EXPECT_EQ(broadcast(signed_forged), 0u);
    const std::string forged_hash = "0x" + std::string(64, '6');
    const auto voted = [&] {
        auto state = notice_state(forged_hash, 0);
        return state && !(*state)["candidates"].empty();
    };
    for (int i = 0; i < 100 && !voted(); ++i) std::this_thread::sleep_for(100ms);
    auto forged_state = notice_state(forged_hash, 0);
    ASSERT_TRUE(forged_state);
    ASSERT_EQ((*forged_state)["candidates"].size(), 1u);
    EXPECT_FALSE((*forged_state)["credited"].get<bool>());
    EXPECT_EQ((*forged_state)["candidates"][0]["votes"].get<int>(), 1);
    EXPECT_EQ(balance(client_address), 0u);

    // One genesis watcher and one outsider see a real transfer: nothing is credited.
    start_watcher(watchers[0]);
    start_watcher(rogue);
    const auto head = eth_head();
    ASSERT_TRUE(head);
    Transfer pending;
    std::thread transfer([&] { pending = pipe_tokens(1); });
    // Wait until both watchers processed the block of the transfer (mined within the 3 s), plus a
    // few ledger blocks.
    std::this_thread::sleep_for(3s);
    const auto after = eth_head();
    ASSERT_TRUE(after && *after > *head);
    ASSERT_TRUE(wait_progress(watchers[0], *after));
    ASSERT_TRUE(wait_progress(rogue, *after));
    const auto h = ledger_height();
    for (int i = 0; i < 100 && ledger_height() < h + 3; ++i) std::this_thread::sleep_for(100ms);
    EXPECT_EQ(balance(client_address), 0u);
    {
        const std::string text = read_file(log("rogue"));
        EXPECT_NE(text.find("code 13"), std::string::npos) << "the outsider's notices are refused as not_a_watcher";
    }
    // A second genesis watcher makes the threshold.
    start_watcher(watchers[1]);
    transfer.join();
    ASSERT_EQ(pending.status, 0) << pending.out;
    EXPECT_EQ(balance(client_address), 1u);
    // The forged claim is still one vote short.
    forged_state = notice_state(forged_hash, 0);
    ASSERT_TRUE(forged_state);
    EXPECT_FALSE((*forged_state)["credited"].get<bool>());
}

TEST_F(PipeNet, ThresholdThreeWaitsForAThirdWatcher) {
    ASSERT_NO_FATAL_FAILURE(start_ethereum());
    ASSERT_NO_FATAL_FAILURE(init_watchers(4));
    ASSERT_NO_FATAL_FAILURE(start_ledger(3, 4));
    start_watcher(watchers[0]);
    start_watcher(watchers[1]); // watchers 3 and 4 are down
    const auto head = eth_head();
    ASSERT_TRUE(head);
    Transfer pending;
    std::thread transfer([&] { pending = pipe_tokens(1); });
    std::this_thread::sleep_for(3s);
    const auto after = eth_head();
    ASSERT_TRUE(after && *after > *head);
    ASSERT_TRUE(wait_progress(watchers[0], *after));
    ASSERT_TRUE(wait_progress(watchers[1], *after));
    const auto h = ledger_height();
    for (int i = 0; i < 100 && ledger_height() < h + 4; ++i) std::this_thread::sleep_for(100ms);
    EXPECT_EQ(balance(client_address), 0u) << "two votes of three";
    start_watcher(watchers[2]);
    transfer.join();
    ASSERT_EQ(pending.status, 0) << pending.out;
    EXPECT_EQ(balance(client_address), 1u);
}

// The time from the transfer's confirmation to the ledger's credit (docs/performance.md). Runs
// NYM_PIPE_BENCH_TRANSFERS transfers (default 3) with 4 watchers and threshold 2.
TEST_F(PipeNet, BenchConfirmationToCredit) {
    ASSERT_NO_FATAL_FAILURE(start_ethereum());
    ASSERT_NO_FATAL_FAILURE(init_watchers(4));
    ASSERT_NO_FATAL_FAILURE(start_ledger(2, 4));
    for (auto& w : watchers) start_watcher(w);
    int count = 3;
    if (const char* n = std::getenv("NYM_PIPE_BENCH_TRANSFERS")) count = std::max(1, std::atoi(n));
    std::vector<double> ms;
    std::vector<std::uint64_t> ledger_blocks;
    for (int i = 0; i < count; ++i) {
        auto t = pipe_tokens(1);
        ASSERT_EQ(t.status, 0) << t.out;
        ms.push_back(std::stod(value_of_field(t.out, "confirmation_to_credit_ms")));
        // The block that holds the credit, against the last ledger block when the client saw the
        // confirming Ethereum block: the credit lands in ledger block at_confirmation + n.
        const auto at_confirmation = std::stoull(value_of_field(t.out, "ledger_height_at_confirmation"));
        // CometBFT indexes a block's events after committing it, so the credit the client already
        // saw in its balance may reach tx_search a moment later.
        std::uint64_t credited = 0;
        for (int tries = 0; tries < 100 && (credited = credit_height(t.tx)) == 0; ++tries)
            std::this_thread::sleep_for(100ms);
        ASSERT_GT(credited, 0u) << "no erc20_credit event for " << t.tx;
        ledger_blocks.push_back(credited - at_confirmation);
        std::printf("transfer %d: credited in ledger block %llu (%llu after the confirmation), %s", i + 1,
                    static_cast<unsigned long long>(credited),
                    static_cast<unsigned long long>(credited - at_confirmation),
                    t.out.substr(t.out.find("transaction=")).c_str());
    }
    auto sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    auto blocks = ledger_blocks;
    std::sort(blocks.begin(), blocks.end());
    std::printf(
        "confirmation -> credit over %d transfers: median %.0f ms (%.2f Ethereum block intervals of 1 s), max %.0f ms; "
        "ledger blocks after the confirmation: median %llu, max %llu (timeout_commit 500 ms)\n",
        count, sorted[sorted.size() / 2], sorted[sorted.size() / 2] / 1000.0, sorted.back(),
        static_cast<unsigned long long>(blocks[blocks.size() / 2]), static_cast<unsigned long long>(blocks.back()));
    EXPECT_EQ(balance(client_address), static_cast<std::uint64_t>(count));
}

} // namespace
