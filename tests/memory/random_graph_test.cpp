// Randomized graphs against a shadow model, across hundreds of minor and
// major collections: plain, and with collection on every allocation (or
// every few), heap verification and poisoning of evacuated and freed space.
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

// Runs until both kinds of collection reached their counts. Majors come
// from the policy (a small max_heap), from every `major_every`th step, and
// from large allocations finding no room; with `many_large`, large arrays
// are made without limit, so their space is freed and reused.
void run_major(const Options& o, std::uint64_t seed, std::uint64_t min_minor,
               std::uint64_t min_major, std::size_t major_every, std::size_t max_steps,
               bool many_large) {
  TestHeap t(o);
  GraphModel g(*t.heap, *t.m, Types(t), seed, 0, many_large ? std::size_t{1} << 40 : 20);
  g.set_major_every(major_every);
  std::size_t steps = 0;
  auto done = [&] {
    Stats s = t.heap->stats();
    return s.minor_collections >= min_minor && s.major_collections >= min_major;
  };
  while (!done() && steps < max_steps) {
    ASSERT_TRUE(g.step()) << "out of memory after " << steps << " steps";
    if (++steps % 1000 == 0) {
      ASSERT_TRUE(g.check()) << "after " << steps << " steps";
    }
  }
  ASSERT_TRUE(g.check());
  Stats s = t.heap->stats();
  EXPECT_GE(s.minor_collections, min_minor);
  EXPECT_GE(s.major_collections, min_major);
  if (many_large) {
    EXPECT_GT(g.large_made(), 20u);
  }
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

// A small heap that collects often, fully too, verified and poisoned.
Options busy_options() {
  Options o = small_options();
  o.nursery = 128 << 10;
  o.tlab = 2 << 10;
  o.max_heap = 4 << 20;
  o.verify = true;
  o.poison = true;
  return o;
}

TEST(RandomGraph, HundredsOfMinorAndMajorCollections) {
  RUNA_SKIP_UNDER_TEST_MODES("sets the test modes itself");
  Options o = busy_options();
  for (std::uint64_t seed : {11u, 12u}) {
    SCOPED_TRACE(seed);
    run_major(o, seed, 300, 100, 3001, 2'000'000, false);
  }
}

// The same with a single collector worker, and with more workers than cores
// (threads then interleave arbitrarily: claims, steals and termination).
TEST(RandomGraph, OneAndFourCollectorWorkers) {
  RUNA_SKIP_UNDER_TEST_MODES("sets the test modes itself");
  Options o = busy_options();
  for (unsigned workers : {1u, 4u}) {
    SCOPED_TRACE(workers);
    o.gc_threads = workers;
    run_major(o, 20 + workers, 200, 60, 2003, 2'000'000, false);
  }
}

// Issue 11, defect 10: far more collector workers than cores. A worker that
// claimed an object is often pre-empted before it publishes the copy; the
// others wait for it in forwarding::settle, which yields the core after a
// short spin (concurrency/spin_wait.hpp) so the claimant can finish.
TEST(RandomGraph, SixteenCollectorWorkers) {
  RUNA_SKIP_UNDER_TEST_MODES("sets the test modes itself");
  Options o = busy_options();
  o.gc_threads = 16;
  run_major(o, 41, 100, 30, 2003, 2'000'000, false);
}

TEST(RandomGraph, MajorCollectionsUnderStressWithVerifyAndPoison) {
  Options o = small_options();
  o.max_heap = 2 << 20;
  o.stress_every = 3;
  o.verify = true;
  o.poison = true;
  run_major(o, 13, 500, 200, 61, 1'000'000, true);
}

TEST(RandomGraph, StressEveryAllocationWithMajors) {
  Options o = small_options();
  o.max_heap = 2 << 20;
  o.stress_every = 1;
  o.verify = true;
  o.poison = true;
  o.promotion_age = 1;
  run_major(o, 14, 1000, 300, 13, 1'000'000, true);
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
