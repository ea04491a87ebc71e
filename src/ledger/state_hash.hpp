#pragma once
// The app hash: a Merkle commitment to the whole state, maintained incrementally in memory
// (docs/protocol/ledger.md, "App hash").
//
// Every state entry (key, value) is a leaf, leaf = SHA-256(0x00 || u32 len(key) || key || value).
// Leaves fall into 2^BUCKET_BITS buckets by the first BUCKET_BITS bits of SHA-256(key); inside a
// bucket they are ordered by SHA-256(key), and
//   bucket = SHA-256(0x01 || leaf_1 || ... || leaf_m)          (SHA-256(0x01) when empty)
//   node   = SHA-256(0x02 || left || right)                    over a complete binary tree of buckets
// The root of that fixed-shape tree is the app hash. Its shape depends only on the set of keys,
// never on the order of updates, so validators that hold the same state agree on the hash; an
// entry can be proven with its bucket's leaves and BUCKET_BITS sibling hashes.
//
// Cost: put/erase hash the key and the leaf (2 SHA-256) and mark a bucket; root() rehashes each
// dirty bucket once and the dirty nodes above it once, however many updates a block made.

#include <ledger/types.hpp>

#include <cstdint>
#include <vector>

namespace nym::ledger {

class StateHash {
public:
    static constexpr unsigned BUCKET_BITS = 16;
    static constexpr std::size_t BUCKETS = std::size_t{1} << BUCKET_BITS;

    StateHash();

    void put(ByteSpan key, ByteSpan value);
    void erase(ByteSpan key);
    /// The current root, bringing dirty buckets and nodes up to date.
    [[nodiscard]] Hash32 root();
    [[nodiscard]] std::size_t size() const noexcept { return m_size; }

private:
    struct Entry {
        Hash32 key_hash;
        Hash32 leaf;
    };
    void mark(std::size_t bucket);
    void allocate();

    std::vector<std::vector<Entry>> m_buckets;
    std::vector<Hash32> m_nodes; ///< heap order: 1 is the root, BUCKETS + b is bucket b
    std::vector<std::uint8_t> m_dirty_flag;
    std::vector<std::size_t> m_dirty;
    std::size_t m_size = 0;
};

} // namespace nym::ledger
