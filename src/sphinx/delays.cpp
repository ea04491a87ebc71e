#include <sphinx/delays.hpp>

#include <cmath>

namespace nym::sphinx {

Delay sample_exponential_delay(crypto::Rng& rng, Delay mean) {
    if (mean.nanos() == 0) return Delay(0);
    // 1 − u lies in (0, 1], so the logarithm is finite: at most 53 · ln 2 ≈ 36.7 means.
    const double u = rng.next_unit_double();
    const double sample = -std::log1p(-u) * static_cast<double>(mean.nanos());
    constexpr double LIMIT = 18446744073709549568.0; // the largest double below 2^64
    if (!(sample < LIMIT)) return Delay(~std::uint64_t{0});
    return Delay(static_cast<std::uint64_t>(std::round(sample)));
}

std::vector<Delay> generate_delays(crypto::Rng& rng, std::size_t count, Delay mean) {
    std::vector<Delay> delays;
    delays.reserve(count);
    for (std::size_t i = 0; i < count; ++i) delays.push_back(sample_exponential_delay(rng, mean));
    return delays;
}

} // namespace nym::sphinx
