// Randomized graphs against a shadow model, across hundreds of minor
// collections: plain, and with collection on every allocation, heap
// verification and poisoning of evacuated space.
#include "graph_model.hpp"

namespace runa::heap::testing {
namespace {

void run(const Options& o, std::uint64_t seed, std::uint64_t min_collections,
         std::size_t max_steps) {
  TestHeap t(o);
  GraphModel g(*t.heap, *t.m, Types(t), seed, 0);
  std::size_t steps = 0;
  while (t.heap->stats().minor_collections < min_collections && steps < max_steps) {
    ASSERT_TRUE(g.step()) << "out of memory after " << steps << " steps";
    if (++steps % 2000 == 0) {
      ASSERT_TRUE(g.check()) << "after " << steps << " steps";
    }
  }
  ASSERT_TRUE(g.check());
  Stats s = t.heap->stats();
  EXPECT_GE(s.minor_collections, min_collections);
  EXPECT_GT(s.promoted_bytes, 0u);
  EXPECT_GT(g.live(), 0u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(RandomGraph, HundredsOfMinorCollections) {
  Options o = small_options();
  o.nursery = 128 << 10;
  o.tlab = 2 << 10;
  o.max_heap = 256 << 20;
  for (std::uint64_t seed : {1u, 2u}) {
    SCOPED_TRACE(seed);
    run(o, seed, 300, 10'000'000);
  }
}

TEST(RandomGraph, HighPromotionAgeUsesSurvivorOverflow) {
  Options o = small_options();
  o.nursery = 96 << 10;
  o.tlab = 1 << 10;
  o.promotion_age = 15;
  run(o, 3, 200, 10'000'000);
}

TEST(RandomGraph, StressEveryAllocationWithVerifyAndPoison) {
  Options o = small_options();
  o.stress_every = 1;
  o.verify = true;
  o.poison = true;
  run(o, 4, 2000, 100'000);
}

TEST(RandomGraph, StressEverySeventhAllocation) {
  Options o = small_options();
  o.stress_every = 7;
  o.verify = true;
  o.poison = true;
  o.promotion_age = 3;
  run(o, 5, 500, 100'000);
}

}  // namespace
}  // namespace runa::heap::testing
