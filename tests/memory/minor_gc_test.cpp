// Minor collections: copying, aging and promotion, forwarding, weak
// references and ephemerons, poisoning, and running out of old space.
#include <cstring>

#include "heap_fixture.hpp"

namespace runa::heap::testing {
namespace {

TEST(MinorGC, CopiesReachableObjectsAndUpdatesHandles) {
  TestHeap t;
  HandleScope scope(*t.m);
  Object* a = t.new_node(2, 100);
  Handle ha(*t.m, a);
  Object* b = t.new_node(0, 200);
  set_slot(*t.m, ha.get(), 0, ref_value(b));
  set_slot(*t.m, ha.get(), 1, imm(42));
  Object* garbage = t.new_node(1, 300);
  (void)garbage;

  ASSERT_TRUE(t.heap->collect(*t.m));
  Object* a2 = ha.get();
  EXPECT_NE(a2, a);
  EXPECT_TRUE(t.young(a2));
  EXPECT_EQ(TestHeap::node_id(a2, 2), 100u);
  EXPECT_EQ(a2->slots()[1], imm(42));
  Object* b2 = as_object(a2->slots()[0]);
  EXPECT_EQ(TestHeap::node_id(b2, 0), 200u);
  EXPECT_EQ((a2->load_header() & hdr::kAgeMask) >> hdr::kAgeShift, 1u);
  // Only a and b survived: 32 + 16 bytes.
  EXPECT_EQ(t.heap->stats().surviving_bytes, 48u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(MinorGC, PromotesAtPromotionAge) {
  TestHeap t;  // promotion_age 2
  HandleScope scope(*t.m);
  Handle h(*t.m, t.new_node(1, 7));
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_TRUE(t.young(h.get()));
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_TRUE(t.old(h.get()));
  EXPECT_EQ(TestHeap::node_id(h.get(), 1), 7u);
  EXPECT_NE(h.get()->load_header() & hdr::kUnlogged, 0u);  // promoted: unlogged
  EXPECT_EQ(t.heap->stats().promoted_bytes, 24u);
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_TRUE(t.old(h.get()));  // old objects stay put
}

TEST(MinorGC, ObjectsWithoutReferenceSlotsAreCopiedWholeAndPromotedUnlogged) {
  // Such copies skip the grey stack (minor_gc.cpp, evacuate): what a scan
  // decided for them, an old one unlogged, is decided at the copy.
  TestHeap t;  // promotion_age 2
  HandleScope scope(*t.m);
  Handle bytes(*t.m, t.new_byte_array(300, 9));
  Handle plain(*t.m, t.new_node(0, 11));
  auto intact = [&] {
    const std::uint8_t* b = array_bytes(bytes.get());
    std::uint64_t id = 0;
    std::memcpy(&id, b, 8);
    bool same = id == 9 && TestHeap::node_id(plain.get(), 0) == 11;
    for (std::size_t i = 8; i < 300; ++i) same = same && b[i] == static_cast<std::uint8_t>(9 + i);
    return same;
  };
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_TRUE(t.young(bytes.get()));
  EXPECT_TRUE(t.young(plain.get()));
  EXPECT_TRUE(intact());
  ASSERT_TRUE(t.heap->collect(*t.m));
  ASSERT_TRUE(t.old(bytes.get()));
  ASSERT_TRUE(t.old(plain.get()));
  EXPECT_TRUE(intact());
  EXPECT_NE(bytes.get()->load_header() & hdr::kUnlogged, 0u);
  EXPECT_NE(plain.get()->load_header() & hdr::kUnlogged, 0u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

// A heap whose objects may stay young for 15 collections, its survivor
// half's size, and an empty list in a handle.
class MinorGCAge15 : public ::testing::Test {
 protected:
  static Options options() {
    Options o = small_options();
    o.promotion_age = 15;
    return o;
  }
  TestHeap t{options()};
  HandleScope scope{*t.m};
  std::size_t half = impl_of(*t.heap).nursery.half_capacity();
  Handle list{*t.m, Value{0}};
};

TEST_F(MinorGCAge15, PromotesWhenTheSurvivorHalfIsFull) {
  // More live bytes than a survivor half holds (256K / 10, page-rounded).
  std::size_t n = half / 24 + 100;  // 24-byte nodes
  ASSERT_NO_FATAL_FAILURE(t.prepend_nodes(list, n));
  ASSERT_TRUE(t.heap->collect(*t.m));
  Stats s = t.heap->stats();
  EXPECT_GT(s.promoted_bytes, 0u);
  EXPECT_LE(s.survivor_bytes, half);
  // The whole list is intact, old and young parts linked.
  std::size_t count = 0;
  for (Value v = list.value(); v != 0; v = as_object(v)->slots()[0]) {
    EXPECT_EQ(TestHeap::node_id(as_object(v), 1), n - 1 - count);
    ++count;
  }
  EXPECT_EQ(count, n);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

// Adaptive tenuring (tenuring.hpp): survivors of more than half the
// survivor half lower the next collection's promotion age, so they are
// promoted when next met instead of being copied between the halves up to
// promotion_age times; once few survive, the age returns to promotion_age.
TEST_F(MinorGCAge15, SurvivorsBeyondHalfTheHalfArePromotedWhenNextMet) {
  RUNA_SKIP_UNDER_TEST_MODES("counts the ages one collection copies: extra ones change them");
  std::size_t n = half * 3 / 4 / 24;  // 24-byte nodes: three quarters of the half
  ASSERT_NO_FATAL_FAILURE(t.prepend_nodes(list, n));
  // Copied at age 1 (to the half, or promoted if a worker's buffer found
  // the half taken by the other's): more than half the half. Nothing shows
  // yet that they live on, so they are not promoted on a first survival
  // (tenuring.hpp, "First survivals"): the threshold is 2, which they reach
  // when next met.
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(impl_of(*t.heap).tenure_age, 2u);

  ASSERT_TRUE(t.heap->collect(*t.m));
  for (Value v = list.value(); v != 0; v = as_object(v)->slots()[0]) {
    ASSERT_TRUE(t.old(as_object(v)));  // with promotion_age alone: young until age 15
  }
  EXPECT_EQ(t.heap->stats().promoted_bytes, n * 24);  // each node promoted once

  // Few survivors: back to promotion_age.
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(impl_of(*t.heap).tenure_age, 15u);
  Handle small(*t.m, t.new_node(1, 7));
  for (int k = 0; k < 3; ++k) {
    ASSERT_TRUE(t.heap->collect(*t.m));
    EXPECT_TRUE(t.young(small.get())) << k;
  }
  std::size_t count = 0;
  for (Value v = list.value(); v != 0; v = as_object(v)->slots()[0]) ++count;
  EXPECT_EQ(count, n);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

// A cohort of more than half the half, caught alive once and dead by the
// next collection (GCBench's tree under construction), dies in the half:
// with the threshold at 1 the next cohort as large was promoted straight
// from eden, garbage in the old generation until a major collection.
TEST_F(MinorGCAge15, ACohortThatDiesAfterItsFirstSurvivalIsNotPromoted) {
  RUNA_SKIP_UNDER_TEST_MODES("counts the ages one collection copies: extra ones change them");
  std::size_t n = half * 3 / 4 / 24;
  ASSERT_NO_FATAL_FAILURE(t.prepend_nodes(list, n));
  ASSERT_TRUE(t.heap->collect(*t.m));
  list.set(0);  // the first cohort dies
  ASSERT_NO_FATAL_FAILURE(t.prepend_nodes(list, n));
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(t.heap->stats().promoted_bytes, 0u);
  for (Value v = list.value(); v != 0; v = as_object(v)->slots()[0]) {
    ASSERT_TRUE(t.young(as_object(v)));
  }
  // The half it found held nothing that lived on: still no first-survival promotion.
  EXPECT_EQ(impl_of(*t.heap).tenure_age, 2u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

// Once the survivors found in the half survive again, a large cohort is
// promoted on its first survival: copying it to the half would only delay
// its promotion (the pause workload's ring entries).
TEST_F(MinorGCAge15, CohortsThatLiveOnArePromotedOnTheirFirstSurvival) {
  RUNA_SKIP_UNDER_TEST_MODES("counts the ages one collection copies: extra ones change them");
  std::size_t n = half * 3 / 4 / 24;
  ASSERT_NO_FATAL_FAILURE(t.prepend_nodes(list, n));
  ASSERT_TRUE(t.heap->collect(*t.m));  // the first cohort: to the half
  Handle second(*t.m, Value{0});
  ASSERT_NO_FATAL_FAILURE(t.prepend_nodes(second, n));
  // The first cohort, alive, promoted at age 2; the second to the half.
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(impl_of(*t.heap).tenure_age, 1u);
  EXPECT_TRUE(t.old(list.get()));
  EXPECT_TRUE(t.young(second.get()));
  Handle third(*t.m, Value{0});
  ASSERT_NO_FATAL_FAILURE(t.prepend_nodes(third, n));
  ASSERT_TRUE(t.heap->collect(*t.m));
  for (Value v = third.value(); v != 0; v = as_object(v)->slots()[0]) {
    ASSERT_TRUE(t.old(as_object(v)));  // straight from eden
  }
  EXPECT_TRUE(t.old(second.get()));
  EXPECT_EQ(t.heap->stats().promoted_bytes, 3 * n * 24);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

// The threshold alone: the first age whose cumulative copied bytes pass
// half the survivor half, bounded by promotion_age, and 1 only for
// survivors known to persist.
TEST(Tenuring, ThresholdIsTheFirstAgePastTheTarget) {
  AgeTable ages;
  EXPECT_EQ(tenuring_threshold(ages, 1000, 3, true), 3u);  // nothing copied
  ages.add(1, 300);
  ages.add(2, 200);
  EXPECT_EQ(tenuring_threshold(ages, 1000, 15, true), 15u);  // 500: not past 500
  ages.add(3, 1);
  EXPECT_EQ(tenuring_threshold(ages, 1000, 15, true), 3u);
  EXPECT_EQ(tenuring_threshold(ages, 1000, 2, true), 2u);  // bounded by promotion_age
  EXPECT_EQ(tenuring_threshold(ages, 700, 15, true), 2u);
  EXPECT_EQ(tenuring_threshold(ages, 700, 15, false), 2u);
  EXPECT_EQ(tenuring_threshold(ages, 500, 15, true), 1u);
  EXPECT_EQ(tenuring_threshold(ages, 500, 15, false), 2u);  // not on a first survival
  EXPECT_EQ(tenuring_threshold(ages, 0, 15, true), 1u);
  EXPECT_EQ(tenuring_threshold(ages, 0, 15, false), 2u);
  EXPECT_EQ(tenuring_threshold(ages, 0, 1, false), 1u);  // promotion_age 1 decides
  AgeTable more;
  more.add(1, 700);
  more.merge(ages);
  EXPECT_EQ(more.bytes[1], 1000u);
  EXPECT_EQ(more.bytes[3], 1u);
}

// Eight workers copying 14 KiB into a 24 KiB half: the first
// worker's survivor buffer must not take the whole half and make the others
// promote (the defect a TSan run of CopiesReachableObjectsAndUpdatesHandles
// showed as 32 surviving bytes instead of 48).
TEST(MinorGC, SmallSurvivorHalfIsSharedByAllWorkers) {
  RUNA_SKIP_UNDER_TEST_MODES("counts the bytes one collection promotes");
  Options o = small_options();
  o.gc_threads = 8;
  TestHeap t(o);
  HandleScope scope(*t.m);
  // 14 KiB: buffers retired part-used waste at most a quarter of the half.
  constexpr std::size_t kChildren = 600;
  Handle arr(*t.m, t.new_ref_array(kChildren, 0));
  for (std::size_t i = 1; i < kChildren; ++i) {
    Object* child = t.new_node(0, i);
    ASSERT_NE(child, nullptr);
    write(*t.m, arr.get(), array_slots(arr.get()) + i, ref_value(child));
  }
  for (int round = 0; round < 60; ++round) {
    std::uint64_t promoted = t.heap->stats().promoted_bytes;
    ASSERT_TRUE(t.heap->collect(*t.m));
    // promotion_age 2: every object is promoted on its second collection.
    if (round % 2 == 0) {
      EXPECT_EQ(t.heap->stats().promoted_bytes, promoted) << round;
    } else {
      for (std::size_t i = 1; i < kChildren; ++i) {
        write(*t.m, arr.get(), array_slots(arr.get()) + i, ref_value(t.new_node(0, i)));
      }
    }
  }
}

TEST(MinorGC, SharedObjectsAreCopiedOnce) {
  TestHeap t;
  HandleScope scope(*t.m);
  Handle a(*t.m, t.new_node(2, 1));
  Object* shared = t.new_node(0, 9);
  set_slot(*t.m, a.get(), 0, ref_value(shared));
  set_slot(*t.m, a.get(), 1, ref_value(shared));
  Handle direct(*t.m, shared);
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(a.get()->slots()[0], a.get()->slots()[1]);
  EXPECT_EQ(a.get()->slots()[0], direct.value());
}

TEST(MinorGC, CyclesSurvive) {
  TestHeap t;
  HandleScope scope(*t.m);
  Object* x = t.new_node(1, 1);
  Handle hx(*t.m, x);
  Object* y = t.new_node(1, 2);
  set_slot(*t.m, y, 0, hx.value());
  set_slot(*t.m, hx.get(), 0, ref_value(y));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(t.heap->collect(*t.m));
  Object* y2 = as_object(hx.get()->slots()[0]);
  EXPECT_EQ(TestHeap::node_id(y2, 1), 2u);
  EXPECT_EQ(y2->slots()[0], hx.value());
}

TEST(MinorGC, ClearsWeakReferencesToDeadObjects) {
  TestHeap t;
  HandleScope scope(*t.m);
  Handle live(*t.m, t.new_node(0, 1));
  Handle w_live(*t.m, allocate(*t.m, t.weak, 16));
  set_slot(*t.m, w_live.get(), 0, live.value());
  Handle w_dead(*t.m, allocate(*t.m, t.weak, 16));
  set_slot(*t.m, w_dead.get(), 0, ref_value(t.new_node(0, 2)));
  Handle w_imm(*t.m, allocate(*t.m, t.weak, 16));
  set_slot(*t.m, w_imm.get(), 0, imm(5));

  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(w_live.get()->slots()[0], live.value());
  EXPECT_EQ(w_dead.get()->slots()[0], 0u);
  EXPECT_EQ(w_imm.get()->slots()[0], imm(5));
}

TEST(MinorGC, OldWeakReferenceToYoungReferent) {
  TestHeap t;
  HandleScope scope(*t.m);
  Handle w(*t.m, allocate(*t.m, t.weak, 16));
  ASSERT_TRUE(t.heap->collect(*t.m));
  ASSERT_TRUE(t.heap->collect(*t.m));
  ASSERT_TRUE(t.old(w.get()));
  Handle keep(*t.m, t.new_node(0, 1));
  set_slot(*t.m, w.get(), 0, keep.value());  // old -> young, through the barrier
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(w.get()->slots()[0], keep.value());
  keep.set(0);
  ASSERT_TRUE(t.heap->collect(*t.m));  // the survivor dies now; w stayed logged
  EXPECT_EQ(w.get()->slots()[0], 0u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(MinorGC, EphemeronValueLivesOnlyWhileKeyLives) {
  TestHeap t;
  HandleScope scope(*t.m);
  Handle key(*t.m, t.new_node(0, 1));
  Handle e_live(*t.m, allocate(*t.m, t.ephemeron, 24));
  set_slot(*t.m, e_live.get(), 0, key.value());
  set_slot(*t.m, e_live.get(), 1, ref_value(t.new_node(0, 2)));
  Handle e_dead(*t.m, allocate(*t.m, t.ephemeron, 24));
  set_slot(*t.m, e_dead.get(), 0, ref_value(t.new_node(0, 3)));
  set_slot(*t.m, e_dead.get(), 1, ref_value(t.new_node(0, 4)));

  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(e_live.get()->slots()[0], key.value());
  EXPECT_EQ(TestHeap::node_id(as_object(e_live.get()->slots()[1]), 0), 2u);
  EXPECT_EQ(e_dead.get()->slots()[0], 0u);
  EXPECT_EQ(e_dead.get()->slots()[1], 0u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(MinorGC, EphemeronChainsReachAFixpoint) {
  TestHeap t;
  HandleScope scope(*t.m);
  // e1: k1 -> k2, e2: k2 -> v. Only k1 is a root, and e2 is scanned first.
  Handle e2(*t.m, allocate(*t.m, t.ephemeron, 24));
  Handle e1(*t.m, allocate(*t.m, t.ephemeron, 24));
  Handle k1(*t.m, t.new_node(0, 1));
  Object* k2 = t.new_node(0, 2);
  set_slot(*t.m, e1.get(), 0, k1.value());
  set_slot(*t.m, e1.get(), 1, ref_value(k2));
  set_slot(*t.m, e2.get(), 0, ref_value(k2));
  set_slot(*t.m, e2.get(), 1, ref_value(t.new_node(0, 3)));
  // A cycle of ephemerons whose keys only they reach dies whole.
  Handle e3(*t.m, allocate(*t.m, t.ephemeron, 24));
  Handle e4(*t.m, allocate(*t.m, t.ephemeron, 24));
  Object* k3 = t.new_node(0, 4);
  Object* k4 = t.new_node(0, 5);
  set_slot(*t.m, e3.get(), 0, ref_value(k3));
  set_slot(*t.m, e3.get(), 1, ref_value(k4));
  set_slot(*t.m, e4.get(), 0, ref_value(k4));
  set_slot(*t.m, e4.get(), 1, ref_value(k3));

  ASSERT_TRUE(t.heap->collect(*t.m));
  Object* k2b = as_object(e1.get()->slots()[1]);
  EXPECT_EQ(TestHeap::node_id(k2b, 0), 2u);
  EXPECT_EQ(e2.get()->slots()[0], ref_value(k2b));
  EXPECT_EQ(TestHeap::node_id(as_object(e2.get()->slots()[1]), 0), 3u);
  EXPECT_EQ(e3.get()->slots()[0], 0u);
  EXPECT_EQ(e4.get()->slots()[1], 0u);
}

TEST(MinorGC, PoisonsEvacuatedSpace) {
  Options o = small_options();
  o.poison = true;
  TestHeap t(o);
  HandleScope scope(*t.m);
  Object* a = t.new_node(0, 5);
  Handle h(*t.m, a);
  ASSERT_TRUE(t.heap->collect(*t.m));
  std::uint64_t w = 0;
  std::memcpy(&w, a, 8);  // the old copy: now poisoned (it stays mapped)
  EXPECT_EQ(w, 0xdeadbeefdeadbeefULL);
  EXPECT_EQ(TestHeap::node_id(h.get(), 0), 5u);
  // New allocations still get zeroed memory.
  Object* b = t.new_node(4, 6);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(b->slots()[i], 0u);
}

TEST(MinorGC, EdenExhaustionCollects) {
  TestHeap t;
  HandleScope scope(*t.m);
  Handle keep(*t.m, t.new_node(0, 77));
  for (int i = 0; i < 100000; ++i) ASSERT_NE(t.new_node(2, static_cast<std::uint64_t>(i)), nullptr);
  Stats s = t.heap->stats();
  EXPECT_GT(s.minor_collections, 5u);
  EXPECT_GE(s.allocated_bytes, 32u * 90000);
  EXPECT_EQ(TestHeap::node_id(keep.get(), 0), 77u);
}

// Everything is kept: the old generation fills up until promotion fails
// even after a major collection, and then allocation fails; the heap is
// intact (live young objects left in place) and stays out of memory. More than `min_made` nodes
// fit. A node is a one-slot node, or with `length` > 0 a reference array of that length linked by
// element 1 (the same bytes in fewer objects, for the verifier to walk).
void fill_until_out_of_memory(Options o, std::size_t length, std::size_t min_made) {
  o.promotion_age = 1;
  TestHeap t(o);
  auto make = [&](std::uint64_t id) {
    return length == 0 ? t.new_node(1, id) : t.new_ref_array(length, id);
  };
  auto next = [&](Object* n) { return length == 0 ? n->slots() : array_slots(n) + 1; };
  auto id_of = [&](Object* n) {
    return length == 0 ? TestHeap::node_id(n, 1) : from_imm(array_slots(n)[0]);
  };
  HandleScope scope(*t.m);
  Handle list(*t.m, Value{0});
  std::size_t made = 0;
  for (;;) {
    Object* n = make(made);
    if (n == nullptr) break;
    write(*t.m, n, next(n), list.value());
    list.set(ref_value(n));
    ++made;
    ASSERT_LT(made, 1000000u);
  }
  EXPECT_GT(made, min_made);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
  std::size_t count = 0;
  for (Value v = list.value(); v != 0; v = *next(as_object(v))) {
    ASSERT_EQ(id_of(as_object(v)), made - 1 - count);
    ++count;
  }
  EXPECT_EQ(count, made);
  EXPECT_EQ(make(0), nullptr);  // still out of memory, still consistent
  EXPECT_FALSE(t.heap->collect(*t.m));
}

// Issue 11, defect 7: a list reachable from one root fills the heap until
// allocation fails; then the program drops the root. The requested major
// collection must free the list and report success, and allocation must
// work again. It used to fail: with no room to promote, the major
// collection treated every eden object as a root, and the newest nodes,
// dead in eden, kept the whole dead list alive, for ever. (The issue's own
// scenario, at max_heap=256m: promotion_failure_test.cpp.)
void fill_drop_and_recover(const Options& o, std::size_t after) {
  TestHeap t(o);
  HandleScope scope(*t.m);
  Handle list(*t.m, Value{0});
  std::size_t made = 0;
  while (Object* n = t.new_node(1, made)) {
    set_slot(*t.m, n, 0, list.value());
    list.set(ref_value(n));
    ++made;
  }
  // Nothing is reserved for promotion (docs/memory.md, "Promotion failure
  // and out of memory"): the list fills the old generation and the nursery.
  // In the test modes less: a collection every few allocations promotes a
  // few nodes into each line (256 bytes), and the rest of the line stays unused.
  EXPECT_GT(made * 24, under_test_modes() ? o.max_heap / 3 : o.max_heap / 2);
  list.set(0);
  EXPECT_TRUE(t.heap->collect(*t.m, true));
  EXPECT_LT(t.heap->stats().old_bytes, o.max_heap / 16);
  for (std::size_t i = 0; i < after; ++i) ASSERT_NE(t.new_node(1, i), nullptr) << i;
  // And the heap fills up as far as before.
  std::size_t again = 0;
  while (Object* n = t.new_node(1, again)) {
    set_slot(*t.m, n, 0, list.value());
    list.set(ref_value(n));
    ++again;
  }
  EXPECT_GT(again, made * 9 / 10);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

// Small enough to collect and verify every few allocations.
Options small_recovery_options() {
  Options o = small_options();
  o.survivor_ratio = 1;
  o.nursery = 32 << 10;
  o.tlab = 1 << 10;
  o.max_heap = 512 << 10;
  return o;
}

TEST(MinorGC, TheHeapRecoversAfterOutOfMemoryOnceTheProgramLetsGo) {
  if (under_test_modes()) {
    fill_drop_and_recover(small_recovery_options(), 1000);
    return;
  }
  Options o = small_options();
  o.nursery = 1 << 20;
  o.tlab = 16 << 10;
  o.max_heap = 32 << 20;
  fill_drop_and_recover(o, 1000000);
}

TEST(MinorGC, TheHeapRecoversAfterOutOfMemoryVerifiedAndPoisoned) {
  RUNA_SKIP_UNDER_TEST_MODES("sets the test modes itself");
  Options o = small_recovery_options();
  o.verify = true;
  o.poison = true;
  fill_drop_and_recover(o, 20000);
}

TEST(MinorGC, OutOfMemoryLeavesTheHeapConsistent) {
  RUNA_SKIP_UNDER_TEST_MODES("allocates too much to verify every few allocations");
  Options o = small_options();
  o.max_heap = 1 << 20;
  fill_until_out_of_memory(o, 0, 10000);
}

// The same with an old generation of eight blocks and 272-byte nodes, which
// the stress run verifies in time.
TEST(MinorGC, OutOfMemoryLeavesTheHeapConsistentSmall) {
  Options o = small_options();
  o.nursery = 80 << 10;
  o.tlab = 1 << 10;
  o.max_heap = 11 * kBlock;  // eight old blocks beside the nursery's three
  fill_until_out_of_memory(o, 32, 200);
}

}  // namespace
}  // namespace runa::heap::testing
