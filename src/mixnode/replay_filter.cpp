#include <mixnode/replay_filter.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <sys/mman.h>
#include <utility>

namespace nym::mixnode {
namespace {

constexpr double LN2 = 0.69314718055994530942;

// splitmix64's finaliser: a bijective mix so that the salt changes every output bit.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/// The high 64 bits of a · b.
std::uint64_t mul_high(std::uint64_t a, std::uint64_t b) noexcept {
    __extension__ typedef unsigned __int128 U128;
    return static_cast<std::uint64_t>((static_cast<U128>(a) * b) >> 64);
}

std::uint64_t load_le64(const std::uint8_t* p) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
    return v;
}

/// (1 − (1 − 1/512)^(i·k))^k averaged over a Poisson(λ) number i of tags in the block.
double blocked_fp(double lambda, std::uint32_t k) noexcept {
    const double kk = k;
    const double miss_one = std::log1p(-1.0 / static_cast<double>(BLOOM_BLOCK_BITS)); // ln(1 − 1/512)
    const double spread = 12.0 * std::sqrt(lambda) + 30.0;
    const auto lo = static_cast<std::uint64_t>(std::max(0.0, std::floor(lambda - spread)));
    const auto hi = static_cast<std::uint64_t>(std::ceil(lambda + spread));
    double sum = 0;
    for (std::uint64_t i = lo; i <= hi; ++i) {
        const double x = static_cast<double>(i);
        const double log_pois = x * std::log(lambda) - lambda - std::lgamma(x + 1.0);
        const double set = 1.0 - std::exp(x * kk * miss_one); // a given bit is set after i tags
        if (set <= 0) continue;
        sum += std::exp(log_pois + kk * std::log(set));
    }
    return sum;
}

/// The k in [1, 64] with the lowest blocked FP rate at λ tags per block, and that rate.
std::pair<std::uint32_t, double> best_blocked_k(double lambda) noexcept {
    std::uint32_t best_k = 1;
    double best = blocked_fp(lambda, 1);
    for (std::uint32_t k = 2; k <= 64; ++k) {
        const double fp = blocked_fp(lambda, k);
        if (fp >= best) break; // unimodal in k
        best = fp;
        best_k = k;
    }
    return {best_k, best};
}

} // namespace

BloomParameters BloomParameters::classic(std::uint64_t expected_items, double fp_rate) noexcept {
    BloomParameters p;
    p.layout = BloomLayout::classic;
    p.expected_items = std::max<std::uint64_t>(expected_items, 1);
    p.fp_rate = std::clamp(fp_rate, 1e-12, 0.5);
    const double n = static_cast<double>(p.expected_items);
    const double m = std::ceil(-n * std::log(p.fp_rate) / (LN2 * LN2));
    const auto words = static_cast<std::uint64_t>(std::ceil(m / 64.0));
    p.bits = std::max<std::uint64_t>(words, 1) * 64;
    const double k = std::round(static_cast<double>(p.bits) / n * LN2);
    p.hash_count = static_cast<std::uint32_t>(std::clamp(k, 1.0, 64.0));
    return p;
}

BloomParameters BloomParameters::blocked(std::uint64_t expected_items, double fp_rate) noexcept {
    BloomParameters p;
    p.layout = BloomLayout::blocked;
    p.expected_items = std::max<std::uint64_t>(expected_items, 1);
    p.fp_rate = std::clamp(fp_rate, 1e-12, 0.5);
    const double n = static_cast<double>(p.expected_items);
    const auto fits = [&](std::uint64_t blocks) {
        return best_blocked_k(n / static_cast<double>(blocks)).second <= p.fp_rate;
    };
    // The classic size is a lower bound (blocking only adds variance); double until it fits, then
    // bisect to the fewest blocks that do.
    std::uint64_t lo = std::max<std::uint64_t>(1, classic(expected_items, fp_rate).bits / BLOOM_BLOCK_BITS);
    std::uint64_t hi = lo;
    while (!fits(hi)) {
        lo = hi;
        hi *= 2;
    }
    if (hi != lo || !fits(lo)) {
        while (hi - lo > 1) {
            const std::uint64_t mid = lo + (hi - lo) / 2;
            (fits(mid) ? hi : lo) = mid;
        }
        if (fits(lo)) hi = lo;
    }
    p.bits = hi * BLOOM_BLOCK_BITS;
    p.hash_count = best_blocked_k(n / static_cast<double>(hi)).first;
    return p;
}

