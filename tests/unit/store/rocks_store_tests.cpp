#include <store/rocks_store.hpp>

#include <rocksdb/db.h>

#include <csignal>
#include <filesystem>
#include <sys/wait.h>
#include <unistd.h>

#include "../ledger/ledger_test_support.hpp"

namespace nym::store {
namespace {

using ledger::Bytes;
using ledger::CommitPoint;
using ledger::test::Chain;
using ledger::test::signed_tx;

class TempDir {
public:
    TempDir() {
        static int counter = 0;
        m_path = std::filesystem::temp_directory_path() /
                 ("nym-store-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::remove_all(m_path);
    }
    ~TempDir() { std::filesystem::remove_all(m_path); }
    const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_path;
};

std::unique_ptr<RocksStore> open_store(const std::filesystem::path& dir) {
    std::string why;
    auto s = RocksStore::open(dir, {}, &why);
    EXPECT_TRUE(s) << why;
    return s ? std::move(*s) : nullptr;
}

Bytes b(std::string_view s) {
    return {s.begin(), s.end()};
}

TEST(RocksStore, CommitIsDurableAndAtomicWithItsCommitPoint) {
    TempDir dir;
    {
        auto store = open_store(dir.path());
        ASSERT_TRUE(store);
        EXPECT_EQ(store->last_commit(), CommitPoint{});
        EXPECT_FALSE(store->get(b("a")));
        store->commit({{b("a"), b("1")}, {b("b"), b("2")}}, {1, b("hash-1")});
        store->commit({{b("a"), std::nullopt}, {b("c"), b("3")}}, {2, b("hash-2")});
        EXPECT_FALSE(store->get(b("a")));
        EXPECT_EQ(*store->get(b("c")), b("3"));
    }
    auto store = open_store(dir.path());
    EXPECT_EQ(store->last_commit(), (CommitPoint{2, b("hash-2")}));
    std::vector<std::pair<Bytes, Bytes>> seen;
    store->scan([&](ledger::ByteSpan k, ledger::ByteSpan v) {
        seen.emplace_back(Bytes(k.begin(), k.end()), Bytes(v.begin(), v.end()));
    });
    ASSERT_EQ(seen.size(), 2u) << "the scan sees state keys only, in order, never the commit point";
    EXPECT_EQ(seen[0].first, b("b"));
    EXPECT_EQ(seen[1].first, b("c"));
}

TEST(RocksStore, RefusesADatabaseOfAnotherKind) {
    TempDir dir;
    {
        rocksdb::Options o;
        o.create_if_missing = true;
        rocksdb::DB* raw = nullptr;
        ASSERT_TRUE(rocksdb::DB::Open(o, dir.path().string(), &raw).ok());
        std::unique_ptr<rocksdb::DB> db(raw);
        ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "someone else's", "data").ok());
    }
    std::string why;
    auto s = RocksStore::open(dir.path(), {}, &why);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error(), Errc::wrong_format);
    EXPECT_FALSE(why.empty());

    RocksStoreOptions no_create;
    no_create.create_if_missing = false;
    TempDir missing;
    EXPECT_EQ(RocksStore::open(missing.path(), no_create).error(), Errc::open_failed);
}

std::vector<Bytes> transfers(const Chain& chain, std::uint64_t nonce) {
    std::vector<Bytes> txs;
    for (std::size_t i = 0; i < chain.users.size(); ++i)
        txs.push_back(signed_tx(chain.users[i], nonce,
                                ledger::Transfer{chain.users[(i + 1) % chain.users.size()].address(), 1 + i}));
    return txs;
}

TEST(RocksStore, LedgerCrashBetweenFinalizeAndCommitReopensAtThePreviousBlock) {
    TempDir dir;
    Chain chain;
    CommitPoint committed;
    ledger::Hash32 uncommitted{};
    {
        auto store = open_store(dir.path());
        auto ledger = std::move(*ledger::Ledger::open(*store));
        const std::string g = chain.genesis();
        ASSERT_TRUE(ledger->init_chain(ledger::test::CHAIN_ID, ledger::test::as_bytes(g), 1));
        for (std::uint64_t h = 1; h <= 3; ++h) {
            auto txs = h == 1 ? std::vector<Bytes>{} : transfers(chain, h - 2);
            std::vector<ledger::ByteSpan> spans(txs.begin(), txs.end());
            ASSERT_TRUE(ledger->finalize_block(h, spans));
            ASSERT_TRUE(ledger->commit());
        }
        committed = ledger->info();
        auto txs = transfers(chain, 2);
        std::vector<ledger::ByteSpan> spans(txs.begin(), txs.end());
        auto r = ledger->finalize_block(4, spans);
        ASSERT_TRUE(r);
        uncommitted = r->app_hash;
        // "crash": the ledger and the store go away without commit
    }
    auto store = open_store(dir.path());
    EXPECT_EQ(store->last_commit(), committed);
    auto ledger = ledger::Ledger::open(*store);
    ASSERT_TRUE(ledger) << "the rebuilt app hash matches the stored one";
    EXPECT_EQ((*ledger)->info(), committed);
    // CometBFT replays block 4 through the handshake: the same hash, no fork.
    auto txs = transfers(chain, 2);
    std::vector<ledger::ByteSpan> spans(txs.begin(), txs.end());
    auto r = (*ledger)->finalize_block(4, spans);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->app_hash, uncommitted);
    ASSERT_TRUE((*ledger)->commit());
    EXPECT_EQ((*ledger)->info().height, 4u);
}

