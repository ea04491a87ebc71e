// Coconut operations for q = 5 (3 private, 2 public attributes), t = 3 of n = 5, next to the blst
// floor they are made of (one pairing, a 2-term multi-pairing, G1 and G2 scalar multiplications,
// hash_to_g1). The operation counts per Coconut operation are in docs/protocol/coconut.md §8.

#include <bls/bls.hpp>
#include <coconut/scheme.hpp>
#include <coconut/show.hpp>
#include <crypto/rng.hpp>

#include <benchmark/benchmark.h>
#include <blst.h>

#include <array>
#include <cstring>
#include <vector>

namespace {

using namespace nym;
using namespace nym::coconut;

constexpr std::size_t Q = 5;
constexpr std::size_t T = 3;
constexpr std::size_t N = 5;

// ---- blst floor --------------------------------------------------------------------------------

blst_scalar random_blst_scalar(crypto::Rng& rng) {
    const auto bytes = bls::Scalar::random(rng).to_bytes();
    blst_scalar s;
    blst_scalar_from_lendian(&s, bytes.data());
    return s;
}

void blst_g1_mul(benchmark::State& state) {
    crypto::DeterministicRng rng(1);
    const blst_scalar k = random_blst_scalar(rng);
    blst_p1 p = *blst_p1_generator();
    for (auto _ : state) {
        blst_p1_mult(&p, &p, k.b, 255);
        benchmark::DoNotOptimize(p);
    }
}
BENCHMARK(blst_g1_mul)->Unit(benchmark::kMicrosecond);

void blst_g2_mul(benchmark::State& state) {
    crypto::DeterministicRng rng(2);
    const blst_scalar k = random_blst_scalar(rng);
    blst_p2 p = *blst_p2_generator();
    for (auto _ : state) {
        blst_p2_mult(&p, &p, k.b, 255);
        benchmark::DoNotOptimize(p);
    }
}
BENCHMARK(blst_g2_mul)->Unit(benchmark::kMicrosecond);

void blst_hash_to_g1(benchmark::State& state) {
    std::array<std::uint8_t, 48> msg{};
    blst_p1 p;
    const char* dst = "NYM-CPP-COCONUT-V01-CS01-with-BLS12381G1_XMD:SHA-256_SSWU_RO_";
    for (auto _ : state) {
        blst_hash_to_g1(&p, msg.data(), msg.size(), reinterpret_cast<const std::uint8_t*>(dst), std::strlen(dst),
                        nullptr, 0);
        msg[0]++;
        benchmark::DoNotOptimize(p);
    }
}
BENCHMARK(blst_hash_to_g1)->Unit(benchmark::kMicrosecond);

void blst_pairing(benchmark::State& state) {
    const blst_p1_affine* p = blst_p1_affine_generator();
    const blst_p2_affine* q = blst_p2_affine_generator();
    blst_fp12 ml;
    blst_fp12 out;
    for (auto _ : state) {
        blst_miller_loop(&ml, q, p);
        blst_final_exp(&out, &ml);
        benchmark::DoNotOptimize(out);
    }
}
BENCHMARK(blst_pairing)->Unit(benchmark::kMicrosecond);

void blst_multi_pairing_2(benchmark::State& state) {
    const blst_p1_affine* p = blst_p1_affine_generator();
    const blst_p2_affine* q = blst_p2_affine_generator();
    blst_fp12 a;
    blst_fp12 b;
    blst_fp12 out;
    for (auto _ : state) {
        blst_miller_loop(&a, q, p);
        blst_miller_loop(&b, q, p);
        blst_fp12_mul(&a, &a, &b);
        blst_final_exp(&out, &a);
        benchmark::DoNotOptimize(out);
    }
}
BENCHMARK(blst_multi_pairing_2)->Unit(benchmark::kMicrosecond);

// MSM of n terms through nym::bls (Pippenger or, for few terms, separate multiplications).
void bls_g1_msm(benchmark::State& state) {
    crypto::DeterministicRng rng(3);
    const auto n = static_cast<std::size_t>(state.range(0));
    std::vector<G1> pts;
    std::vector<Scalar> sc;
    for (std::size_t i = 0; i < n; ++i) {
        pts.push_back(G1::generator() * Scalar::random(rng));
        sc.push_back(Scalar::random(rng));
    }
    for (auto _ : state) benchmark::DoNotOptimize(bls::g1_msm(pts, sc));
}
BENCHMARK(bls_g1_msm)->DenseRange(2, 8)->Unit(benchmark::kMicrosecond);

void bls_g2_msm(benchmark::State& state) {
    crypto::DeterministicRng rng(4);
    const auto n = static_cast<std::size_t>(state.range(0));
    std::vector<G2> pts;
    std::vector<Scalar> sc;
    for (std::size_t i = 0; i < n; ++i) {
        pts.push_back(G2::generator() * Scalar::random(rng));
        sc.push_back(Scalar::random(rng));
    }
    for (auto _ : state) benchmark::DoNotOptimize(bls::g2_msm(pts, sc));
}
BENCHMARK(bls_g2_msm)->DenseRange(2, 8)->Unit(benchmark::kMicrosecond);

// ---- Coconut -----------------------------------------------------------------------------------

struct Fixture {
    crypto::DeterministicRng rng{7};
    Parameters params = *Parameters::setup(Q);
    std::vector<KeyPair> keys = *ttp_keygen(params, T, N, rng);
    ElGamalKeyPair elgamal = ElGamalKeyPair::generate(rng);
    std::vector<Attribute> priv{Scalar::random(rng), Scalar::random(rng), Scalar::random(rng)};
    std::vector<Attribute> pub{Scalar::from_u64(10), Scalar::from_u64(20)};
    BlindSignRequest request = *prepare_blind_sign(params, elgamal, priv, pub, rng);
    G1 h = request.commitment_hash();
    BlindedSignature blinded = *blind_sign(params, keys[0].secret, request);
    std::vector<SignatureShare> shares;
    std::vector<VerificationKey> vks;
    VerificationKey vk;
    Signature credential;
    std::vector<Attribute> all;
    std::vector<std::size_t> disclosed{3, 4};
    Theta theta;
    std::array<std::uint8_t, SPEND_NONCE_SIZE> nonce{};
    std::vector<std::uint8_t> provider{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa,
                                       0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x01, 0x02, 0x03, 0x04};
    SpendTheta spend;
    /// verifier id || session nonce of the plain show.
    std::vector<std::uint8_t> context{0x76, 0x31, 0x7c, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                      0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14};
    ShowPolicy policy{Q, disclosed};

