// The forward path allocates nothing: this binary replaces global operator new with a counting one.

#include "test_support.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<std::size_t> g_allocations{0};
}

[[gnu::noinline]] void* operator new(std::size_t size) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
// noinline: GCC would otherwise inline these into callers and flag free() of a new'd pointer.
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace nym::sphinx::test {
namespace {

TEST(SphinxAllocation, ProcessingAllocatesNothing) {
    crypto::DeterministicRng rng(50);
    const TestRoute route(rng, 2);
    auto built = build_packet(route.nodes, route.delays, route.destination, route.surb_id, Bytes(100, 7),
                              payload_size(PacketSize::regular), rng);
    ASSERT_TRUE(built.has_value());
    Bytes buffer = *built;
    Bytes second = *built;
    ASSERT_TRUE(process_packet(second, route.keys[0]).has_value()); // warm per-thread crypto contexts

    const std::size_t before = g_allocations.load();
    auto forward = process_packet(buffer, route.keys[0]);
    auto final_hop = process_packet(buffer, route.keys[1]);
    const std::size_t after = g_allocations.load();
    ASSERT_TRUE(forward.has_value());
    ASSERT_TRUE(final_hop.has_value());
    EXPECT_EQ(after - before, 0U) << "heap allocations while processing two hops";

    // Sanity: the counter does count.
    const std::size_t probe = g_allocations.load();
    int* volatile p = new int(5); // volatile: the allocation cannot be elided
    EXPECT_GT(g_allocations.load(), probe);
    delete p;
}

} // namespace
} // namespace nym::sphinx::test
