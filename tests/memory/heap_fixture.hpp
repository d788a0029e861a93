// Test support for the memory tests: a heap with a small nursery, the
// calling thread attached, and a few layouts registered.
//
// Every test object carries an id: plain "node" objects keep it in the raw
// word after their reference slots; ref arrays keep it as an immediate in
// element 0; byte arrays keep it in their first 8 bytes.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "memory/heap.hpp"
#include "runatime/heap.hpp"
#include "runatime/heap_options.hpp"

namespace runa::heap::testing {

inline Value imm(std::uint64_t n) {
  return (n << 3) | 1;
}
inline std::uint64_t from_imm(Value v) {
  return v >> 3;
}

inline Options small_options() {
  Options o;
  o.nursery = 256 << 10;
  o.tlab = 4 << 10;
  o.max_heap = 64 << 20;
  o.promotion_age = 2;
  return o;
}

// RUNA_GC applies on top of every test heap's options, so that the whole
// suite runs in the collector's test modes (tests/CMakeLists.txt registers
// it once more so). A test is skipped then when its assertions depend on
// when collections happen (counts, addresses, which space an object is in),
// or when it runs so many allocations that verifying the heap at every few
// of them would take minutes: `why` says which.
//
// Every test that skips so, and why (keep this list true):
// - It counts collections, or slots or finalizers at given collections,
//   which the extra collections change: Heap.StressModeCollectsEveryNAllocations,
//   MajorGC.PolicyStartsMajorCollections, Arrays.OneYoungElementCostsOneCard,
//   Finalizers.RunOnceForEachUnreachableYoungObjectAfterAMinorCollection,
//   Finalizers.StressEveryAllocationWithVerifyAndPoison (its own stress_every=1
//   would be replaced by 5), LargeSpace.AMinorCollectionBetweenAttemptAndRequestIsNotTheMajorOne,
//   SizingHeap.TheNurseryGrowsForObjectsThatNeedMoreTimeToDie,
//   MinorGC.SmallSurvivorHalfIsSharedByAllWorkers (bytes promoted per collection).
// - It checks sizes the policy chose or memory committed at exhaustion,
//   which the extra collections change: SizingHeap.EdenGrowsWithTheNumberOfMutators,
//   Heap.CommittedMemoryStaysWithinMaxHeap.
// - It checks where objects are (young or old, which block), which the extra
//   collections change: Handles.ScopesSpanChunksAndRestore,
//   IdentityHash.SurvivesCopyingPromotionAndEvacuation, MajorGC.EmptyBlocksAreReleased,
//   MajorGC.PromotionReusesFreeLines, MajorGC.EvacuatesFragmentedBlocks,
//   Pinned.DefragmentationLeavesPinnedObjectsInPlace,
//   Finalizers.WeakReferencesFoundThroughAPendingObjectAreDecidedToo,
//   Finalizers.ChildrenAreIntactWhenTheFinalizerRuns, TailedLayouts.MajorCollectionsEvacuateThem,
//   MinorGCAge15.SurvivorsBeyondHalfTheHalfArePromotedWhenNextMet (the tenuring
//   threshold itself is checked in both modes by Tenuring.*). Evacuation under the
//   test modes is covered by SharedGraph (shared_graph_test.cpp) instead.
// - It sets the test modes itself, with counts RUNA_GC would replace:
//   RandomGraph.HundredsOfMinorAndMajorCollections, RandomGraph.OneAndFourCollectorWorkers,
//   RandomGraph.SixteenCollectorWorkers,
//   MinorGC.TheHeapRecoversAfterOutOfMemoryVerifiedAndPoisoned,
//   Workers/ChurnVerifiedAndPoisoned.EveryFewAllocations (PromotionFailure.ChurnNearCapacity
//   is its shape in both modes),
//   TailedLayouts.StressEveryAllocationWithVerifyAndPoison and
//   WeakFields.StressEveryAllocationWithVerifyAndPoison (their shapes run
//   in the other tests of their files in both modes)
//   (the RandomGraph tests with stress_every 1, 3 and 7 run in both modes; the
//   recovery test's plain variant runs under RUNA_GC with a smaller heap).
// - It allocates too much to verify every few allocations; the variant
//   named ...Small checks the same property with less and runs in both modes:
//   Threads.MutatorsWithOwnGraphsAndANativeThread, Threads.AttachAndDetachDuringCollections,
//   Finalizers.AFinalizerMayAllocateAndCollect, MinorGC.OutOfMemoryLeavesTheHeapConsistent,
//   MajorGC.OutOfRoomTriesAMajorCollectionFirst, IdentityHash.RacingFirstRequestsAgree,
//   IdentityHash.RacesWithTheWriteBarrierOnTheSameWord,
//   MajorGC.LongRunWithABoundedLiveSetStaysBounded (its ...Small variant
//   takes most of its bytes from large byte arrays, uncounted by the test
//   modes and unwalked by the verifier).
inline bool under_test_modes() {
  const char* v = std::getenv("RUNA_GC");
  return v != nullptr && *v != '\0';
}
#define RUNA_SKIP_UNDER_TEST_MODES(why)                                \
  do {                                                                 \
    if (under_test_modes()) GTEST_SKIP() << (why) << " (RUNA_GC set)"; \
  } while (false)

struct TestHeap {
  explicit TestHeap(const Options& base = small_options()) {
    auto o = options_from_env(base);
    if (!o.ok()) {
      ADD_FAILURE() << o.error().describe();
      std::abort();
    }
    auto h = Heap::create(o.value());
    if (!h.ok()) {
      ADD_FAILURE() << h.error().describe();
      std::abort();
    }
    heap = std::move(h.value());
    // Tests exercise the collectors' parallel paths whatever the nursery's size.
    impl_of(*heap).parallel_copy_threshold = 0;
    m = &heap->attach();
    for (std::uint32_t k = 0; k <= 4; ++k) {
      Layout l;
      l.size = 8 + 8 * k + 8;
      l.refs = k;
      l.name = "node";
      node[k] = heap->register_layout(l).value();
    }
    Layout a;
    a.kind = LayoutKind::kRefArray;
    a.name = "refs";
    ref_array = heap->register_layout(a).value();
    a.kind = LayoutKind::kByteArray;
    a.name = "bytes";
    byte_array = heap->register_layout(a).value();
    Layout w;
    w.kind = LayoutKind::kWeakRef;
    w.size = 16;
    w.refs = 1;
    w.name = "weak";
    weak = heap->register_layout(w).value();
    Layout e;
    e.kind = LayoutKind::kEphemeron;
    e.size = 24;
    e.refs = 2;
    e.name = "ephemeron";
    ephemeron = heap->register_layout(e).value();
  }
  ~TestHeap() { heap->detach(*m); }
  TestHeap(const TestHeap&) = delete;
  TestHeap& operator=(const TestHeap&) = delete;

