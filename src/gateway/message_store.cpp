#include <gateway/errors.hpp>
#include <gateway/message_store.hpp>

#include <sqlite3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <string>
#include <system_error>

namespace nym::gateway {
namespace {

constexpr int SCHEMA_VERSION = 3; // 2: replay_tags; 3: registered_clients.last_authenticated_at
constexpr int BUSY_TIMEOUT_MS = 5000;
constexpr std::int64_t JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024; ///< bytes of WAL kept after a checkpoint

// The usage table is kept by triggers, so every way a message leaves (ack, expiry) updates it.
constexpr const char* SCHEMA = R"sql(
CREATE TABLE IF NOT EXISTS registered_clients (
    client_address        BLOB PRIMARY KEY CHECK (length(client_address) = 32),
    shared_key            BLOB NOT NULL CHECK (length(shared_key) = 32),
    registered_at         INTEGER NOT NULL,
    last_authenticated_at INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    client_address BLOB NOT NULL CHECK (length(client_address) = 32),
    content        BLOB NOT NULL,
    received_at    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_client ON messages (client_address, id);
CREATE INDEX IF NOT EXISTS messages_by_age ON messages (received_at);
CREATE TABLE IF NOT EXISTS replay_tags (
    tag     BLOB PRIMARY KEY CHECK (length(tag) = 32),
    seen_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS replay_tags_by_age ON replay_tags (seen_at);
CREATE TABLE IF NOT EXISTS client_usage (
    client_address BLOB PRIMARY KEY,
    message_count  INTEGER NOT NULL,
    total_bytes    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS messages_usage_insert AFTER INSERT ON messages BEGIN
    INSERT INTO client_usage (client_address, message_count, total_bytes)
        VALUES (NEW.client_address, 1, length(NEW.content))
        ON CONFLICT (client_address) DO UPDATE SET
            message_count = message_count + 1, total_bytes = total_bytes + length(NEW.content);
END;
CREATE TRIGGER IF NOT EXISTS messages_usage_delete AFTER DELETE ON messages BEGIN
    UPDATE client_usage SET message_count = message_count - 1, total_bytes = total_bytes - length(OLD.content)
        WHERE client_address = OLD.client_address;
    DELETE FROM client_usage WHERE client_address = OLD.client_address AND message_count <= 0;
END;
)sql";

/// A prepared statement, reset after each use and finalized on destruction.
class Statement {
public:
    Statement() = default;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement() { sqlite3_finalize(m_stmt); }

    bool prepare(sqlite3* db, const char* sql) {
        return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &m_stmt, nullptr) == SQLITE_OK;
    }
    sqlite3_stmt* get() const noexcept { return m_stmt; }

private:
    sqlite3_stmt* m_stmt = nullptr;
};

/// Resets and clears bindings when a use of a statement ends, however it ends.
class Use {
public:
    explicit Use(const Statement& s) noexcept : m_stmt(s.get()) {}
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;
    ~Use() {
        sqlite3_reset(m_stmt);
        sqlite3_clear_bindings(m_stmt);
    }
    bool blob(int index, std::span<const std::uint8_t> bytes) {
        return sqlite3_bind_blob64(m_stmt, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT) == SQLITE_OK;
    }
    bool integer(int index, std::int64_t value) { return sqlite3_bind_int64(m_stmt, index, value) == SQLITE_OK; }
    int step() { return sqlite3_step(m_stmt); }
    std::int64_t column_int(int col) { return sqlite3_column_int64(m_stmt, col); }
    std::vector<std::uint8_t> column_blob(int col) {
        const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(m_stmt, col));
        const int size = sqlite3_column_bytes(m_stmt, col);
        if (data == nullptr || size <= 0) return {};
        return {data, data + size};
    }

private:
    sqlite3_stmt* m_stmt;
};


std::span<const std::uint8_t> address_bytes(const ClientAddress& a) noexcept { return a.bytes; }

/// Creates the file 0600 if absent, tightens an existing one to 0600.
Expected<void> ensure_private_file(const std::filesystem::path& path) {
    std::error_code ec;
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) return fail(Errc::database_error);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return fail(Errc::database_error);
    struct stat st {};
    bool ok = ::fstat(fd, &st) == 0;
    if (ok && (st.st_mode & 0077) != 0) ok = ::fchmod(fd, 0600) == 0;
    ::close(fd);
    if (!ok) return fail(Errc::insecure_permissions);
    return {};
}

} // namespace

