#include <bls/bls.hpp>
#include <crypto/secret.hpp>

#include <blst.h>
#include <blst_aux.h>

#include <cstring>
#include <vector>

namespace nym::bls {

static_assert(sizeof(blst_fr) == sizeof(std::array<std::uint64_t, 4>));
static_assert(sizeof(blst_p1_affine) == sizeof(std::array<std::uint64_t, 12>));
static_assert(sizeof(blst_p2_affine) == sizeof(std::array<std::uint64_t, 24>));
static_assert(sizeof(blst_fp12) == sizeof(std::array<std::uint64_t, 72>));
static_assert(sizeof(blst_fp6) * 68 % sizeof(std::uint64_t) == 0);

struct Raw {
    static blst_fr* fr(Scalar& s) noexcept { return reinterpret_cast<blst_fr*>(s.m_limbs.data()); }
    static const blst_fr* fr(const Scalar& s) noexcept { return reinterpret_cast<const blst_fr*>(s.m_limbs.data()); }
    static blst_p1_affine* p1(G1& p) noexcept { return reinterpret_cast<blst_p1_affine*>(p.m_raw.data()); }
    static const blst_p1_affine* p1(const G1& p) noexcept {
        return reinterpret_cast<const blst_p1_affine*>(p.m_raw.data());
    }
    static blst_p2_affine* p2(G2& p) noexcept { return reinterpret_cast<blst_p2_affine*>(p.m_raw.data()); }
    static const blst_p2_affine* p2(const G2& p) noexcept {
        return reinterpret_cast<const blst_p2_affine*>(p.m_raw.data());
    }
    static blst_fp12* gt(GT& g) noexcept { return reinterpret_cast<blst_fp12*>(g.m_raw.data()); }
    static const blst_fp12* gt(const GT& g) noexcept { return reinterpret_cast<const blst_fp12*>(g.m_raw.data()); }
    static const blst_fp6* lines(const G2Prepared& q) noexcept {
        return reinterpret_cast<const blst_fp6*>(q.m_lines.get());
    }
    static blst_fp6* lines(G2Prepared& q) noexcept { return reinterpret_cast<blst_fp6*>(q.m_lines.get()); }
    static blst_fp12* acc(PairingProduct& p) noexcept { return reinterpret_cast<blst_fp12*>(p.m_acc.data()); }
    static const blst_fp12* acc(const PairingProduct& p) noexcept {
        return reinterpret_cast<const blst_fp12*>(p.m_acc.data());
    }
    static bool& empty(PairingProduct& p) noexcept { return p.m_empty; }
    static bool empty(const PairingProduct& p) noexcept { return p.m_empty; }
};

namespace {

class BlsCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "nym.bls"; }
    std::string message(int code) const override {
        switch (static_cast<Errc>(code)) {
        case Errc::invalid_encoding:
            return "invalid point or scalar encoding";
        case Errc::not_on_curve:
            return "point is not on the curve";
        case Errc::not_in_subgroup:
            return "point is not in the prime-order subgroup";
        case Errc::identity_point:
            return "identity point not allowed here";
        case Errc::scalar_out_of_range:
            return "scalar is not reduced modulo r";
        }
        return "unknown bls error";
    }
};

const std::uint8_t* u8(std::string_view s) noexcept {
    return reinterpret_cast<const std::uint8_t*>(s.data());
}

/// Scalar bytes for blst's point multiplications, wiped after use.
struct ScalarBytes {
    blst_scalar value;
    explicit ScalarBytes(const Scalar& s) noexcept { blst_scalar_from_fr(&value, Raw::fr(s)); }
    ~ScalarBytes() { crypto::secure_wipe(&value, sizeof(value)); }
    ScalarBytes(const ScalarBytes&) = delete;
    ScalarBytes& operator=(const ScalarBytes&) = delete;
};

G1 g1_from_projective(const blst_p1& p) noexcept {
    G1 out;
    blst_p1_to_affine(Raw::p1(out), &p);
    return out;
}

G2 g2_from_projective(const blst_p2& p) noexcept {
    G2 out;
    blst_p2_to_affine(Raw::p2(out), &p);
    return out;
}

Errc map_blst_error(BLST_ERROR e) noexcept {
    switch (e) {
    case BLST_POINT_NOT_ON_CURVE:
        return Errc::not_on_curve;
    case BLST_POINT_NOT_IN_GROUP:
        return Errc::not_in_subgroup;
    default:
        return Errc::invalid_encoding;
    }
}

} // namespace

const std::error_category& bls_category() noexcept {
    static const BlsCategory category;
    return category;
}

// ---- Scalar ------------------------------------------------------------------------------------

