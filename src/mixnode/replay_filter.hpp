#pragma once
// Replay protection of the mix node (docs/protocol/framing.md "Replay protection"; Nym does the same
// in nym-node/src/node/replay_protection, PR #5682): a Bloom filter over the 32-byte replay tag that
// the Sphinx library derives from a packet's shared secret. A node sees the same tag exactly when it
// sees the same α again, i.e. a replayed packet.
//
// Layout: a *blocked* Bloom filter (Putze, Sanders, Singler 2007). The tag picks one 64-byte block
// (one cache line) and sets k bits inside it, so a lookup costs one memory access instead of k
// scattered ones. Blocks fill unevenly (Poisson), which raises the false-positive rate at a given
// size, so the filter is sized with the blocked formula, for n expected tags and a target rate p:
//   FP(n) = Σ_i Pois(i; λ) · (1 − (1 − 1/512)^(i·k))^k,   λ = n / blocks (tags per block);
//   blocks = the fewest with FP(n) ≤ p at the best k. At p = 1e-5 that is ≈ 29.5 bits (3.7 bytes)
//   and k = 14 per expected tag, 23 % more than the classic layout's 23.96 bits for the same p.
// The classic layout (k probes anywhere in the array: m = ceil(−n · ln p / (ln 2)²) bits,
// k = round(m / n · ln 2), FP ≈ (1 − e^(−k·n/m))^k) is still read from replay states saved before
// the blocked one existed, and used until those filters rotate away. The memory is allocated once,
// up front, and never grows; inserting more than n tags only raises the FP rate.
//
// A false positive drops an honest packet (it looks replayed); a false negative would let a replay
// through, and cannot happen while the filter holding the tag is alive.
//
// Rotation: tags are only comparable under one Sphinx key, so the filters follow the key epochs:
// `rotate()` (called when the node's Sphinx key rotates) turns the current filter into the previous
// one and starts a fresh current filter. A tag is a replay if either filter holds it, which covers
// the overlap while packets built for the old key still arrive. Memory = 2 filters.
//
// Bit positions: two 64-bit words taken from the tag, each mixed with a random per-filter salt (the
// tag is a SHA-256 output, and the secret salt stops a sender who knows its packets' tags from
// aiming them at chosen bits offline): the first picks the block, the second (stretched by
// splitmix64 steps) the k 9-bit positions in it. The classic layout probes by double hashing of the
// same two words.

#include <crypto/rng.hpp>
#include <sphinx/types.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>

namespace nym::mixnode {

inline constexpr double DEFAULT_REPLAY_FP_RATE = 1e-5; ///< as nym-node

/// How a filter spreads a tag's bits (saved with each filter in the replay state).
enum class BloomLayout : std::uint8_t {
    classic = 0, ///< k probes anywhere in the array (replay states saved before the blocked layout)
    blocked = 1, ///< k bits inside one 512-bit block (one cache line); what new filters use
};

inline constexpr std::size_t BLOOM_BLOCK_BITS = 512;
inline constexpr std::size_t BLOOM_BLOCK_WORDS = BLOOM_BLOCK_BITS / 64;
/// Filters of at least this size are allocated on this alignment and advised into huge pages.
inline constexpr std::size_t HUGE_PAGE = 2U << 20;

struct BloomParameters {
    BloomLayout layout = BloomLayout::blocked;
    std::uint64_t expected_items = 0;
    double fp_rate = DEFAULT_REPLAY_FP_RATE;
    std::uint64_t bits = 0;       ///< m: a multiple of 64 (classic) or of 512 (blocked)
    std::uint32_t hash_count = 0; ///< k

    /// The smallest blocked filter (and its best k) whose FP rate after n items is at most p (n ≥ 1,
    /// 0 < p < 1; out-of-range inputs are clamped to that).
    [[nodiscard]] static BloomParameters blocked(std::uint64_t expected_items, double fp_rate) noexcept;
    /// m and k of the classic layout for n items at FP rate p (the standard optimum).
    [[nodiscard]] static BloomParameters classic(std::uint64_t expected_items, double fp_rate) noexcept;
    [[nodiscard]] static BloomParameters of(BloomLayout layout, std::uint64_t expected_items, double fp_rate) noexcept {
        return layout == BloomLayout::classic ? classic(expected_items, fp_rate) : blocked(expected_items, fp_rate);
    }
    [[nodiscard]] std::size_t memory_bytes() const noexcept { return static_cast<std::size_t>(bits / 8); }
    /// The FP rate after `items` insertions, by the layout's formula (above).
    [[nodiscard]] double predicted_fp_rate(std::uint64_t items) const noexcept;
};

/// One Bloom filter over replay tags, of either layout. Not synchronised.
class BloomFilter {
public:
    BloomFilter(const BloomParameters& params, crypto::Rng& rng);
    /// A filter as saved: its salt, insertion count and params.bits / 64 words of bits.
    BloomFilter(const BloomParameters& params, std::array<std::uint64_t, 2> salt, std::uint64_t inserted,
                std::span<const std::uint64_t> words);

