// Pinned objects: allocated old, never moved by minor collections or by
// defragmentation, kept exact by the write barrier like any old object,
// freed when unreachable, and allocated by several threads at once.
#include <thread>
#include <vector>

#include "heap_fixture.hpp"

namespace runa::heap::testing {
namespace {

Object* new_pinned(TestHeap& t, unsigned k, std::uint64_t id) {
  Object* o = allocate_pinned(*t.m, t.node[k], 16 + 8 * k);
  if (o != nullptr) o->slots()[k] = id;
  return o;
}

TEST(Pinned, BornOldAndPinned) {
  TestHeap t;
  HandleScope scope(*t.m);
  Handle p(*t.m, new_pinned(t, 1, 5));
  ASSERT_NE(p.get(), nullptr);
  EXPECT_TRUE(t.old(p.get()));
  std::uint64_t h = p->load_header();
  EXPECT_NE(h & hdr::kPinned, 0u);
  // Born remembered (heap.hpp, "Initialising stores"): logged already.
  EXPECT_EQ(h & hdr::kUnlogged, 0u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(Pinned, YoungReferentsStayReachableThroughTheBarrier) {
  TestHeap t;
  HandleScope scope(*t.m);
  Handle p(*t.m, new_pinned(t, 1, 1));
  Object* before = p.get();
  set_slot(*t.m, p.get(), 0, ref_value(t.new_node(0, 42)));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(p.get(), before);
  Value child = p->slots()[0];
  ASSERT_TRUE(is_ref(child));
  EXPECT_EQ(TestHeap::node_id(as_object(child), 0), 42u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

// Pinned objects mixed with ordinary old ones in fragmented blocks: the
// defragmenting major collection moves the ordinary ones and none of the
// pinned ones.
TEST(Pinned, DefragmentationLeavesPinnedObjectsInPlace) {
  RUNA_SKIP_UNDER_TEST_MODES("checks which blocks objects are in");
  Options o = small_options();
  o.promotion_age = 1;
  TestHeap t(o);
  HandleScope scope(*t.m);
  std::size_t n = 16000;
  Handle arr = fragmented_old_nodes(
      t, n, [&](std::size_t i) { return i % 128 == 0 ? new_pinned(t, 1, i) : t.new_node(1, i); });
  ASSERT_FALSE(::testing::Test::HasFailure());
  ASSERT_TRUE(t.heap->collect(*t.m, true));  // finds the blocks fragmented
  std::vector<Value> before(array_slots(arr.get()), array_slots(arr.get()) + n);
  impl_of(*t.heap).opt.log = true;
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(t.heap->collect(*t.m, true));  // evacuates them
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find(" evacuated "), std::string::npos) << err;
  std::size_t moved = 0;
  std::size_t pinned = 0;
  for (std::size_t i = 64; i < n; i += 64) {
    Value v = array_slots(arr.get())[i];
    ASSERT_TRUE(is_ref(v));
    EXPECT_EQ(TestHeap::node_id(as_object(v), 1), i);
    if (i % 128 == 0) {
      EXPECT_EQ(v, before[i]) << "pinned object " << i << " moved";
      EXPECT_NE(as_object(v)->load_header() & hdr::kPinned, 0u);
      ++pinned;
    } else if (v != before[i]) {
      ++moved;
    }
  }
  EXPECT_GT(pinned, 100u);
  EXPECT_GT(moved, 0u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(Pinned, UnreachablePinnedObjectsAreFreed) {
  TestHeap t;
  {
    HandleScope scope(*t.m);
    for (std::uint64_t i = 0; i < 20000; ++i) ASSERT_NE(new_pinned(t, 2, i), nullptr);
  }
  std::uint64_t before = t.heap->stats().old_bytes;
  EXPECT_GE(before, 20000u * 32);
  ASSERT_TRUE(t.heap->collect(*t.m, true));
  EXPECT_EQ(t.heap->stats().old_bytes, 0u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(Pinned, LargePinnedObjectsGoToTheLargeObjectSpace) {
  TestHeap t;
  HandleScope scope(*t.m);
  Handle big(*t.m, allocate_pinned(*t.m, t.node[0], kLargeObject));
  ASSERT_NE(big.get(), nullptr);
  EXPECT_GE(t.heap->stats().large_bytes, kLargeObject);
  Object* at = big.get();
  ASSERT_TRUE(t.heap->collect(*t.m, true));
  EXPECT_EQ(big.get(), at);
}

TEST(Pinned, ThreadsAllocatePinnedObjectsWhileCollecting) {
  Options o = small_options();
  o.verify = true;
  TestHeap t(o);
  constexpr int kThreads = 3;
  constexpr std::uint64_t kEach = 3000;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int k = 0; k < kThreads; ++k) {
    threads.emplace_back([&, k] {
      Mutator& m = t.heap->attach();
      {
        HandleScope scope(m);
        Handle keep(m, allocate_array(m, t.ref_array, ref_array_bytes(64), 64));
        for (std::uint64_t i = 0; i < kEach; ++i) {
          Object* p = allocate_pinned(m, t.node[1], 24);
          ASSERT_NE(p, nullptr);
          p->slots()[1] = (std::uint64_t{static_cast<unsigned>(k)} << 32) | i;
          write(m, keep.get(), array_slots(keep.get()) + i % 64, ref_value(p));
          if (i % 500 == 0) {
            ASSERT_TRUE(t.heap->collect(m, i % 1500 == 0));
          }
        }
        for (std::uint64_t i = kEach - 64; i < kEach; ++i) {
          Value v = array_slots(keep.get())[i % 64];
          ASSERT_TRUE(is_ref(v));
          EXPECT_EQ(as_object(v)->slots()[1], (std::uint64_t{static_cast<unsigned>(k)} << 32) | i);
        }
      }
      t.heap->detach(m);
    });
  }
  {
    NativeRegion native(*t.m);
    for (auto& th : threads) th.join();
  }
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

}  // namespace
}  // namespace runa::heap::testing
