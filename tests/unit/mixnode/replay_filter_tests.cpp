#include <mixnode/replay_filter.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <thread>
#include <vector>

namespace nym::mixnode {
namespace {

sphinx::ReplayTag tag_of(crypto::Rng& rng) {
    sphinx::ReplayTag t;
    rng.fill(t.bytes);
    return t;
}

TEST(BloomParameters, MatchesTheFormula) {
    const auto p = BloomParameters::optimal(1'000'000, 1e-5);
    // m = -n ln p / ln2^2 = 23,962,640.4 bits, rounded up to whole 64-bit words.
    EXPECT_GE(p.bits, 23'962'641u);
    EXPECT_LT(p.bits, 23'962'641u + 64u);
    EXPECT_EQ(p.bits % 64, 0u);
    EXPECT_EQ(p.hash_count, 17u);
    EXPECT_EQ(p.memory_bytes(), p.bits / 8);
    EXPECT_NEAR(p.predicted_fp_rate(1'000'000), 1e-5, 1e-6);
}

TEST(BloomParameters, NymSizing) {
    // nym-node: 2000 packets/s over 25 h at 1e-5 ≈ 540 MB per filter.
    const auto p = BloomParameters::optimal(2000ULL * 25 * 3600, 1e-5);
    EXPECT_NEAR(static_cast<double>(p.memory_bytes()) / 1e6, 539.2, 1.0);
}

TEST(BloomParameters, ClampsNonsense) {
    const auto p = BloomParameters::optimal(0, 2.0);
    EXPECT_GE(p.bits, 64u);
    EXPECT_GE(p.hash_count, 1u);
}

TEST(ReplayFilter, NoFalseNegatives) {
    crypto::DeterministicRng rng(1);
    ReplayFilter filter({.expected_packets_per_epoch = 20'000, .fp_rate = 1e-3}, rng);
    std::vector<sphinx::ReplayTag> tags;
    for (int i = 0; i < 20'000; ++i) {
        tags.push_back(tag_of(rng));
        (void)filter.check_and_insert(tags.back());
    }
    for (const auto& t : tags) {
        EXPECT_TRUE(filter.contains(t));
        EXPECT_TRUE(filter.check_and_insert(t));
    }
    // Still found after one rotation (previous filter), gone after two.
    filter.rotate();
    for (const auto& t : tags) ASSERT_TRUE(filter.check_and_insert(t));
    filter.rotate();
    filter.rotate();
    std::size_t still = 0;
    for (const auto& t : tags) still += filter.contains(t) ? 1U : 0U;
    EXPECT_EQ(still, 0u);
}

TEST(ReplayFilter, FirstSightIsNotAReplaySecondIs) {
    crypto::DeterministicRng rng(2);
    ReplayFilter filter({.expected_packets_per_epoch = 1000, .fp_rate = 1e-5}, rng);
    const auto t = tag_of(rng);
    EXPECT_FALSE(filter.check_and_insert(t));
    EXPECT_TRUE(filter.check_and_insert(t));
    EXPECT_EQ(filter.current_items(), 2u);
    filter.rotate();
    EXPECT_TRUE(filter.check_and_insert(t)); // in the previous epoch's filter
    EXPECT_EQ(filter.memory_bytes(), 2 * filter.parameters().memory_bytes());
}

TEST(ReplayFilter, EmpiricalFalsePositiveRateNearTarget) {
    // A small filter at a measurable rate: n = 10,000 at p = 1e-2, probed with 200,000 fresh tags.
    crypto::DeterministicRng rng(3);
    constexpr double TARGET = 1e-2;
    BloomFilter filter(BloomParameters::optimal(10'000, TARGET), rng);
    for (int i = 0; i < 10'000; ++i) (void)filter.insert(tag_of(rng));
    std::size_t fp = 0;
    constexpr int PROBES = 200'000;
    for (int i = 0; i < PROBES; ++i) fp += filter.contains(tag_of(rng)) ? 1U : 0U;
    const double rate = static_cast<double>(fp) / PROBES;
    RecordProperty("empirical_fp_rate", std::to_string(rate));
    EXPECT_GT(rate, TARGET * 0.7);
    EXPECT_LT(rate, TARGET * 1.3);
}

TEST(ReplayFilter, SharedAcrossThreads) {
    crypto::SystemRng rng;
    ReplayFilter filter({.expected_packets_per_epoch = 100'000, .fp_rate = 1e-5}, rng);
    std::vector<std::vector<sphinx::ReplayTag>> per_thread(4);
    crypto::DeterministicRng tags_rng(4);
    for (auto& v : per_thread)
        for (int i = 0; i < 5000; ++i) v.push_back(tag_of(tags_rng));
    std::vector<std::thread> threads;
    std::vector<int> fresh(4, 0);
    for (std::size_t t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (const auto& tag : per_thread[t]) fresh[t] += filter.check_and_insert(tag) ? 0 : 1;
        });
    for (auto& t : threads) t.join();
    int total = 0;
    for (int f : fresh) total += f;
    EXPECT_GE(total, 19'990); // distinct tags: at most a handful of false positives at 1e-5
    for (const auto& v : per_thread)
        for (const auto& tag : v) ASSERT_TRUE(filter.contains(tag));
}

} // namespace
} // namespace nym::mixnode
