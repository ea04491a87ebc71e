#pragma once
// The ledger's view of durable storage. The ledger keeps a block's writes in memory (its pending
// overlay) and hands them to the store in one batch at Commit, together with the commit point
// (height and app hash), which the store must apply atomically and durably: after a crash the
// store holds either the whole block and its commit point or neither.
//
// Thread safety required of an implementation: get() and scan() may run on any thread
// concurrently with each other and with commit() (CheckTx and Query run beside the consensus
// connection); a get() concurrent with commit() returns the value before or after the batch.
//
// Storage failures (I/O errors, corruption detected by the storage engine) are not input errors:
// an implementation throws StoreError, the ledger marks itself failed, and the process must restart
// (CometBFT then replays the missing blocks through the ABCI handshake).

#include <ledger/types.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <vector>

namespace nym::ledger {

class StoreError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The last committed block: height 0 (and an empty hash) before the first Commit.
struct CommitPoint {
    std::uint64_t height = 0;
    Bytes app_hash;
    friend bool operator==(const CommitPoint&, const CommitPoint&) = default;
};

/// Writes of one block, sorted by key; std::nullopt deletes the key.
using WriteBatch = std::vector<std::pair<Bytes, std::optional<Bytes>>>;

class Store {
public:
    virtual ~Store() = default;
    /// The committed value of a state key.
    [[nodiscard]] virtual std::optional<Bytes> get(ByteSpan key) const = 0;
    /// Every committed state key and value, in key order (the ledger rebuilds its app hash from it at open).
    virtual void scan(const std::function<void(ByteSpan key, ByteSpan value)>& visit) const = 0;
    /// Atomically and durably applies `batch` and records `point` as the last commit.
    virtual void commit(const WriteBatch& batch, const CommitPoint& point) = 0;
    [[nodiscard]] virtual CommitPoint last_commit() const = 0;
};

/// A store in memory, for tests and tools. Thread-safe as required above.
class MemoryStore final : public Store {
public:
    [[nodiscard]] std::optional<Bytes> get(ByteSpan key) const override;
    void scan(const std::function<void(ByteSpan key, ByteSpan value)>& visit) const override;
    void commit(const WriteBatch& batch, const CommitPoint& point) override;
    [[nodiscard]] CommitPoint last_commit() const override;
    [[nodiscard]] std::size_t size() const;

private:
    struct Less {
        using is_transparent = void;
        bool operator()(ByteSpan a, ByteSpan b) const noexcept {
            return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
        }
    };
    mutable std::shared_mutex m_mutex;
    std::map<Bytes, Bytes, Less> m_data;
    CommitPoint m_point;
};

} // namespace nym::ledger
