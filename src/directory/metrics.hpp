#pragma once
// The last metric report of each mix node (sans-IO, time passed in). A report is accepted only
// under the identity key its Sphinx key is registered with (PresenceRegistry::mixnode_identity),
// within max_clock_skew of now and newer than the mix's previous report.

#include <directory/errors.hpp>
#include <wire/directory.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <vector>

namespace nym::directory {

struct MetricsConfig {
    std::chrono::milliseconds window{3'000}; ///< GET returns reports received this recently (as the original)
    std::chrono::milliseconds max_clock_skew{60'000};
};

class MetricsStore {
public:
    explicit MetricsStore(MetricsConfig config = {}) : m_config(config) {}

    [[nodiscard]] Expected<void> accept(const wire::directory::MixMetric& metric, const crypto::Ed25519PublicKey& identity_key,
                                        std::int64_t now_ms);
    /// Reports received within `window` of now_ms, ordered by Sphinx key. Older ones are dropped.
    [[nodiscard]] std::vector<wire::directory::MixMetric> recent(std::int64_t now_ms);

private:
    struct Entry {
        wire::directory::MixMetric metric;
        std::int64_t received_ms = 0;
    };
    MetricsConfig m_config;
    std::map<std::array<std::uint8_t, crypto::X25519_KEY_SIZE>, Entry> m_last;
};

} // namespace nym::directory