Scalar Scalar::from_u64(std::uint64_t v) noexcept {
    Scalar out;
    const std::uint64_t limbs[4] = {v, 0, 0, 0};
    blst_fr_from_uint64(Raw::fr(out), limbs);
    return out;
}

Scalar Scalar::random(crypto::Rng& rng) {
    crypto::SecretBytes<64> wide;
    Scalar out;
    do {
        rng.fill(wide.mutable_bytes());
        out = from_le_bytes_wide(wide.bytes());
    } while (out.is_zero());
    return out;
}

Expected<Scalar> Scalar::from_bytes(ByteSpan bytes) {
    if (bytes.size() != SCALAR_SIZE) return fail(Errc::invalid_encoding);
    blst_scalar s;
    blst_scalar_from_lendian(&s, bytes.data());
    if (!blst_scalar_fr_check(&s)) {
        crypto::secure_wipe(&s, sizeof(s));
        return fail(Errc::scalar_out_of_range);
    }
    Scalar out;
    blst_fr_from_scalar(Raw::fr(out), &s);
    crypto::secure_wipe(&s, sizeof(s));
    return out;
}

Scalar Scalar::from_le_bytes_wide(ByteSpan bytes) noexcept {
    blst_scalar s;
    Scalar out;
    // Returns false only for a zero result, which is a valid (zero) scalar here.
    (void)blst_scalar_from_le_bytes(&s, bytes.data(), bytes.size());
    blst_fr_from_scalar(Raw::fr(out), &s);
    crypto::secure_wipe(&s, sizeof(s));
    return out;
}

Scalar Scalar::hash(ByteSpan msg, std::string_view dst) noexcept {
    // RFC 9380 §5.2 hash_to_field with count 1, m 1, L = ceil((255 + 128) / 8) = 48.
    std::array<std::uint8_t, 48> uniform{};
    blst_expand_message_xmd(uniform.data(), uniform.size(), msg.data(), msg.size(), u8(dst), dst.size());
    blst_scalar s;
    (void)blst_scalar_from_be_bytes(&s, uniform.data(), uniform.size());
    Scalar out;
    blst_fr_from_scalar(Raw::fr(out), &s);
    crypto::secure_wipe(&s, sizeof(s));
    crypto::secure_wipe(uniform.data(), uniform.size());
    return out;
}

std::array<std::uint8_t, SCALAR_SIZE> Scalar::to_bytes() const noexcept {
    ScalarBytes s(*this);
    std::array<std::uint8_t, SCALAR_SIZE> out{};
    blst_lendian_from_scalar(out.data(), &s.value);
    return out;
}

void Scalar::write_bytes(std::span<std::uint8_t, SCALAR_SIZE> out) const noexcept {
    ScalarBytes s(*this);
    blst_lendian_from_scalar(out.data(), &s.value);
}

bool Scalar::is_zero() const noexcept {
    std::uint64_t acc = 0;
    for (std::uint64_t limb : m_limbs) acc |= limb;
    return acc == 0;
}

Scalar Scalar::inverse() const noexcept {
    Scalar out;
    blst_fr_inverse(Raw::fr(out), Raw::fr(*this));
    return out;
}

Scalar operator+(const Scalar& a, const Scalar& b) noexcept {
    Scalar out;
    blst_fr_add(Raw::fr(out), Raw::fr(a), Raw::fr(b));
    return out;
}

Scalar operator-(const Scalar& a, const Scalar& b) noexcept {
    Scalar out;
    blst_fr_sub(Raw::fr(out), Raw::fr(a), Raw::fr(b));
    return out;
}

Scalar operator*(const Scalar& a, const Scalar& b) noexcept {
    Scalar out;
    blst_fr_mul(Raw::fr(out), Raw::fr(a), Raw::fr(b));
    return out;
}

Scalar operator-(const Scalar& a) noexcept {
    Scalar out;
    blst_fr_cneg(Raw::fr(out), Raw::fr(a), true);
    return out;
}

bool operator==(const Scalar& a, const Scalar& b) noexcept {
    // Montgomery form is canonical (fully reduced), so limb equality is value equality.
    std::uint64_t diff = 0;
    for (std::size_t i = 0; i < a.m_limbs.size(); ++i) diff |= a.m_limbs[i] ^ b.m_limbs[i];
    return diff == 0;
}

void Scalar::wipe() noexcept {
    crypto::secure_wipe(m_limbs.data(), sizeof(m_limbs));
}

// ---- G1 ----------------------------------------------------------------------------------------

G1 G1::generator() noexcept {
    G1 out;
    *Raw::p1(out) = *blst_p1_affine_generator();
    return out;
}