    Fixture() {
        all = priv;
        all.insert(all.end(), pub.begin(), pub.end());
        for (std::size_t i = 0; i < T; ++i) {
            auto b = blind_sign(params, keys[i].secret, request);
            shares.push_back({keys[i].secret.index, *unblind(params, *b, elgamal, h, keys[i].verification, all)});
            vks.push_back(keys[i].verification);
        }
        vk = *aggregate_verification_keys(vks, T);
        credential = *aggregate_signatures_and_verify(params, shares, T, vk, all);
        theta = *prove_credential(params, vk, credential, all, disclosed, context, rng);
        spend = *prove_spend(params, vk, credential, all, disclosed, provider, nonce, rng);
        if (!verify_credential(params, vk, theta, context, policy) ||
            !verify_spend(params, vk, spend, provider, nonce, policy))
            std::abort();
    }
};

Fixture& fixture() {
    static Fixture f;
    return f;
}

void coconut_keygen(benchmark::State& state) {
    auto& f = fixture();
    for (auto _ : state) benchmark::DoNotOptimize(ttp_keygen(f.params, T, N, f.rng));
}
BENCHMARK(coconut_keygen)->Unit(benchmark::kMicrosecond);

void coconut_prepare_blind_sign(benchmark::State& state) {
    auto& f = fixture();
    for (auto _ : state) benchmark::DoNotOptimize(prepare_blind_sign(f.params, f.elgamal, f.priv, f.pub, f.rng));
}
BENCHMARK(coconut_prepare_blind_sign)->Unit(benchmark::kMicrosecond);

void coconut_blind_sign(benchmark::State& state) {
    auto& f = fixture();
    for (auto _ : state) benchmark::DoNotOptimize(blind_sign(f.params, f.keys[0].secret, f.request));
}
BENCHMARK(coconut_blind_sign)->Unit(benchmark::kMicrosecond);

void coconut_unblind(benchmark::State& state) {
    auto& f = fixture();
    for (auto _ : state) benchmark::DoNotOptimize(unblind(f.params, f.blinded, f.elgamal, f.h, f.keys[0].verification, f.all));
}
BENCHMARK(coconut_unblind)->Unit(benchmark::kMicrosecond);

void coconut_aggregate_signatures(benchmark::State& state) {
    auto& f = fixture();
    for (auto _ : state) benchmark::DoNotOptimize(aggregate_signatures(f.shares, T));
}
BENCHMARK(coconut_aggregate_signatures)->Unit(benchmark::kMicrosecond);

void coconut_aggregate_signatures_and_verify(benchmark::State& state) {
    auto& f = fixture();
    for (auto _ : state) benchmark::DoNotOptimize(aggregate_signatures_and_verify(f.params, f.shares, T, f.vk, f.all));
}
BENCHMARK(coconut_aggregate_signatures_and_verify)->Unit(benchmark::kMicrosecond);

void coconut_aggregate_verification_keys(benchmark::State& state) {
    auto& f = fixture();
    for (auto _ : state) benchmark::DoNotOptimize(aggregate_verification_keys(f.vks, T));
}
BENCHMARK(coconut_aggregate_verification_keys)->Unit(benchmark::kMicrosecond);

void coconut_randomize(benchmark::State& state) {
    auto& f = fixture();
    for (auto _ : state) benchmark::DoNotOptimize(randomize(f.credential, f.rng));
}
BENCHMARK(coconut_randomize)->Unit(benchmark::kMicrosecond);

void coconut_prove_credential(benchmark::State& state) {
    auto& f = fixture();
    for (auto _ : state) benchmark::DoNotOptimize(prove_credential(f.params, f.vk, f.credential, f.all, f.disclosed, f.context, f.rng));
}
BENCHMARK(coconut_prove_credential)->Unit(benchmark::kMicrosecond);

void coconut_verify_credential(benchmark::State& state) {
    auto& f = fixture();
    for (auto _ : state) benchmark::DoNotOptimize(verify_credential(f.params, f.vk, f.theta, f.context, f.policy));
}
BENCHMARK(coconut_verify_credential)->Unit(benchmark::kMicrosecond);

void coconut_theta_decode(benchmark::State& state) {
    auto& f = fixture();
    const auto bytes = f.theta.encode();
    for (auto _ : state) benchmark::DoNotOptimize(Theta::decode(bytes));
}
BENCHMARK(coconut_theta_decode)->Unit(benchmark::kMicrosecond);

void coconut_spend_prove(benchmark::State& state) {
    auto& f = fixture();
    for (auto _ : state)
        benchmark::DoNotOptimize(prove_spend(f.params, f.vk, f.credential, f.all, f.disclosed, f.provider, f.nonce, f.rng));
}
BENCHMARK(coconut_spend_prove)->Unit(benchmark::kMicrosecond);

void coconut_spend_verify(benchmark::State& state) {
    auto& f = fixture();
    for (auto _ : state) benchmark::DoNotOptimize(verify_spend(f.params, f.vk, f.spend, f.provider, f.nonce, f.policy));
}
BENCHMARK(coconut_spend_verify)->Unit(benchmark::kMicrosecond);

} // namespace

BENCHMARK_MAIN();
