#pragma once
// Randomness is injected: libraries take an Rng&, daemons pass the system RNG, tests a seeded one.

#include <crypto/secret.hpp>

#include <array>
#include <cstdint>
#include <span>

namespace nym::crypto {

class Rng {
public:
    virtual ~Rng() = default;
    virtual void fill(std::span<std::uint8_t> out) = 0;

    std::uint64_t next_u64() {
        std::array<std::uint8_t, 8> b{};
        fill(b);
        std::uint64_t v = 0;
        for (std::uint8_t x : b) v = (v << 8) | x;
        return v;
    }
    /// Uniform double in [0, 1) with 53 bits of randomness.
    double next_unit_double() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
};

/// The operating system's CSPRNG (libsodium randombytes_buf, getrandom(2) underneath).
class SystemRng final : public Rng {
public:
    void fill(std::span<std::uint8_t> out) override;
};

/// A deterministic stream for tests and reproducible simulations: ChaCha20 keystream of the seed.
/// Never use it for keys that leave a test.
class DeterministicRng final : public Rng {
public:
    explicit DeterministicRng(std::uint64_t seed) noexcept;
    explicit DeterministicRng(std::span<const std::uint8_t, 32> seed) noexcept;
    void fill(std::span<std::uint8_t> out) override;

private:
    SecretBytes<32> m_key;
    std::uint64_t m_block = 0;
};

/// The process-wide system RNG (stateless, thread-safe).
Rng& system_rng() noexcept;

} // namespace nym::crypto