double BloomParameters::predicted_fp_rate(std::uint64_t items) const noexcept {
    if (bits == 0) return 1.0;
    if (layout == BloomLayout::blocked) {
        const double blocks = static_cast<double>(bits / BLOOM_BLOCK_BITS);
        return blocked_fp(static_cast<double>(items) / blocks, hash_count);
    }
    const double k = hash_count;
    return std::pow(1.0 - std::exp(-k * static_cast<double>(items) / static_cast<double>(bits)), k);
}

void BloomFilter::FreeWords::operator()(std::uint64_t* p) const noexcept {
    std::free(p);
}

namespace {

std::unique_ptr<std::uint64_t[], BloomFilter::FreeWords> allocate_words(std::uint64_t bits) {
    // A filter of a few MB or more sits in 2 MiB pages where the kernel has them (transparent huge
    // pages): a lookup then costs one cache miss and rarely a TLB miss (with 4 KiB pages, a random
    // block of a 33 MB filter is almost always a TLB miss too, i.e. a page walk before the miss).
    // aligned_alloc needs a size that is a multiple of the alignment.
    const std::size_t wanted = std::max<std::size_t>(static_cast<std::size_t>(bits / 8), 64);
    const std::size_t align = wanted >= HUGE_PAGE ? HUGE_PAGE : 64;
    const std::size_t bytes = (wanted + align - 1) / align * align;
    auto* words = static_cast<std::uint64_t*>(std::aligned_alloc(align, bytes));
    if (words == nullptr) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    if (align == HUGE_PAGE) (void)::madvise(words, bytes, MADV_HUGEPAGE); // advice only: 4 KiB pages work too
#endif
    std::memset(words, 0, bytes);
    return std::unique_ptr<std::uint64_t[], BloomFilter::FreeWords>(words);
}

} // namespace

BloomFilter::BloomFilter(const BloomParameters& params, crypto::Rng& rng)
    : m_params(params), m_words(allocate_words(params.bits)) {
    m_salt[0] = rng.next_u64();
    m_salt[1] = rng.next_u64();
}

BloomFilter::BloomFilter(const BloomParameters& params, std::array<std::uint64_t, 2> salt, std::uint64_t inserted,
                         std::span<const std::uint64_t> words)
    : m_params(params), m_salt(salt), m_words(allocate_words(params.bits)), m_inserted(inserted) {
    std::memcpy(m_words.get(), words.data(), std::min(words.size(), static_cast<std::size_t>(params.bits / 64)) * 8);
}

BloomFilter::Probe BloomFilter::probe(const sphinx::ReplayTag& tag) const noexcept {
    const std::uint8_t* t = tag.bytes.data();
    // All 32 tag bytes feed the two words, so tags differing anywhere probe differently.
    const std::uint64_t a = load_le64(t) ^ load_le64(t + 16);
    const std::uint64_t b = load_le64(t + 8) ^ load_le64(t + 24);
    // An odd step keeps the k probes distinct whenever m is a power of two; otherwise harmless.
    return {mix64(a ^ m_salt[0]), mix64(b ^ m_salt[1]) | 1U};
}

BloomFilter::Block BloomFilter::block_of(const sphinx::ReplayTag& tag) const noexcept {
    const Probe p = probe(tag);
    const std::uint64_t blocks = m_params.bits / BLOOM_BLOCK_BITS;
    // The high word of h1 · blocks: uniform in [0, blocks) without a division.
    const std::uint64_t index = mul_high(p.h1, blocks);
    Block block{m_words.get() + index * BLOOM_BLOCK_WORDS, {}};
    // Seven 9-bit positions per 64-bit word, the word stretched by splitmix64 steps as needed.
    std::uint64_t bits = p.h2;
    std::uint32_t left = 7;
    for (std::uint32_t i = 0; i < m_params.hash_count; ++i) {
        if (left == 0) {
            bits = mix64(bits + 0x9e3779b97f4a7c15ULL);
            left = 7;
        }
        const auto position = static_cast<std::uint32_t>(bits & (BLOOM_BLOCK_BITS - 1));
        bits >>= 9;
        --left;
        block.mask[position / 64] |= 1ULL << (position % 64);
    }
    return block;
}

