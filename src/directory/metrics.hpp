#pragma once
// The last metric report of each mix node (sans-IO, time passed in). A report is accepted only
// under the identity key its Sphinx key is registered with (PresenceRegistry::mixnode_identity),
// within max_clock_skew of now and newer than the mix's previous report. Reports are kept per
// identity (a node that rotates its Sphinx key keeps one entry), old ones are pruned as new ones
// arrive, and at most max_entries are kept.

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
    std::size_t max_entries = 10'000; ///< as many as the registry's nodes
};

class MetricsStore {
public:
    explicit MetricsStore(MetricsConfig config = {}) : m_config(config) {}

    [[nodiscard]] Expected<void> accept(const wire::directory::MixMetric& metric, const crypto::Ed25519PublicKey& identity_key,
                                        std::int64_t now_ms);
    /// Reports received within `window` of now_ms, ordered by Sphinx key. Older ones are dropped.
    [[nodiscard]] std::vector<wire::directory::MixMetric> recent(std::int64_t now_ms);
    [[nodiscard]] std::size_t size() const noexcept { return m_last.size(); }

private:
    void prune(std::int64_t now_ms);
    struct Entry {
        wire::directory::MixMetric metric;
        std::int64_t received_ms = 0;
    };
    MetricsConfig m_config;
    std::map<std::array<std::uint8_t, crypto::ED25519_PUBLIC_KEY_SIZE>, Entry> m_last; ///< by identity key
    std::int64_t m_last_prune_ms = 0;
};

} // namespace nym::directory