/// Closes the connection; declared before the statements so it is destroyed after they are finalized.
struct Connection {
    sqlite3* db = nullptr;
    Connection() = default;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection() { sqlite3_close_v2(db); }
};

struct MessageStore::Impl {
    Connection connection;
    sqlite3*& db = connection.db;
    std::filesystem::path folder; ///< where the database lives (for the free-space check)
    std::mutex mutex;
    std::string last_error;       ///< SQLite's words for the last failure
    Statement begin_immediate, commit, rollback;
    Statement select_usage, insert_message, select_batch, delete_owned, delete_older;
    Statement upsert_client, select_client, select_clients;
    Statement insert_tag, select_tag, delete_old_tags, update_authenticated;
    Statement select_unused, delete_client;

    bool exec(const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }
    bool step_done(const Statement& s) {
        Use u(s);
        return u.step() == SQLITE_DONE;
    }
    /// Rolls back, keeping SQLite's words for what made it necessary.
    void roll_back() {
        last_error = sqlite3_errmsg(db);
        (void)step_done(rollback);
    }
    /// Records SQLite's message for the operator and returns Errc::database_error.
    Unexpected<std::error_code> db_error() {
        last_error = db != nullptr ? sqlite3_errmsg(db) : "cannot open the database";
        return fail(Errc::database_error);
    }
    /// Below the free-space reserve nothing more is written (deletions still are: they free space).
    bool low_on_space(std::uint64_t reserve) {
        if (reserve == 0) return false;
        struct statvfs fs {};
        if (::statvfs(folder.c_str(), &fs) != 0) return false; // unknown: do not refuse on a guess
        const std::uint64_t free_bytes = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
        if (free_bytes >= reserve) return false;
        last_error = "only " + std::to_string(free_bytes) + " bytes free on the database's file system, below the " +
                     std::to_string(reserve) + "-byte reserve";
        return true;
    }
};

MessageStore::MessageStore(std::unique_ptr<Impl> impl, StoreLimits limits) noexcept
    : m_impl(std::move(impl)), m_limits(limits) {}

MessageStore::~MessageStore() = default;

