#include <issuer/store.hpp>
#include <sqlite3.h>
#include <system_error>

namespace nym::issuer {
namespace {

constexpr int SCHEMA_VERSION = 1;

std::string db_error(sqlite3* db, std::string_view what) {
    return std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "cannot open");
}

/// A prepared statement that finalizes itself.
class Statement {
public:
    Statement(sqlite3* db, const char* sql) { m_ok = sqlite3_prepare_v2(db, sql, -1, &m_stmt, nullptr) == SQLITE_OK; }
    ~Statement() { sqlite3_finalize(m_stmt); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    [[nodiscard]] bool ok() const { return m_ok; }
    sqlite3_stmt* get() const { return m_stmt; }
    void reset() const {
        sqlite3_reset(m_stmt);
        sqlite3_clear_bindings(m_stmt);
    }

private:
    sqlite3_stmt* m_stmt = nullptr;
    bool m_ok = false;
};

Answer read_answer(sqlite3_stmt* s) {
    Answer a;
    a.height = static_cast<std::uint64_t>(sqlite3_column_int64(s, 0));
    const auto* gamma = static_cast<const std::uint8_t*>(sqlite3_column_blob(s, 1));
    if (gamma && sqlite3_column_bytes(s, 1) == static_cast<int>(a.gamma.size()))
        std::copy(gamma, gamma + a.gamma.size(), a.gamma.begin());
    if (const auto* sig = static_cast<const std::uint8_t*>(sqlite3_column_blob(s, 2)))
        a.blinded_signature.assign(sig, sig + sqlite3_column_bytes(s, 2));
    if (const auto* why = sqlite3_column_text(s, 3)) a.refused = reinterpret_cast<const char*>(why);
    return a;
}

} // namespace

struct Store::Impl {
    sqlite3* db = nullptr;
    ~Impl() {
        if (db) sqlite3_close_v2(db);
    }
    bool exec(const char* sql) const { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }

