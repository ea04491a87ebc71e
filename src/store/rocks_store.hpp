#pragma once
// The ledger's durable state on RocksDB (nym::ledger::Store). One RocksDB database per validator
// app; each Commit is one WriteBatch written with sync = true that carries the block's state
// changes and the new commit point (height, app hash) together, so after a crash the database holds
// a whole block or none of it, and Info reports exactly what the state is.
//
// Layout (docs/protocol/ledger.md, "Storage"): state key k is stored as 'S' || k; the commit point
// as 'M' "height" (u64 big-endian) and 'M' "app_hash"; 'M' "format" names the layout version.
// No RocksDB header leaks out of rocks_store.cpp.

#include <ledger/store.hpp>
#include <util/expected.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

namespace nym::store {

enum class Errc {
    open_failed = 1, ///< RocksDB refused to open or create the database (the reason is in the text)
    wrong_format,    ///< a database of another layout version, or not a ledger database
};
const std::error_category& store_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), store_category()};
}

/// The layout version written to 'M' "format".
inline constexpr std::string_view FORMAT = "nym-ledger-store-1";

struct RocksStoreOptions {
    bool create_if_missing = true;
    /// fsync the write-ahead log at every commit. Only tests and benchmarks turn it off.
    bool sync = true;
    std::size_t block_cache_bytes = 64u << 20;
};

class RocksStore final : public ledger::Store {
public:
    /// Opens (or creates) the database in `dir`. On failure `error_text`, if given, receives
    /// RocksDB's reason.
    static Expected<std::unique_ptr<RocksStore>> open(const std::filesystem::path& dir, RocksStoreOptions options = {},
                                                      std::string* error_text = nullptr);
    ~RocksStore() override;
    RocksStore(const RocksStore&) = delete;
    RocksStore& operator=(const RocksStore&) = delete;

    /// These throw ledger::StoreError when RocksDB reports an I/O error or corruption.
    [[nodiscard]] std::optional<ledger::Bytes> get(ledger::ByteSpan key) const override;
    void scan(const std::function<void(ledger::ByteSpan key, ledger::ByteSpan value)>& visit) const override;
    void commit(const ledger::WriteBatch& batch, const ledger::CommitPoint& point) override;
    [[nodiscard]] ledger::CommitPoint last_commit() const override;

private:
    struct Impl;
    explicit RocksStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace nym::store

template <>
struct std::is_error_code_enum<nym::store::Errc> : std::true_type {};