Expected<std::unique_ptr<MessageStore>> MessageStore::open(const std::filesystem::path& path, StoreLimits limits) {
    if (auto r = ensure_private_file(path); !r) return Unexpected(r.error());
    auto impl = std::make_unique<Impl>();
    impl->folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    if (sqlite3_open_v2(path.c_str(), &impl->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK)
        return impl->db_error();
    sqlite3_extended_result_codes(impl->db, 1);
    sqlite3_busy_timeout(impl->db, BUSY_TIMEOUT_MS);
    // A damaged file is refused before anything is written into it: an operator must look at it.
    std::string check;
    const auto read_text = [](void* out, int columns, char** values, char**) {
        auto& text = *static_cast<std::string*>(out);
        if (columns == 1 && values[0] != nullptr && text.size() < 200) text += (text.empty() ? "" : "; ") + std::string(values[0]);
        return 0;
    };
    const int checked = sqlite3_exec(impl->db, "PRAGMA quick_check;", read_text, &check, nullptr);
    if (checked == SQLITE_NOTADB || checked == SQLITE_CORRUPT || (checked == SQLITE_OK && check != "ok"))
        return fail(Errc::database_corrupt);
    if (checked != SQLITE_OK) return impl->db_error();
    // journal_size_limit: the WAL file shrinks back after a checkpoint instead of keeping its peak size.
    if (!impl->exec("PRAGMA journal_mode=WAL;") || !impl->exec("PRAGMA synchronous=FULL;") ||
        !impl->exec("PRAGMA secure_delete=ON;") || !impl->exec("PRAGMA foreign_keys=ON;") ||
        !impl->exec(("PRAGMA journal_size_limit=" + std::to_string(JOURNAL_SIZE_LIMIT) + ";").c_str()))
        return impl->db_error();
    // A database written by a newer schema is refused rather than half understood.
    int existing_version = 0;
    const auto read_int = [](void* out, int columns, char** values, char**) {
        if (columns == 1 && values[0] != nullptr) *static_cast<int*>(out) = std::atoi(values[0]);
        return 0;
    };
    if (sqlite3_exec(impl->db, "PRAGMA user_version;", read_int, &existing_version, nullptr) != SQLITE_OK ||
        existing_version > SCHEMA_VERSION)
        return impl->db_error();
    if (!impl->exec("BEGIN IMMEDIATE;")) return impl->db_error();
    // Older files gain what later versions added (CREATE ... IF NOT EXISTS adds the new tables).
    if (existing_version >= 1 && existing_version < 3 &&
        !impl->exec("ALTER TABLE registered_clients ADD COLUMN last_authenticated_at INTEGER NOT NULL DEFAULT 0;")) {
        auto error = impl->db_error();
        impl->exec("ROLLBACK;");
        return error;
    }
    if (!impl->exec(SCHEMA)) {
        impl->exec("ROLLBACK;");
        return impl->db_error();
    }
    const std::string version = "PRAGMA user_version=" + std::to_string(SCHEMA_VERSION) + ";";
    if (!impl->exec(version.c_str()) || !impl->exec("COMMIT;")) {
        impl->exec("ROLLBACK;");
        return impl->db_error();
    }
    const bool prepared =
        impl->begin_immediate.prepare(impl->db, "BEGIN IMMEDIATE") && impl->commit.prepare(impl->db, "COMMIT") &&
        impl->rollback.prepare(impl->db, "ROLLBACK") &&
        impl->select_usage.prepare(impl->db,
                                   "SELECT message_count, total_bytes FROM client_usage WHERE client_address = ?1") &&
        impl->insert_message.prepare(
            impl->db, "INSERT INTO messages (client_address, content, received_at) VALUES (?1, ?2, ?3)") &&
        impl->select_batch.prepare(impl->db,
                                   "SELECT id, content, received_at FROM messages WHERE client_address = ?1 AND id > ?2 "
                                   "ORDER BY id LIMIT ?3") &&
        impl->delete_owned.prepare(impl->db, "DELETE FROM messages WHERE id = ?1 AND client_address = ?2") &&
        impl->delete_older.prepare(impl->db, "DELETE FROM messages WHERE received_at < ?1") &&
        impl->upsert_client.prepare(
            impl->db,
            "INSERT INTO registered_clients (client_address, shared_key, registered_at, last_authenticated_at) "
            "VALUES (?1, ?2, ?3, 0) ON CONFLICT (client_address) DO UPDATE SET shared_key = excluded.shared_key, "
            "registered_at = excluded.registered_at, last_authenticated_at = 0") &&
        impl->select_client.prepare(impl->db,
                                    "SELECT shared_key, registered_at, last_authenticated_at FROM registered_clients "
                                    "WHERE client_address = ?1") &&
        impl->select_unused.prepare(impl->db,
                                    "SELECT client_address FROM registered_clients WHERE last_authenticated_at = 0 AND "
                                    "registered_at < ?1 AND client_address NOT IN (SELECT client_address FROM "
                                    "client_usage)") &&
        impl->delete_client.prepare(impl->db, "DELETE FROM registered_clients WHERE client_address = ?1") &&
        impl->update_authenticated.prepare(impl->db,
                                           "UPDATE registered_clients SET last_authenticated_at = ?2 "
                                           "WHERE client_address = ?1 AND last_authenticated_at < ?2") &&
        impl->select_clients.prepare(impl->db, "SELECT client_address FROM registered_clients ORDER BY client_address") &&
        impl->insert_tag.prepare(impl->db, "INSERT OR IGNORE INTO replay_tags (tag, seen_at) VALUES (?1, ?2)") &&
        impl->select_tag.prepare(impl->db, "SELECT 1 FROM replay_tags WHERE tag = ?1") &&
        impl->delete_old_tags.prepare(impl->db, "DELETE FROM replay_tags WHERE seen_at < ?1");
    if (!prepared) return impl->db_error();
    return std::unique_ptr<MessageStore>(new MessageStore(std::move(impl), limits));
}

Expected<std::uint64_t> MessageStore::store(const ClientAddress& client, std::span<const std::uint8_t> message,
                                            UnixSeconds received_at) {
    const IncomingMessage one{client, message, received_at};
    return std::move(store_batch(std::span<const IncomingMessage>(&one, 1), {}, received_at).front());
}

std::vector<Expected<std::uint64_t>> MessageStore::store_batch(std::span<const IncomingMessage> messages,
                                                               std::span<const sphinx::ReplayTag> replay_tags,
                                                               UnixSeconds seen_at) {
    std::vector<Expected<std::uint64_t>> results;
    results.reserve(messages.size());
    const auto all_failed = [&results, &messages] {
        results.assign(messages.size(), Expected<std::uint64_t>(fail(Errc::database_error)));
        return std::move(results);
    };
    if (messages.empty() && replay_tags.empty()) return results;
    std::lock_guard lock(m_impl->mutex);
    if (m_impl->low_on_space(m_limits.min_free_bytes)) {
        results.assign(messages.size(), Expected<std::uint64_t>(fail(Errc::low_disk_space)));
        return results;
    }
    if (!m_impl->step_done(m_impl->begin_immediate)) {
        (void)m_impl->db_error();
        return all_failed();
    }
    bool any_stored = false;
    for (const IncomingMessage& m : messages) {
        if (m.content.size() > m_limits.max_message_size) {
            results.emplace_back(fail(Errc::message_too_large));
            continue;
        }
        // Usage as of this transaction: the triggers have already counted earlier messages of the batch.
        ClientUsage current;
        {
            Use u(m_impl->select_usage);
            u.blob(1, address_bytes(m.client));
            const int rc = u.step();
            if (rc == SQLITE_ROW) {
                current.messages = static_cast<std::uint64_t>(std::max<std::int64_t>(0, u.column_int(0)));
                current.bytes = static_cast<std::uint64_t>(std::max<std::int64_t>(0, u.column_int(1)));
            } else if (rc != SQLITE_DONE) {
                m_impl->roll_back();
                return all_failed();
            }
        }
        if (current.messages + 1 > m_limits.max_messages_per_client) {
            results.emplace_back(fail(Errc::quota_exceeded_count));
            continue;
        }
        if (current.bytes + m.content.size() > m_limits.max_bytes_per_client) {
            results.emplace_back(fail(Errc::quota_exceeded_bytes));
            continue;
        }
        Use u(m_impl->insert_message);
        u.blob(1, address_bytes(m.client));
        u.blob(2, m.content);
        u.integer(3, m.received_at.time_since_epoch().count());
        if (u.step() != SQLITE_DONE) {
            m_impl->roll_back();
            return all_failed();
        }
        results.emplace_back(static_cast<std::uint64_t>(sqlite3_last_insert_rowid(m_impl->db)));
        any_stored = true;
    }
    // The replay tags of the batch's packets, in the same transaction: after a restart, a packet whose
    // message was committed is recognised as a replay (and one whose message was not, is not).
    for (const sphinx::ReplayTag& tag : replay_tags) {
        Use u(m_impl->insert_tag);
        u.blob(1, tag.bytes);
        u.integer(2, seen_at.time_since_epoch().count());
        if (u.step() != SQLITE_DONE) {
            m_impl->roll_back();
            return all_failed();
        }
    }
    if (!any_stored && replay_tags.empty()) {
        m_impl->roll_back();
        return results;
    }
    if (!m_impl->step_done(m_impl->commit)) {
        m_impl->roll_back();
        return all_failed();
    }
    return results;
}

Expected<bool> MessageStore::replay_tag_seen(const sphinx::ReplayTag& tag) {
    std::lock_guard lock(m_impl->mutex);
    Use u(m_impl->select_tag);
    u.blob(1, tag.bytes);
    const int rc = u.step();
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return m_impl->db_error();
}

Expected<std::size_t> MessageStore::forget_replay_tags(UnixSeconds older_than) {
    std::lock_guard lock(m_impl->mutex);
    Use u(m_impl->delete_old_tags);
    u.integer(1, older_than.time_since_epoch().count());
    if (u.step() != SQLITE_DONE) return m_impl->db_error();
    return static_cast<std::size_t>(sqlite3_changes(m_impl->db));
}

Expected<std::vector<StoredMessage>> MessageStore::fetch_batch(const ClientAddress& client, std::size_t limit,
                                                               std::uint64_t after_id) {
    std::lock_guard lock(m_impl->mutex);
    std::vector<StoredMessage> out;
    Use u(m_impl->select_batch);
    u.blob(1, address_bytes(client));
    u.integer(2, static_cast<std::int64_t>(std::min<std::uint64_t>(after_id, INT64_MAX)));
    u.integer(3, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT32_MAX)));
    for (;;) {
        const int rc = u.step();
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) return m_impl->db_error();
        StoredMessage m;
        m.id = static_cast<std::uint64_t>(u.column_int(0));
        m.content = u.column_blob(1);
        m.received_at = UnixSeconds(std::chrono::seconds(u.column_int(2)));
        out.push_back(std::move(m));
    }
    return out;
}

