// Coconut decoder fuzz target. The first byte picks the decoder, the rest is its input. Whatever the
// bytes, a decoder returns a value or a typed error; anything that decodes must re-encode to the
// same bytes (every encoding is canonical).

#include "fuzz.hpp"

#include <bls/bls.hpp>
#include <coconut/scheme.hpp>
#include <coconut/show.hpp>

#include <algorithm>
#include <cstdlib>
#include <span>
#include <vector>

namespace {

using namespace nym;
using namespace nym::coconut;

void require(bool condition) {
    if (!condition) std::abort();
}

bool same(const Bytes& a, std::span<const std::uint8_t> b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

template <class T>
void round_trip(std::span<const std::uint8_t> in) {
    auto decoded = T::decode(in);
    if (!decoded) {
        require(decoded.error().category() == coconut_category());
        return;
    }
    require(same(decoded->encode(), in));
}

} // namespace

/// Selector (first byte mod 10): 0 credential, 1 theta (show), 2 spend theta, 3 blind-sign request,
/// 4 blinded signature, 5 secret key, 6 verification key, 7 G1 point, 8 G2 point, 9 scalar.
NYM_FUZZ_TARGET(coconut_decoders) {
    if (input.empty()) return;
    const std::span<const std::uint8_t> body = input.subspan(1);
    switch (input[0] % 10) {
    case 0: round_trip<Signature>(body); break;
    case 1: round_trip<Theta>(body); break;
    case 2: round_trip<SpendTheta>(body); break;
    case 3: round_trip<BlindSignRequest>(body); break;
    case 4: round_trip<BlindedSignature>(body); break;
    case 5: {
        round_trip<SecretKey>(body);
        auto key = SecretKey::decode(body);
        require(!key || (key->index >= 1 && key->index <= MAX_SIGNERS)); // a signer's, never the aggregate
        break;
    }
    case 6: {
        round_trip<VerificationKey>(body);
        auto key = VerificationKey::decode(body);
        require(!key || key->index <= MAX_SIGNERS);
        break;
    }
    case 7: {
        auto p = bls::G1::from_compressed(body, bls::IdentityPolicy::allow);
        if (p) {
            const auto enc = p->to_compressed();
            require(same(Bytes(enc.begin(), enc.end()), body));
        } else {
            require(p.error().category() == bls::bls_category());
        }
        break;
    }
    case 8: {
        auto p = bls::G2::from_compressed(body, bls::IdentityPolicy::allow);
        if (p) {
            const auto enc = p->to_compressed();
            require(same(Bytes(enc.begin(), enc.end()), body));
        } else {
            require(p.error().category() == bls::bls_category());
        }
        break;
    }
    default: {
        auto s = bls::Scalar::from_bytes(body);
        if (s) {
            const auto enc = s->to_bytes();
            require(same(Bytes(enc.begin(), enc.end()), body));
        } else {
            require(s.error().category() == bls::bls_category());
        }
        break;
    }
    }
}