void BloomFilter::prefetch(const sphinx::ReplayTag& tag) const noexcept {
    if (m_params.layout != BloomLayout::blocked) return;
    const Probe p = probe(tag);
    __builtin_prefetch(m_words.get() + mul_high(p.h1, m_params.bits / BLOOM_BLOCK_BITS) * BLOOM_BLOCK_WORDS, 1);
}

bool BloomFilter::contains(const sphinx::ReplayTag& tag) const noexcept {
    if (m_params.layout == BloomLayout::classic) return contains_classic(tag);
    const Block b = block_of(tag);
    std::uint64_t missing = 0;
    for (std::size_t w = 0; w < BLOOM_BLOCK_WORDS; ++w) missing |= b.mask[w] & ~b.words[w];
    return missing == 0;
}

bool BloomFilter::insert(const sphinx::ReplayTag& tag) noexcept {
    ++m_inserted;
    if (m_params.layout == BloomLayout::classic) return insert_classic(tag);
    const Block b = block_of(tag);
    std::uint64_t missing = 0;
    for (std::size_t w = 0; w < BLOOM_BLOCK_WORDS; ++w) {
        missing |= b.mask[w] & ~b.words[w];
        b.words[w] |= b.mask[w];
    }
    return missing == 0;
}

bool BloomFilter::contains_classic(const sphinx::ReplayTag& tag) const noexcept {
    const Probe p = probe(tag);
    for (std::uint32_t i = 0; i < m_params.hash_count; ++i) {
        const std::uint64_t bit = (p.h1 + i * p.h2) % m_params.bits;
        if ((m_words[static_cast<std::size_t>(bit / 64)] & (1ULL << (bit % 64))) == 0) return false;
    }
    return true;
}

bool BloomFilter::insert_classic(const sphinx::ReplayTag& tag) noexcept {
    const Probe p = probe(tag);
    bool all_set = true;
    for (std::uint32_t i = 0; i < m_params.hash_count; ++i) {
        const std::uint64_t bit = (p.h1 + i * p.h2) % m_params.bits;
        std::uint64_t& word = m_words[static_cast<std::size_t>(bit / 64)];
        const std::uint64_t mask = 1ULL << (bit % 64);
        if ((word & mask) == 0) {
            all_set = false;
            word |= mask;
        }
    }
    return all_set;
}

void BloomFilter::clear() noexcept {
    std::memset(m_words.get(), 0, static_cast<std::size_t>(m_params.bits / 8));
    m_inserted = 0;
}

ReplayFilter::ReplayFilter(const ReplayFilterConfig& config, crypto::Rng& rng)
    : m_params(BloomParameters::blocked(config.expected_packets_per_epoch, config.fp_rate)), m_rng(&rng),
      m_current(std::make_unique<BloomFilter>(m_params, rng)),
      m_previous(std::make_unique<BloomFilter>(m_params, rng)) {}

ReplayFilter::ReplayFilter(const ReplayFilterConfig& config, crypto::Rng& rng, std::unique_ptr<BloomFilter> current,
                           std::unique_ptr<BloomFilter> previous)
    : m_params(BloomParameters::blocked(config.expected_packets_per_epoch, config.fp_rate)), m_rng(&rng),
      m_current(std::move(current)), m_previous(std::move(previous)) {}

bool ReplayFilter::check_and_insert(const sphinx::ReplayTag& tag) {
    const std::lock_guard lock(m_mutex);
    m_current->prefetch(tag); // both blocks' cache misses overlap
    m_previous->prefetch(tag);
    if (m_previous->contains(tag)) return true;
    return m_current->insert(tag);
}

bool ReplayFilter::contains(const sphinx::ReplayTag& tag) const {
    const std::lock_guard lock(m_mutex);
    return m_current->contains(tag) || m_previous->contains(tag);
}

void ReplayFilter::rotate() {
    // The fresh filter (new salt) is allocated and zeroed before taking the lock, so checks are not
    // stalled; for that moment three filters exist.
    auto fresh = std::make_unique<BloomFilter>(m_params, *m_rng);
    const std::lock_guard lock(m_mutex);
    m_previous = std::move(m_current);
    m_current = std::move(fresh);
}

std::size_t ReplayFilter::memory_bytes() const {
    const std::lock_guard lock(m_mutex);
    return m_current->parameters().memory_bytes() + m_previous->parameters().memory_bytes();
}

std::uint64_t ReplayFilter::current_items() const {
    const std::lock_guard lock(m_mutex);
    return m_current->inserted();
}

} // namespace nym::mixnode