namespace {

/// The checks after blst has read a G1 point (it checks the curve equation only): its error, the
/// identity policy, and the subgroup check, which is ours.
Expected<G1> checked_g1(const G1& out, BLST_ERROR e, IdentityPolicy identity) {
    if (e != BLST_SUCCESS) return fail(map_blst_error(e));
    if (blst_p1_affine_is_inf(Raw::p1(out))) {
        if (identity == IdentityPolicy::reject) return fail(Errc::identity_point);
        return out;
    }
    if (!blst_p1_affine_in_g1(Raw::p1(out))) return fail(Errc::not_in_subgroup);
    return out;
}

} // namespace

Expected<G1> G1::from_compressed(ByteSpan bytes, IdentityPolicy identity) {
    if (bytes.size() != G1_SIZE) return fail(Errc::invalid_encoding);
    G1 out;
    const BLST_ERROR e = blst_p1_uncompress(Raw::p1(out), bytes.data());
    return checked_g1(out, e, identity);
}

Expected<G1> G1::from_uncompressed(ByteSpan bytes, IdentityPolicy identity) {
    if (bytes.size() != G1_UNCOMPRESSED_SIZE) return fail(Errc::invalid_encoding);
    // blst_p1_deserialize takes either form by the flag; this decoder takes only the uncompressed.
    if ((bytes[0] & 0x80) != 0) return fail(Errc::invalid_encoding);
    G1 out;
    const BLST_ERROR e = blst_p1_deserialize(Raw::p1(out), bytes.data());
    return checked_g1(out, e, identity);
}

G1 G1::hash(ByteSpan msg, std::string_view dst) noexcept {
    blst_p1 p;
    blst_hash_to_g1(&p, msg.data(), msg.size(), u8(dst), dst.size(), nullptr, 0);
    return g1_from_projective(p);
}

std::array<std::uint8_t, G1_SIZE> G1::to_compressed() const noexcept {
    std::array<std::uint8_t, G1_SIZE> out{};
    blst_p1_affine_compress(out.data(), Raw::p1(*this));
    return out;
}

std::array<std::uint8_t, G1_UNCOMPRESSED_SIZE> G1::to_uncompressed() const noexcept {
    std::array<std::uint8_t, G1_UNCOMPRESSED_SIZE> out{};
    blst_p1_affine_serialize(out.data(), Raw::p1(*this));
    return out;
}

bool G1::is_identity() const noexcept {
    return blst_p1_affine_is_inf(Raw::p1(*this));
}

G1 operator+(const G1& a, const G1& b) noexcept {
    blst_p1 p;
    blst_p1_from_affine(&p, Raw::p1(a));
    blst_p1_add_or_double_affine(&p, &p, Raw::p1(b));
    return g1_from_projective(p);
}

G1 operator-(const G1& a) noexcept {
    blst_p1 p;
    blst_p1_from_affine(&p, Raw::p1(a));
    blst_p1_cneg(&p, true);
    return g1_from_projective(p);
}

G1 operator-(const G1& a, const G1& b) noexcept {
    return a + (-b);
}

G1 operator*(const G1& point, const Scalar& s) noexcept {
    ScalarBytes k(s);
    blst_p1 p;
    blst_p1_from_affine(&p, Raw::p1(point));
    blst_p1_mult(&p, &p, k.value.b, 255);
    return g1_from_projective(p);
}

bool operator==(const G1& a, const G1& b) noexcept {
    return blst_p1_affine_is_equal(Raw::p1(a), Raw::p1(b));
}

// ---- G2 ----------------------------------------------------------------------------------------

G2 G2::generator() noexcept {
    G2 out;
    *Raw::p2(out) = *blst_p2_affine_generator();
    return out;
}

Expected<G2> G2::from_compressed(ByteSpan bytes, IdentityPolicy identity) {
    if (bytes.size() != G2_SIZE) return fail(Errc::invalid_encoding);
    G2 out;
    const BLST_ERROR e = blst_p2_uncompress(Raw::p2(out), bytes.data());
    if (e != BLST_SUCCESS) return fail(map_blst_error(e));
    if (blst_p2_affine_is_inf(Raw::p2(out))) {
        if (identity == IdentityPolicy::reject) return fail(Errc::identity_point);
        return out;
    }
    if (!blst_p2_affine_in_g2(Raw::p2(out))) return fail(Errc::not_in_subgroup);
    return out;
}

std::array<std::uint8_t, G2_SIZE> G2::to_compressed() const noexcept {
    std::array<std::uint8_t, G2_SIZE> out{};
    blst_p2_affine_compress(out.data(), Raw::p2(*this));
    return out;
}

