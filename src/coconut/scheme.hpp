#pragma once
// Coconut threshold credentials (Sonnino et al., NDSS 2019, arXiv 1802.07344), ElGamal issuance:
// Setup, TTP key generation, PrepareBlindSign / BlindSign / Unblind, Lagrange aggregation,
// Randomize and signature verification. Showing a credential is in coconut/show.hpp.
//
// Attribute order everywhere: private attributes first, then public ones; attribute i uses h_i
// (G1) and beta_i (G2). Encodings, hashes and tags: docs/protocol/coconut.md.

#include <bls/bls.hpp>
#include <coconut/errors.hpp>
#include <crypto/rng.hpp>
#include <util/expected.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace nym::coconut {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;
using bls::G1;
using bls::G2;
using bls::Scalar;
using Attribute = bls::Scalar;

/// Largest number of attributes (q) a parameter set, key or credential may have.
inline constexpr std::size_t MAX_ATTRIBUTES = 32;
/// Largest number of signers n of a threshold key set (indices are 1..n). Key decoders reject a
/// larger index (invalid_index).
inline constexpr std::size_t MAX_SIGNERS = 255;

/// Message prefix of the attribute bases: h_i = hash_to_g1(SETUP_H_PREFIX || u32le(i)), i = 0..q-1.
inline constexpr std::string_view SETUP_H_PREFIX = "NYM-COCONUT-V01-H";
/// Message prefix of h = hash_to_g1(COMMITMENT_H_PREFIX || compressed(cm)).
inline constexpr std::string_view COMMITMENT_H_PREFIX = "NYM-COCONUT-V01-CM";
/// Fiat-Shamir tags, one per proof type (used as the hash_to_field DST).
inline constexpr std::string_view ISSUANCE_CHALLENGE_DST = "NYM-CPP-COCONUT-V01-CHALLENGE-ISSUANCE";
inline constexpr std::string_view SHOW_CHALLENGE_DST = "NYM-CPP-COCONUT-V01-CHALLENGE-SHOW";
inline constexpr std::string_view SPEND_CHALLENGE_DST = "NYM-CPP-COCONUT-V01-CHALLENGE-SPEND";

/// Maps arbitrary bytes (an address, a voucher description) to an attribute: hash_to_field with
/// bls::HASH_TO_SCALAR_DST.
[[nodiscard]] Attribute hash_to_attribute(ByteSpan bytes) noexcept;

/// Public parameters for up to q attributes: g1, g2 (the standard generators) and h_0..h_{q-1}.
class Parameters {
public:
    /// h_i = hash_to_g1(SETUP_H_PREFIX || u32le(i)); fails if any h_i is the identity.
    static Expected<Parameters> setup(std::size_t q);
    /// Parameters over given attribute bases (e.g. another implementation's); 1 <= q <= MAX_ATTRIBUTES
    /// (invalid_parameters) and no base may be the identity (identity_point).
    static Expected<Parameters> from_bases(std::vector<G1> hs);
    [[nodiscard]] std::size_t max_attributes() const noexcept { return m_hs.size(); }
    [[nodiscard]] std::span<const G1> hs() const noexcept { return m_hs; }
    [[nodiscard]] const G1& g1() const noexcept { return m_g1; }
    [[nodiscard]] const G2& g2() const noexcept { return m_g2; }

private:
    std::vector<G1> m_hs;
    G1 m_g1 = G1::generator();
    G2 m_g2 = G2::generator();
};

/// A signer's secret key (x, y_0..y_{q-1}) and its index (the Lagrange x-coordinate, 1..n). The
/// scalars wipe themselves. A secret key is always one signer's: decode rejects index 0 (reserved for
/// aggregate verification keys) and indices > MAX_SIGNERS with invalid_index.
struct SecretKey {
    std::uint64_t index = 0;
    Scalar x;
    std::vector<Scalar> ys;

    /// u64le index || u8 q || x || y_0..y_{q-1} (scalars 32 B little-endian). The scalars are written
    /// in place (no stack copies); the caller wipes the result.
    [[nodiscard]] Bytes encode() const;
    static Expected<SecretKey> decode(ByteSpan bytes);
};

/// A verification key (alpha = g2^x, beta_i = g2^{y_i}); index 0 marks an aggregate key, 1..MAX_SIGNERS
/// a signer's (decode rejects larger indices with invalid_index).
struct VerificationKey {
    std::uint64_t index = 0;
    G2 alpha;
    std::vector<G2> betas;

    /// u64le index || u8 q || alpha || beta_0..beta_{q-1} (G2 compressed, 96 B each).
    [[nodiscard]] Bytes encode() const;
    static Expected<VerificationKey> decode(ByteSpan bytes);
    friend bool operator==(const VerificationKey&, const VerificationKey&) = default;
};

struct KeyPair {
    SecretKey secret;
    VerificationKey verification;
};

/// Dealer ("TTP") key generation, t-of-n: random polynomials of degree t-1 for x and each y_j;
/// signer i in 1..n receives their values at i. q = params.max_attributes().
Expected<std::vector<KeyPair>> ttp_keygen(const Parameters& params, std::size_t threshold, std::size_t n,
                                          crypto::Rng& rng);

/// Lagrange interpolation at 0 over the keys' indices. Needs at least `threshold` keys with
/// distinct non-zero indices and equal q; uses every key given.
Expected<VerificationKey> aggregate_verification_keys(std::span<const VerificationKey> keys, std::size_t threshold);

