// Fuzz targets for the crypto layer's text decoders. Whatever the bytes, each decoder returns a
// value or a typed error; a value re-encodes to input that decodes to the same value.

#include "fuzz.hpp"

#include <crypto/base58.hpp>
#include <crypto/errors.hpp>
#include <crypto/pem.hpp>
#include <util/hex.hpp>

#include <cstdlib>
#include <string_view>

namespace {

void require(bool condition) {
    if (!condition) std::abort();
}

std::string_view as_text(std::span<const std::uint8_t> input) {
    return {reinterpret_cast<const char*>(input.data()), input.size()};
}

} // namespace

NYM_FUZZ_TARGET(crypto_decoders) {
    if (input.empty()) return;
    const auto text = as_text(input.subspan(1));
    switch (input[0] % 3) {
    case 0: {
        auto decoded = nym::crypto::base58_decode(text);
        if (!decoded) {
            require(&decoded.error().category() == &nym::crypto::crypto_category());
            return;
        }
        auto again = nym::crypto::base58_decode(nym::crypto::base58_encode(*decoded));
        require(again.has_value() && *again == *decoded);
        break;
    }
    case 1: {
        auto block = nym::crypto::pem_decode(text);
        if (!block) {
            require(&block.error().category() == &nym::crypto::crypto_category());
            return;
        }
        auto again = nym::crypto::pem_decode(nym::crypto::pem_encode(block->label, block->body));
        require(again.has_value() && again->label == block->label && again->body == block->body);
        break;
    }
    default: {
        auto bytes = nym::util::from_hex(text);
        if (bytes) require(nym::util::to_hex(*bytes).size() == text.size());
        break;
    }
    }
}
