// watcher::Daemon against scripted servers in the same process: an Ethereum JSON-RPC node whose
// chain, forks and faults the test controls, and a CometBFT RPC that records the notices (a ledger
// of one watcher: a notice is committed at once). Covers reorgs above the confirmation depth, a gap
// after downtime, malformed answers and a node that lies about its height.
#include <ledger/errors.hpp>
#include <ledger/tx.hpp>
#include <runtime/http_server.hpp>
#include <runtime/loop.hpp>
#include <util/hex.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <ethereum/abi.hpp>
#include <ethereum/jsonrpc.hpp>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <watcher/daemon.hpp>

namespace {

using namespace nym;
using namespace std::chrono_literals;
using json = nlohmann::json;
using ethereum::U256;
using watcher::Address;
using watcher::Hash;

const Address TOKEN = *Address::from_hex("0x1111111111111111111111111111111111111111");
const Address PIPE = *Address::from_hex("0x00000000000000000000000000000000000c0ffe");
const Address ALICE = *Address::from_hex("0x9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f");

std::string hex32(const Hash& h) {
    return "0x" + util::to_hex(h);
}

/// The scripted chain: block n of fork f has a hash naming both; logs are attached to (fork, block).
struct Chain {
    std::mutex mutex;
    std::uint64_t head = 0;
    std::uint64_t announced_head = 0;              ///< what eth_blockNumber says (a liar announces more than head)
    std::map<std::uint64_t, std::uint8_t> fork_of; ///< blocks not listed are fork 0
    struct Entry {
        std::uint64_t block;
        std::uint8_t fork;
        std::uint8_t tx;
        std::uint64_t value_units;
    };
    std::vector<Entry> transfers;
    int malformed_answers = 0; ///< the next N answers are garbage
    std::uint64_t requests = 0;

    Hash hash(std::uint64_t n, std::uint8_t fork) const {
        Hash h{};
        h[0] = 0xb0;
        h[1] = fork;
        for (int i = 0; i < 8; ++i) h[static_cast<std::size_t>(31 - i)] = static_cast<std::uint8_t>(n >> (8 * i));
        return h;
    }
    std::uint8_t fork(std::uint64_t n) const {
        auto it = fork_of.find(n);
        return it == fork_of.end() ? 0 : it->second;
    }

    std::string answer(const std::string& body) {
        std::lock_guard lock(mutex);
        ++requests;
        auto request = json::parse(body);
        const auto id = request["id"];
        if (malformed_answers > 0) {
            --malformed_answers;
            return requests % 2 ? "{\"jsonrpc\":\"2.0\",\"id\":" + id.dump() + ",\"result\":{\"number\":7}}"
                                : "<html>oops";
        }
        const std::string method = request["method"];
        json result;
        if (method == "eth_blockNumber") {
            result = U256(std::max(head, announced_head)).to_quantity();
        } else if (method == "eth_getBlockByNumber") {
            const auto n = U256::from_quantity(request["params"][0].get<std::string>())->low_u64();
            if (n > head) {
                result = nullptr;
            } else {
                result = json{{"number", U256(n).to_quantity()},
                              {"hash", hex32(hash(n, fork(n)))},
                              {"parentHash", hex32(hash(n - 1, fork(n - 1)))},
                              {"timestamp", U256(1000 + n).to_quantity()}};
            }
        } else if (method == "eth_getLogs") {
            const auto& f = request["params"][0];
            const auto from = U256::from_quantity(f["fromBlock"].get<std::string>())->low_u64();
            const auto to = U256::from_quantity(f["toBlock"].get<std::string>())->low_u64();
            result = json::array();
            for (const auto& t : transfers) {
                if (t.block < from || t.block > to || t.block > head || t.fork != fork(t.block)) continue;
                Hash tx{};
                tx.fill(t.tx);
                result.push_back(
                    json{{"address", TOKEN.to_hex()},
                         {"topics",
                          json::array({hex32(ethereum::transfer_event_topic()), hex32(ethereum::address_word(ALICE)),
                                       hex32(ethereum::address_word(PIPE))})},
                         {"data", hex32(U256::pow10(18).checked_mul(t.value_units)->to_be_bytes())},
                         {"blockNumber", U256(t.block).to_quantity()},
                         {"blockHash", hex32(hash(t.block, t.fork))},
                         {"transactionHash", hex32(tx)},
                         {"logIndex", U256(t.tx % 3).to_quantity()}, // a property of the log, whatever the range
                         {"removed", false}});
            }
        } else {
            return "{\"jsonrpc\":\"2.0\",\"id\":" + id.dump() +
                   ",\"error\":{\"code\":-32601,\"message\":\"no such method\"}}";
        }
        return json{{"jsonrpc", "2.0"}, {"id", id}, {"result", result}}.dump();
    }
};

/// The scripted ledger: records each notice; already_voted for a second one on the same claim.
struct Ledger {
    std::mutex mutex;
    std::uint64_t nonce = 0;
    std::vector<ledger::WatcherNotice> notices;
    std::uint64_t duplicates = 0;
    bool down = false;

