#pragma once
// Showing a Coconut credential with selective disclosure (ProveCredential / VerifyCredential), and
// the spend variant for double-spend protection.
//
// The show re-randomises sigma as in Nym's later Coconut (h' = h^{r'}, s' = s^{r'} h'^{r}) and
// folds r into kappa = g2^r alpha prod_{i hidden} beta_i^{m_i}, so no nu is needed and two shows
// of one credential share no group element. Verification: e(h', kappa prod_{i disclosed}
// beta_i^{m_i}) == e(s', g2), h' != identity, and the proof of knowledge of r and the hidden m_i.
//
// A plain show is bound to a caller-defined context (verifier id || fresh nonce), hashed into the
// challenge, so a show made for one verifier or session fails at another.
//
// The serial (attribute 0 of a spendable credential) MUST be uniformly random: generate_serial,
// i.e. Scalar::random. zeta = g1^serial is public, so a guessable serial (a counter, a hash of
// public data) links the spend to whoever knows it and lets them spend it first.
//
// Spend: attribute 0 is the serial number and is always hidden; the show reveals zeta = g1^serial
// and proves it is the serial inside kappa. The challenge covers the provider's address and a
// 32-byte nonce, so a show made for provider A fails at provider B, and a replayed show repeats
// zeta, which a ledger records (SpendTheta::zeta_bytes()).

#include <coconut/scheme.hpp>

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace nym::coconut {

inline constexpr std::size_t SPEND_NONCE_SIZE = 32;

/// A fresh serial number for attribute 0 of a spendable credential: uniform in [1, r).
[[nodiscard]] Attribute generate_serial(crypto::Rng& rng);

/// What the verifier requires of a show, fixed by the verifier (not read from the token):
/// exactly `attribute_count` attributes (attribute_count_mismatch otherwise) and at least the
/// attributes in `required_disclosed` disclosed (disclosure_mismatch otherwise). attribute_count 0
/// or > MAX_ATTRIBUTES, a required index >= attribute_count, or 0 in a spend: invalid_parameters.
struct ShowPolicy {
    std::size_t attribute_count = 0;
    std::span<const std::size_t> required_disclosed{};
};

struct DisclosedAttribute {
    std::uint8_t index = 0;
    Attribute value;
};

/// The show token. Encoding: h' || s' || kappa || c || rr || u8 m || u8 d || d x (u8 index || value)
/// || (m - d) x rm; disclosed indices strictly ascending and < m; rm in ascending hidden index order.
struct Theta {
    G1 h;
    G1 s;
    G2 kappa;
    Scalar c;
    Scalar rr;
    std::uint8_t attribute_count = 0;
    std::vector<DisclosedAttribute> disclosed;
    std::vector<Scalar> rm;

    [[nodiscard]] std::vector<std::uint8_t> hidden_indices() const;
    [[nodiscard]] Bytes encode() const;
    static Expected<Theta> decode(ByteSpan bytes);
};

/// A spend: the show, zeta = g1^serial, and the per-show nonce. Encoding: Theta || zeta || nonce.
struct SpendTheta {
    Theta theta;
    G1 zeta;
    std::array<std::uint8_t, SPEND_NONCE_SIZE> nonce{};

    /// The 48 bytes a ledger records to detect a second spend of the same credential.
    [[nodiscard]] std::array<std::uint8_t, bls::G1_SIZE> zeta_bytes() const noexcept { return zeta.to_compressed(); }
    [[nodiscard]] Bytes encode() const;
    static Expected<SpendTheta> decode(ByteSpan bytes);
};

/// Shows `signature` over `attributes` (all of them, private then public, as issued), disclosing
/// the attributes whose indices are listed and proving knowledge of the rest. `key` is the
/// aggregate verification key. `context` (verifier id || fresh nonce, caller-defined, any length)
/// enters the challenge as u32-length-prefixed bytes; the verifier must pass the same bytes.
Expected<Theta> prove_credential(const Parameters& params, const VerificationKey& key, const Signature& signature,
                                 std::span<const Attribute> attributes, std::span<const std::size_t> disclosed,
                                 ByteSpan context, crypto::Rng& rng);

/// Verifies a show made for `context` against the verifier's policy (checked before any pairing).
Expected<void> verify_credential(const Parameters& params, const VerificationKey& key, const Theta& theta,
                                 ByteSpan context, const ShowPolicy& policy);

/// The spend show: attribute 0 is the serial number (must not be disclosed).
Expected<SpendTheta> prove_spend(const Parameters& params, const VerificationKey& key, const Signature& signature,
                                 std::span<const Attribute> attributes, std::span<const std::size_t> disclosed,
                                 ByteSpan provider_address, std::span<const std::uint8_t, SPEND_NONCE_SIZE> nonce,
                                 crypto::Rng& rng);

/// Verifies a spend at the provider with this address, carrying the nonce the provider expected
/// (nonce_mismatch otherwise, compared in constant time), against the verifier's policy. The caller
/// then checks zeta_bytes() against its ledger of spent serials.
Expected<void> verify_spend(const Parameters& params, const VerificationKey& key, const SpendTheta& spend,
                            ByteSpan provider_address, std::span<const std::uint8_t, SPEND_NONCE_SIZE> expected_nonce,
                            const ShowPolicy& policy);

} // namespace nym::coconut