bool G2::is_identity() const noexcept {
    return blst_p2_affine_is_inf(Raw::p2(*this));
}

G2 operator+(const G2& a, const G2& b) noexcept {
    blst_p2 p;
    blst_p2_from_affine(&p, Raw::p2(a));
    blst_p2_add_or_double_affine(&p, &p, Raw::p2(b));
    return g2_from_projective(p);
}

G2 operator-(const G2& a) noexcept {
    blst_p2 p;
    blst_p2_from_affine(&p, Raw::p2(a));
    blst_p2_cneg(&p, true);
    return g2_from_projective(p);
}

G2 operator-(const G2& a, const G2& b) noexcept {
    return a + (-b);
}

G2 operator*(const G2& point, const Scalar& s) noexcept {
    ScalarBytes k(s);
    blst_p2 p;
    blst_p2_from_affine(&p, Raw::p2(point));
    blst_p2_mult(&p, &p, k.value.b, 255);
    return g2_from_projective(p);
}

bool operator==(const G2& a, const G2& b) noexcept {
    return blst_p2_affine_is_equal(Raw::p2(a), Raw::p2(b));
}

// ---- GT and pairings ---------------------------------------------------------------------------

GT::GT() noexcept : m_raw{} {
    *Raw::gt(*this) = *blst_fp12_one();
}

GT GT::pairing(const G1& p, const G2& q) noexcept {
    PairingProduct product;
    product.add(p, q);
    return product.finish();
}

bool GT::is_one() const noexcept {
    return blst_fp12_is_one(Raw::gt(*this));
}

GT operator*(const GT& a, const GT& b) noexcept {
    GT out;
    blst_fp12_mul(Raw::gt(out), Raw::gt(a), Raw::gt(b));
    return out;
}

bool operator==(const GT& a, const GT& b) noexcept {
    return blst_fp12_is_equal(Raw::gt(a), Raw::gt(b));
}

G2Prepared::G2Prepared(const G2& q)
    : m_point(q), m_lines(new std::uint64_t[sizeof(blst_fp6) * 68 / sizeof(std::uint64_t)]) {
    blst_precompute_lines(Raw::lines(*this), Raw::p2(q));
}

const G2Prepared& g2_generator_prepared() {
    static const G2Prepared prepared(G2::generator());
    return prepared;
}

PairingProduct::PairingProduct() noexcept : m_acc{} {
    *Raw::acc(*this) = *blst_fp12_one();
}

void PairingProduct::add(const G1& p, const G2& q) noexcept {
    if (p.is_identity() || q.is_identity()) return;
    blst_fp12 loop;
    blst_miller_loop(&loop, Raw::p2(q), Raw::p1(p));
    if (m_empty) {
        *Raw::acc(*this) = loop;
        m_empty = false;
    } else {
        blst_fp12_mul(Raw::acc(*this), Raw::acc(*this), &loop);
    }
}

void PairingProduct::add(const G1& p, const G2Prepared& q) noexcept {
    if (p.is_identity() || q.point().is_identity()) return;
    blst_fp12 loop;
    blst_miller_loop_lines(&loop, Raw::lines(q), Raw::p1(p));
    if (m_empty) {
        *Raw::acc(*this) = loop;
        m_empty = false;
    } else {
        blst_fp12_mul(Raw::acc(*this), Raw::acc(*this), &loop);
    }
}

GT PairingProduct::finish() const noexcept {
    GT out;
    if (!m_empty) blst_final_exp(Raw::gt(out), Raw::acc(*this));
    return out;
}

// ---- multi-scalar multiplication ---------------------------------------------------------------

namespace {

// Below these sizes blst 0.3.10's Pippenger (no GLV, small windows) is slower than separate
// constant-time GLV multiplications; measured in bench_coconut (bls_g1_msm/N, bls_g2_msm/N):
// G1 n=4: 309 us vs 4 x 74.6; G1 n=5: 347 us vs 5 x 74.6; G2 n=7: 1102 us vs 7 x 146; G2 n=8: 1155 vs 8 x 146.
constexpr std::size_t G1_PIPPENGER_MIN_TERMS = 5;
constexpr std::size_t G2_PIPPENGER_MIN_TERMS = 8;

template <class Point>
struct MsmInputs {
    std::vector<const Point*> points;
    std::vector<blst_scalar> scalars;
    ~MsmInputs() { crypto::secure_wipe(scalars.data(), scalars.size() * sizeof(blst_scalar)); }
};

} // namespace

