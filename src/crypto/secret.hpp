#pragma once
// Fixed-size byte types: public values (Array) and secrets that wipe themselves (SecretBytes).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace nym::crypto {

using ByteSpan = std::span<const std::uint8_t>;
using MutableByteSpan = std::span<std::uint8_t>;

/// Overwrites memory in a way the compiler cannot elide (sodium_memzero).
void secure_wipe(void* data, std::size_t size) noexcept;

/// Constant-time equality of two byte strings; different lengths compare unequal (the length is not secret).
[[nodiscard]] bool ct_equal(ByteSpan a, ByteSpan b) noexcept;

/// N bytes of secret material, zeroed on destruction and on move-from. Copyable on purpose (keys
/// are passed by value into long-lived contexts); each copy wipes itself.
template <std::size_t N>
class SecretBytes {
public:
    static constexpr std::size_t SIZE = N;

    SecretBytes() noexcept : m_bytes{} {}
    explicit SecretBytes(std::span<const std::uint8_t, N> bytes) noexcept {
        for (std::size_t i = 0; i < N; ++i) m_bytes[i] = bytes[i];
    }
    SecretBytes(const SecretBytes&) noexcept = default;
    SecretBytes& operator=(const SecretBytes&) noexcept = default;
    SecretBytes(SecretBytes&& other) noexcept : m_bytes(other.m_bytes) { other.wipe(); }
    SecretBytes& operator=(SecretBytes&& other) noexcept {
        if (this != &other) {
            m_bytes = other.m_bytes;
            other.wipe();
        }
        return *this;
    }
    ~SecretBytes() { wipe(); }

    std::span<const std::uint8_t, N> bytes() const noexcept { return m_bytes; }
    std::span<std::uint8_t, N> mutable_bytes() noexcept { return m_bytes; }
    const std::uint8_t* data() const noexcept { return m_bytes.data(); }
    std::uint8_t* data() noexcept { return m_bytes.data(); }
    static constexpr std::size_t size() noexcept { return N; }

    /// Constant-time comparison; there is deliberately no operator==.
    [[nodiscard]] bool ct_equals(const SecretBytes& other) const noexcept { return ct_equal(m_bytes, other.m_bytes); }

    void wipe() noexcept { secure_wipe(m_bytes.data(), N); }

private:
    std::array<std::uint8_t, N> m_bytes;
};

} // namespace nym::crypto
