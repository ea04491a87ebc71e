#include <crypto/hash.hpp>
#include <ledger/state_hash.hpp>

#include <algorithm>

namespace nym::ledger {
namespace {

constexpr std::uint8_t LEAF_TAG = 0x00;
constexpr std::uint8_t BUCKET_TAG = 0x01;
constexpr std::uint8_t NODE_TAG = 0x02;

Hash32 node_hash(const Hash32& left, const Hash32& right) {
    std::array<std::uint8_t, 65> buf{};
    buf[0] = NODE_TAG;
    std::copy(left.begin(), left.end(), buf.begin() + 1);
    std::copy(right.begin(), right.end(), buf.begin() + 33);
    return crypto::sha256(buf);
}

std::size_t bucket_of(const Hash32& key_hash) {
    static_assert(StateHash::BUCKET_BITS == 16);
    return (std::size_t{key_hash[0]} << 8) | key_hash[1];
}

bool by_key_hash(const Hash32& a, const Hash32& b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

} // namespace

namespace {

/// Hashes of the empty tree, level by level: [0] an empty bucket, [BUCKET_BITS] the empty root.
const std::array<Hash32, StateHash::BUCKET_BITS + 1>& empty_levels() {
    static const auto levels = [] {
        std::array<Hash32, StateHash::BUCKET_BITS + 1> out{};
        const std::uint8_t tag = BUCKET_TAG;
        out[0] = crypto::sha256(ByteSpan(&tag, 1));
        for (std::size_t l = 1; l < out.size(); ++l) out[l] = node_hash(out[l - 1], out[l - 1]);
        return out;
    }();
    return levels;
}

} // namespace

StateHash::StateHash() = default;

void StateHash::allocate() {
    // The arrays (about 5.5 MiB) are made on the first write, so an empty tree costs nothing.
    m_buckets.resize(BUCKETS);
    m_dirty_flag.assign(BUCKETS, 0);
    m_nodes.resize(2 * BUCKETS);
    const auto& levels = empty_levels();
    std::size_t level = 0;
    for (std::size_t width = BUCKETS; width >= 1; width /= 2, ++level) {
        std::fill(m_nodes.begin() + static_cast<std::ptrdiff_t>(width),
                  m_nodes.begin() + static_cast<std::ptrdiff_t>(2 * width), levels[level]);
    }
}

void StateHash::mark(std::size_t bucket) {
    if (!m_dirty_flag[bucket]) {
        m_dirty_flag[bucket] = 1;
        m_dirty.push_back(bucket);
    }
}

void StateHash::put(ByteSpan key, ByteSpan value) {
    Entry e;
    e.key_hash = crypto::sha256(key);
    // leaf = SHA-256(0x00 || u32 len(key) || key || value); small entries hash from the stack.
    const std::size_t size = 1 + 4 + key.size() + value.size();
    std::array<std::uint8_t, 256> small{};
    Bytes large;
    std::uint8_t* buf = small.data();
    if (size > small.size()) {
        large.resize(size);
        buf = large.data();
    }
    buf[0] = LEAF_TAG;
    const auto len = static_cast<std::uint32_t>(key.size());
    for (std::size_t i = 0; i < 4; ++i) buf[1 + i] = static_cast<std::uint8_t>(len >> (8 * (3 - i)));
    std::copy(key.begin(), key.end(), buf + 5);
    std::copy(value.begin(), value.end(), buf + 5 + key.size());
    e.leaf = crypto::sha256(ByteSpan(buf, size));

    if (m_nodes.empty()) allocate();
    const std::size_t b = bucket_of(e.key_hash);
    auto& entries = m_buckets[b];
    auto it = std::lower_bound(entries.begin(), entries.end(), e.key_hash,
                               [](const Entry& x, const Hash32& h) { return by_key_hash(x.key_hash, h); });
    if (it != entries.end() && it->key_hash == e.key_hash) {
        if (it->leaf == e.leaf) return;
        it->leaf = e.leaf;
    } else {
        entries.insert(it, e);
        ++m_size;
    }
    mark(b);
}

void StateHash::erase(ByteSpan key) {
    if (m_nodes.empty()) return;
    const Hash32 kh = crypto::sha256(key);
    const std::size_t b = bucket_of(kh);
    auto& entries = m_buckets[b];
    auto it = std::lower_bound(entries.begin(), entries.end(), kh,
                               [](const Entry& x, const Hash32& h) { return by_key_hash(x.key_hash, h); });
    if (it == entries.end() || it->key_hash != kh) return;
    entries.erase(it);
    --m_size;
    mark(b);
}

Hash32 StateHash::root() {
    if (m_nodes.empty()) return empty_levels()[BUCKET_BITS];
    if (m_dirty.empty()) return m_nodes[1];
    Bytes buf;
    for (std::size_t b : m_dirty) {
        const auto& entries = m_buckets[b];
        buf.clear();
        buf.reserve(1 + 32 * entries.size());
        buf.push_back(BUCKET_TAG);
        for (const auto& e : entries) buf.insert(buf.end(), e.leaf.begin(), e.leaf.end());
        m_nodes[BUCKETS + b] = crypto::sha256(buf);
        m_dirty_flag[b] = 0;
    }
    // Walk up level by level; sorted indices make parents adjacent, so each is hashed once.
    std::vector<std::size_t> level;
    level.reserve(m_dirty.size());
    for (std::size_t b : m_dirty) level.push_back(BUCKETS + b);
    m_dirty.clear();
    std::sort(level.begin(), level.end());
    while (level.front() > 1) {
        std::size_t out = 0;
        for (std::size_t i = 0; i < level.size(); ++i) {
            const std::size_t parent = level[i] / 2;
            if (out > 0 && level[out - 1] == parent) continue;
            m_nodes[parent] = node_hash(m_nodes[2 * parent], m_nodes[2 * parent + 1]);
            level[out++] = parent;
        }
        level.resize(out);
    }
    return m_nodes[1];
}

} // namespace nym::ledger
