#include <coconut/codec.hpp>
#include <coconut/scheme.hpp>

#include <algorithm>

namespace nym::coconut {

Expected<void> detail::check_commitment_base(const G1& h) {
    if (h.is_identity()) return fail(Errc::identity_point);
    return {};
}

using bls::IdentityPolicy;
using detail::Reader;
using detail::Transcript;
using detail::Writer;

namespace {

ByteSpan as_bytes(std::string_view s) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

G1 hash_commitment(const G1& cm) noexcept {
    Writer w(COMMITMENT_H_PREFIX.size() + bls::G1_SIZE);
    w.raw(as_bytes(COMMITMENT_H_PREFIX));
    w.g1(cm);
    return G1::hash(w.bytes());
}

/// Horner evaluation of a polynomial with coefficients coeffs[0] + coeffs[1] X + ... at x.
Scalar evaluate(std::span<const Scalar> coeffs, const Scalar& x) {
    Scalar acc;
    for (std::size_t i = coeffs.size(); i-- > 0;) acc = acc * x + coeffs[i];
    return acc;
}

Expected<void> check_indices(std::span<const std::uint64_t> indices) {
    for (std::size_t i = 0; i < indices.size(); ++i) {
        if (indices[i] == 0) return fail(Errc::invalid_index);
        for (std::size_t j = 0; j < i; ++j)
            if (indices[i] == indices[j]) return fail(Errc::duplicate_index);
    }
    return {};
}

/// The proof check of BlindSign; returns h on success.
Expected<G1> check_request(const Parameters& params, const BlindSignRequest& req) {
    const std::size_t k = req.ciphertexts.size();
    const std::size_t l = req.public_attributes.size();
    if (k == 0) return fail(Errc::invalid_parameters);
    if (k + l > params.max_attributes()) return fail(Errc::attribute_count_mismatch);
    if (req.proof.rk.size() != k || req.proof.rm.size() != k) return fail(Errc::attribute_count_mismatch);
    if (req.gamma.is_identity() || req.cm.is_identity()) return fail(Errc::identity_point);

    const G1 h = hash_commitment(req.cm);
    // h = H(cm) is the identity with negligible probability, but a signer must never sign over it.
    if (auto ok = detail::check_commitment_base(h); !ok) return Unexpected(ok.error());
    const Scalar& c = req.proof.c;
    const auto hs = params.hs();

    Transcript t(ISSUANCE_CHALLENGE_DST);
    Writer& w = t.w();
    w.u8(static_cast<std::uint8_t>(k));
    w.u8(static_cast<std::uint8_t>(l));
    w.g1(req.gamma);
    w.g1(req.cm);
    w.g1(h);
    for (const Ciphertext& ct : req.ciphertexts) {
        w.g1(ct.a);
        w.g1(ct.b);
    }
    for (const Attribute& p : req.public_attributes) w.scalar(p);
    // Aw_i = a_i^c g1^{rk_i}
    for (std::size_t i = 0; i < k; ++i) {
        const G1 pts[2] = {req.ciphertexts[i].a, params.g1()};
        const Scalar sc[2] = {c, req.proof.rk[i]};
        w.g1(bls::g1_msm(pts, sc));
    }
    // Bw_i = b_i^c gamma^{rk_i} h^{rm_i}
    for (std::size_t i = 0; i < k; ++i) {
        const G1 pts[3] = {req.ciphertexts[i].b, req.gamma, h};
        const Scalar sc[3] = {c, req.proof.rk[i], req.proof.rm[i]};
        w.g1(bls::g1_msm(pts, sc));
    }
    // Cw = cm^c g1^{rr} prod_{i<k} h_i^{rm_i} prod_j h_{k+j}^{-c p_j}: the public attributes are
    // taken out of cm, so the proof fails unless cm commits to exactly the p_j being signed.
    std::vector<G1> pts;
    std::vector<Scalar> sc;
    pts.reserve(2 + k + l);
    sc.reserve(2 + k + l);
    pts.push_back(req.cm);
    sc.push_back(c);
    pts.push_back(params.g1());
    sc.push_back(req.proof.rr);
    const Scalar minus_c = -c;
    for (std::size_t i = 0; i < k; ++i) {
        pts.push_back(hs[i]);
        sc.push_back(req.proof.rm[i]);
    }
    for (std::size_t j = 0; j < l; ++j) {
        pts.push_back(hs[k + j]);
        sc.push_back(minus_c * req.public_attributes[j]);
    }
    w.g1(bls::g1_msm(pts, sc));
    if (!(t.challenge() == c)) return fail(Errc::proof_invalid);
    return h;
}

} // namespace

Attribute hash_to_attribute(ByteSpan bytes) noexcept {
    return Scalar::hash(bytes);
}

// ---- Setup and keys ----------------------------------------------------------------------------

Expected<Parameters> Parameters::setup(std::size_t q) {
    if (q == 0 || q > MAX_ATTRIBUTES) return fail(Errc::invalid_parameters);
    std::vector<G1> hs;
    hs.reserve(q);
    for (std::size_t i = 0; i < q; ++i) {
        Writer w(SETUP_H_PREFIX.size() + 4);
        w.raw(as_bytes(SETUP_H_PREFIX));
        w.u32(static_cast<std::uint32_t>(i));
        hs.push_back(G1::hash(w.bytes()));
    }
    return from_bases(std::move(hs));
}

Expected<Parameters> Parameters::from_bases(std::vector<G1> hs) {
    if (hs.empty() || hs.size() > MAX_ATTRIBUTES) return fail(Errc::invalid_parameters);
    for (const G1& h : hs)
        if (h.is_identity()) return fail(Errc::identity_point);
    Parameters params;
    params.m_hs = std::move(hs);
    return params;
}

Bytes SecretKey::encode() const {
    Writer w(9 + bls::SCALAR_SIZE * (1 + ys.size()));
    w.u64(index);
    w.u8(static_cast<std::uint8_t>(ys.size()));
    w.secret_scalar(x);
    for (const Scalar& y : ys) w.secret_scalar(y);
    return w.take();
}

Expected<SecretKey> SecretKey::decode(ByteSpan bytes) {
    Reader r(bytes);
    SecretKey key;
    auto index = r.u64();
    if (!index) return Unexpected(index.error());
    auto q = r.u8();
    if (!q) return Unexpected(q.error());
    if (*q == 0 || *q > MAX_ATTRIBUTES) return fail(Errc::invalid_encoding);
    if (*index == 0 || *index > MAX_SIGNERS) return fail(Errc::invalid_index);
    key.index = *index;
    auto x = r.scalar();
    if (!x) return Unexpected(x.error());
    key.x = std::move(*x);
    key.ys.reserve(*q);
    for (std::size_t i = 0; i < *q; ++i) {
        auto y = r.scalar();
        if (!y) return Unexpected(y.error());
        key.ys.push_back(std::move(*y));
    }
    if (auto done = r.finish(); !done) return Unexpected(done.error());
    return key;
}

Bytes VerificationKey::encode() const {
    Writer w(9 + bls::G2_SIZE * (1 + betas.size()));
    w.u64(index);
    w.u8(static_cast<std::uint8_t>(betas.size()));
    w.g2(alpha);
    for (const G2& b : betas) w.g2(b);
    return w.take();
}

Expected<VerificationKey> VerificationKey::decode(ByteSpan bytes) {
    Reader r(bytes);
    VerificationKey key;
    auto index = r.u64();
    if (!index) return Unexpected(index.error());
    auto q = r.u8();
    if (!q) return Unexpected(q.error());
    if (*q == 0 || *q > MAX_ATTRIBUTES) return fail(Errc::invalid_encoding);
    if (*index > MAX_SIGNERS) return fail(Errc::invalid_index); // 0 is the aggregate key
    key.index = *index;
    if (r.remaining() != bls::G2_SIZE * (1 + std::size_t{*q}))
        return fail(r.remaining() < bls::G2_SIZE * (1 + std::size_t{*q}) ? Errc::truncated : Errc::trailing_bytes);
    auto alpha = r.g2(IdentityPolicy::reject);
    if (!alpha) return Unexpected(alpha.error());
    key.alpha = *alpha;
    key.betas.reserve(*q);
    for (std::size_t i = 0; i < *q; ++i) {
        auto b = r.g2(IdentityPolicy::reject);
        if (!b) return Unexpected(b.error());
        key.betas.push_back(*b);
    }
    if (auto done = r.finish(); !done) return Unexpected(done.error());
    return key;
}

Expected<std::vector<KeyPair>> ttp_keygen(const Parameters& params, std::size_t threshold, std::size_t n,
                                          crypto::Rng& rng) {
    if (threshold == 0 || threshold > n || n > MAX_SIGNERS) return fail(Errc::invalid_parameters);
    const std::size_t q = params.max_attributes();
    std::vector<Scalar> v(threshold);
    std::vector<std::vector<Scalar>> ws(q, std::vector<Scalar>(threshold));
    for (Scalar& c : v) c = Scalar::random(rng);
    for (auto& w : ws)
        for (Scalar& c : w) c = Scalar::random(rng);

    std::vector<KeyPair> out;
    out.reserve(n);
    for (std::size_t i = 1; i <= n; ++i) {
        const Scalar at = Scalar::from_u64(i);
        KeyPair kp;
        kp.secret.index = i;
        kp.verification.index = i;
        kp.secret.x = evaluate(v, at);
        kp.verification.alpha = params.g2() * kp.secret.x;
        kp.secret.ys.reserve(q);
        kp.verification.betas.reserve(q);
        for (std::size_t j = 0; j < q; ++j) {
            kp.secret.ys.push_back(evaluate(ws[j], at));
            kp.verification.betas.push_back(params.g2() * kp.secret.ys.back());
        }
        out.push_back(std::move(kp));
    }
    return out;
}

Expected<std::vector<Scalar>> lagrange_at_zero(std::span<const std::uint64_t> indices) {
    if (auto ok = check_indices(indices); !ok) return Unexpected(ok.error());
    std::vector<Scalar> xs;
    xs.reserve(indices.size());
    for (std::uint64_t i : indices) xs.push_back(Scalar::from_u64(i));
    std::vector<Scalar> out;
    out.reserve(indices.size());
    for (std::size_t i = 0; i < xs.size(); ++i) {
        Scalar num = Scalar::one();
        Scalar den = Scalar::one();
        for (std::size_t j = 0; j < xs.size(); ++j) {
            if (i == j) continue;
            num = num * xs[j];
            den = den * (xs[j] - xs[i]);
        }
        out.push_back(num * den.inverse());
    }
    return out;
}

Expected<VerificationKey> aggregate_verification_keys(std::span<const VerificationKey> keys, std::size_t threshold) {
    if (threshold == 0) return fail(Errc::invalid_parameters);
    if (keys.size() < threshold) return fail(Errc::not_enough_shares);
    const std::size_t q = keys.front().betas.size();
    std::vector<std::uint64_t> indices;
    indices.reserve(keys.size());
    for (const VerificationKey& k : keys) {
        if (k.betas.size() != q) return fail(Errc::attribute_count_mismatch);
        indices.push_back(k.index);
    }
    auto coeffs = lagrange_at_zero(indices);
    if (!coeffs) return Unexpected(coeffs.error());

    VerificationKey out;
    out.index = 0;
    std::vector<G2> column(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) column[i] = keys[i].alpha;
    out.alpha = bls::g2_msm(column, *coeffs);
    out.betas.reserve(q);
    for (std::size_t j = 0; j < q; ++j) {
        for (std::size_t i = 0; i < keys.size(); ++i) column[i] = keys[i].betas[j];
        out.betas.push_back(bls::g2_msm(column, *coeffs));
    }
    return out;
}

// ---- Issuance ----------------------------------------------------------------------------------

ElGamalKeyPair ElGamalKeyPair::generate(crypto::Rng& rng) {
    ElGamalKeyPair kp;
    kp.d = Scalar::random(rng);
    kp.gamma = G1::generator() * kp.d;
    return kp;
}

G1 BlindSignRequest::commitment_hash() const noexcept {
    return hash_commitment(cm);
}

Bytes BlindSignRequest::encode() const {
    const std::size_t k = ciphertexts.size();
    const std::size_t l = public_attributes.size();
    Writer w(2 + 2 * bls::G1_UNCOMPRESSED_SIZE + k * 2 * bls::G1_UNCOMPRESSED_SIZE +
             (2 + 2 * k + l) * bls::SCALAR_SIZE);
    w.u8(static_cast<std::uint8_t>(k));
    w.u8(static_cast<std::uint8_t>(l));
    w.g1_uncompressed(gamma);
    w.g1_uncompressed(cm);
    for (const Ciphertext& ct : ciphertexts) {
        w.g1_uncompressed(ct.a);
        w.g1_uncompressed(ct.b);
    }
    w.scalar(proof.c);
    w.scalar(proof.rr);
    for (const Scalar& s : proof.rk) w.scalar(s);
    for (const Scalar& s : proof.rm) w.scalar(s);
    for (const Attribute& p : public_attributes) w.scalar(p);
    return w.take();
}

Expected<BlindSignRequest> BlindSignRequest::decode(ByteSpan bytes) {
    Reader r(bytes);
    auto k = r.u8();
    if (!k) return Unexpected(k.error());
    auto l = r.u8();
    if (!l) return Unexpected(l.error());
    if (*k == 0 || std::size_t{*k} + *l > MAX_ATTRIBUTES) return fail(Errc::invalid_encoding);
    const std::size_t expected = 2 * bls::G1_UNCOMPRESSED_SIZE + std::size_t{*k} * 2 * bls::G1_UNCOMPRESSED_SIZE +
                                 (2 + 2 * std::size_t{*k} + *l) * bls::SCALAR_SIZE;
    // Length first: a wrong size is reported before any (costly) point validation.
    if (r.remaining() != expected) return fail(r.remaining() < expected ? Errc::truncated : Errc::trailing_bytes);
    BlindSignRequest req;
    auto gamma = r.g1_uncompressed(IdentityPolicy::reject);
    if (!gamma) return Unexpected(gamma.error());
    req.gamma = *gamma;
    auto cm = r.g1_uncompressed(IdentityPolicy::reject);
    if (!cm) return Unexpected(cm.error());
    req.cm = *cm;
    req.ciphertexts.reserve(*k);
    for (std::size_t i = 0; i < *k; ++i) {
        auto a = r.g1_uncompressed(IdentityPolicy::reject);
        if (!a) return Unexpected(a.error());
        auto b = r.g1_uncompressed(IdentityPolicy::reject);
        if (!b) return Unexpected(b.error());
        req.ciphertexts.push_back({*a, *b});
    }
    auto c = r.scalar();
    if (!c) return Unexpected(c.error());
    req.proof.c = std::move(*c);
    auto rr = r.scalar();
    if (!rr) return Unexpected(rr.error());
    req.proof.rr = std::move(*rr);
    for (auto* list : {&req.proof.rk, &req.proof.rm}) {
        list->reserve(*k);
        for (std::size_t i = 0; i < *k; ++i) {
            auto s = r.scalar();
            if (!s) return Unexpected(s.error());
            list->push_back(std::move(*s));
        }
    }
    req.public_attributes.reserve(*l);
    for (std::size_t j = 0; j < *l; ++j) {
        auto p = r.scalar();
        if (!p) return Unexpected(p.error());
        req.public_attributes.push_back(std::move(*p));
    }
    if (auto done = r.finish(); !done) return Unexpected(done.error());
    return req;
}

Bytes BlindedSignature::encode() const {
    Writer w(3 * bls::G1_SIZE);
    w.g1(h);
    w.g1(c1);
    w.g1(c2);
    return w.take();
}

Expected<BlindedSignature> BlindedSignature::decode(ByteSpan bytes) {
    if (bytes.size() != 3 * bls::G1_SIZE)
        return fail(bytes.size() < 3 * bls::G1_SIZE ? Errc::truncated : Errc::trailing_bytes);
    Reader r(bytes);
    BlindedSignature out;
    auto h = r.g1(IdentityPolicy::reject);
    if (!h) return Unexpected(h.error());
    auto c1 = r.g1(IdentityPolicy::allow);
    if (!c1) return Unexpected(c1.error());
    auto c2 = r.g1(IdentityPolicy::allow);
    if (!c2) return Unexpected(c2.error());
    out.h = *h;
    out.c1 = *c1;
    out.c2 = *c2;
    return out;
}

Bytes Signature::encode() const {
    Writer w(2 * bls::G1_SIZE);
    w.g1(h);
    w.g1(s);
    return w.take();
}

Expected<Signature> Signature::decode(ByteSpan bytes) {
    if (bytes.size() != 2 * bls::G1_SIZE)
        return fail(bytes.size() < 2 * bls::G1_SIZE ? Errc::truncated : Errc::trailing_bytes);
    Reader r(bytes);
    auto h = r.g1(IdentityPolicy::reject);
    if (!h) return Unexpected(h.error());
    auto s = r.g1(IdentityPolicy::allow);
    if (!s) return Unexpected(s.error());
    return Signature{*h, *s};
}

Expected<BlindSignRequest> prepare_blind_sign(const Parameters& params, const ElGamalKeyPair& elgamal,
                                              std::span<const Attribute> private_attributes,
                                              std::span<const Attribute> public_attributes, crypto::Rng& rng) {
    const std::size_t k = private_attributes.size();
    const std::size_t l = public_attributes.size();
    if (k == 0) return fail(Errc::invalid_parameters);
    if (k + l > params.max_attributes()) return fail(Errc::attribute_count_mismatch);
    const auto hs = params.hs();
    const G1& g1 = params.g1();

    BlindSignRequest req;
    req.gamma = elgamal.gamma;
    req.public_attributes.assign(public_attributes.begin(), public_attributes.end());

    // cm = g1^r prod h_i^{m_i} prod h_{k+j}^{p_j}
    const Scalar r = Scalar::random(rng);
    {
        std::vector<G1> pts;
        std::vector<Scalar> sc;
        pts.reserve(1 + k + l);
        sc.reserve(1 + k + l);
        pts.push_back(g1);
        sc.push_back(r);
        for (std::size_t i = 0; i < k; ++i) {
            pts.push_back(hs[i]);
            sc.push_back(private_attributes[i]);
        }
        for (std::size_t j = 0; j < l; ++j) {
            pts.push_back(hs[k + j]);
            sc.push_back(public_attributes[j]);
        }
        req.cm = bls::g1_msm_secret(pts, sc);
    }
    const G1 h = hash_commitment(req.cm);

    std::vector<Scalar> ks(k);
    req.ciphertexts.reserve(k);
    for (std::size_t i = 0; i < k; ++i) {
        ks[i] = Scalar::random(rng);
        const G1 pts[2] = {elgamal.gamma, h};
        const Scalar sc[2] = {ks[i], private_attributes[i]};
        req.ciphertexts.push_back({g1 * ks[i], bls::g1_msm_secret(pts, sc)});
    }

    // Witnesses and their commitments.
    const Scalar wr = Scalar::random(rng);
    std::vector<Scalar> wk(k);
    std::vector<Scalar> wm(k);
    for (std::size_t i = 0; i < k; ++i) {
        wk[i] = Scalar::random(rng);
        wm[i] = Scalar::random(rng);
    }

    Transcript t(ISSUANCE_CHALLENGE_DST);
    Writer& w = t.w();
    w.u8(static_cast<std::uint8_t>(k));
    w.u8(static_cast<std::uint8_t>(l));
    w.g1(req.gamma);
    w.g1(req.cm);
    w.g1(h);
    for (const Ciphertext& ct : req.ciphertexts) {
        w.g1(ct.a);
        w.g1(ct.b);
    }
    for (const Attribute& p : public_attributes) w.scalar(p);
    for (std::size_t i = 0; i < k; ++i) w.g1(g1 * wk[i]);
    for (std::size_t i = 0; i < k; ++i) {
        const G1 pts[2] = {elgamal.gamma, h};
        const Scalar sc[2] = {wk[i], wm[i]};
        w.g1(bls::g1_msm_secret(pts, sc));
    }
    {
        std::vector<G1> pts;
        std::vector<Scalar> sc;
        pts.reserve(1 + k);
        sc.reserve(1 + k);
        pts.push_back(g1);
        sc.push_back(wr);
        for (std::size_t i = 0; i < k; ++i) {
            pts.push_back(hs[i]);
            sc.push_back(wm[i]);
        }
        w.g1(bls::g1_msm_secret(pts, sc));
    }
    req.proof.c = t.challenge();
    const Scalar& c = req.proof.c;
    req.proof.rr = wr - c * r;
    req.proof.rk.reserve(k);
    req.proof.rm.reserve(k);
    for (std::size_t i = 0; i < k; ++i) {
        req.proof.rk.push_back(wk[i] - c * ks[i]);
        req.proof.rm.push_back(wm[i] - c * private_attributes[i]);
    }
    return req;
}

Expected<void> verify_blind_sign_request(const Parameters& params, const BlindSignRequest& request) {
    auto h = check_request(params, request);
    if (!h) return Unexpected(h.error());
    return {};
}

Expected<BlindedSignature> blind_sign(const Parameters& params, const SecretKey& key, const BlindSignRequest& request) {
    const std::size_t k = request.ciphertexts.size();
    const std::size_t l = request.public_attributes.size();
    if (k + l > key.ys.size()) return fail(Errc::attribute_count_mismatch);
    auto h = check_request(params, request);
    if (!h) return Unexpected(h.error());

    BlindedSignature out;
    out.h = *h;
    std::vector<G1> pts(k);
    for (std::size_t i = 0; i < k; ++i) pts[i] = request.ciphertexts[i].a;
    out.c1 = bls::g1_msm_secret(pts, std::span<const Scalar>(key.ys).first(k));

    // c~2 = h^{x + sum_j p_j y_{k+j}} prod b_i^{y_i}
    Scalar exponent = key.x;
    for (std::size_t j = 0; j < l; ++j) exponent = exponent + request.public_attributes[j] * key.ys[k + j];
    std::vector<Scalar> sc;
    sc.reserve(k + 1);
    pts.clear();
    pts.push_back(*h);
    sc.push_back(std::move(exponent));
    for (std::size_t i = 0; i < k; ++i) {
        pts.push_back(request.ciphertexts[i].b);
        sc.push_back(key.ys[i]);
    }
    out.c2 = bls::g1_msm_secret(pts, sc);
    return out;
}

Expected<Signature> unblind(const Parameters& params, const BlindedSignature& blinded, const ElGamalKeyPair& elgamal,
                            const G1& expected_h, const VerificationKey& signer_key,
                            std::span<const Attribute> attributes) {
    if (!(blinded.h == expected_h)) return fail(Errc::mismatched_shares);
    if (blinded.h.is_identity()) return fail(Errc::identity_point);
    Signature share{blinded.h, blinded.c2 - blinded.c1 * elgamal.d};
    if (auto ok = verify_signature(params, signer_key, share, attributes); !ok) {
        if (ok.error() == Errc::verification_failed) return fail(Errc::invalid_share);
        return Unexpected(ok.error());
    }
    return share;
}

Expected<Signature> aggregate_signatures(std::span<const SignatureShare> shares, std::size_t threshold) {
    if (threshold == 0) return fail(Errc::invalid_parameters);
    if (shares.size() < threshold) return fail(Errc::not_enough_shares);
    const G1& h = shares.front().signature.h;
    if (h.is_identity()) return fail(Errc::identity_point);
    std::vector<std::uint64_t> indices;
    std::vector<G1> ss;
    indices.reserve(shares.size());
    ss.reserve(shares.size());
    for (const SignatureShare& share : shares) {
        if (!(share.signature.h == h)) return fail(Errc::mismatched_shares);
        indices.push_back(share.index);
        ss.push_back(share.signature.s);
    }
    auto coeffs = lagrange_at_zero(indices);
    if (!coeffs) return Unexpected(coeffs.error());
    return Signature{h, bls::g1_msm(ss, *coeffs)};
}

Expected<Signature> aggregate_signatures_and_verify(const Parameters& params, std::span<const SignatureShare> shares,
                                                    std::size_t threshold, const VerificationKey& aggregate_key,
                                                    std::span<const Attribute> attributes) {
    auto sig = aggregate_signatures(shares, threshold);
    if (!sig) return sig;
    if (auto ok = verify_signature(params, aggregate_key, *sig, attributes); !ok) {
        if (ok.error() == Errc::verification_failed) return fail(Errc::invalid_share);
        return Unexpected(ok.error());
    }
    return sig;
}

Signature randomize(const Signature& signature, crypto::Rng& rng) {
    const Scalar t = Scalar::random(rng);
    return Signature{signature.h * t, signature.s * t};
}

Expected<void> verify_signature(const Parameters& params, const VerificationKey& key, const Signature& signature,
                                std::span<const Attribute> attributes) {
    // Exactly as many attributes as the key signs: a prefix would let a credential over q attributes
    // pass as one over fewer (the missing ones read as zero).
    if (attributes.size() != key.betas.size() || attributes.size() > params.max_attributes())
        return fail(Errc::attribute_count_mismatch);
    if (signature.h.is_identity()) return fail(Errc::identity_point);
    const G2 addend[1] = {key.alpha};
    const G2 kappa = bls::g2_msm_secret(std::span<const G2>(key.betas).first(attributes.size()), attributes,
                                        std::span<const G2>(addend));
    bls::PairingProduct product;
    product.add(signature.h, kappa);
    product.add(-signature.s, bls::g2_generator_prepared());
    if (!product.is_one()) return fail(Errc::verification_failed);
    return {};
}

} // namespace nym::coconut