TEST(RocksStore, SameBlocksSameHashAsInMemory) {
    TempDir dir;
    Chain chain;
    auto store = open_store(dir.path());
    auto on_disk = std::move(*ledger::Ledger::open(*store));
    ledger::test::Node in_memory;
    const std::string g = chain.genesis();
    EXPECT_EQ(*on_disk->init_chain(ledger::test::CHAIN_ID, ledger::test::as_bytes(g), 1), in_memory.init(chain));
    for (std::uint64_t h = 1; h <= 4; ++h) {
        auto txs = h == 1 ? std::vector<Bytes>{} : transfers(chain, h - 2);
        std::vector<ledger::ByteSpan> spans(txs.begin(), txs.end());
        auto r = on_disk->finalize_block(h, spans);
        ASSERT_TRUE(r);
        ASSERT_TRUE(on_disk->commit());
        EXPECT_EQ(r->app_hash, in_memory.block(txs).app_hash);
    }
}

// A real crash: a child process commits blocks as fast as it can and is killed with SIGKILL at an
// arbitrary moment; the database must reopen with a state that hashes to its commit point.
TEST(RocksStore, SigkillDuringCommitsLeavesAConsistentDatabase) {
    TempDir dir;
    Chain chain;
    for (int attempt = 0; attempt < 3; ++attempt) {
        int progress[2];
        ASSERT_EQ(::pipe(progress), 0);
        const pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            ::close(progress[0]);
            auto store = RocksStore::open(dir.path());
            if (!store) ::_exit(2);
            auto ledger = ledger::Ledger::open(**store);
            if (!ledger) ::_exit(3);
            auto& l = **ledger;
            if (l.info().height == 0) {
                const std::string g = chain.genesis();
                if (!l.init_chain(ledger::test::CHAIN_ID, ledger::test::as_bytes(g), 1)) ::_exit(4);
            }
            for (;;) {
                const std::uint64_t h = l.info().height + 1;
                auto txs = h == 1 ? std::vector<Bytes>{} : transfers(chain, h - 2);
                std::vector<ledger::ByteSpan> spans(txs.begin(), txs.end());
                auto r = l.finalize_block(h, spans);
                if (!r || !l.commit()) ::_exit(5);
                for (const auto& t : r->tx_results)
                    if (!t.ok()) ::_exit(6);
                const char tick = 1;
                if (::write(progress[1], &tick, 1) != 1) ::_exit(7);
            }
        }
        // Let the child commit a few blocks (however loaded the machine is), then kill it mid-flight.
        ::close(progress[1]);
        for (int seen = 0; seen < 3 + 4 * attempt;) {
            char tick = 0;
            if (::read(progress[0], &tick, 1) != 1) break;
            ++seen;
        }
        ::usleep(static_cast<useconds_t>(3000 * attempt));
        ::kill(child, SIGKILL);
        ::close(progress[0]);
        int status = 0;
        ::waitpid(child, &status, 0);
        ASSERT_TRUE(WIFSIGNALED(status)) << "the child stopped by itself with " << WEXITSTATUS(status);

        auto store = open_store(dir.path());
        ASSERT_TRUE(store);
        auto ledger = ledger::Ledger::open(*store);
        ASSERT_TRUE(ledger) << "attempt " << attempt << ": state and commit point disagree";
        EXPECT_GT((*ledger)->info().height, 0u);
        // the balances still add up to the genesis supply
        std::uint64_t total = 0;
        for (const auto& u : chain.users) {
            auto q = (*ledger)->query("/balance", u.address().bytes);
            total += std::stoull(nlohmann::json::parse(q.value)["balance"].get<std::string>());
        }
        EXPECT_EQ(total, 4000u);
    }
}

} // namespace
} // namespace nym::store
