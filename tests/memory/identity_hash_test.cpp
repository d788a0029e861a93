// Identity hashes (identity_hash.cpp): non-zero values of the header's 20-bit
// field that change no other bit, spread well over 100,000 objects, the same
// after minor collections (survivor copies and promotion) and after a major
// collection that evacuates fragmented blocks; first requests racing on one
// object from two threads agree, also while a third party (the write
// barrier) changes the same header word; threads draw different values.
#include <algorithm>
#include <array>
#include <atomic>
#include <latch>
#include <thread>
#include <vector>

#include "heap_fixture.hpp"

namespace runa::heap::testing {
namespace {

constexpr std::uint32_t kHashLimit = 1U << 20;

std::uint32_t stored_hash(Object* o) {
  return static_cast<std::uint32_t>((o->load_header() & hdr::kHashMask) >> hdr::kHashShift);
}

TEST(IdentityHash, NonZeroStoredAndOtherBitsUntouched) {
  TestHeap t;
  HandleScope scope(*t.m);
  Handle node(*t.m, t.new_node(2, 1));
  Handle refs(*t.m, t.new_ref_array(3, 2));
  Handle bytes(*t.m, t.new_byte_array(5, 3));
  Handle weak(*t.m, allocate(*t.m, t.weak, 16));
  Handle large(*t.m, t.new_ref_array(2000, 4));
  ASSERT_FALSE(t.young(large.get()));
  for (const Handle& h : {node, refs, bytes, weak, large}) {
    Object* o = h.get();
    std::uint64_t before = o->load_header();
    ASSERT_EQ(stored_hash(o), 0u);
    std::uint32_t hash = identity_hash(o);
    EXPECT_NE(hash, 0u);
    EXPECT_LT(hash, kHashLimit);
    EXPECT_EQ(o->load_header(), before | (std::uint64_t{hash} << hdr::kHashShift));
    EXPECT_EQ(identity_hash(o), hash);
    EXPECT_EQ(identity_hash(o), hash);
  }
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(IdentityHash, FewCollisionsOverManyObjects) {
  TestHeap t;
  constexpr std::size_t kObjects = 100000;
  std::vector<std::uint32_t> hashes;
  hashes.reserve(kObjects);
  std::array<std::size_t, 20> ones{};
  for (std::size_t i = 0; i < kObjects; ++i) {
    std::uint32_t h = identity_hash(t.new_node(0, i));
    ASSERT_NE(h, 0u);
    ASSERT_LT(h, kHashLimit);
    hashes.push_back(h);
    for (unsigned b = 0; b < 20; ++b) ones[b] += (h >> b) & 1;
  }
  std::sort(hashes.begin(), hashes.end());
  std::size_t repeats = 0;  // objects whose hash an earlier object has
  std::size_t longest = 1;  // most objects sharing one hash
  std::size_t run = 1;
  for (std::size_t i = 1; i < kObjects; ++i) {
    run = hashes[i] == hashes[i - 1] ? run + 1 : 1;
    repeats += run > 1 ? 1 : 0;
    longest = std::max(longest, run);
  }
  // Uniform draws from 2^20 - 1 values: about 4,620 repeats expected, and
  // no hash shared by more than a handful of objects.
  EXPECT_LT(repeats, 6000u);
  EXPECT_LE(longest, 6u);
  for (unsigned b = 0; b < 20; ++b) {
    EXPECT_GT(ones[b], kObjects * 48 / 100) << "bit " << b;
    EXPECT_LT(ones[b], kObjects * 52 / 100) << "bit " << b;
  }
}

TEST(IdentityHash, SurvivesCopyingPromotionAndEvacuation) {
  RUNA_SKIP_UNDER_TEST_MODES("checks which space objects are in");
  TestHeap t;  // promotion_age 2: the first minor collection copies, the second promotes
  HandleScope scope(*t.m);
  constexpr std::size_t n = 16000;
  Handle arr(*t.m, t.new_ref_array(n, 0));  // large: never moves
  std::uint32_t arr_hash = identity_hash(arr.get());
  std::vector<std::uint32_t> hashes(n, 0);
  auto node = [&](std::size_t i) { return as_object(array_slots(arr.get())[i]); };
  // Every node is hashed while young, except every 128th, first hashed once old.
  for (std::size_t i = 1; i < n; ++i) {
    Object* o = t.new_node(1, i);
    write(*t.m, arr.get(), array_slots(arr.get()) + i, ref_value(o));
    if (i % 128 != 0) hashes[i] = identity_hash(o);
  }
  auto check = [&](const char* when) {
    for (std::size_t i = 1; i < n; ++i) {
      if (hashes[i] == 0 || array_slots(arr.get())[i] == 0) continue;
      ASSERT_EQ(TestHeap::node_id(node(i), 1), i) << when;
      ASSERT_EQ(identity_hash(node(i)), hashes[i]) << when << ": node " << i;
    }
    EXPECT_EQ(identity_hash(arr.get()), arr_hash) << when;
  };
  auto addresses = [&] {
    return std::vector<Value>(array_slots(arr.get()), array_slots(arr.get()) + n);
  };
  auto moved_since = [&](const std::vector<Value>& before) {
    std::size_t moved = 0;
    for (std::size_t i = 1; i < n; ++i) {
      Value v = array_slots(arr.get())[i];
      moved += v != 0 && v != before[i] ? 1 : 0;
    }
    return moved;
  };

  std::vector<Value> before = addresses();
  std::size_t young = 0;
  for (std::size_t i = 1; i < n; ++i) young += t.young(node(i)) ? 1 : 0;
  ASSERT_GT(young, 1000u);
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(moved_since(before), young);
  check("after a minor collection");
  ASSERT_TRUE(t.heap->collect(*t.m));
  check("after promotion");
  for (std::size_t i = 1; i < n; ++i) ASSERT_TRUE(t.old(node(i))) << i;
  for (std::size_t i = 128; i < n; i += 128) hashes[i] = identity_hash(node(i));

  // Fragment every block (one node in 64 stays), then evacuate: the first
  // major collection finds the free lines, the second moves the survivors.
  for (std::size_t i = 1; i < n; ++i) {
    if (i % 64 != 0) write(*t.m, arr.get(), array_slots(arr.get()) + i, 0);
  }
  ASSERT_TRUE(t.heap->collect(*t.m, true));
  check("after a major collection");
  before = addresses();
  ASSERT_TRUE(t.heap->collect(*t.m, true));
  EXPECT_GT(moved_since(before), n / 64 / 2);
  check("after evacuation");
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

// `count` old nodes (one reference slot each) held by a large array; the
// caller reads them raw while no collection can run.
Handle old_nodes(TestHeap& t, std::size_t count) {
  Handle arr(*t.m, t.new_ref_array(count, 0));
  for (std::size_t i = 0; i < count; ++i) {
    Object* o = t.new_node(1, i);
    write(*t.m, arr.get(), array_slots(arr.get()) + i, ref_value(o));
  }
  for (int k = 0; k < 2; ++k) EXPECT_TRUE(t.heap->collect(*t.m));  // promotion_age 2
  return arr;
}

std::vector<Object*> raw_elements(Object* arr, std::size_t count) {
  std::vector<Object*> v(count);
  for (std::size_t i = 0; i < count; ++i) v[i] = as_object(array_slots(arr)[i]);
  return v;
}

// Two threads request the first hash of each of `count` old objects, in the
// same order, at once.
void racing_first_requests_agree(std::size_t count) {
  TestHeap t;
  HandleScope scope(*t.m);
  Handle arr = old_nodes(t, count);
  const std::vector<Object*> objects = raw_elements(arr.get(), count);
  std::array<std::vector<std::uint32_t>, 2> seen;
  std::latch start(2);
  std::vector<std::thread> threads;
  for (auto& mine : seen) {
    threads.emplace_back([&] {
      Mutator& m = t.heap->attach();
      mine.reserve(count);
      start.arrive_and_wait();
      for (Object* o : objects) mine.push_back(identity_hash(o));
      t.heap->detach(m);
    });
  }
  {
    NativeRegion native(*t.m);
    for (auto& th : threads) th.join();
  }
  for (std::size_t i = 0; i < count; ++i) {
    ASSERT_NE(seen[0][i], 0u);
    ASSERT_EQ(seen[0][i], seen[1][i]) << "object " << i;
    ASSERT_EQ(stored_hash(objects[i]), seen[0][i]) << "object " << i;
  }
}

TEST(IdentityHash, RacingFirstRequestsAgree) {
  RUNA_SKIP_UNDER_TEST_MODES("allocates too much to verify every few allocations");
  racing_first_requests_agree(20000);
}

// The same with fewer objects, which the stress run builds in time.
TEST(IdentityHash, RacingFirstRequestsAgreeSmall) {
  racing_first_requests_agree(2000);
}

// One thread requests the first hash of each of `count` old objects while
// another stores into each, its barrier clearing kUnlogged in the same
// header word.
void races_with_the_write_barrier(std::size_t count) {
  TestHeap t;
  HandleScope scope(*t.m);
  Handle arr = old_nodes(t, count);
  const std::vector<Object*> objects = raw_elements(arr.get(), count);
  for (Object* o : objects) ASSERT_NE(o->load_header() & hdr::kUnlogged, 0u);
  std::vector<std::uint32_t> hashes;
  std::latch start(2);
  std::thread hasher([&] {
    Mutator& m = t.heap->attach();
    hashes.reserve(count);
    start.arrive_and_wait();
    for (Object* o : objects) hashes.push_back(identity_hash(o));
    t.heap->detach(m);
  });
  std::thread writer([&] {
    Mutator& m = t.heap->attach();
    start.arrive_and_wait();
    for (std::size_t i = 0; i < count; ++i) set_slot(m, objects[i], 0, imm(i));
    t.heap->detach(m);
  });
  {
    NativeRegion native(*t.m);
    hasher.join();
    writer.join();
  }
  // Both updates of every header landed: the hash, and the barrier's
  // clearing of kUnlogged (the object is logged).
  for (std::size_t i = 0; i < count; ++i) {
    ASSERT_EQ(stored_hash(objects[i]), hashes[i]) << "object " << i;
    ASSERT_EQ(objects[i]->load_header() & hdr::kUnlogged, 0u) << "object " << i;
    ASSERT_EQ(objects[i]->slots()[0], imm(i));
  }
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
  ASSERT_TRUE(t.heap->collect(*t.m, true));
  for (std::size_t i = 0; i < count; ++i) {
    ASSERT_EQ(identity_hash(as_object(array_slots(arr.get())[i])), hashes[i]);
  }
}

TEST(IdentityHash, ThreadsDrawDifferentValues) {
  TestHeap t;
  HandleScope scope(*t.m);
  constexpr std::size_t kEach = 2000;
  Handle arr = old_nodes(t, 2 * kEach);
  const std::vector<Object*> objects = raw_elements(arr.get(), 2 * kEach);
  std::array<std::vector<std::uint32_t>, 2> drawn;
  std::vector<std::thread> threads;
  for (std::size_t k = 0; k < 2; ++k) {
    threads.emplace_back([&, k] {
      Mutator& m = t.heap->attach();
      for (std::size_t i = 0; i < kEach; ++i)
        drawn[k].push_back(identity_hash(objects[k * kEach + i]));
      t.heap->detach(m);
    });
  }
  {
    NativeRegion native(*t.m);
    for (auto& th : threads) th.join();
  }
  // Two fresh threads seeded alike would draw the same sequence; independent
  // draws share about kEach^2 / 2^20, i.e. 4 values.
  std::sort(drawn[0].begin(), drawn[0].end());
  std::sort(drawn[1].begin(), drawn[1].end());
  std::vector<std::uint32_t> common;
  std::set_intersection(drawn[0].begin(), drawn[0].end(), drawn[1].begin(), drawn[1].end(),
                        std::back_inserter(common));
  EXPECT_LT(common.size(), 40u);
}

TEST(IdentityHash, RacesWithTheWriteBarrierOnTheSameWord) {
  RUNA_SKIP_UNDER_TEST_MODES("allocates too much to verify every few allocations");
  races_with_the_write_barrier(20000);
}

// The same with fewer objects, which the stress run builds in time.
TEST(IdentityHash, RacesWithTheWriteBarrierOnTheSameWordSmall) {
  races_with_the_write_barrier(2000);
}

}  // namespace
}  // namespace runa::heap::testing