/// The user's ElGamal key pair for issuance: gamma = g1^d.
struct ElGamalKeyPair {
    Scalar d;
    G1 gamma;
    static ElGamalKeyPair generate(crypto::Rng& rng);
};

struct Ciphertext {
    G1 a; ///< g1^k
    G1 b; ///< gamma^k * h^m
};

/// pi_s: knowledge of r, k_i, m_i with cm = g1^r prod h_i^{m_i} prod h_{k+j}^{p_j} (public p_j bound),
/// a_i = g1^{k_i}, b_i = gamma^{k_i} h^{m_i}.
struct IssuanceProof {
    Scalar c;
    Scalar rr;
    std::vector<Scalar> rk;
    std::vector<Scalar> rm;
};

/// Lambda of the paper plus gamma and the public attributes, so that one object is the request.
struct BlindSignRequest {
    G1 gamma;
    G1 cm;
    std::vector<Ciphertext> ciphertexts; ///< one per private attribute
    IssuanceProof proof;
    std::vector<Attribute> public_attributes;

    [[nodiscard]] std::size_t private_count() const noexcept { return ciphertexts.size(); }
    /// h = hash_to_g1(COMMITMENT_H_PREFIX || compressed(cm)).
    [[nodiscard]] G1 commitment_hash() const noexcept;
    /// u8 k || u8 l || gamma || cm || (a_i || b_i) x k || c || rr || rk x k || rm x k || p_j x l, the
    /// points uncompressed (96 B): an issuer decodes every request it signs, and skipping the
    /// square roots of decompression makes that decode ~40 % cheaper (the subgroup checks stay).
    [[nodiscard]] Bytes encode() const;
    static Expected<BlindSignRequest> decode(ByteSpan bytes);
};

/// sigma~ = (h, c~1, c~2): an ElGamal encryption of the signature share under gamma.
struct BlindedSignature {
    G1 h;
    G1 c1;
    G1 c2;
    /// h || c1 || c2 (144 B).
    [[nodiscard]] Bytes encode() const;
    static Expected<BlindedSignature> decode(ByteSpan bytes);
};

/// A credential (or a signer's share of one): sigma = (h, s), h != identity.
struct Signature {
    G1 h;
    G1 s;
    /// h || s (96 B).
    [[nodiscard]] Bytes encode() const;
    static Expected<Signature> decode(ByteSpan bytes);
    friend bool operator==(const Signature&, const Signature&) = default;
};

struct SignatureShare {
    std::uint64_t index = 0;
    Signature signature;
};

/// Client: commits to all attributes, encrypts the private ones and proves it (pi_s binds the public
/// ones too). Needs at least one private attribute and k + l <= q.
Expected<BlindSignRequest> prepare_blind_sign(const Parameters& params, const ElGamalKeyPair& elgamal,
                                              std::span<const Attribute> private_attributes,
                                              std::span<const Attribute> public_attributes, crypto::Rng& rng);

/// Checks pi_s (and that h = H(cm) is not the identity); on success signs blindly with the signer's key.
Expected<BlindedSignature> blind_sign(const Parameters& params, const SecretKey& key, const BlindSignRequest& request);

/// Only the proof check of blind_sign (for issuers that verify before queueing).
Expected<void> verify_blind_sign_request(const Parameters& params, const BlindSignRequest& request);

/// s = c~2 * c~1^{-d}, then checks the share: fails with mismatched_shares if the signer's h is not
/// the request's h, and with invalid_share unless (h, s) verifies under the signer's verification key
/// over all attributes of the request (private then public, as passed to prepare_blind_sign). A
/// signer with a wrong key or a tampered c~1/c~2 is caught here, before aggregation.
Expected<Signature> unblind(const Parameters& params, const BlindedSignature& blinded, const ElGamalKeyPair& elgamal,
                            const G1& expected_h, const VerificationKey& signer_key,
                            std::span<const Attribute> attributes);

/// Lagrange interpolation at 0 of the shares' s over their indices; every share must have the same
/// h, distinct non-zero indices, and there must be at least `threshold` shares. Does not check the
/// shares: use shares returned by unblind, or aggregate_signatures_and_verify.
Expected<Signature> aggregate_signatures(std::span<const SignatureShare> shares, std::size_t threshold);

/// aggregate_signatures, then verify_signature of the result under the aggregate key; a result that
/// does not verify (some share was bad) fails with invalid_share.
Expected<Signature> aggregate_signatures_and_verify(const Parameters& params, std::span<const SignatureShare> shares,
                                                    std::size_t threshold, const VerificationKey& aggregate_key,
                                                    std::span<const Attribute> attributes);

/// (h^t, s^t) for a fresh t.
[[nodiscard]] Signature randomize(const Signature& signature, crypto::Rng& rng);

/// e(h, alpha * prod beta_i^{m_i}) == e(s, g2) and h != identity, over all attributes in order.
/// Errc::attribute_count_mismatch unless there are exactly as many attributes as the key has betas.
Expected<void> verify_signature(const Parameters& params, const VerificationKey& key, const Signature& signature,
                                std::span<const Attribute> attributes);

/// Lagrange basis polynomials at 0 for the given distinct non-zero indices.
Expected<std::vector<Scalar>> lagrange_at_zero(std::span<const std::uint64_t> indices);

} // namespace nym::coconut