    runtime::HttpResponse query(const runtime::HttpRequest& request) {
        std::lock_guard lock(mutex);
        if (down) return runtime::HttpResponse::error(503, "down");
        const json value{{"address", "0x"}, {"balance", "0"}, {"nonce", std::to_string(nonce)}};
        const std::string text = value.dump();
        static constexpr char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        std::string b64;
        for (std::size_t i = 0; i < text.size(); i += 3) {
            const auto byte = [&](std::size_t j) {
                return j < text.size() ? std::uint32_t{static_cast<std::uint8_t>(text[j])} : 0u;
            };
            const std::uint32_t n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
            b64 += B64[(n >> 18) & 63];
            b64 += B64[(n >> 12) & 63];
            b64 += i + 1 < text.size() ? B64[(n >> 6) & 63] : '=';
            b64 += i + 2 < text.size() ? B64[n & 63] : '=';
        }
        EXPECT_NE(request.query.find("path=%22/account%22"), std::string::npos);
        return runtime::HttpResponse::json(
            200, json{{"jsonrpc", "2.0"},
                      {"id", -1},
                      {"result", {{"response", {{"code", 0}, {"value", b64}, {"height", "5"}}}}}}
                     .dump());
    }

    runtime::HttpResponse broadcast(const runtime::HttpRequest& request) {
        std::lock_guard lock(mutex);
        if (down) return runtime::HttpResponse::error(503, "down");
        const auto at = request.query.find("tx=0x");
        auto bytes = util::from_hex(request.query.substr(at + 5));
        auto tx = ledger::SignedTx::decode(*bytes);
        std::uint32_t code = 0;
        if (!tx || !ledger::verify_tx_signature(*tx, "nym-test")) {
            code = static_cast<std::uint32_t>(ledger::Errc::invalid_signature);
        } else if (tx->tx.nonce != nonce) {
            code = static_cast<std::uint32_t>(ledger::Errc::wrong_nonce);
        } else {
            const auto& notice = std::get<ledger::WatcherNotice>(tx->tx.body);
            bool seen = false;
            for (const auto& n : notices)
                seen = seen || (n.eth_tx_hash == notice.eth_tx_hash && n.log_index == notice.log_index);
            if (seen) {
                ++duplicates;
                code = static_cast<std::uint32_t>(ledger::Errc::already_voted);
            } else {
                notices.push_back(notice);
                ++nonce; // committed at once
            }
        }
        return runtime::HttpResponse::json(
            200,
            json{{"jsonrpc", "2.0"}, {"id", -1}, {"result", {{"code", code}, {"log", ""}, {"hash", "AB"}}}}.dump());
    }