    /// Starts loading the block `tag` falls into (blocked layout; a no-op for classic filters).
    void prefetch(const sphinx::ReplayTag& tag) const noexcept;
    [[nodiscard]] bool contains(const sphinx::ReplayTag& tag) const noexcept;
    /// Inserts; returns true if every bit was already set (the tag was, or looks, already present).
    bool insert(const sphinx::ReplayTag& tag) noexcept;
    void clear() noexcept;

    [[nodiscard]] const BloomParameters& parameters() const noexcept { return m_params; }
    [[nodiscard]] std::uint64_t inserted() const noexcept { return m_inserted; }
    [[nodiscard]] const std::array<std::uint64_t, 2>& salt() const noexcept { return m_salt; }
    [[nodiscard]] std::span<const std::uint64_t> words() const noexcept {
        return {m_words.get(), static_cast<std::size_t>(m_params.bits / 64)};
    }

    /// Frees the filter's (aligned) words.
    struct FreeWords {
        void operator()(std::uint64_t* p) const noexcept;
    };

private:
    /// The block a tag falls into and the bits it sets there (blocked layout).
    struct Block {
        std::uint64_t* words;
        std::array<std::uint64_t, BLOOM_BLOCK_WORDS> mask;
    };
    [[nodiscard]] Block block_of(const sphinx::ReplayTag& tag) const noexcept;
    struct Probe {
        std::uint64_t h1;
        std::uint64_t h2;
    };
    [[nodiscard]] Probe probe(const sphinx::ReplayTag& tag) const noexcept;
    [[nodiscard]] bool contains_classic(const sphinx::ReplayTag& tag) const noexcept;
    bool insert_classic(const sphinx::ReplayTag& tag) noexcept;

    BloomParameters m_params;
    std::array<std::uint64_t, 2> m_salt{};
    std::unique_ptr<std::uint64_t[], FreeWords> m_words; ///< 64-byte aligned: a block is one cache line
    std::uint64_t m_inserted = 0;
};

struct ReplayFilterConfig {
    /// Tags expected per key epoch: packets per second × epoch length (nym-node: 2000/s × 25 h).
    std::uint64_t expected_packets_per_epoch = 200ULL * 3600ULL;
    double fp_rate = DEFAULT_REPLAY_FP_RATE;
};

/// Current + previous Bloom filter, guarded by one mutex so that worker threads can share it (a
/// check-and-insert touches one cache line per filter, a few hundred nanoseconds next to a Sphinx
/// unwrap of tens of microseconds). All other mixnode state is per thread.
class ReplayFilter {
public:
    /// Two empty blocked filters. `rng` salts each filter; it must outlive this object (rotate()
    /// draws from it).
    ReplayFilter(const ReplayFilterConfig& config, crypto::Rng& rng);
    /// Filters restored from a saved state (their parameters must be those `config` gives for their
    /// layout; classic filters serve until they rotate away, fresh ones are blocked).
    ReplayFilter(const ReplayFilterConfig& config, crypto::Rng& rng, std::unique_ptr<BloomFilter> current,
                 std::unique_ptr<BloomFilter> previous);

    /// Calls `visit(current, previous)` under the lock (to save them).
    template <class Visit>
    void visit(Visit&& visit) const {
        const std::lock_guard lock(m_mutex);
        visit(*m_current, *m_previous);
    }

    /// True if the tag was seen before in this or the previous epoch (then the packet must be
    /// dropped); otherwise records it and returns false. Atomic with respect to other callers.
    [[nodiscard]] bool check_and_insert(const sphinx::ReplayTag& tag);
    /// Read-only membership test (no insertion).
    [[nodiscard]] bool contains(const sphinx::ReplayTag& tag) const;
    /// The key epoch changed: previous := current, current := empty (new salt).
    void rotate();

    /// The parameters of the filters rotate() creates (blocked).
    [[nodiscard]] const BloomParameters& parameters() const noexcept { return m_params; }
    /// Both filters, allocated at construction: 2 × parameters().memory_bytes() once both are blocked.
    [[nodiscard]] std::size_t memory_bytes() const;
    [[nodiscard]] std::uint64_t current_items() const;

private:
    BloomParameters m_params;
    crypto::Rng* m_rng;
    mutable std::mutex m_mutex;
    std::unique_ptr<BloomFilter> m_current;
    std::unique_ptr<BloomFilter> m_previous;
};

} // namespace nym::mixnode
