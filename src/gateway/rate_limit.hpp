#pragma once
// Token buckets for events that cost the gateway (a registration: a signature check on the store
// serial and a durable write), per key (an IP address) and in total. Sans-IO: time comes in as a
// value. Single owner: the daemon's I/O thread (ClientHub).

#include <gateway/client_registry.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace nym::gateway {

class RateLimiter {
public:
    /// `per_minute` events per key (bursts up to that many), `total_per_minute` for all keys
    /// together; at most `max_keys` keys are tracked (beyond, new keys are refused until some refill).
    RateLimiter(std::uint32_t per_minute, std::uint32_t total_per_minute, std::size_t max_keys = 65'536);

    /// True (and one token taken from the key's and the total bucket) when the event may happen.
    [[nodiscard]] bool allow(std::string_view key, UnixSeconds now);
    [[nodiscard]] std::size_t tracked() const noexcept { return m_buckets.size(); }

private:
    struct Bucket {
        double tokens = 0;
        UnixSeconds at{};
    };
    static void refill(Bucket& b, double capacity, UnixSeconds now);
    void forget_full(UnixSeconds now);

    double m_per_key;
    double m_total_capacity;
    std::size_t m_max_keys;
    Bucket m_total;
    std::map<std::string, Bucket, std::less<>> m_buckets;
};

} // namespace nym::gateway