    std::optional<Bytes> meta(const char* key) const {
        Statement s(db, "SELECT value FROM meta WHERE key = ?1");
        if (!s.ok()) return std::nullopt;
        sqlite3_bind_text(s.get(), 1, key, -1, SQLITE_STATIC);
        if (sqlite3_step(s.get()) != SQLITE_ROW) return std::nullopt;
        const auto* v = static_cast<const std::uint8_t*>(sqlite3_column_blob(s.get(), 0));
        return Bytes(v, v + sqlite3_column_bytes(s.get(), 0));
    }
    bool set_meta(const char* key, const Bytes& value) const {
        Statement s(db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)");
        if (!s.ok()) return false;
        sqlite3_bind_text(s.get(), 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_blob(s.get(), 2, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
        return sqlite3_step(s.get()) == SQLITE_DONE;
    }
    std::uint64_t count(const char* sql) const {
        Statement s(db, sql);
        if (!s.ok() || sqlite3_step(s.get()) != SQLITE_ROW) return 0;
        return static_cast<std::uint64_t>(sqlite3_column_int64(s.get(), 0));
    }
};

Store::Store(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Store::~Store() = default;

Expected<std::unique_ptr<Store>, std::string> Store::open(const std::filesystem::path& dir,
                                                          const Bytes& verification_key, const std::string& chain_id) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Unexpected("cannot create " + dir.string() + ": " + ec.message());
    auto impl = std::make_unique<Impl>();
    const auto path = dir / "issuer.sqlite";
    if (sqlite3_open_v2(path.c_str(), &impl->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK)
        return Unexpected(db_error(impl->db, "cannot open " + path.string()));
    if (!impl->exec("PRAGMA journal_mode=WAL;") || !impl->exec("PRAGMA synchronous=FULL;") ||
        !impl->exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);") ||
        !impl->exec("CREATE TABLE IF NOT EXISTS answers (height INTEGER NOT NULL, gamma BLOB NOT NULL, "
                    "blinded BLOB, refused TEXT, PRIMARY KEY (height, gamma)) WITHOUT ROWID;"))
        return Unexpected(db_error(impl->db, "cannot set up " + path.string()));

    const Bytes version{static_cast<std::uint8_t>(SCHEMA_VERSION)};
    const Bytes chain(chain_id.begin(), chain_id.end());
    if (auto stored = impl->meta("schema")) {
        if (*stored != version) return Unexpected(path.string() + " has an unknown schema version");
        if (impl->meta("verification_key") != verification_key)
            return Unexpected(path.string() + " was written with another verification key: an issuer must never "
                                              "answer one request twice with different keys (move the database away "
                                              "only if this is a new issuer)");
        if (impl->meta("chain_id") != chain)
            return Unexpected(path.string() + " belongs to another chain than '" + chain_id + "'");
    } else if (!impl->exec("BEGIN IMMEDIATE;") || !impl->set_meta("schema", version) ||
               !impl->set_meta("verification_key", verification_key) || !impl->set_meta("chain_id", chain) ||
               !impl->set_meta("processed_height", Bytes(8, 0)) || !impl->exec("COMMIT;")) {
        return Unexpected(db_error(impl->db, "cannot initialise " + path.string()));
    }
    std::unique_ptr<Store> store(new Store(std::move(impl)));
    auto processed = store->m_impl->meta("processed_height");
    if (!processed || processed->size() != 8) return Unexpected(path.string() + " has no processed height");
    for (std::uint8_t b : *processed) store->m_processed = (store->m_processed << 8) | b;
    store->m_counts.issued = store->m_impl->count("SELECT COUNT(*) FROM answers WHERE refused IS NULL");
    store->m_counts.refused = store->m_impl->count("SELECT COUNT(*) FROM answers WHERE refused IS NOT NULL");
    return store;
}

Expected<void, std::string> Store::commit(const std::vector<FinishedBlock>& blocks) {
    if (blocks.empty()) return {};
    std::uint64_t next = m_processed;
    for (const auto& b : blocks) {
        if (b.height != next + 1) return Unexpected(std::string("blocks must follow the processed height in order"));
        next = b.height;
    }
    auto& db = *m_impl;
    if (!db.exec("BEGIN IMMEDIATE;")) return Unexpected(db_error(db.db, "begin"));
    StoreCounts added;
    {
        Statement insert(db.db,
                         "INSERT OR IGNORE INTO answers (height, gamma, blinded, refused) VALUES (?1, ?2, ?3, ?4)");
        if (!insert.ok()) {
            db.exec("ROLLBACK;");
            return Unexpected(db_error(db.db, "prepare"));
        }
        for (const auto& b : blocks) {
            for (const auto& a : b.answers) {
                insert.reset();
                sqlite3_bind_int64(insert.get(), 1, static_cast<sqlite3_int64>(a.height));
                sqlite3_bind_blob(insert.get(), 2, a.gamma.data(), static_cast<int>(a.gamma.size()), SQLITE_STATIC);
                if (a.refused.empty()) {
                    sqlite3_bind_blob(insert.get(), 3, a.blinded_signature.data(),
                                      static_cast<int>(a.blinded_signature.size()), SQLITE_STATIC);
                    sqlite3_bind_null(insert.get(), 4);
                } else {
                    sqlite3_bind_null(insert.get(), 3);
                    sqlite3_bind_text(insert.get(), 4, a.refused.c_str(), -1, SQLITE_STATIC);
                }
                if (sqlite3_step(insert.get()) != SQLITE_DONE) {
                    const auto why = db_error(db.db, "insert");
                    db.exec("ROLLBACK;");
                    return Unexpected(why);
                }
                if (sqlite3_changes(db.db) == 1) ++(a.refused.empty() ? added.issued : added.refused);
            }
        }
    }
    Bytes height(8);
    for (int i = 0; i < 8; ++i) height[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(next >> (56 - 8 * i));
    if (!db.set_meta("processed_height", height) || !db.exec("COMMIT;")) {
        const auto why = db_error(db.db, "commit");
        db.exec("ROLLBACK;");
        return Unexpected(why);
    }
    m_processed = next;
    m_counts.issued += added.issued;
    m_counts.refused += added.refused;
    return {};
}

Expected<std::optional<Answer>, std::string> Store::find(std::uint64_t height, const Gamma& gamma) const {
    Statement s(m_impl->db, "SELECT height, gamma, blinded, refused FROM answers WHERE height = ?1 AND gamma = ?2");
    if (!s.ok()) return Unexpected(db_error(m_impl->db, "prepare"));
    sqlite3_bind_int64(s.get(), 1, static_cast<sqlite3_int64>(height));
    sqlite3_bind_blob(s.get(), 2, gamma.data(), static_cast<int>(gamma.size()), SQLITE_STATIC);
    const int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE) return std::optional<Answer>{};
    if (rc != SQLITE_ROW) return Unexpected(db_error(m_impl->db, "lookup"));
    return std::optional<Answer>{read_answer(s.get())};
}

Expected<std::vector<Answer>, std::string> Store::block(std::uint64_t height) const {
    Statement s(m_impl->db, "SELECT height, gamma, blinded, refused FROM answers WHERE height = ?1 ORDER BY gamma");
    if (!s.ok()) return Unexpected(db_error(m_impl->db, "prepare"));
    sqlite3_bind_int64(s.get(), 1, static_cast<sqlite3_int64>(height));
    std::vector<Answer> out;
    int rc = 0;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) out.push_back(read_answer(s.get()));
    if (rc != SQLITE_DONE) return Unexpected(db_error(m_impl->db, "lookup"));
    return out;
}

} // namespace nym::issuer