    std::set<std::uint8_t> reported() {
        std::lock_guard lock(mutex);
        std::set<std::uint8_t> out;
        for (const auto& n : notices) out.insert(n.eth_tx_hash[0]);
        return out;
    }
};

class WatcherDaemon : public ::testing::Test {
protected:
    void SetUp() override {
        dir =
            std::filesystem::temp_directory_path() / ("nym-watcher-test-" + std::to_string(::getpid()) + "-" +
                                                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        start_servers();
    }
    /// A fresh loop with the scripted servers on it (the chain and the ledger's state are kept).
    void start_servers() {
        loop = std::make_unique<runtime::Loop>(runtime::LoopOptions{1, false, 1000ms});
        eth_server = std::make_unique<runtime::HttpServer>(*loop, runtime::ServerOptions{});
        eth_server->route("POST", "/", [this](const runtime::HttpRequest& r) {
            return runtime::HttpResponse::json(200, chain.answer(r.body));
        });
        ledger_server = std::make_unique<runtime::HttpServer>(*loop, runtime::ServerOptions{});
        ledger_server->route("GET", "/abci_query", [this](const runtime::HttpRequest& r) { return ledger.query(r); });
        ledger_server->route("GET", "/broadcast_tx_sync",
                             [this](const runtime::HttpRequest& r) { return ledger.broadcast(r); });
        eth_port = *eth_server->listen();
        ledger_port = *ledger_server->listen();
    }
    void TearDown() override {
        stop();
        std::filesystem::remove_all(dir);
    }

    watcher::Config config(std::uint64_t confirmations) {
        watcher::Config c;
        c.ethereum_url = "http://127.0.0.1:" + std::to_string(eth_port);
        c.token = TOKEN;
        c.pipe_account = PIPE;
        c.confirmations = confirmations;
        c.max_blocks_per_query = 1000;
        c.ethereum_poll = 20ms;
        c.chain_id = "nym-test";
        c.validators = {"http://127.0.0.1:" + std::to_string(ledger_port)};
        c.commit_poll = 10ms;
        c.backoff_initial = 10ms;
        c.backoff_max = 50ms;
        c.progress_file = dir / "progress.toml";
        return c;
    }

    void run(watcher::Config c) {
        auto key =
            *crypto::Secp256k1SecretKey::from_hex("4646464646464646464646464646464646464646464646464646464646464646");
        daemon = std::make_unique<watcher::Daemon>(*loop, std::move(c), std::move(key));
        ASSERT_TRUE(daemon->start());
        thread = std::thread([this] { loop->run(); });
    }
    void stop() {
        if (thread.joinable()) {
            loop->stop();
            thread.join();
        }
        daemon.reset();
        ledger_server.reset();
        eth_server.reset();
        loop.reset();
    }

    /// Waits until the watcher's progress file says `block` (or later).
    bool progress_reaches(std::uint64_t block, std::chrono::milliseconds timeout = 10s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            auto p = watcher::read_progress(dir / "progress.toml");
            if (p && *p && **p >= block) return true;
            std::this_thread::sleep_for(10ms);
        }
        return false;
    }
    std::uint64_t progress() {
        auto p = watcher::read_progress(dir / "progress.toml");
        return p && *p ? **p : 0;
    }

