#include <mixnode/replay_filter.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

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

std::uint64_t load_le64(const std::uint8_t* p) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
    return v;
}

} // namespace

BloomParameters BloomParameters::optimal(std::uint64_t expected_items, double fp_rate) noexcept {
    BloomParameters p;
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

double BloomParameters::predicted_fp_rate(std::uint64_t items) const noexcept {
    if (bits == 0) return 1.0;
    const double k = hash_count;
    return std::pow(1.0 - std::exp(-k * static_cast<double>(items) / static_cast<double>(bits)), k);
}

BloomFilter::BloomFilter(const BloomParameters& params, crypto::Rng& rng)
    : m_params(params), m_words(std::make_unique<std::uint64_t[]>(static_cast<std::size_t>(params.bits / 64))) {
    m_salt[0] = rng.next_u64();
    m_salt[1] = rng.next_u64();
}

BloomFilter::BloomFilter(const BloomParameters& params, std::array<std::uint64_t, 2> salt, std::uint64_t inserted,
                         std::span<const std::uint64_t> words)
    : m_params(params), m_salt(salt),
      m_words(std::make_unique<std::uint64_t[]>(static_cast<std::size_t>(params.bits / 64))), m_inserted(inserted) {
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

bool BloomFilter::contains(const sphinx::ReplayTag& tag) const noexcept {
    const Probe p = probe(tag);
    for (std::uint32_t i = 0; i < m_params.hash_count; ++i) {
        const std::uint64_t bit = (p.h1 + i * p.h2) % m_params.bits;
        if ((m_words[static_cast<std::size_t>(bit / 64)] & (1ULL << (bit % 64))) == 0) return false;
    }
    return true;
}

bool BloomFilter::insert(const sphinx::ReplayTag& tag) noexcept {
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
    ++m_inserted;
    return all_set;
}

void BloomFilter::clear() noexcept {
    std::memset(m_words.get(), 0, static_cast<std::size_t>(m_params.bits / 8));
    m_inserted = 0;
}

ReplayFilter::ReplayFilter(const ReplayFilterConfig& config, crypto::Rng& rng)
    : m_params(BloomParameters::optimal(config.expected_packets_per_epoch, config.fp_rate)),
      m_rng(&rng),
      m_current(std::make_unique<BloomFilter>(m_params, rng)),
      m_previous(std::make_unique<BloomFilter>(m_params, rng)) {}

ReplayFilter::ReplayFilter(const ReplayFilterConfig& config, crypto::Rng& rng, std::unique_ptr<BloomFilter> current,
                           std::unique_ptr<BloomFilter> previous)
    : m_params(BloomParameters::optimal(config.expected_packets_per_epoch, config.fp_rate)), m_rng(&rng),
      m_current(std::move(current)), m_previous(std::move(previous)) {}

bool ReplayFilter::check_and_insert(const sphinx::ReplayTag& tag) {
    const std::lock_guard lock(m_mutex);
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

std::uint64_t ReplayFilter::current_items() const {
    const std::lock_guard lock(m_mutex);
    return m_current->inserted();
}

} // namespace nym::mixnode