Expected<std::size_t> MessageStore::ack(const ClientAddress& client, std::span<const std::uint64_t> ids) {
    std::lock_guard lock(m_impl->mutex);
    if (!m_impl->step_done(m_impl->begin_immediate)) return m_impl->db_error();
    std::size_t deleted = 0;
    for (std::uint64_t id : ids) {
        if (id > static_cast<std::uint64_t>(INT64_MAX)) continue; // never a row id
        Use u(m_impl->delete_owned);
        u.integer(1, static_cast<std::int64_t>(id));
        u.blob(2, address_bytes(client));
        if (u.step() != SQLITE_DONE) {
            m_impl->roll_back();
            return fail(Errc::database_error);
        }
        deleted += static_cast<std::size_t>(sqlite3_changes(m_impl->db));
    }
    if (!m_impl->step_done(m_impl->commit)) {
        m_impl->roll_back();
        return fail(Errc::database_error);
    }
    return deleted;
}

Expected<std::size_t> MessageStore::expire(UnixSeconds older_than) {
    std::lock_guard lock(m_impl->mutex);
    Use u(m_impl->delete_older);
    u.integer(1, older_than.time_since_epoch().count());
    if (u.step() != SQLITE_DONE) return m_impl->db_error();
    return static_cast<std::size_t>(sqlite3_changes(m_impl->db));
}

