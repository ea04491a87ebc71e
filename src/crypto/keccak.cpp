#include <crypto/keccak.hpp>

#include <cryptopp/keccak.h>

namespace nym::crypto {

Keccak256Digest keccak256(ByteSpan data) noexcept {
    Keccak256Digest out{};
    CryptoPP::Keccak_256 hash;
    hash.CalculateDigest(out.data(), data.data(), data.size());
    return out;
}

struct Keccak256::Impl {
    CryptoPP::Keccak_256 hash;
};

Keccak256::Keccak256() : m_impl(std::make_unique<Impl>()) {}
Keccak256::~Keccak256() = default;
Keccak256::Keccak256(Keccak256&&) noexcept = default;
Keccak256& Keccak256::operator=(Keccak256&&) noexcept = default;

Keccak256& Keccak256::update(ByteSpan data) noexcept {
    m_impl->hash.Update(data.data(), data.size());
    return *this;
}

Keccak256Digest Keccak256::finish() noexcept {
    Keccak256Digest out{};
    m_impl->hash.Final(out.data()); // Final() also restarts the hash
    return out;
}

} // namespace nym::crypto
