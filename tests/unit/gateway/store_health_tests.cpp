// A full disk or a corrupt database never wedges the gateway silently (docs/protocol/gateway.md
// "Durability and shutdown"): a damaged file is refused at open, a free-space reserve keeps
// deletions possible, every failure is counted and logged, and failed deletions are retried.
// A fault-injecting SQLite VFS makes the disk "full" on demand.
#include "gateway_fixture.hpp"

#include <gateway/errors.hpp>

#include <sqlite3.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <fstream>

namespace nym::gateway {
namespace {

using namespace test;

// --- a VFS whose writes fail with SQLITE_FULL while `g_disk_full` is set ------------------------------

std::atomic<bool> g_disk_full{false};

struct FaultFile {
    sqlite3_file base;
    sqlite3_file* real; // the default VFS's file, allocated right after this struct
};

sqlite3_file* real_of(sqlite3_file* f) { return reinterpret_cast<FaultFile*>(f)->real; }

int fault_close(sqlite3_file* f) { return real_of(f)->pMethods->xClose(real_of(f)); }
int fault_read(sqlite3_file* f, void* b, int n, sqlite3_int64 o) { return real_of(f)->pMethods->xRead(real_of(f), b, n, o); }
int fault_write(sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
    if (g_disk_full) return SQLITE_FULL;
    return real_of(f)->pMethods->xWrite(real_of(f), b, n, o);
}
int fault_truncate(sqlite3_file* f, sqlite3_int64 size) { return real_of(f)->pMethods->xTruncate(real_of(f), size); }
int fault_sync(sqlite3_file* f, int flags) { return real_of(f)->pMethods->xSync(real_of(f), flags); }
int fault_file_size(sqlite3_file* f, sqlite3_int64* size) { return real_of(f)->pMethods->xFileSize(real_of(f), size); }
int fault_lock(sqlite3_file* f, int l) { return real_of(f)->pMethods->xLock(real_of(f), l); }
int fault_unlock(sqlite3_file* f, int l) { return real_of(f)->pMethods->xUnlock(real_of(f), l); }
int fault_check_reserved(sqlite3_file* f, int* out) { return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out); }
int fault_control(sqlite3_file* f, int op, void* arg) { return real_of(f)->pMethods->xFileControl(real_of(f), op, arg); }
int fault_sector(sqlite3_file* f) { return real_of(f)->pMethods->xSectorSize(real_of(f)); }
int fault_device(sqlite3_file* f) { return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f)); }
int fault_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
    return real_of(f)->pMethods->xShmMap(real_of(f), region, size, extend, out);
}
int fault_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
    return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}
void fault_shm_barrier(sqlite3_file* f) { real_of(f)->pMethods->xShmBarrier(real_of(f)); }
int fault_shm_unmap(sqlite3_file* f, int del) { return real_of(f)->pMethods->xShmUnmap(real_of(f), del); }

const sqlite3_io_methods FAULT_METHODS = {
    2, fault_close, fault_read, fault_write, fault_truncate, fault_sync, fault_file_size, fault_lock, fault_unlock,
    fault_check_reserved, fault_control, fault_sector, fault_device, fault_shm_map, fault_shm_lock, fault_shm_barrier,
    fault_shm_unmap, nullptr, nullptr};

sqlite3_vfs* g_default = nullptr;
sqlite3_vfs g_fault_vfs;

int fault_open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
    auto* f = reinterpret_cast<FaultFile*>(file);
    f->real = reinterpret_cast<sqlite3_file*>(f + 1);
    f->base.pMethods = nullptr;
    const int rc = g_default->xOpen(g_default, name, f->real, flags, out_flags);
    if (rc == SQLITE_OK) f->base.pMethods = &FAULT_METHODS;
    return rc;
}

/// Makes the fault VFS SQLite's default while it lives (every MessageStore opened then uses it).
class FaultDisk {
public:
    FaultDisk() {
        g_default = sqlite3_vfs_find(nullptr);
        std::memcpy(&g_fault_vfs, g_default, sizeof g_fault_vfs);
        g_fault_vfs.zName = "nym-fault";
        g_fault_vfs.szOsFile = static_cast<int>(sizeof(FaultFile)) + g_default->szOsFile;
        g_fault_vfs.xOpen = fault_open;
        g_fault_vfs.pNext = nullptr;
        sqlite3_vfs_register(&g_fault_vfs, 1);
    }
    ~FaultDisk() {
        g_disk_full = false;
        sqlite3_vfs_register(g_default, 1);
        sqlite3_vfs_unregister(&g_fault_vfs);
    }
    void full(bool on) { g_disk_full = on; }
};

// --- a damaged file is refused ---------------------------------------------------------------------

TEST(StoreHealth, ACorruptDatabaseIsRefusedAtOpen) {
    TempDir dir;
    const auto path = dir.path() / "db.sqlite";
    {
        auto store = std::move(MessageStore::open(path).value());
        for (std::uint8_t i = 0; i < 50; ++i) ASSERT_TRUE(store->store(ClientAddress{}, Bytes(2000, i), at(NOW)));
    } // closed: the WAL is checkpointed into the file
    ASSERT_GT(std::filesystem::file_size(path), 16u * 4096u);
    {
        // Garbage over the pages of the messages table (page 1, the header, stays intact).
        std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(6 * 4096);
        const std::string junk(8 * 4096, '\x5a');
        file.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
    auto store = MessageStore::open(path);
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error(), make_error_code(Errc::database_corrupt));
    EXPECT_NE(store.error().message().find("corrupt"), std::string::npos);
}

