// Generates the seed corpora of the sphinx fuzz targets (fuzz/corpus/sphinx_packet, sphinx_surb):
//   NYM_SPHINX_SEED_DIR=fuzz/corpus build/<dir>/tests/unit/sphinx/unit_sphinx --gtest_filter='SphinxFuzzSeeds.*'
// Skipped unless NYM_SPHINX_SEED_DIR is set. The node key must match fuzz/sphinx_targets.cpp.

#include "test_support.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace nym::sphinx::test {
namespace {

void write_seed(const std::filesystem::path& dir, const char* name, const Bytes& bytes) {
    std::filesystem::create_directories(dir);
    std::ofstream out(dir / name, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    ASSERT_TRUE(out.good()) << (dir / name);
}

TEST(SphinxFuzzSeeds, Generate) {
    const char* root = std::getenv("NYM_SPHINX_SEED_DIR");
    if (root == nullptr) GTEST_SKIP() << "set NYM_SPHINX_SEED_DIR to (re)write the sphinx fuzz seed corpora";
    crypto::DeterministicRng key_rng(0x5eed);
    const auto fuzz_key = crypto::X25519SecretKey::generate(key_rng);

    crypto::DeterministicRng rng(77);
    TestRoute route(rng, 3);
    route.keys[0] = fuzz_key;
    route.nodes[0].public_key = fuzz_key.public_key();
    TestRoute single(rng, 1);
    single.keys[0] = fuzz_key;
    single.nodes[0].public_key = fuzz_key.public_key();

    const std::filesystem::path packets = std::filesystem::path(root) / "sphinx_packet";
    auto forward = build_packet(route.nodes, route.delays, route.destination, route.surb_id, Bytes{'h', 'i'}, 60, rng);
    auto final_hop = build_packet(single.nodes, single.delays, single.destination, single.surb_id, Bytes{'o', 'k'}, 40, rng);
    ASSERT_TRUE(forward && final_hop);
    Bytes check_forward = *forward;
    Bytes check_final = *final_hop;
    ASSERT_TRUE(process_packet(check_forward, fuzz_key).has_value());
    ASSERT_TRUE(process_packet(check_final, fuzz_key).has_value());
    write_seed(packets, "forward_hop", *forward);
    write_seed(packets, "final_hop", *final_hop);
    write_seed(packets, "junk_short", Bytes{1, 5, 9, 0xff});
    write_seed(packets, "junk_min_length", random_bytes(rng, MIN_PACKET_SIZE));

    const std::filesystem::path surbs = std::filesystem::path(root) / "sphinx_surb";
    auto surb = create_surb(route.nodes, route.delays, route.destination, route.surb_id, rng);
    ASSERT_TRUE(surb.has_value());
    const Bytes surb_bytes = surb->to_bytes();
    write_seed(surbs, "surb_3hops", surb_bytes);
    write_seed(surbs, "surb_truncated", Bytes(surb_bytes.begin(), surb_bytes.end() - 1));
    write_seed(surbs, "junk", random_bytes(rng, 100));
}

} // namespace
} // namespace nym::sphinx::test