    std::filesystem::path dir;
    Chain chain;
    Ledger ledger;
    std::unique_ptr<runtime::Loop> loop;
    std::unique_ptr<runtime::HttpServer> eth_server;
    std::unique_ptr<runtime::HttpServer> ledger_server;
    std::unique_ptr<watcher::Daemon> daemon;
    std::uint16_t eth_port = 0;
    std::uint16_t ledger_port = 0;
    std::thread thread;
};

void set(Chain& chain, auto&& change) {
    std::lock_guard lock(chain.mutex);
    change();
}

TEST_F(WatcherDaemon, AReorgAboveTheConfirmationDepthIsNeverReported) {
    set(chain, [&] {
        chain.head = 10;
        chain.transfers = {{4, 0, 0xa4, 1}, {9, 0, 0xa9, 1}}; // block 9 has 2 confirmations of 3
    });
    run(config(3));
    ASSERT_TRUE(progress_reaches(8));
    EXPECT_EQ(ledger.reported(), (std::set<std::uint8_t>{0xa4}));
    // Blocks 9 and 10 are replaced (fork 1): the transfer in block 9 is gone, another comes in 11.
    set(chain, [&] {
        chain.fork_of = {{9, 1}, {10, 1}, {11, 1}, {12, 1}, {13, 1}};
        chain.transfers.push_back({11, 1, 0xb1, 2});
        chain.head = 13;
    });
    ASSERT_TRUE(progress_reaches(11));
    EXPECT_EQ(ledger.reported(), (std::set<std::uint8_t>{0xa4, 0xb1}));
    std::lock_guard lock(ledger.mutex);
    EXPECT_EQ(ledger.notices.back().amount, 2u);
    EXPECT_EQ(ledger.notices.back().recipient, ALICE);
}

TEST_F(WatcherDaemon, CatchesUpAGapAfterDowntimeAndNeverReportsTwice) {
    ASSERT_TRUE(watcher::write_progress(dir / "progress.toml", 5));
    set(chain, [&] {
        chain.head = 2500;
        chain.transfers = {{3, 0, 0x03, 1}, {100, 0, 0x64, 1}, {1999, 0, 0x99, 1}, {2400, 0, 0x24, 1}};
    });
    auto c = config(2);
    c.max_blocks_per_query = 700;
    run(c);
    ASSERT_TRUE(progress_reaches(2499));
    // Block 3 was processed before the downtime (progress 5): not reported again.
    EXPECT_EQ(ledger.reported(), (std::set<std::uint8_t>{0x64, 0x99, 0x24}));
    stop();
    // A restart with the progress file wiped reports everything again; the ledger says already_voted.
    std::filesystem::remove(dir / "progress.toml");
    start_servers();
    auto c2 = config(2);
    c2.start_block = 0;
    run(c2);
    ASSERT_TRUE(progress_reaches(2499));
    std::lock_guard lock(ledger.mutex);
    EXPECT_EQ(ledger.notices.size(), 3u + 1u); // block 3's transfer now too, once
    EXPECT_EQ(ledger.duplicates, 3u);
}

TEST_F(WatcherDaemon, MalformedAnswersAreRetriedNotBelieved) {
    set(chain, [&] {
        chain.head = 6;
        chain.transfers = {{2, 0, 0x02, 1}};
        chain.malformed_answers = 7;
    });
    run(config(1));
    ASSERT_TRUE(progress_reaches(6));
    EXPECT_EQ(ledger.reported(), (std::set<std::uint8_t>{0x02}));
    std::lock_guard lock(chain.mutex);
    EXPECT_EQ(chain.malformed_answers, 0);
}

TEST_F(WatcherDaemon, ANodeThatLiesAboutItsHeightMovesNothing) {
    set(chain, [&] {
        chain.head = 4;
        chain.announced_head = 1'000'000; // but has no block beyond 4
        chain.transfers = {{3, 0, 0x03, 1}};
    });
    run(config(1));
    std::this_thread::sleep_for(500ms);
    EXPECT_EQ(progress(), 0u);
    EXPECT_TRUE(ledger.reported().empty());
    // The node tells the truth again.
    set(chain, [&] { chain.announced_head = 0; });
    ASSERT_TRUE(progress_reaches(4));
    EXPECT_EQ(ledger.reported(), (std::set<std::uint8_t>{0x03}));
}

TEST_F(WatcherDaemon, ALedgerThatIsDownHoldsTheProgressBack) {
    set(chain, [&] {
        chain.head = 5;
        chain.transfers = {{2, 0, 0x02, 1}};
    });
    {
        std::lock_guard lock(ledger.mutex);
        ledger.down = true;
    }
    run(config(1));
    std::this_thread::sleep_for(400ms);
    EXPECT_EQ(progress(), 0u); // the range holding the transfer waits for its notice
    {
        std::lock_guard lock(ledger.mutex);
        ledger.down = false;
    }
    ASSERT_TRUE(progress_reaches(5));
    EXPECT_EQ(ledger.reported(), (std::set<std::uint8_t>{0x02}));
}

} // namespace
