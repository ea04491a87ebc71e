#include <gateway/errors.hpp>
#include <gateway/message_store.hpp>

#include "test_util.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <csignal>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>

namespace nym::gateway {
namespace {

using test::TempDir;
using Bytes = std::vector<std::uint8_t>;

ClientAddress address(std::uint8_t fill) {
    ClientAddress a;
    a.bytes.fill(fill);
    return a;
}

Bytes message(std::size_t size, std::uint8_t fill) { return Bytes(size, fill); }

UnixSeconds at(std::int64_t seconds) { return UnixSeconds(std::chrono::seconds(seconds)); }

std::unique_ptr<MessageStore> open_store(const std::filesystem::path& path, StoreLimits limits = {}) {
    auto store = MessageStore::open(path, limits);
    if (!store) {
        ADD_FAILURE() << "open failed: " << store.error().message();
        return nullptr;
    }
    return std::move(*store);
}

TEST(MessageStore, StoresAndFetchesInIdOrder) {
    TempDir dir;
    auto store = open_store(dir.path() / "db.sqlite");
    ASSERT_TRUE(store);
    const auto alice = address(1);
    std::vector<std::uint64_t> ids;
    for (std::uint8_t i = 0; i < 5; ++i) {
        auto id = store->store(alice, message(10 + i, i), at(1000 + i));
        ASSERT_TRUE(id) << id.error().message();
        ids.push_back(*id);
    }
    EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
    auto batch = store->fetch_batch(alice);
    ASSERT_TRUE(batch);
    ASSERT_EQ(batch->size(), 5u);
    for (std::size_t i = 0; i < 5; ++i) {
        EXPECT_EQ((*batch)[i].id, ids[i]);
        EXPECT_EQ((*batch)[i].content, message(10 + i, static_cast<std::uint8_t>(i)));
        EXPECT_EQ((*batch)[i].received_at, at(1000 + static_cast<std::int64_t>(i)));
    }
    EXPECT_EQ(store->count(alice).value(), 5u);
    EXPECT_EQ(store->count(address(2)).value(), 0u);
    EXPECT_TRUE(store->fetch_batch(address(2)).value().empty());
}

TEST(MessageStore, FetchPagesOneHundredAtATime) {
    TempDir dir;
    auto store = open_store(dir.path() / "db.sqlite");
    ASSERT_TRUE(store);
    const auto alice = address(1);
    for (int i = 0; i < 250; ++i) ASSERT_TRUE(store->store(alice, message(4, 7), at(1)));
    auto first = store->fetch_batch(alice).value();
    ASSERT_EQ(first.size(), MESSAGE_RETRIEVAL_LIMIT);
    auto second = store->fetch_batch(alice, MESSAGE_RETRIEVAL_LIMIT, first.back().id).value();
    ASSERT_EQ(second.size(), 100u);
    EXPECT_GT(second.front().id, first.back().id);
    auto third = store->fetch_batch(alice, MESSAGE_RETRIEVAL_LIMIT, second.back().id).value();
    EXPECT_EQ(third.size(), 50u);
    EXPECT_EQ(store->fetch_batch(alice, 10).value().size(), 10u);
}

TEST(MessageStore, AckDeletesOnlyTheOwnersIds) {
    TempDir dir;
    auto store = open_store(dir.path() / "db.sqlite");
    ASSERT_TRUE(store);
    const auto alice = address(1);
    const auto bob = address(2);
    const auto a1 = store->store(alice, message(8, 1), at(1)).value();
    const auto a2 = store->store(alice, message(8, 2), at(1)).value();
    const auto b1 = store->store(bob, message(8, 3), at(1)).value();

    // Bob acknowledges Alice's message and his own: only his goes.
    const std::vector<std::uint64_t> bobs_ack{a1, b1, 999999, UINT64_MAX};
    EXPECT_EQ(store->ack(bob, bobs_ack).value(), 1u);
    EXPECT_EQ(store->count(alice).value(), 2u);
    EXPECT_EQ(store->count(bob).value(), 0u);

    const std::vector<std::uint64_t> alices_ack{a2, a2};
    EXPECT_EQ(store->ack(alice, alices_ack).value(), 1u);
    auto rest = store->fetch_batch(alice).value();
    ASSERT_EQ(rest.size(), 1u);
    EXPECT_EQ(rest[0].id, a1);
    EXPECT_EQ(store->usage(alice).value(), (ClientUsage{1, 8}));
}

TEST(MessageStore, CountQuotaRefusesAndStoresNothing) {
    TempDir dir;
    StoreLimits limits;
    limits.max_messages_per_client = 3;
    auto store = open_store(dir.path() / "db.sqlite", limits);
    ASSERT_TRUE(store);
    const auto alice = address(1);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(store->store(alice, message(5, 1), at(1)));
    auto over = store->store(alice, message(5, 1), at(1));
    ASSERT_FALSE(over);
    EXPECT_EQ(over.error(), make_error_code(Errc::quota_exceeded_count));
    EXPECT_EQ(store->count(alice).value(), 3u);
    // Another client has its own quota.
    EXPECT_TRUE(store->store(address(2), message(5, 1), at(1)));
    // Acknowledging frees room.
    const auto first = store->fetch_batch(alice, 1).value().at(0).id;
    const std::vector<std::uint64_t> ids{first};
    ASSERT_EQ(store->ack(alice, ids).value(), 1u);
    EXPECT_TRUE(store->store(alice, message(5, 1), at(1)));
}

TEST(MessageStore, ByteQuotaRefusesAndStoresNothing) {
    TempDir dir;
    StoreLimits limits;
    limits.max_bytes_per_client = 100;
    auto store = open_store(dir.path() / "db.sqlite", limits);
    ASSERT_TRUE(store);
    const auto alice = address(1);
    ASSERT_TRUE(store->store(alice, message(60, 1), at(1)));
    auto over = store->store(alice, message(41, 1), at(1));
    ASSERT_FALSE(over);
    EXPECT_EQ(over.error(), make_error_code(Errc::quota_exceeded_bytes));
    EXPECT_EQ(store->usage(alice).value(), (ClientUsage{1, 60}));
    EXPECT_TRUE(store->store(alice, message(40, 1), at(1))); // exactly at the quota
    EXPECT_EQ(store->usage(alice).value(), (ClientUsage{2, 100}));
}

TEST(MessageStore, RefusesOversizedMessage) {
    TempDir dir;
    auto store = open_store(dir.path() / "db.sqlite");
    ASSERT_TRUE(store);
    auto r = store->store(address(1), message(wire::gateway::MAX_DELIVER_SIZE + 1, 0), at(1));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(Errc::message_too_large));
    EXPECT_TRUE(store->store(address(1), message(wire::gateway::MAX_DELIVER_SIZE, 0), at(1)));
}

TEST(MessageStore, StoreBatchAppliesQuotaPerMessageAndCommitsTheRest) {
    TempDir dir;
    const auto path = dir.path() / "db.sqlite";
    StoreLimits limits;
    limits.max_messages_per_client = 2;
    const auto alice = address(1);
    const auto bob = address(2);
    const Bytes small = message(10, 1);
    const Bytes huge = message(wire::gateway::MAX_DELIVER_SIZE + 1, 2);
    {
        auto store = open_store(path, limits);
        ASSERT_TRUE(store);
        const std::vector<IncomingMessage> batch{
            {alice, small, at(1)}, {bob, small, at(1)}, {alice, huge, at(1)},
            {alice, small, at(2)}, {alice, small, at(3)}, {bob, small, at(3)},
        };
        const auto results = store->store_batch(batch);
        ASSERT_EQ(results.size(), batch.size());
        EXPECT_TRUE(results[0]);
        EXPECT_TRUE(results[1]);
        EXPECT_EQ(results[2].error(), make_error_code(Errc::message_too_large));
        EXPECT_TRUE(results[3]);
        EXPECT_EQ(results[4].error(), make_error_code(Errc::quota_exceeded_count)); // alice's third
        EXPECT_TRUE(results[5]);
        EXPECT_LT(*results[0], *results[1]);
        EXPECT_LT(*results[3], *results[5]);
        EXPECT_TRUE(store->store_batch({}).empty());
    }
    auto store = open_store(path, limits);
    ASSERT_TRUE(store);
    EXPECT_EQ(store->usage(alice).value(), (ClientUsage{2, 20}));
    EXPECT_EQ(store->usage(bob).value(), (ClientUsage{2, 20}));
    // A batch where nothing fits stores nothing and reports each refusal.
    const std::vector<IncomingMessage> full{{alice, small, at(4)}, {bob, small, at(4)}};
    const auto refused = store->store_batch(full);
    ASSERT_EQ(refused.size(), 2u);
    EXPECT_FALSE(refused[0]);
    EXPECT_FALSE(refused[1]);
}

TEST(MessageStore, ExpireDeletesOnlyOlderMessages) {
    TempDir dir;
    auto store = open_store(dir.path() / "db.sqlite");
    ASSERT_TRUE(store);
    const auto alice = address(1);
    const auto bob = address(2);
    ASSERT_TRUE(store->store(alice, message(3, 1), at(100)));
    ASSERT_TRUE(store->store(bob, message(4, 1), at(150)));
    ASSERT_TRUE(store->store(alice, message(5, 1), at(200)));
    EXPECT_EQ(store->expire(at(100)).value(), 0u); // strictly older only
    EXPECT_EQ(store->expire(at(199)).value(), 2u);
    EXPECT_EQ(store->usage(alice).value(), (ClientUsage{1, 5}));
    EXPECT_EQ(store->usage(bob).value(), (ClientUsage{0, 0}));
    EXPECT_EQ(store->fetch_batch(alice).value().at(0).received_at, at(200));
}

TEST(MessageStore, MessagesSurviveCloseAndReopenUntilAcknowledged) {
    TempDir dir;
    const auto path = dir.path() / "db.sqlite";
    const auto alice = address(1);
    std::uint64_t first = 0;
    {
        auto store = open_store(path);
        ASSERT_TRUE(store);
        first = store->store(alice, message(100, 1), at(10)).value();
        ASSERT_TRUE(store->store(alice, message(200, 2), at(11)));
    }
    {
        auto store = open_store(path);
        ASSERT_TRUE(store);
        auto batch = store->fetch_batch(alice).value();
        ASSERT_EQ(batch.size(), 2u);
        EXPECT_EQ(batch[0].content, message(100, 1));
        EXPECT_EQ(batch[1].content, message(200, 2));
        EXPECT_EQ(store->usage(alice).value(), (ClientUsage{2, 300}));
        const std::vector<std::uint64_t> ids{first};
        ASSERT_EQ(store->ack(alice, ids).value(), 1u);
    }
    {
        auto store = open_store(path);
        ASSERT_TRUE(store);
        auto batch = store->fetch_batch(alice).value();
        ASSERT_EQ(batch.size(), 1u);
        EXPECT_EQ(batch[0].content, message(200, 2));
        // Ids are never reused, even after a delete and a reopen.
        EXPECT_GT(store->store(alice, message(1, 1), at(12)).value(), batch[0].id);
    }
}

// A child process stores messages, reporting each id over a pipe only after store() returned, then
// dies without any clean-up. Every reported id must be in the database when the parent reopens it.
std::set<std::uint64_t> run_abrupt_child(const std::filesystem::path& path, int messages, bool kill_mid_stream) {
    int fds[2];
    if (::pipe(fds) != 0) {
        ADD_FAILURE() << "pipe";
        return {};
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
        ADD_FAILURE() << "fork";
        return {};
    }
    if (pid == 0) {
        ::close(fds[0]);
        auto store = MessageStore::open(path);
        if (!store) ::_exit(3);
        for (int i = 0; kill_mid_stream || i < messages; ++i) {
            const Bytes m(64, static_cast<std::uint8_t>(i));
            auto id = (*store)->store(address(9), m, UnixSeconds(std::chrono::seconds(i)));
            if (!id) ::_exit(4);
            const std::uint64_t v = *id;
            if (::write(fds[1], &v, sizeof v) != static_cast<ssize_t>(sizeof v)) ::_exit(5);
        }
        ::_exit(0); // no destructor runs: the connection is never closed
    }
    ::close(fds[1]);
    std::set<std::uint64_t> reported;
    std::uint64_t v = 0;
    while (::read(fds[0], &v, sizeof v) == static_cast<ssize_t>(sizeof v)) {
        reported.insert(v);
        if (kill_mid_stream && reported.size() == static_cast<std::size_t>(messages)) ::kill(pid, SIGKILL);
    }
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (kill_mid_stream) {
        EXPECT_TRUE(WIFSIGNALED(status));
    } else {
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
    }
    return reported;
}

void expect_all_present(const std::filesystem::path& path, const std::set<std::uint64_t>& reported) {
    auto store = open_store(path);
    ASSERT_TRUE(store);
    std::set<std::uint64_t> found;
    std::uint64_t after = 0;
    for (;;) {
        auto batch = store->fetch_batch(address(9), 100, after).value();
        if (batch.empty()) break;
        for (const auto& m : batch) found.insert(m.id);
        after = batch.back().id;
    }
    for (std::uint64_t id : reported) EXPECT_TRUE(found.count(id)) << "lost message " << id;
    EXPECT_EQ(store->count(address(9)).value(), found.size());
}

TEST(MessageStoreDurability, ChildThatExitsAbruptlyLosesNoStoredMessage) {
    TempDir dir;
    const auto path = dir.path() / "db.sqlite";
    const auto reported = run_abrupt_child(path, 40, false);
    EXPECT_EQ(reported.size(), 40u);
    expect_all_present(path, reported);
}

TEST(MessageStoreDurability, ChildKilledMidStreamLosesNoStoredMessage) {
    TempDir dir;
    const auto path = dir.path() / "db.sqlite";
    const auto reported = run_abrupt_child(path, 30, true);
    EXPECT_GE(reported.size(), 30u);
    expect_all_present(path, reported);
}

TEST(MessageStore, DatabaseFileIsPrivate) {
    TempDir dir;
    const auto path = dir.path() / "sub" / "db.sqlite";
    {
        auto store = open_store(path);
        ASSERT_TRUE(store);
        ASSERT_TRUE(store->store(address(1), message(1, 1), at(1)));
        // While open, the write-ahead log holds the same secrets: SQLite gives it the database's mode.
        struct stat wal {};
        ASSERT_EQ(::stat((path.string() + "-wal").c_str(), &wal), 0);
        EXPECT_EQ(wal.st_mode & 0777, 0600u);
    }
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    const auto loose = dir.path() / "loose.sqlite";
    { std::ofstream touch(loose); }
    ::chmod(loose.c_str(), 0644);
    auto store = open_store(loose);
    ASSERT_TRUE(store);
    ASSERT_EQ(::stat(loose.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(MessageStore, RefusesAFileThatIsNotADatabase) {
    TempDir dir;
    const auto path = dir.path() / "junk.sqlite";
    {
        std::ofstream out(path, std::ios::binary);
        out << std::string(4096, 'x');
    }
    auto store = MessageStore::open(path);
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error(), make_error_code(Errc::database_corrupt));
}

TEST(MessageStore, RefusesADatabaseFromANewerSchema) {
    TempDir dir;
    const auto path = dir.path() / "db.sqlite";
    { ASSERT_TRUE(open_store(path)); }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=1000;", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    auto store = MessageStore::open(path);
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error(), make_error_code(Errc::database_error));
}

TEST(MessageStore, RegisteredClientsPersistAndReplace) {
    TempDir dir;
    const auto path = dir.path() / "db.sqlite";
    std::array<std::uint8_t, 32> k1{};
    k1.fill(0x11);
    std::array<std::uint8_t, 32> k2{};
    k2.fill(0x22);
    {
        auto store = open_store(path);
        ASSERT_TRUE(store);
        EXPECT_FALSE(store->find_client(address(5)).value().has_value());
        ASSERT_TRUE(store->register_client({address(5), SharedKey(k1), at(100)}));
        ASSERT_TRUE(store->register_client({address(3), SharedKey(k1), at(50)}));
    }
    auto store = open_store(path);
    ASSERT_TRUE(store);
    auto found = store->find_client(address(5)).value();
    ASSERT_TRUE(found.has_value());
    EXPECT_TRUE(found->shared_key.ct_equals(SharedKey(k1)));
    EXPECT_EQ(found->registered_at, at(100));
    ASSERT_TRUE(store->register_client({address(5), SharedKey(k2), at(200)}));
    found = store->find_client(address(5)).value();
    ASSERT_TRUE(found.has_value());
    EXPECT_TRUE(found->shared_key.ct_equals(SharedKey(k2)));
    EXPECT_EQ(found->registered_at, at(200));
    const auto clients = store->registered_clients().value();
    ASSERT_EQ(clients.size(), 2u);
    EXPECT_EQ(clients[0], address(3));
    EXPECT_EQ(clients[1], address(5));
}

TEST(MessageStore, AuthenticationTimesOnlyGrowAndANewKeyResetsThem) {
    TempDir dir;
    auto store = open_store(dir.path() / "db.sqlite");
    ASSERT_TRUE(store);
    const auto alice = address(1);
    ASSERT_TRUE(store->register_client({alice, SharedKey{}, at(100)}));
    EXPECT_EQ(store->find_client(alice).value()->last_authenticated_at, UnixSeconds{});
    EXPECT_TRUE(store->record_authentication(alice, at(200)).value());
    EXPECT_FALSE(store->record_authentication(alice, at(200)).value()); // not newer: a replay
    EXPECT_FALSE(store->record_authentication(alice, at(150)).value());
    EXPECT_TRUE(store->record_authentication(alice, at(201)).value());
    store.reset();
    store = open_store(dir.path() / "db.sqlite"); // survives a restart
    EXPECT_EQ(store->find_client(alice).value()->last_authenticated_at, at(201));
    ASSERT_TRUE(store->register_client({alice, SharedKey{}, at(300)})); // a new key
    EXPECT_EQ(store->find_client(alice).value()->last_authenticated_at, UnixSeconds{});
    EXPECT_FALSE(store->record_authentication(address(2), at(500)).value()); // unknown client
}

TEST(MessageStore, AVersionOneFileIsUpgradedInPlace) {
    TempDir dir;
    const auto path = dir.path() / "db.sqlite";
    {
        // The first schema, as written by the first gateways.
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(db,
                               "CREATE TABLE registered_clients (client_address BLOB PRIMARY KEY, shared_key BLOB NOT "
                               "NULL, registered_at INTEGER NOT NULL) WITHOUT ROWID;"
                               "CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, client_address BLOB NOT "
                               "NULL, content BLOB NOT NULL, received_at INTEGER NOT NULL);"
                               "INSERT INTO registered_clients VALUES (zeroblob(32), zeroblob(32), 100);"
                               "PRAGMA user_version=1;",
                               nullptr, nullptr, nullptr),
                  SQLITE_OK);
        sqlite3_close(db);
    }
    auto store = open_store(path);
    ASSERT_TRUE(store);
    auto client = store->find_client(ClientAddress{}).value();
    ASSERT_TRUE(client.has_value());
    EXPECT_EQ(client->registered_at, at(100));
    EXPECT_EQ(client->last_authenticated_at, UnixSeconds{});
    EXPECT_TRUE(store->record_authentication(ClientAddress{}, at(110)).value());
    EXPECT_FALSE(store->replay_tag_seen(sphinx::ReplayTag{}).value());
}

TEST(MessageStore, RegistrationsNeverUsedExpire) {
    TempDir dir;
    auto store = open_store(dir.path() / "db.sqlite");
    ASSERT_TRUE(store);
    // 1: registered, never used; 2: authenticated since; 3: has a message waiting; 4: connected now;
    // 5: too recent.
    for (std::uint8_t i = 1; i <= 4; ++i) ASSERT_TRUE(store->register_client({address(i), SharedKey{}, at(100)}));
    ASSERT_TRUE(store->register_client({address(5), SharedKey{}, at(1000)}));
    ASSERT_TRUE(store->record_authentication(address(2), at(150)).value());
    ASSERT_TRUE(store->store(address(3), message(10, 3), at(120)));
    const std::vector<ClientAddress> connected{address(4)};
    EXPECT_EQ(store->expire_unused_registrations(at(500), connected).value(), 1u);
    EXPECT_FALSE(store->find_client(address(1)).value().has_value());
    for (std::uint8_t i = 2; i <= 5; ++i) EXPECT_TRUE(store->find_client(address(i)).value().has_value()) << int(i);
    // Its message gone, 3 goes at the next sweep; 4 once it is no longer connected.
    ASSERT_TRUE(store->expire(at(200)));
    EXPECT_EQ(store->expire_unused_registrations(at(500), {}).value(), 2u);
    EXPECT_FALSE(store->find_client(address(3)).value().has_value());
    EXPECT_FALSE(store->find_client(address(4)).value().has_value());
}

} // namespace
} // namespace nym::gateway
