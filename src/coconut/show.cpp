#include <coconut/show.hpp>

#include <coconut/codec.hpp>
#include <crypto/secret.hpp>

#include <algorithm>

namespace nym::coconut {

using bls::IdentityPolicy;
using detail::Reader;
using detail::Transcript;
using detail::Writer;

namespace {

struct SpendContext {
    const G1* zeta;
    const G1* cw;
    ByteSpan provider_address;
    const std::uint8_t* nonce; // SPEND_NONCE_SIZE bytes
};

/// The challenge of a show (or spend) over every public value; see docs/protocol/coconut.md.
Scalar show_challenge(const VerificationKey& key, const Theta& theta, const G2& aw, const SpendContext* spend,
                      ByteSpan context) {
    Transcript t(spend != nullptr ? SPEND_CHALLENGE_DST : SHOW_CHALLENGE_DST);
    Writer& w = t.w();
    const std::size_t m = theta.attribute_count;
    w.u8(theta.attribute_count);
    w.g2(key.alpha);
    for (std::size_t i = 0; i < m; ++i) w.g2(key.betas[i]);
    w.g1(theta.h);
    w.g1(theta.s);
    w.g2(theta.kappa);
    w.g2(aw);
    w.u8(static_cast<std::uint8_t>(theta.disclosed.size()));
    for (const DisclosedAttribute& d : theta.disclosed) {
        w.u8(d.index);
        w.scalar(d.value);
    }
    if (spend != nullptr) {
        w.g1(*spend->zeta);
        w.g1(*spend->cw);
        w.var(spend->provider_address);
        w.raw(ByteSpan(spend->nonce, SPEND_NONCE_SIZE));
    } else {
        w.var(context);
    }
    return t.challenge();
}

/// Indices must be strictly ascending after sorting (no duplicates) and < m.
Expected<std::vector<std::uint8_t>> disclosed_mask(std::span<const std::size_t> disclosed, std::size_t m) {
    std::vector<std::size_t> sorted(disclosed.begin(), disclosed.end());
    std::sort(sorted.begin(), sorted.end());
    std::vector<std::uint8_t> mask(m, 0);
    for (std::size_t i = 0; i < sorted.size(); ++i) {
        if (sorted[i] >= m || (i > 0 && sorted[i] == sorted[i - 1])) return fail(Errc::invalid_parameters);
        mask[sorted[i]] = 1;
    }
    return mask;
}

Expected<void> check_structure(const VerificationKey& key, const Theta& theta) {
    const std::size_t m = theta.attribute_count;
    if (m == 0 || m > key.betas.size()) return fail(Errc::attribute_count_mismatch);
    for (std::size_t i = 0; i < theta.disclosed.size(); ++i) {
        if (theta.disclosed[i].index >= m) return fail(Errc::invalid_encoding);
        if (i > 0 && theta.disclosed[i].index <= theta.disclosed[i - 1].index) return fail(Errc::invalid_encoding);
    }
    if (theta.rm.size() + theta.disclosed.size() != m) return fail(Errc::attribute_count_mismatch);
    if (theta.h.is_identity() || theta.s.is_identity() || theta.kappa.is_identity()) return fail(Errc::identity_point);
    return {};
}

Expected<void> check_policy(const Theta& theta, const ShowPolicy& policy, bool is_spend) {
    if (policy.attribute_count == 0 || policy.attribute_count > MAX_ATTRIBUTES) return fail(Errc::invalid_parameters);
    for (std::size_t required : policy.required_disclosed)
        if (required >= policy.attribute_count || (is_spend && required == 0)) return fail(Errc::invalid_parameters);
    if (theta.attribute_count != policy.attribute_count) return fail(Errc::attribute_count_mismatch);
    for (std::size_t required : policy.required_disclosed) {
        const bool found = std::any_of(theta.disclosed.begin(), theta.disclosed.end(),
                                       [&](const DisclosedAttribute& d) { return d.index == required; });
        if (!found) return fail(Errc::disclosure_mismatch);
    }
    return {};
}

struct Shown {
    Theta theta;
    G1 zeta;
};

Expected<Shown> prove(const Parameters& params, const VerificationKey& key, const Signature& signature,
                      std::span<const Attribute> attributes, std::span<const std::size_t> disclosed, crypto::Rng& rng,
                      ByteSpan provider_address, const std::span<const std::uint8_t, SPEND_NONCE_SIZE>* nonce,
                      ByteSpan context) {
    const std::size_t m = attributes.size();
    if (m == 0 || m > key.betas.size() || m > MAX_ATTRIBUTES) return fail(Errc::attribute_count_mismatch);
    if (signature.h.is_identity()) return fail(Errc::identity_point);
    auto mask = disclosed_mask(disclosed, m);
    if (!mask) return Unexpected(mask.error());
    const bool is_spend = nonce != nullptr;
    if (is_spend && (*mask)[0] != 0) return fail(Errc::invalid_parameters);

    Shown out;
    Theta& theta = out.theta;
    theta.attribute_count = static_cast<std::uint8_t>(m);

    std::vector<G2> hidden_betas;
    std::vector<Scalar> hidden_values;
    for (std::size_t i = 0; i < m; ++i) {
        if ((*mask)[i] != 0) {
            theta.disclosed.push_back({static_cast<std::uint8_t>(i), attributes[i]});
        } else {
            hidden_betas.push_back(key.betas[i]);
            hidden_values.push_back(attributes[i]);
        }
    }
    const std::size_t hidden = hidden_betas.size();

    // sigma' = (h^{r'}, s^{r'} h'^{r}); kappa = g2^r alpha prod_{hidden} beta_i^{m_i}.
    const Scalar r_prime = Scalar::random(rng);
    const Scalar r = Scalar::random(rng);
    theta.h = signature.h * r_prime;
    {
        const G1 pts[2] = {signature.s, theta.h};
        const Scalar sc[2] = {r_prime, r};
        theta.s = bls::g1_msm_secret(pts, sc);
    }
    std::vector<G2> bases;
    bases.reserve(1 + hidden);
    bases.push_back(params.g2());
    bases.insert(bases.end(), hidden_betas.begin(), hidden_betas.end());
    {
        std::vector<Scalar> sc;
        sc.reserve(1 + hidden);
        sc.push_back(r);
        sc.insert(sc.end(), hidden_values.begin(), hidden_values.end());
        const G2 alpha[1] = {key.alpha};
        theta.kappa = bls::g2_msm_secret(bases, sc, alpha);
    }

    // Witnesses: Aw = g2^{wr} prod_{hidden} beta_i^{wm_i} (alpha cancels out of the relation).
    std::vector<Scalar> ws;
    ws.reserve(1 + hidden);
    for (std::size_t i = 0; i < 1 + hidden; ++i) ws.push_back(Scalar::random(rng));
    const G2 aw = bls::g2_msm_secret(bases, ws);

    SpendContext ctx{};
    G1 cw;
    if (is_spend) {
        // The serial is attribute 0, the first hidden one.
        out.zeta = params.g1() * hidden_values[0];
        cw = params.g1() * ws[1];
        ctx = SpendContext{&out.zeta, &cw, provider_address, nonce->data()};
    }
    theta.c = show_challenge(key, theta, aw, is_spend ? &ctx : nullptr, context);
    theta.rr = ws[0] - theta.c * r;
    theta.rm.reserve(hidden);
    for (std::size_t i = 0; i < hidden; ++i) theta.rm.push_back(ws[1 + i] - theta.c * hidden_values[i]);
    return out;
}

Expected<void> verify(const Parameters& params, const VerificationKey& key, const Theta& theta, const G1* zeta,
                      ByteSpan provider_address, const std::span<const std::uint8_t, SPEND_NONCE_SIZE>* nonce,
                      ByteSpan context, const ShowPolicy& policy) {
    if (auto ok = check_policy(theta, policy, zeta != nullptr); !ok) return ok;
    if (auto ok = check_structure(key, theta); !ok) return ok;
    const std::size_t m = theta.attribute_count;
    const bool is_spend = zeta != nullptr;

    // Hidden bases in ascending index order, matching rm.
    std::vector<G2> bases;
    std::vector<Scalar> sc;
    bases.reserve(2 + theta.rm.size());
    sc.reserve(2 + theta.rm.size());
    bases.push_back(theta.kappa - key.alpha);
    sc.push_back(theta.c);
    bases.push_back(params.g2());
    sc.push_back(theta.rr);
    std::size_t next_disclosed = 0;
    std::size_t hidden_pos = 0;
    bool serial_hidden = false;
    for (std::size_t i = 0; i < m; ++i) {
        if (next_disclosed < theta.disclosed.size() && theta.disclosed[next_disclosed].index == i) {
            ++next_disclosed;
            continue;
        }
        if (i == 0) serial_hidden = true;
        bases.push_back(key.betas[i]);
        sc.push_back(theta.rm[hidden_pos++]);
    }
    if (is_spend && !serial_hidden) return fail(Errc::invalid_parameters);
    // Aw = (kappa / alpha)^c g2^{rr} prod beta_i^{rm_i}
    const G2 aw = bls::g2_msm(bases, sc);

    SpendContext ctx{};
    G1 cw;
    if (is_spend) {
        if (zeta->is_identity()) return fail(Errc::identity_point);
        // Cw = zeta^c g1^{rm_0}
        const G1 pts[2] = {*zeta, params.g1()};
        const Scalar zs[2] = {theta.c, theta.rm[0]};
        cw = bls::g1_msm(pts, zs);
        ctx = SpendContext{zeta, &cw, provider_address, nonce->data()};
    }
    if (!(show_challenge(key, theta, aw, is_spend ? &ctx : nullptr, context) == theta.c))
        return fail(Errc::proof_invalid);

    // kappa' = kappa prod_{disclosed} beta_i^{m_i}; e(h', kappa') * e(-s', g2) == 1.
    std::vector<G2> dbases;
    std::vector<Scalar> dvalues;
    dbases.reserve(theta.disclosed.size());
    dvalues.reserve(theta.disclosed.size());
    for (const DisclosedAttribute& d : theta.disclosed) {
        dbases.push_back(key.betas[d.index]);
        dvalues.push_back(d.value);
    }
    const G2 kappa_addend[1] = {theta.kappa};
    const G2 kappa_full = bls::g2_msm(dbases, dvalues, kappa_addend);
    bls::PairingProduct product;
    product.add(theta.h, kappa_full);
    product.add(-theta.s, bls::g2_generator_prepared());
    if (!product.is_one()) return fail(Errc::verification_failed);
    return {};
}

void encode_theta(Writer& w, const Theta& theta) {
    w.g1(theta.h);
    w.g1(theta.s);
    w.g2(theta.kappa);
    w.scalar(theta.c);
    w.scalar(theta.rr);
    w.u8(theta.attribute_count);
    w.u8(static_cast<std::uint8_t>(theta.disclosed.size()));
    for (const DisclosedAttribute& d : theta.disclosed) {
        w.u8(d.index);
        w.scalar(d.value);
    }
    for (const Scalar& s : theta.rm) w.scalar(s);
}

constexpr std::size_t THETA_FIXED = 2 * bls::G1_SIZE + bls::G2_SIZE + 2 * bls::SCALAR_SIZE + 2;

Expected<Theta> decode_theta(Reader& r) {
    // Structure first (cheap), then the points: sizes are known once m and d are read.
    auto fixed = r.take(THETA_FIXED);
    if (!fixed) return Unexpected(fixed.error());
    const std::uint8_t m = (*fixed)[THETA_FIXED - 2];
    const std::uint8_t d = (*fixed)[THETA_FIXED - 1];
    if (m == 0 || m > MAX_ATTRIBUTES || d > m) return fail(Errc::invalid_encoding);

    Theta theta;
    theta.attribute_count = m;
    Reader fr(fixed->first(THETA_FIXED - 2));
    auto h = fr.g1(IdentityPolicy::reject);
    if (!h) return Unexpected(h.error());
    auto s = fr.g1(IdentityPolicy::reject);
    if (!s) return Unexpected(s.error());
    auto kappa = fr.g2(IdentityPolicy::reject);
    if (!kappa) return Unexpected(kappa.error());
    auto c = fr.scalar();
    if (!c) return Unexpected(c.error());
    auto rr = fr.scalar();
    if (!rr) return Unexpected(rr.error());
    theta.h = *h;
    theta.s = *s;
    theta.kappa = *kappa;
    theta.c = std::move(*c);
    theta.rr = std::move(*rr);

    theta.disclosed.reserve(d);
    for (std::size_t i = 0; i < d; ++i) {
        auto index = r.u8();
        if (!index) return Unexpected(index.error());
        if (*index >= m || (i > 0 && *index <= theta.disclosed.back().index)) return fail(Errc::invalid_encoding);
        auto value = r.scalar();
        if (!value) return Unexpected(value.error());
        theta.disclosed.push_back({*index, std::move(*value)});
    }
    theta.rm.reserve(std::size_t{m} - d);
    for (std::size_t i = 0; i < std::size_t{m} - d; ++i) {
        auto v = r.scalar();
        if (!v) return Unexpected(v.error());
        theta.rm.push_back(std::move(*v));
    }
    return theta;
}

} // namespace

std::vector<std::uint8_t> Theta::hidden_indices() const {
    std::vector<std::uint8_t> out;
    std::size_t next = 0;
    for (std::size_t i = 0; i < attribute_count; ++i) {
        if (next < disclosed.size() && disclosed[next].index == i) {
            ++next;
            continue;
        }
        out.push_back(static_cast<std::uint8_t>(i));
    }
    return out;
}

Bytes Theta::encode() const {
    Writer w(THETA_FIXED + disclosed.size() * 33 + rm.size() * 32);
    encode_theta(w, *this);
    return w.take();
}

Expected<Theta> Theta::decode(ByteSpan bytes) {
    Reader r(bytes);
    auto theta = decode_theta(r);
    if (!theta) return theta;
    if (auto done = r.finish(); !done) return Unexpected(done.error());
    return theta;
}

Bytes SpendTheta::encode() const {
    Writer w(THETA_FIXED + theta.disclosed.size() * 33 + theta.rm.size() * 32 + bls::G1_SIZE + SPEND_NONCE_SIZE);
    encode_theta(w, theta);
    w.g1(zeta);
    w.raw(nonce);
    return w.take();
}

Expected<SpendTheta> SpendTheta::decode(ByteSpan bytes) {
    Reader r(bytes);
    auto theta = decode_theta(r);
    if (!theta) return Unexpected(theta.error());
    SpendTheta out;
    out.theta = std::move(*theta);
    auto zeta = r.g1(IdentityPolicy::reject);
    if (!zeta) return Unexpected(zeta.error());
    out.zeta = *zeta;
    auto nonce = r.take(SPEND_NONCE_SIZE);
    if (!nonce) return Unexpected(nonce.error());
    std::copy(nonce->begin(), nonce->end(), out.nonce.begin());
    if (auto done = r.finish(); !done) return Unexpected(done.error());
    return out;
}

Attribute generate_serial(crypto::Rng& rng) { return Scalar::random(rng); }

Expected<Theta> prove_credential(const Parameters& params, const VerificationKey& key, const Signature& signature,
                                 std::span<const Attribute> attributes, std::span<const std::size_t> disclosed,
                                 ByteSpan context, crypto::Rng& rng) {
    auto shown = prove(params, key, signature, attributes, disclosed, rng, {}, nullptr, context);
    if (!shown) return Unexpected(shown.error());
    return std::move(shown->theta);
}

Expected<void> verify_credential(const Parameters& params, const VerificationKey& key, const Theta& theta,
                                 ByteSpan context, const ShowPolicy& policy) {
    return verify(params, key, theta, nullptr, {}, nullptr, context, policy);
}

Expected<SpendTheta> prove_spend(const Parameters& params, const VerificationKey& key, const Signature& signature,
                                 std::span<const Attribute> attributes, std::span<const std::size_t> disclosed,
                                 ByteSpan provider_address, std::span<const std::uint8_t, SPEND_NONCE_SIZE> nonce,
                                 crypto::Rng& rng) {
    auto shown = prove(params, key, signature, attributes, disclosed, rng, provider_address, &nonce, {});
    if (!shown) return Unexpected(shown.error());
    SpendTheta out;
    out.theta = std::move(shown->theta);
    out.zeta = shown->zeta;
    std::copy(nonce.begin(), nonce.end(), out.nonce.begin());
    return out;
}

Expected<void> verify_spend(const Parameters& params, const VerificationKey& key, const SpendTheta& spend,
                            ByteSpan provider_address, std::span<const std::uint8_t, SPEND_NONCE_SIZE> expected_nonce,
                            const ShowPolicy& policy) {
    if (!crypto::ct_equal(spend.nonce, expected_nonce)) return fail(Errc::nonce_mismatch);
    const std::span<const std::uint8_t, SPEND_NONCE_SIZE> nonce(spend.nonce);
    return verify(params, key, spend.theta, &spend.zeta, provider_address, &nonce, {}, policy);
}

} // namespace nym::coconut
