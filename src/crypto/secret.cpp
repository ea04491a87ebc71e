#include <crypto/secret.hpp>
#include <crypto/sodium_init.hpp>

#include <sodium.h>

#include <cstdlib>

namespace nym::crypto {

namespace detail {
bool sodium_ready() noexcept {
    static const bool ready = [] { return sodium_init() >= 0; }();
    if (!ready) std::abort();
    return ready;
}
} // namespace detail

void secure_wipe(void* data, std::size_t size) noexcept {
    if (data != nullptr && size != 0) sodium_memzero(data, size);
}

bool ct_equal(ByteSpan a, ByteSpan b) noexcept {
    if (a.size() != b.size()) return false;
    if (a.empty()) return true;
    return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace nym::crypto