// --- the free-space reserve ------------------------------------------------------------------------

TEST(StoreHealth, BelowTheReserveStoresAndRegistrationsAreRefusedButDeletionsWork) {
    TempDir dir;
    const auto path = dir.path() / "db.sqlite";
    StoreLimits none;
    none.min_free_bytes = 0;
    std::uint64_t id = 0;
    {
        auto store = std::move(MessageStore::open(path, none).value());
        id = store->store(ClientAddress{}, Bytes{1}, at(NOW)).value();
    }
    StoreLimits huge;
    huge.min_free_bytes = std::uint64_t{1} << 62; // more than any disk has free
    auto store = std::move(MessageStore::open(path, huge).value());
    auto refused = store->store(ClientAddress{}, Bytes{2}, at(NOW));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error(), make_error_code(Errc::low_disk_space));
    EXPECT_NE(store->last_error().find("reserve"), std::string::npos) << store->last_error();
    EXPECT_FALSE(store->register_client(RegisteredClient{ClientAddress{}, wg::SharedKey{}, at(NOW)}));
    EXPECT_EQ(store->ack(ClientAddress{}, std::vector<std::uint64_t>{id}).value(), 1u); // space is freed
}

TEST(StoreHealth, TheMixStageCountsLowSpaceRefusalsAndReleasesNoAck) {
    GatewayFixture f;
    ASSERT_TRUE(f.register_client(1).closes.empty());
    StoreLimits huge;
    huge.min_free_bytes = std::uint64_t{1} << 62;
    auto full = std::move(MessageStore::open(f.dir.path() / "messages.sqlite", huge).value());
    MixStage stage{f.sphinx_keys.secret, *full, f.replays, f.counters};
    StoreQueue::Work work;
    work.packets.push_back(f.packet_for_client(1));
    StageOutput out = stage.process(std::move(work), at(NOW));
    EXPECT_TRUE(out.acks.empty());
    EXPECT_EQ(f.counters.low_space_refusals.load(), 1u);
    EXPECT_EQ(f.counters.dropped_by(DropReason::storage_error), 1u);
    EXPECT_EQ(f.counters.store_failures.load(), 1u);
    const std::string json = stats_json(f.counters, {});
    EXPECT_NE(json.find("\"low_space_refusals\":1"), std::string::npos) << json;
    EXPECT_NE(json.find("\"store_failures\":1"), std::string::npos) << json;
}

// --- a full disk -----------------------------------------------------------------------------------

TEST(StoreHealth, AFullDiskFailsCommitsLoudlyAndDeletionsAreRetriedUntilTheyWork) {
    FaultDisk disk;
    GatewayFixture f;
    ASSERT_TRUE(f.register_client(1).closes.empty());
    const auto id = f.store->store(f.client.public_key(), Bytes{7}, at(NOW)).value();

    disk.full(true);
    StoreQueue::Work work;
    work.packets.push_back(f.packet_for_client(1));
    work.deletes.push_back(DeleteMessages{f.client.public_key(), {id}});
    StageOutput out = f.stage.process(std::move(work), at(NOW));
    EXPECT_TRUE(out.acks.empty());                        // nothing committed, nothing acknowledged
    EXPECT_EQ(f.counters.dropped_by(DropReason::storage_error), 1u);
    EXPECT_EQ(f.counters.store_failures.load(), 2u);      // the commit and the deletion
    EXPECT_EQ(f.counters.acked.load(), 0u);
    ASSERT_EQ(out.retry_deletes.size(), 1u);              // handed back, not forgotten
    EXPECT_EQ(out.retry_deletes[0].ids, std::vector<std::uint64_t>{id});
    EXPECT_FALSE(f.store->last_error().empty());

    // Space again: the retried deletion goes through, and new messages are stored.
    disk.full(false);
    StoreQueue::Work retry;
    retry.deletes = std::move(out.retry_deletes);
    retry.packets.push_back(f.packet_for_client(2));
    out = f.stage.process(std::move(retry), at(NOW));
    EXPECT_TRUE(out.retry_deletes.empty());
    EXPECT_EQ(f.counters.acked.load(), 1u);
    EXPECT_EQ(out.acks.size(), 1u);
    EXPECT_EQ(f.counters.store_failures.load(), 2u);
}

TEST(StoreHealth, FailedHandshakeAndFetchAreCounted) {
    FaultDisk disk;
    GatewayFixture f;
    StoreHealth health(f.counters);
    ASSERT_TRUE(f.hub.open(1));
    HubEffects fx = f.hub.on_frame(1, f.register_frame(1), at(NOW));
    ASSERT_EQ(fx.store.size(), 1u);
    disk.full(true);
    StoreReply reply = run_store_request(std::move(fx.store[0]), *f.store, &health);
    HubEffects out = f.hub.on_store_reply(std::move(reply), at(NOW));
    ASSERT_EQ(out.closes.size(), 1u);
    EXPECT_EQ(out.closes[0].second.code, wg::ErrorCode::internal_error);
    EXPECT_EQ(f.counters.store_failures.load(), 1u);
}

} // namespace
} // namespace nym::gateway
