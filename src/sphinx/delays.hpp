#pragma once
// Per-hop delays for clients (sphinx-packet src/header/delays.rs, generate_from_average_duration):
// independent exponential samples with the given mean, in whole nanoseconds. The samples come from
// our own inverse-CDF sampler, so they are distributed like the crate's but not bit-identical.

#include <crypto/rng.hpp>
#include <sphinx/types.hpp>

#include <cstddef>
#include <vector>

namespace nym::sphinx {

/// One sample of Exp(1/mean), rounded to nanoseconds; a zero mean gives zero. Saturates at 2^64 − 1.
[[nodiscard]] Delay sample_exponential_delay(crypto::Rng& rng, Delay mean);

/// `count` independent samples (Nym draws one per hop; the last hop's is never encoded).
[[nodiscard]] std::vector<Delay> generate_delays(crypto::Rng& rng, std::size_t count, Delay mean);

} // namespace nym::sphinx