  // A node with k reference slots (all 0) and `id` in its raw word.
  Object* new_node(unsigned k, std::uint64_t id) const { return new_node_on(*m, k, id); }
  // The same on another thread's mutator.
  Object* new_node_on(Mutator& on, unsigned k, std::uint64_t id) const {
    Object* o = allocate(on, node[k], 16 + 8 * k);
    if (o != nullptr) o->slots()[k] = id;
    return o;
  }
  static std::uint64_t node_id(Object* o, unsigned k) { return o->slots()[k]; }
  // Prepends n one-reference nodes with ids 0..n-1 to the list in `head`
  // (the last made comes first), through the write barrier.
  void prepend_nodes(Handle& head, std::size_t n) const {
    for (std::size_t i = 0; i < n; ++i) {
      Object* o = new_node(1, i);
      ASSERT_NE(o, nullptr);
      set_slot(*m, o, 0, head.value());
      head.set(ref_value(o));
    }
  }

  Object* new_ref_array(std::size_t n, std::uint64_t id) const {
    Object* o = allocate_array(*m, ref_array, ref_array_bytes(n), n);
    if (o != nullptr && n > 0) array_slots(o)[0] = imm(id);
    return o;
  }
  Object* new_byte_array(std::size_t n, std::uint64_t id) const {
    Object* o = allocate_array(*m, byte_array, byte_array_bytes(n), n);
    if (o != nullptr) {
      std::uint8_t* b = array_bytes(o);
      for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(id + i);
      if (n >= 8) std::memcpy(b, &id, 8);
    }
    return o;
  }

  [[nodiscard]] bool young(const Object* o) const { return impl_of(*heap).nursery.contains(o); }
  [[nodiscard]] bool old(const Object* o) const { return impl_of(*heap).blocks.contains(o); }

  std::unique_ptr<Heap> heap;
  Mutator* m = nullptr;
  std::uint32_t node[5] = {};
  std::uint32_t ref_array = 0;
  std::uint32_t byte_array = 0;
  std::uint32_t weak = 0;
  std::uint32_t ephemeron = 0;
};

// A reference array of n slots holding old one-slot nodes (ids 1..n-1,
// made by `make(i)`), then emptied but for every 64th node (one per 6
// lines): every block it promoted into keeps live lines and gets free ones.
// The array is in a handle of the caller's scope; a failure is reported with
// EXPECT (callers ASSERT_FALSE(HasFailure()) before going on).
template <class Make>
Handle fragmented_old_nodes(TestHeap& t, std::size_t n, Make&& make) {
  Handle arr(*t.m, t.new_ref_array(n, 0));
  for (std::size_t i = 1; i < n; ++i) {
    Object* node = make(i);
    EXPECT_NE(node, nullptr) << i;
    write(*t.m, arr.get(), array_slots(arr.get()) + i, ref_value(node));
    if (i % 1000 == 999) {
      EXPECT_TRUE(t.heap->collect(*t.m));
    }
  }
  EXPECT_TRUE(t.heap->collect(*t.m));
  for (std::size_t i = 1; i < n; ++i) {
    if (i % 64 != 0) write(*t.m, arr.get(), array_slots(arr.get()) + i, 0);
  }
  return arr;
}

}  // namespace runa::heap::testing
