#pragma once
// Signatures by an X25519 key (XEdDSA, Signal's specification "The XEdDSA and VXEdDSA Signature
// Schemes", rev. 1, 2016): the Montgomery secret key signs as an Ed25519 key whose public Edwards
// point has a cleared sign bit, and anyone holding only the X25519 public key verifies with plain
// Ed25519 verification. The mixnet uses it as proof that a node holds the Sphinx key it announces.

#include <crypto/ed25519.hpp>
#include <crypto/rng.hpp>
#include <crypto/x25519.hpp>
#include <util/expected.hpp>

namespace nym::crypto {

/// XEdDSA signature of `message` by `key`; `rng` supplies the 64 random bytes Z of the scheme.
[[nodiscard]] Ed25519Signature xeddsa_sign(const X25519SecretKey& key, ByteSpan message, Rng& rng);
/// Errc::invalid_signature unless `signature` is an XEdDSA signature of `message` by the holder of the
/// secret of `key`. Refuses u-coordinates without an Edwards point (u = -1).
[[nodiscard]] Expected<void> xeddsa_verify(const X25519PublicKey& key, ByteSpan message,
                                           const Ed25519Signature& signature) noexcept;

} // namespace nym::crypto
