// Major collections: garbage in old blocks and the large-object space is
// freed, live graphs stay intact, weak references and ephemerons follow
// old objects, free lines are reused by promotion, fragmented blocks are
// evacuated with every reference updated, the policy starts major
// collections on its own, and a long run with a bounded live set keeps the
// heap bounded.
#include <algorithm>
#include <cstring>
#include <vector>

#include "heap_fixture.hpp"
#include "memory/stats.hpp"

namespace runa::heap::testing {
namespace {

Options old_options() {
  Options o = small_options();
  o.promotion_age = 1;  // one minor collection promotes
  return o;
}

// A list of n nodes (1 ref each, ids first_id...), promoted to the old
// generation; returns the head (newest first).
Value old_list(TestHeap& t, std::size_t n, std::uint64_t first_id) {
  HandleScope scope(*t.m);
  Handle list(*t.m, Value{0});
  for (std::size_t i = 0; i < n; ++i) {
    Object* node = t.new_node(1, first_id + i);
    set_slot(*t.m, node, 0, list.value());
    list.set(ref_value(node));
  }
  EXPECT_TRUE(t.heap->collect(*t.m));
  return list.value();
}

std::size_t list_length(Value v, std::uint64_t last_id) {
  std::size_t n = 0;
  for (; v != 0; v = as_object(v)->slots()[0], ++n) {
    EXPECT_EQ(TestHeap::node_id(as_object(v), 1), last_id - n);
  }
  return n;
}

TEST(MajorGC, FreesGarbageAndKeepsTheLiveGraph) {
  TestHeap t(old_options());
  HandleScope scope(*t.m);
  Handle live(*t.m, old_list(t, 3000, 0));
  old_list(t, 6000, 10000);  // garbage once promoted
  ASSERT_TRUE(t.old(live.get()));
  std::size_t before = t.heap->stats().old_bytes;
  EXPECT_EQ(before, 9000u * 24);

  ASSERT_TRUE(t.heap->collect(*t.m, true));
  Stats s = t.heap->stats();
  EXPECT_EQ(s.major_collections, 1u);
  EXPECT_EQ(s.old_bytes, 3000u * 24);
  EXPECT_EQ(list_length(live.value(), 2999), 3000u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
  // The polarity flips each time: a second and third collection keep it all.
  ASSERT_TRUE(t.heap->collect(*t.m, true));
  ASSERT_TRUE(t.heap->collect(*t.m, true));
  EXPECT_EQ(t.heap->stats().old_bytes, 3000u * 24);
  EXPECT_EQ(list_length(live.value(), 2999), 3000u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(MajorGC, EmptyBlocksAreReleased) {
  RUNA_SKIP_UNDER_TEST_MODES("checks which blocks objects are in");
  TestHeap t(old_options());
  HandleScope scope(*t.m);
  old_list(t, 20000, 0);
  std::size_t used = impl_of(*t.heap).blocks.blocks_in_use();
  EXPECT_GE(used, 20000u * 24 / kBlock);
  std::uint64_t committed = t.heap->stats().committed_bytes;
  ASSERT_TRUE(t.heap->collect(*t.m, true));
  EXPECT_EQ(impl_of(*t.heap).blocks.blocks_in_use(), 0u);
  EXPECT_EQ(t.heap->stats().committed_bytes, committed - used * kBlock);
  EXPECT_EQ(t.heap->stats().old_bytes, 0u);
}

TEST(MajorGC, YoungObjectsAreRootsAndSurvive) {
  TestHeap t(old_options());
  HandleScope scope(*t.m);
  Handle old(*t.m, old_list(t, 10, 0));
  // A young object is the only path to the old list.
  Handle young(*t.m, t.new_node(1, 99));
  set_slot(*t.m, young.get(), 0, old.value());
  old.set(0);
  ASSERT_TRUE(t.heap->collect(*t.m, true));
  Value list = young.get()->slots()[0];
  ASSERT_TRUE(t.old(as_object(list)));  // promoted by the minor part, then marked
  EXPECT_EQ(list_length(list, 9), 10u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(MajorGC, ClearsWeakReferencesToDeadOldObjects) {
  TestHeap t(old_options());
  HandleScope scope(*t.m);
  Handle keep(*t.m, t.new_node(0, 1));
  Handle w_live(*t.m, allocate(*t.m, t.weak, 16));
  Handle w_dead(*t.m, allocate(*t.m, t.weak, 16));
  Handle dead(*t.m, t.new_node(0, 2));
  set_slot(*t.m, w_live.get(), 0, keep.value());
  set_slot(*t.m, w_dead.get(), 0, dead.value());
  ASSERT_TRUE(t.heap->collect(*t.m));  // all promoted
  ASSERT_TRUE(t.old(dead.get()));
  dead.set(0);
  ASSERT_TRUE(t.heap->collect(*t.m));  // minor: old referents are not decided
  ASSERT_NE(w_dead.get()->slots()[0], 0u);
  // A young weak reference to the old object that is about to die.
  Handle w_young(*t.m, allocate(*t.m, t.weak, 16));
  set_slot(*t.m, w_young.get(), 0, w_dead.get()->slots()[0]);

  ASSERT_TRUE(t.heap->collect(*t.m, true));
  EXPECT_EQ(w_live.get()->slots()[0], keep.value());
  EXPECT_EQ(w_dead.get()->slots()[0], 0u);
  EXPECT_EQ(w_young.get()->slots()[0], 0u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(MajorGC, EphemeronsFollowTheirOldKeys) {
  TestHeap t(old_options());
  HandleScope scope(*t.m);
  Handle key(*t.m, t.new_node(0, 1));
  Handle e_live(*t.m, allocate(*t.m, t.ephemeron, 24));
  set_slot(*t.m, e_live.get(), 0, key.value());
  set_slot(*t.m, e_live.get(), 1, ref_value(t.new_node(0, 2)));
  Handle e_dead(*t.m, allocate(*t.m, t.ephemeron, 24));
  Handle dead_key(*t.m, t.new_node(0, 3));
  set_slot(*t.m, e_dead.get(), 0, dead_key.value());
  set_slot(*t.m, e_dead.get(), 1, ref_value(t.new_node(0, 4)));
  // A chain: e1 (key k1, live) -> value k2, the key of e2 -> value v.
  Handle e2(*t.m, allocate(*t.m, t.ephemeron, 24));
  Handle e1(*t.m, allocate(*t.m, t.ephemeron, 24));
  Handle k1(*t.m, t.new_node(0, 5));
  Object* k2 = t.new_node(0, 6);
  set_slot(*t.m, e1.get(), 0, k1.value());
  set_slot(*t.m, e1.get(), 1, ref_value(k2));
  set_slot(*t.m, e2.get(), 0, ref_value(k2));
  set_slot(*t.m, e2.get(), 1, ref_value(t.new_node(0, 7)));
  ASSERT_TRUE(t.heap->collect(*t.m));  // everything is old now
  ASSERT_TRUE(t.old(e_dead.get()));
  dead_key.set(0);

  ASSERT_TRUE(t.heap->collect(*t.m, true));
  EXPECT_EQ(e_live.get()->slots()[0], key.value());
  EXPECT_EQ(TestHeap::node_id(as_object(e_live.get()->slots()[1]), 0), 2u);
  EXPECT_EQ(e_dead.get()->slots()[0], 0u);
  EXPECT_EQ(e_dead.get()->slots()[1], 0u);
  EXPECT_EQ(TestHeap::node_id(as_object(e2.get()->slots()[1]), 0), 7u);
  EXPECT_EQ(t.heap->stats().old_bytes, 4u * 24 + 5u * 16);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(MajorGC, FreesLargeObjectsAndReusesTheirBlocks) {
  Options o = old_options();
  o.max_heap = (1 << 20) + o.nursery;  // 32 blocks beside the nursery
  TestHeap t(o);
  HandleScope scope(*t.m);
  Handle keep(*t.m, t.new_ref_array(5000, 1));  // 40 KiB: a run of 2 blocks
  for (int i = 0; i < 8; ++i) ASSERT_NE(t.new_ref_array(5000, 100 + i), nullptr);
  EXPECT_EQ(t.heap->stats().large_bytes, 9u * 2 * kBlock);
  ASSERT_TRUE(t.heap->collect(*t.m, true));
  EXPECT_EQ(t.heap->stats().large_bytes, 2u * kBlock);
  EXPECT_EQ(impl_of(*t.heap).large.objects().size(), 1u);
  EXPECT_EQ(from_imm(array_slots(keep.get())[0]), 1u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
  // Far more large objects than max_heap holds: runs are freed and reused
  // (allocation failure collects), including runs of released blocks.
  for (int i = 0; i < 200; ++i) ASSERT_NE(t.new_ref_array(5000, 1000 + i), nullptr) << i;
  EXPECT_GT(t.heap->stats().major_collections, 1u);
  EXPECT_EQ(from_imm(array_slots(keep.get())[0]), 1u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(MajorGC, PromotionReusesFreeLines) {
  RUNA_SKIP_UNDER_TEST_MODES("checks which blocks objects are in");
  TestHeap t(old_options());
  HandleScope scope(*t.m);
  std::size_t n = 16000;
  // The array stays live in this scope's handle.
  fragmented_old_nodes(t, n, [&](std::size_t i) { return t.new_node(1, i); });
  ASSERT_FALSE(::testing::Test::HasFailure());
  ASSERT_TRUE(t.heap->collect(*t.m, true));
  BlockSpace& b = impl_of(*t.heap).blocks;
  std::size_t used = b.blocks_in_use();
  std::size_t frontier = b.frontier();
  ASSERT_GT(b.recyclable_blocks(), 5u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);

  // Promote as many bytes again: they land in the holes, no block is taken.
  Handle list(*t.m, Value{0});
  for (std::size_t i = 0; i < n / 2; ++i) {
    Object* node = t.new_node(1, i);
    set_slot(*t.m, node, 0, list.value());
    list.set(ref_value(node));
    if (i % 1000 == 999) {
      ASSERT_TRUE(t.heap->collect(*t.m));
    }
  }
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(b.blocks_in_use(), used);
  EXPECT_EQ(b.frontier(), frontier);
  EXPECT_TRUE(t.old(list.get()));
  EXPECT_LT(b.index_of(list.get()), frontier);
  EXPECT_EQ(list_length(list.value(), n / 2 - 1), n / 2);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(MajorGC, SweptBlocksKeepExactlyTheirMarkedObjects) {
  // The sweep walks up to MajorGC::kSweepChunk blocks at a time, a step of
  // each in turn (major_sweep.cpp): walks of different lengths end at
  // different turns, blocks with nothing marked are released without a
  // walk, and the blocks of a large object (the array) lie among them.
  // Byte arrays of many sizes, every 64th kept: after each major
  // collection the old generation holds exactly the kept bytes, each
  // array reads as it was written, and the heap verifies.
  TestHeap t(old_options());
  HandleScope scope(*t.m);
  constexpr std::size_t n = 8000;
  auto length = [](std::size_t i) { return 8 + (i * 97) % 3000; };
  Handle arr =
      fragmented_old_nodes(t, n, [&](std::size_t i) { return t.new_byte_array(length(i), i); });
  ASSERT_FALSE(::testing::Test::HasFailure());
  std::uint64_t kept = 0;
  for (std::size_t i = 64; i < n; i += 64) kept += byte_array_bytes(length(i));
  for (int round = 0; round < 2; ++round) {
    ASSERT_TRUE(t.heap->collect(*t.m, true));
    EXPECT_EQ(t.heap->stats().old_bytes, kept) << "round " << round;
    for (std::size_t i = 64; i < n; i += 64) {
      const std::uint8_t* b = array_bytes(as_object(array_slots(arr.get())[i]));
      std::uint64_t id = 0;
      std::memcpy(&id, b, 8);
      ASSERT_EQ(id, i);
      for (std::size_t j = 8; j < length(i); ++j) {
        ASSERT_EQ(b[j], static_cast<std::uint8_t>(i + j)) << "array " << i << ", byte " << j;
      }
    }
    EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
  }
}

TEST(MajorGC, EvacuatesFragmentedBlocks) {
  RUNA_SKIP_UNDER_TEST_MODES("checks which blocks objects are in");
  Options o = old_options();
  o.log = true;
  TestHeap t(o);
  HandleScope scope(*t.m);
  std::size_t n = 16000;
  Handle arr = fragmented_old_nodes(t, n, [&](std::size_t i) { return t.new_node(1, i); });
  ASSERT_FALSE(::testing::Test::HasFailure());
  // An old weak reference and an old object pointing at a young survivor
  // (remembered), both aimed at objects about to move.
  Handle w(*t.m, allocate(*t.m, t.weak, 16));
  set_slot(*t.m, w.get(), 0, array_slots(arr.get())[64]);
  ASSERT_TRUE(t.heap->collect(*t.m));
  Object* holder = as_object(array_slots(arr.get())[128]);
  Handle young(*t.m, t.new_node(0, 77));
  set_slot(*t.m, holder, 0, young.value());
  // The first major collection finds the blocks fragmented (line maps);
  // the second evacuates them.
  ASSERT_TRUE(t.heap->collect(*t.m, true));
  BlockSpace& b = impl_of(*t.heap).blocks;
  std::size_t used = b.blocks_in_use();
  std::vector<Value> before(array_slots(arr.get()), array_slots(arr.get()) + n);
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(t.heap->collect(*t.m, true));
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find(" evacuated "), std::string::npos) << err;
  EXPECT_LT(b.blocks_in_use(), used / 2);
  std::size_t moved = 0;
  for (std::size_t i = 64; i < n; i += 64) {
    Value v = array_slots(arr.get())[i];
    ASSERT_TRUE(is_ref(v));
    EXPECT_EQ(TestHeap::node_id(as_object(v), 1), i);
    moved += v != before[i] ? 1 : 0;
  }
  EXPECT_GT(moved, n / 64 / 2);
  EXPECT_EQ(w.get()->slots()[0], array_slots(arr.get())[64]);
  holder = as_object(array_slots(arr.get())[128]);
  EXPECT_EQ(holder->slots()[0], young.value());
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
  ASSERT_TRUE(t.heap->collect(*t.m));  // the moved holder is still remembered
  EXPECT_EQ(TestHeap::node_id(as_object(as_object(array_slots(arr.get())[128])->slots()[0]), 0),
            77u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(MajorGC, DeadRememberedObjectsAreDropped) {
  TestHeap t(old_options());
  HandleScope scope(*t.m);
  Handle o(*t.m, t.new_node(1, 1));
  ASSERT_TRUE(t.heap->collect(*t.m));
  ASSERT_TRUE(t.old(o.get()));
  // Old -> young: o is logged and, pointing at a survivor, stays remembered.
  Handle young(*t.m, t.new_node(0, 2));
  set_slot(*t.m, o.get(), 0, young.value());
  o.set(0);
  ASSERT_TRUE(t.heap->collect(*t.m, true));
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(TestHeap::node_id(young.get(), 0), 2u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(MajorGC, PolicyStartsMajorCollections) {
  RUNA_SKIP_UNDER_TEST_MODES("counts collections");
  Options o = old_options();
  o.max_heap = 4 << 20;
  o.log = true;
  TestHeap t(o);
  HandleScope scope(*t.m);
  Handle keep(*t.m, old_list(t, 100, 0));
  ::testing::internal::CaptureStderr();
  // Garbage that lives through one collection, so it is promoted: 400
  // rounds of 2,000 nodes, about 19 MiB, past the first threshold (45% of
  // the old generation's share, 1.7 MiB) many times.
  for (int round = 0; round < 400; ++round) {
    HandleScope inner(*t.m);
    Handle h(*t.m, Value{0});
    for (int i = 0; i < 2000; ++i) {
      Object* node = t.new_node(1, i);
      ASSERT_NE(node, nullptr);
      set_slot(*t.m, node, 0, h.value());
      h.set(ref_value(node));
    }
    ASSERT_TRUE(t.heap->collect(*t.m));
  }
  std::string err = ::testing::internal::GetCapturedStderr();
  Stats s = t.heap->stats();
  EXPECT_GT(s.major_collections, 3u);
  EXPECT_NE(err.find("[gc] major (old generation grown) "), std::string::npos);
  EXPECT_NE(err.find(" marked "), std::string::npos);
  EXPECT_EQ(list_length(keep.value(), 99), 100u);
}

// Promoted garbage, `rounds` lists of `nodes` nodes, many times max_heap in
// all: with majors left to promotion failure, every allocation succeeds
// and more than `min_majors` majors run. A node is a one-slot node,
// or with `length` > 0 a reference array of that length linked by element 1
// (the same bytes in fewer objects, for the verifier to walk).
void out_of_room_tries_a_major_first(Options o, int rounds, int nodes, std::size_t length,
                                     std::uint64_t min_majors) {
  o.major_growth_percent = 0;  // majors only when promotion fails
  TestHeap t(o);
  HandleScope scope(*t.m);
  for (int round = 0; round < rounds; ++round) {
    HandleScope inner(*t.m);
    Handle h(*t.m, Value{0});
    for (int i = 0; i < nodes; ++i) {
      auto id = static_cast<std::uint64_t>(i);
      Object* node = length == 0 ? t.new_node(1, id) : t.new_ref_array(length, id);
      ASSERT_NE(node, nullptr) << round;
      write(*t.m, node, length == 0 ? node->slots() : array_slots(node) + 1, h.value());
      h.set(ref_value(node));
    }
    ASSERT_TRUE(t.heap->collect(*t.m));
  }
  EXPECT_GT(t.heap->stats().major_collections, min_majors);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(MajorGC, OutOfRoomTriesAMajorCollectionFirst) {
  RUNA_SKIP_UNDER_TEST_MODES("allocates too much to verify every few allocations");
  Options o = old_options();
  o.max_heap = 1 << 20;
  out_of_room_tries_a_major_first(o, 200, 4000, 0, 5);  // 20 times max_heap
}

// The same with an old generation of eight blocks and 272-byte nodes, which
// the stress run verifies in time (twice max_heap in all). max_heap includes
// the nursery, whose 80 KiB take three blocks of the reservation.
TEST(MajorGC, OutOfRoomTriesAMajorCollectionFirstSmall) {
  Options o = old_options();
  o.nursery = 80 << 10;
  o.tlab = 1 << 10;
  o.max_heap = 11 * kBlock;
  out_of_room_tries_a_major_first(o, 20, 72, 32, 0);
}

TEST(MajorGC, RequestedMajorLogLine) {
  CollectionRecord c;
  c.major = true;
  c.cause = Cause::kRequested;
  c.before = 2048;
  c.after = 1024;
  c.pause_ns = 1000000;
  c.marked = 512;
  EXPECT_EQ(log_line(c), "[gc] major (requested) 2.0K->1.0K 1.000ms promoted 0B marked 512B");
}

// Allocates far more than max_heap with a bounded live set: a ring of lists
// of old objects, each replaced in turn, while `rounds` x `nodes` small
// objects and a large array every `big_every` rounds (of `big` references,
// or of `big` bytes when `bytes`) are allocated. Every allocation succeeds;
// what a requested major collection leaves at the end exceeds what one left
// half way by no more than a few partly filled blocks (nothing leaks); and
// the committed memory never exceeds max_heap. (Committed memory itself may
// grow in the second half: when major collections take a large share of
// the time, as under the test modes, pacing lets the old generation grow
// further before the next one, within max_heap: major_pacing.hpp.)
void run_bounded_live_set(const Options& o, int rounds, int nodes, std::size_t big, int big_every,
                          bool bytes) {
  TestHeap t(o);
  constexpr std::size_t kRing = 64;
  std::vector<Value> ring(kRing, 0);
  std::uint64_t roots = t.heap->add_roots(ring.data(), ring.size());
  std::uint64_t max_committed = 0;
  std::uint64_t kept_half_way = 0;
  auto kept = [&] {
    t.heap->collect(*t.m, true);
    Stats s = t.heap->stats();
    return s.old_bytes + s.large_bytes;
  };
  for (int round = 0; round < rounds; ++round) {
    if (round == rounds / 2) kept_half_way = kept();
    std::size_t slot = static_cast<std::size_t>(round) % kRing;
    ring[slot] = 0;
    for (int i = 0; i < nodes; ++i) {
      Object* node = t.new_node(2, static_cast<std::uint64_t>(i));
      ASSERT_NE(node, nullptr) << round;
      set_slot(*t.m, node, 0, ring[slot]);
      ring[slot] = ref_value(node);
    }
    if (round % big_every == 0) {
      Object* array = bytes ? t.new_byte_array(big, static_cast<std::uint64_t>(round))
                            : t.new_ref_array(big, static_cast<std::uint64_t>(round));
      ASSERT_NE(array, nullptr) << round;
      Object* head = as_object(ring[slot]);
      set_slot(*t.m, head, 1, ref_value(array));
    }
    max_committed = std::max(max_committed, t.heap->stats().committed_bytes);
  }
  Stats s = t.heap->stats();
  EXPECT_GT(s.allocated_bytes, 4 * o.max_heap);
  EXPECT_GT(s.major_collections, 2u);
  // Slack: which worker promotes what varies from run to run, and each
  // worker's cursor leaves its own partly filled blocks.
  EXPECT_LE(kept(), kept_half_way + 4 * kBlock * o.gc_threads);
  EXPECT_LE(max_committed, o.max_heap);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
  t.heap->remove_roots(roots);
}

TEST(MajorGC, LongRunWithABoundedLiveSetStaysBounded) {
  RUNA_SKIP_UNDER_TEST_MODES("allocates too much to verify every few allocations");
  Options o = small_options();
  o.max_heap = 8 << 20;
  run_bounded_live_set(o, 10000, 300, 3000, 16, false);
}

// The same property with few enough small allocations to verify the heap
// every few of them (the stress label runs it so): most bytes come from
// large byte arrays, which the test modes do not count and the verifier
// does not walk.
TEST(MajorGC, LongRunWithABoundedLiveSetStaysBoundedSmall) {
  Options o = small_options();
  o.max_heap = 8 << 20;
  run_bounded_live_set(o, 1200, 12, 256 << 10, 8, true);
}

}  // namespace
}  // namespace runa::heap::testing
