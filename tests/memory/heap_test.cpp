// The Heap facade: option checks, layouts, statistics and the gc log.
#include <algorithm>
#include <vector>

#include "heap_fixture.hpp"
#include "memory/stats.hpp"
#include "vm_flags.hpp"

namespace runa::heap::testing {
namespace {

std::string option_error(const Options& o) {
  auto h = Heap::create(o);
  if (h.ok()) return "";
  EXPECT_EQ(h.error().section, "heap options");
  return h.error().message;
}

TEST(Heap, DefaultOptionsAreValid) {
  auto h = Heap::create();
  ASSERT_TRUE(h.ok()) << h.error().describe();
  EXPECT_EQ((*h)->options().gc_threads, 2u);
}

// By default the heap leaves page sizes to the system.
TEST(Heap, ByDefaultNoPartAsksForHugePages) {
  Options o;
  o.max_heap = 256 << 20;
  TestHeap t(o);
  Object* young = t.new_node(0, 1);
  ASSERT_NE(young, nullptr);
  EXPECT_EQ(vm_flags_at(young).find(" hg"), std::string::npos) << vm_flags_at(young);
  Object* large = t.new_byte_array(std::size_t{2} << 20, 7);
  ASSERT_NE(large, nullptr);
  EXPECT_EQ(vm_flags_at(large).find(" hg"), std::string::npos) << vm_flags_at(large);
}

// With huge_pages, first touches are huge-page faults, in eden and in old
// blocks past the first 8 MiB, where the runtime's own objects stay in
// small pages (docs/memory.md, "Huge pages").
TEST(Heap, WithHugePagesTheNurseryAndMostOfTheOldGenerationAskForThem) {
  Options o;
  o.max_heap = 256 << 20;
  o.huge_pages = true;
  TestHeap t(o);
  Object* young = t.new_node(0, 1);
  ASSERT_NE(young, nullptr);
  EXPECT_NE(vm_flags_at(young).find(" hg"), std::string::npos) << vm_flags_at(young);
  Object* first_old = allocate_pinned(*t.m, t.node[0], 16);
  ASSERT_NE(first_old, nullptr);
  EXPECT_EQ(vm_flags_at(first_old).find(" hg"), std::string::npos) << vm_flags_at(first_old);
  // Large objects are born old: 2 MiB at a time, they soon pass 8 MiB.
  HandleScope scope(*t.m);
  std::vector<Handle> kept;
  Object* last = nullptr;
  for (int i = 0; i < 8; ++i) {
    last = t.new_byte_array(std::size_t{2} << 20, 7);
    ASSERT_NE(last, nullptr);
    kept.emplace_back(*t.m, ref_value(last));
  }
  EXPECT_NE(vm_flags_at(last).find(" hg"), std::string::npos) << vm_flags_at(last);
}

// A program that never collects makes no room for a pause (the reserve,
// `carried`): the first collection makes it, before it stops the world,
// and so stops it once (docs/memory.md, "The pause reserve").
TEST(Heap, TheFirstCollectionMakesThePausesRoomAndStopsTheWorldOnce) {
  TestHeap t;
  HeapImpl& h = impl_of(*t.heap);
  EXPECT_EQ(h.pause_reserve.committed(), 0U);
  EXPECT_EQ(h.carried.capacity(), 0U);
  ASSERT_NE(t.new_node(0, 1), nullptr);
  ASSERT_TRUE(t.heap->collect(*t.m, false));
  EXPECT_GT(h.pause_reserve.committed(), 0U);
  EXPECT_GT(h.carried.capacity(), 0U);
  EXPECT_EQ(t.heap->stats().safepoint_handshakes, 1U);
}

TEST(Heap, RejectsBadOptions) {
  Options o;
  o.survivor_ratio = 0;
  EXPECT_NE(option_error(o).find("survivor_ratio"), std::string::npos);
  o = Options{};
  o.nursery = 4096;
  EXPECT_NE(option_error(o).find("nursery"), std::string::npos);
  o = Options{};
  o.tlab = 64 << 10;
  EXPECT_NE(option_error(o).find("tlab"), std::string::npos);
  o.tlab = 1001;
  EXPECT_NE(option_error(o).find("multiple of 8"), std::string::npos);
  o = Options{};
  o.max_heap = 100;
  EXPECT_NE(option_error(o).find("max_heap"), std::string::npos);
  o = Options{};
  o.promotion_age = 16;
  EXPECT_NE(option_error(o).find("promotion_age"), std::string::npos);
  o.promotion_age = 0;
  EXPECT_NE(option_error(o).find("promotion_age"), std::string::npos);
  o = Options{};
  o.gc_threads = 0;
  EXPECT_NE(option_error(o).find("gc_threads"), std::string::npos);
  o = Options{};
  o.nursery = 48 << 10;
  o.survivor_ratio = 1;
  o.tlab = 32 << 10;
  EXPECT_NE(option_error(o).find("larger than eden"), std::string::npos);
}

// max_heap is the whole heap, like the JVM's -Xmx: a nursery of more
// than half of it leaves too little for the old generation.
TEST(Heap, TheNurseryIsTakenOutOfMaxHeap) {
  Options o;
  o.max_heap = 64 << 20;
  o.nursery = (32 << 20) + kPage;
  EXPECT_NE(option_error(o).find("more than half of max_heap"), std::string::npos);
  o.nursery = 32 << 20;
  EXPECT_EQ(option_error(o), "");
}

// Filled with large objects until allocation fails, the heap never commits
// more than max_heap, nursery included.
TEST(Heap, CommittedMemoryStaysWithinMaxHeap) {
  RUNA_SKIP_UNDER_TEST_MODES("checks committed memory at exhaustion");
  Options o = small_options();
  o.max_heap = 2 << 20;
  TestHeap t(o);
  HandleScope scope(*t.m);
  Handle list(*t.m, Value{0});
  std::size_t arrays = 0;
  for (;;) {
    Object* a = t.new_ref_array(2000, arrays);  // 16 KiB: large, one block each
    if (a == nullptr) break;
    write(*t.m, a, array_slots(a) + 1, list.value());
    list.set(ref_value(a));
    ++arrays;
  }
  Stats s = t.heap->stats();
  EXPECT_LE(s.committed_bytes, o.max_heap);
  // Every block beside the nursery's was used: (2 MiB - 256 KiB) / 32 KiB.
  EXPECT_EQ(arrays, 56u);
  EXPECT_EQ(s.large_bytes, 56u * kBlock);
}

TEST(Heap, LayoutsAndObjectSizes) {
  TestHeap t;
  EXPECT_EQ(t.heap->layout(0), nullptr);
  ASSERT_NE(t.heap->layout(t.ref_array), nullptr);
  EXPECT_STREQ(t.heap->layout(t.ref_array)->name, "refs");
  EXPECT_EQ(t.heap->object_size(t.new_node(3, 1)), 40u);
  EXPECT_EQ(t.heap->object_size(t.new_ref_array(7, 1)), 16u + 56u);
  EXPECT_EQ(t.heap->object_size(t.new_byte_array(9, 1)), 32u);
  Layout bad;
  bad.size = 12;
  EXPECT_FALSE(t.heap->register_layout(bad).ok());
}

TEST(Heap, StatsCountCollections) {
  TestHeap t;
  HandleScope scope(*t.m);
  Handle keep(*t.m, t.new_node(0, 1));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(t.heap->collect(*t.m));
  Stats s = t.heap->stats();
  EXPECT_EQ(s.minor_collections, 5u);
  EXPECT_GT(s.total_pause_ns, 0u);
  EXPECT_GE(s.max_pause_ns, s.p99_pause_ns);
  EXPECT_GE(s.p99_pause_ns, s.p50_pause_ns);
  EXPECT_GT(s.p50_pause_ns, 0u);
  EXPECT_EQ(s.allocated_bytes, 16u);
  EXPECT_EQ(s.surviving_bytes, 16u);  // age 1 (promotion_age 2)
  EXPECT_EQ(s.promoted_bytes, 16u);   // then promoted once
  EXPECT_EQ(s.old_bytes, 16u);
  EXPECT_EQ(s.survivor_bytes, 0u);
}

TEST(Heap, PausePercentilesFromTheHistogram) {
  StatsRecorder r;
  for (std::uint64_t i = 1; i <= 100; ++i) {
    CollectionRecord c;
    c.pause_ns = i * 1000;
    r.record(c, 0);
  }
  Stats s;
  r.fill(s);
  EXPECT_EQ(s.max_pause_ns, 100000u);
  // Within 1/16 above the exact values (50 us and 99 us).
  EXPECT_GE(s.p50_pause_ns, 50000u);
  EXPECT_LE(s.p50_pause_ns, 50000u + 50000u / 16);
  EXPECT_GE(s.p99_pause_ns, 99000u);
  EXPECT_LE(s.p99_pause_ns, 100000u);
  EXPECT_EQ(s.total_pause_ns, 5050000u);
}

TEST(Heap, LogLine) {
  CollectionRecord c;
  c.cause = Cause::kEdenFull;
  c.before = 12u << 20;
  c.after = 3584u << 10;
  c.pause_ns = 812000;
  c.promoted = 1536u << 10;
  EXPECT_EQ(log_line(c), "[gc] minor (eden full) 12.0M->3.5M 0.812ms promoted 1.5M");
  c.cause = Cause::kStress;
  c.before = 100;
  c.after = 0;
  c.promoted = 0;
  EXPECT_EQ(log_line(c), "[gc] minor (stress) 100B->0B 0.812ms promoted 0B");
}

TEST(Heap, LogsOneLinePerCollection) {
  Options o = small_options();
  o.log = true;
  TestHeap t(o);
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(t.heap->collect(*t.m));
  ASSERT_TRUE(t.heap->collect(*t.m));
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err.rfind("[gc] minor (requested) ", 0), 0u) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 2);
}

TEST(Heap, StressModeCollectsEveryNAllocations) {
  RUNA_SKIP_UNDER_TEST_MODES("counts collections");
  Options o = small_options();
  o.stress_every = 3;
  TestHeap t(o);
  for (int i = 0; i < 30; ++i) ASSERT_NE(t.new_node(0, 1), nullptr);
  EXPECT_EQ(t.heap->stats().minor_collections, 10u);
  EXPECT_EQ(t.m->cursor, t.m->limit);  // never a TLAB
}

}  // namespace
}  // namespace runa::heap::testing