Expected<ClientUsage> MessageStore::usage(const ClientAddress& client) {
    std::lock_guard lock(m_impl->mutex);
    Use u(m_impl->select_usage);
    u.blob(1, address_bytes(client));
    const int rc = u.step();
    if (rc == SQLITE_DONE) return ClientUsage{};
    if (rc != SQLITE_ROW) return m_impl->db_error();
    return ClientUsage{static_cast<std::uint64_t>(std::max<std::int64_t>(0, u.column_int(0))),
                       static_cast<std::uint64_t>(std::max<std::int64_t>(0, u.column_int(1)))};
}

Expected<std::uint64_t> MessageStore::count(const ClientAddress& client) {
    auto u = usage(client);
    if (!u) return Unexpected(u.error());
    return u->messages;
}

Expected<void> MessageStore::register_client(const RegisteredClient& client) {
    std::lock_guard lock(m_impl->mutex);
    if (m_impl->low_on_space(m_limits.min_free_bytes)) return fail(Errc::low_disk_space);
    Use u(m_impl->upsert_client);
    u.blob(1, address_bytes(client.address));
    u.blob(2, client.shared_key.bytes());
    u.integer(3, client.registered_at.time_since_epoch().count());
    if (u.step() != SQLITE_DONE) return m_impl->db_error();
    return {};
}

