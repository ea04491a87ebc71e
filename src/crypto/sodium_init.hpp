#pragma once
// Internal: libsodium chooses its fastest implementations (AVX2 ChaCha20, BLAKE2b, X25519) in
// sodium_init(); until then it runs the portable reference code. Every translation unit that calls
// libsodium includes this header, so initialisation happens during static start-up.

namespace nym::crypto::detail {

/// Runs sodium_init() once (thread-safe); aborts if libsodium cannot start (no entropy source).
bool sodium_ready() noexcept;

inline const bool SODIUM_INITIALISED = sodium_ready();

} // namespace nym::crypto::detail
