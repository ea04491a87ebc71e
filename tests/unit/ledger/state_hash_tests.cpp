#include <crypto/hash.hpp>
#include <crypto/rng.hpp>
#include <ledger/state_hash.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace nym::ledger {
namespace {

/// The documented construction, computed from scratch: the reference the incremental tree must match.
Hash32 naive_root(const std::map<Bytes, Bytes>& state) {
    constexpr std::size_t B = StateHash::BUCKETS;
    std::vector<std::vector<std::pair<Hash32, Hash32>>> buckets(B);
    for (const auto& [k, v] : state) {
        const Hash32 kh = crypto::sha256(k);
        Bytes leaf{0x00};
        const auto len = static_cast<std::uint32_t>(k.size());
        for (int i = 3; i >= 0; --i) leaf.push_back(static_cast<std::uint8_t>(len >> (8 * i)));
        leaf.insert(leaf.end(), k.begin(), k.end());
        leaf.insert(leaf.end(), v.begin(), v.end());
        buckets[(std::size_t{kh[0]} << 8) | kh[1]].emplace_back(kh, crypto::sha256(leaf));
    }
    std::vector<Hash32> level(B);
    for (std::size_t b = 0; b < B; ++b) {
        std::sort(buckets[b].begin(), buckets[b].end());
        Bytes buf{0x01};
        for (const auto& [kh, leaf] : buckets[b]) buf.insert(buf.end(), leaf.begin(), leaf.end());
        level[b] = crypto::sha256(buf);
    }
    while (level.size() > 1) {
        std::vector<Hash32> up(level.size() / 2);
        for (std::size_t i = 0; i < up.size(); ++i) {
            Bytes buf{0x02};
            buf.insert(buf.end(), level[2 * i].begin(), level[2 * i].end());
            buf.insert(buf.end(), level[2 * i + 1].begin(), level[2 * i + 1].end());
            up[i] = crypto::sha256(buf);
        }
        level = std::move(up);
    }
    return level[0];
}

Bytes random_bytes(crypto::Rng& rng, std::size_t max) {
    Bytes b(1 + rng.next_u64() % max);
    rng.fill(b);
    return b;
}

TEST(StateHash, EmptyTreeMatchesTheConstruction) {
    StateHash h;
    EXPECT_EQ(h.root(), naive_root({}));
    EXPECT_EQ(h.size(), 0u);
}

TEST(StateHash, IncrementalUpdatesMatchARecomputationFromScratch) {
    crypto::DeterministicRng rng(5);
    StateHash h;
    std::map<Bytes, Bytes> state;
    std::vector<Bytes> keys;
    for (int round = 0; round < 6; ++round) {
        for (int i = 0; i < 300; ++i) {
            const auto op = rng.next_u64() % 4;
            if (op == 0 && !keys.empty()) { // delete
                const Bytes k = keys[rng.next_u64() % keys.size()];
                h.erase(k);
                state.erase(k);
            } else if (op == 1 && !keys.empty()) { // overwrite
                const Bytes k = keys[rng.next_u64() % keys.size()];
                const Bytes v = random_bytes(rng, 40);
                h.put(k, v);
                state[k] = v;
            } else { // insert
                const Bytes k = random_bytes(rng, 60);
                const Bytes v = random_bytes(rng, 200);
                keys.push_back(k);
                h.put(k, v);
                state[k] = v;
            }
        }
        EXPECT_EQ(h.size(), state.size());
        EXPECT_EQ(h.root(), naive_root(state)) << "round " << round;
    }
}

TEST(StateHash, RootDependsOnTheStateNotOnTheOrderOfUpdates) {
    crypto::DeterministicRng rng(6);
    std::vector<std::pair<Bytes, Bytes>> entries;
    for (int i = 0; i < 200; ++i) entries.emplace_back(random_bytes(rng, 30), random_bytes(rng, 30));
    StateHash a, b;
    for (const auto& [k, v] : entries) a.put(k, v);
    std::reverse(entries.begin(), entries.end());
    for (const auto& [k, v] : entries) {
        b.put(k, Bytes{1, 2, 3}); // a detour through other values and a deletion
        b.erase(k);
        b.put(k, v);
    }
    EXPECT_EQ(a.root(), b.root());

    const Hash32 before = a.root();
    a.put(entries[0].first, Bytes{9});
    EXPECT_NE(a.root(), before) << "a changed value changes the root";
    a.put(entries[0].first, entries[0].second);
    EXPECT_EQ(a.root(), before);
    a.erase(entries[1].first);
    EXPECT_NE(a.root(), before);
    a.erase(Bytes{0xde, 0xad}); // absent: no change
    a.put(entries[1].first, entries[1].second);
    EXPECT_EQ(a.root(), before);
}

TEST(StateHash, KeyAndValueBoundariesAreUnambiguous) {
    // (key "ab", value "c") and (key "a", value "bc") must not collide: the key length is hashed.
    StateHash x, y;
    x.put(Bytes{'a', 'b'}, Bytes{'c'});
    y.put(Bytes{'a'}, Bytes{'b', 'c'});
    EXPECT_NE(x.root(), y.root());
}

} // namespace
} // namespace nym::ledger