Expected<bool> MessageStore::record_authentication(const ClientAddress& client, UnixSeconds at) {
    std::lock_guard lock(m_impl->mutex);
    Use u(m_impl->update_authenticated);
    u.blob(1, address_bytes(client));
    u.integer(2, at.time_since_epoch().count());
    if (u.step() != SQLITE_DONE) return m_impl->db_error();
    return sqlite3_changes(m_impl->db) == 1;
}

Expected<std::optional<RegisteredClient>> MessageStore::find_client(const ClientAddress& address) {
    std::lock_guard lock(m_impl->mutex);
    Use u(m_impl->select_client);
    u.blob(1, address_bytes(address));
    const int rc = u.step();
    if (rc == SQLITE_DONE) return std::optional<RegisteredClient>{};
    if (rc != SQLITE_ROW) return m_impl->db_error();
    std::vector<std::uint8_t> key = u.column_blob(0);
    if (key.size() != SharedKey::SIZE) {
        crypto::secure_wipe(key.data(), key.size());
        return m_impl->db_error();
    }
    RegisteredClient client;
    client.address = address;
    client.shared_key = SharedKey(std::span<const std::uint8_t, 32>(key.data(), 32));
    client.registered_at = UnixSeconds(std::chrono::seconds(u.column_int(1)));
    client.last_authenticated_at = UnixSeconds(std::chrono::seconds(u.column_int(2)));
    crypto::secure_wipe(key.data(), key.size());
    return std::optional<RegisteredClient>{std::move(client)};
}

std::string MessageStore::last_error() const {
    std::lock_guard lock(m_impl->mutex);
    return m_impl->last_error;
}

Expected<std::size_t> MessageStore::expire_unused_registrations(UnixSeconds registered_before,
                                                               std::span<const ClientAddress> keep) {
    std::lock_guard lock(m_impl->mutex);
    if (!m_impl->step_done(m_impl->begin_immediate)) return m_impl->db_error();
    std::vector<std::vector<std::uint8_t>> unused;
    {
        Use u(m_impl->select_unused);
        u.integer(1, registered_before.time_since_epoch().count());
        for (;;) {
            const int rc = u.step();
            if (rc == SQLITE_DONE) break;
            if (rc != SQLITE_ROW) {
                m_impl->roll_back();
                return fail(Errc::database_error);
            }
            unused.push_back(u.column_blob(0));
        }
    }
    std::size_t deleted = 0;
    for (const auto& address : unused) {
        const bool in_use = std::any_of(keep.begin(), keep.end(), [&address](const ClientAddress& k) {
            return std::equal(k.bytes.begin(), k.bytes.end(), address.begin(), address.end());
        });
        if (in_use) continue;
        Use u(m_impl->delete_client);
        u.blob(1, address);
        if (u.step() != SQLITE_DONE) {
            m_impl->roll_back();
            return fail(Errc::database_error);
        }
        deleted += static_cast<std::size_t>(sqlite3_changes(m_impl->db));
    }
    if (!m_impl->step_done(m_impl->commit)) {
        m_impl->roll_back();
        return fail(Errc::database_error);
    }
    return deleted;
}

Expected<std::vector<ClientAddress>> MessageStore::registered_clients() {
    std::lock_guard lock(m_impl->mutex);
    std::vector<ClientAddress> out;
    Use u(m_impl->select_clients);
    for (;;) {
        const int rc = u.step();
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) return m_impl->db_error();
        const std::vector<std::uint8_t> bytes = u.column_blob(0);
        if (bytes.size() != 32) return m_impl->db_error();
        ClientAddress a;
        std::copy(bytes.begin(), bytes.end(), a.bytes.begin());
        out.push_back(a);
    }
    return out;
}

} // namespace nym::gateway
