#include <store/rocks_store.hpp>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <mutex>

namespace nym::store {
namespace {

class StoreCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "nym.store"; }
    std::string message(int code) const override {
        switch (static_cast<Errc>(code)) {
        case Errc::open_failed:
            return "the state database could not be opened";
        case Errc::wrong_format:
            return "not a ledger state database of this version";
        }
        return "unknown store error";
    }
};

constexpr char STATE_PREFIX = 'S';
const std::string META_HEIGHT = "Mheight";
const std::string META_APP_HASH = "Mapp_hash";
const std::string META_FORMAT = "Mformat";

std::string state_key(ledger::ByteSpan key) {
    std::string k;
    k.reserve(1 + key.size());
    k.push_back(STATE_PREFIX);
    k.append(reinterpret_cast<const char*>(key.data()), key.size());
    return k;
}

rocksdb::Slice slice(ledger::ByteSpan b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

ledger::ByteSpan span(const rocksdb::Slice& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string encode_height(std::uint64_t h) {
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>(h >> (56 - 8 * i));
    return out;
}

[[noreturn]] void throw_status(const char* what, const rocksdb::Status& s) {
    throw ledger::StoreError(std::string("rocksdb ") + what + ": " + s.ToString());
}

} // namespace

const std::error_category& store_category() noexcept {
    static const StoreCategory category;
    return category;
}

struct RocksStore::Impl {
    std::unique_ptr<rocksdb::DB> db;
    RocksStoreOptions options;
    mutable std::mutex point_mutex;
    ledger::CommitPoint point;
};

RocksStore::RocksStore(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
RocksStore::~RocksStore() = default;

Expected<std::unique_ptr<RocksStore>> RocksStore::open(const std::filesystem::path& dir, RocksStoreOptions options,
                                                       std::string* error_text) {
    rocksdb::Options o;
    o.create_if_missing = options.create_if_missing;
    o.paranoid_checks = true;
    o.IncreaseParallelism(2);
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

    rocksdb::DB* raw = nullptr;
    const rocksdb::Status s = rocksdb::DB::Open(o, dir.string(), &raw);
    if (!s.ok()) {
        if (error_text) *error_text = s.ToString();
        return fail(Errc::open_failed);
    }
    auto impl = std::make_unique<Impl>();
    impl->db.reset(raw);
    impl->options = options;

    std::string format, height, hash;
    rocksdb::Status fs = impl->db->Get(rocksdb::ReadOptions(), META_FORMAT, &format);
    if (fs.IsNotFound()) {
        // A new database: nothing may be in it yet.
        std::unique_ptr<rocksdb::Iterator> it(impl->db->NewIterator(rocksdb::ReadOptions()));
        it->SeekToFirst();
        if (it->Valid()) {
            if (error_text) *error_text = "database has keys but no format marker";
            return fail(Errc::wrong_format);
        }
        rocksdb::WriteOptions w;
        w.sync = options.sync;
        if (auto ws = impl->db->Put(w, META_FORMAT, std::string(FORMAT)); !ws.ok()) {
            if (error_text) *error_text = ws.ToString();
            return fail(Errc::open_failed);
        }
    } else if (!fs.ok()) {
        if (error_text) *error_text = fs.ToString();
        return fail(Errc::open_failed);
    } else if (format != FORMAT) {
        if (error_text) *error_text = "format '" + format + "'";
        return fail(Errc::wrong_format);
    } else {
        const auto hs = impl->db->Get(rocksdb::ReadOptions(), META_HEIGHT, &height);
        const auto as = impl->db->Get(rocksdb::ReadOptions(), META_APP_HASH, &hash);
        if (hs.ok() && as.ok() && height.size() == 8) {
            for (char c : height) impl->point.height = (impl->point.height << 8) | static_cast<std::uint8_t>(c);
            impl->point.app_hash.assign(hash.begin(), hash.end());
        } else if (!hs.IsNotFound() || !as.IsNotFound()) {
            if (error_text) *error_text = "unreadable commit point";
            return fail(Errc::wrong_format);
        }
    }
    return std::unique_ptr<RocksStore>(new RocksStore(std::move(impl)));
}

std::optional<ledger::Bytes> RocksStore::get(ledger::ByteSpan key) const {
    rocksdb::PinnableSlice value;
    const rocksdb::Status s =
        m_impl->db->Get(rocksdb::ReadOptions(), m_impl->db->DefaultColumnFamily(), state_key(key), &value);
    if (s.IsNotFound()) return std::nullopt;
    if (!s.ok()) throw_status("get", s);
    const auto b = span(value);
    return ledger::Bytes(b.begin(), b.end());
}

void RocksStore::scan(const std::function<void(ledger::ByteSpan key, ledger::ByteSpan value)>& visit) const {
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(m_impl->db->NewIterator(ro));
    const std::string prefix(1, STATE_PREFIX);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
        rocksdb::Slice k = it->key();
        k.remove_prefix(1);
        visit(span(k), span(it->value()));
    }
    if (!it->status().ok()) throw_status("scan", it->status());
}

void RocksStore::commit(const ledger::WriteBatch& batch, const ledger::CommitPoint& point) {
    rocksdb::WriteBatch wb;
    for (const auto& [k, v] : batch) {
        const std::string key = state_key(k);
        const rocksdb::Status s = v ? wb.Put(key, slice(*v)) : wb.Delete(key);
        if (!s.ok()) throw_status("batch", s);
    }
    // The commit point travels in the same batch: state and point become durable together.
    if (auto s = wb.Put(META_HEIGHT, encode_height(point.height)); !s.ok()) throw_status("batch", s);
    if (auto s = wb.Put(META_APP_HASH, slice(point.app_hash)); !s.ok()) throw_status("batch", s);
    rocksdb::WriteOptions w;
    w.sync = m_impl->options.sync;
    if (auto s = m_impl->db->Write(w, &wb); !s.ok()) throw_status("commit", s);
    std::lock_guard lock(m_impl->point_mutex);
    m_impl->point = point;
}

ledger::CommitPoint RocksStore::last_commit() const {
    std::lock_guard lock(m_impl->point_mutex);
    return m_impl->point;
}

} // namespace nym::store