namespace {

G1 g1_msm_impl(std::span<const G1> points, std::span<const Scalar> scalars, std::span<const G1> addends,
               bool constant_time) noexcept {
    MsmInputs<blst_p1_affine> in;
    const std::size_t n = points.size() < scalars.size() ? points.size() : scalars.size();
    in.points.reserve(n);
    in.scalars.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        // A zero scalar is skipped only in variable time: whether a secret is zero is secret too.
        if (points[i].is_identity() || (!constant_time && scalars[i].is_zero())) continue;
        in.points.push_back(Raw::p1(points[i]));
        in.scalars.emplace_back();
        blst_scalar_from_fr(&in.scalars.back(), Raw::fr(scalars[i]));
    }
    blst_p1 acc;
    std::memset(&acc, 0, sizeof(acc));
    if (constant_time || in.points.size() < G1_PIPPENGER_MIN_TERMS) {
        for (std::size_t i = 0; i < in.points.size(); ++i) {
            blst_p1 term;
            blst_p1_from_affine(&term, in.points[i]);
            blst_p1_mult(&term, &term, in.scalars[i].b, 255);
            blst_p1_add_or_double(&acc, &acc, &term);
        }
    } else {
        std::vector<std::uint64_t> scratch(
            blst_p1s_mult_pippenger_scratch_sizeof(in.points.size()) / sizeof(std::uint64_t) + 1);
        std::vector<const std::uint8_t*> scalar_ptrs(in.scalars.size());
        for (std::size_t i = 0; i < in.scalars.size(); ++i) scalar_ptrs[i] = in.scalars[i].b;
        blst_p1s_mult_pippenger(&acc, in.points.data(), in.points.size(), scalar_ptrs.data(), 255,
                                reinterpret_cast<limb_t*>(scratch.data()));
    }
    for (const G1& a : addends) blst_p1_add_or_double_affine(&acc, &acc, Raw::p1(a));
    return g1_from_projective(acc);
}

G2 g2_msm_impl(std::span<const G2> points, std::span<const Scalar> scalars, std::span<const G2> addends,
               bool constant_time) noexcept {
    MsmInputs<blst_p2_affine> in;
    const std::size_t n = points.size() < scalars.size() ? points.size() : scalars.size();
    in.points.reserve(n);
    in.scalars.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        // A zero scalar is skipped only in variable time: whether a secret is zero is secret too.
        if (points[i].is_identity() || (!constant_time && scalars[i].is_zero())) continue;
        in.points.push_back(Raw::p2(points[i]));
        in.scalars.emplace_back();
        blst_scalar_from_fr(&in.scalars.back(), Raw::fr(scalars[i]));
    }
    blst_p2 acc;
    std::memset(&acc, 0, sizeof(acc));
    if (constant_time || in.points.size() < G2_PIPPENGER_MIN_TERMS) {
        for (std::size_t i = 0; i < in.points.size(); ++i) {
            blst_p2 term;
            blst_p2_from_affine(&term, in.points[i]);
            blst_p2_mult(&term, &term, in.scalars[i].b, 255);
            blst_p2_add_or_double(&acc, &acc, &term);
        }
    } else {
        std::vector<std::uint64_t> scratch(
            blst_p2s_mult_pippenger_scratch_sizeof(in.points.size()) / sizeof(std::uint64_t) + 1);
        std::vector<const std::uint8_t*> scalar_ptrs(in.scalars.size());
        for (std::size_t i = 0; i < in.scalars.size(); ++i) scalar_ptrs[i] = in.scalars[i].b;
        blst_p2s_mult_pippenger(&acc, in.points.data(), in.points.size(), scalar_ptrs.data(), 255,
                                reinterpret_cast<limb_t*>(scratch.data()));
    }
    for (const G2& a : addends) blst_p2_add_or_double_affine(&acc, &acc, Raw::p2(a));
    return g2_from_projective(acc);
}

} // namespace

G1 g1_msm(std::span<const G1> points, std::span<const Scalar> scalars, std::span<const G1> addends) noexcept {
    return g1_msm_impl(points, scalars, addends, false);
}

G2 g2_msm(std::span<const G2> points, std::span<const Scalar> scalars, std::span<const G2> addends) noexcept {
    return g2_msm_impl(points, scalars, addends, false);
}

G1 g1_msm_secret(std::span<const G1> points, std::span<const Scalar> scalars, std::span<const G1> addends) noexcept {
    return g1_msm_impl(points, scalars, addends, true);
}

G2 g2_msm_secret(std::span<const G2> points, std::span<const Scalar> scalars, std::span<const G2> addends) noexcept {
    return g2_msm_impl(points, scalars, addends, true);
}

} // namespace nym::bls
