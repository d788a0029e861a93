// Heap verification finds what a buggy mutator leaves behind.
#include "heap_fixture.hpp"

namespace runa::heap::testing {
namespace {

TEST(VerifyHeap, CleanHeapPasses) {
  Options o = small_options();
  o.verify = true;
  TestHeap t(o);
  HandleScope scope(*t.m);
  Handle a(*t.m, t.new_node(2, 1));
  set_slot(*t.m, a.get(), 0, ref_value(t.new_ref_array(3, 2)));
  set_slot(*t.m, a.get(), 1, ref_value(t.new_byte_array(5, 3)));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

// A thread zeroes its chunk of eden a TLAB at a time (nursery.hpp), so the
// rest of a chunk holds what the last epoch left there, here the poison
// pattern. Walks of eden (the verifier's, a failed promotion's) must not
// read it as objects: the rests are zeroed before eden is walked, and when
// a chunk is dropped.
TEST(VerifyHeap, EdenIsWalkableWhileAThreadHoldsAPartlyUsedChunk) {
  RUNA_SKIP_UNDER_TEST_MODES("stress mode allocates without chunks");
  Options o = small_options();
  o.nursery = 4 << 20;
  o.tlab = 0;  // adaptive: chunks of several TLABs
  o.poison = true;
  TestHeap t(o);
  MutatorRecord& self = record(*t.m);
  HandleScope scope(*t.m);
  Handle keep(*t.m, Value{0});
  // Eden written through, then emptied: poisoned up to where it was used.
  for (std::size_t i = 0; i < (std::size_t{4} << 20) / 24; ++i) {
    Object* n = t.new_node(1, i);
    ASSERT_NE(n, nullptr);
    if (i % 64 == 0) {
      set_slot(*t.m, n, 0, keep.value());
      keep.set(ref_value(n));
    }
  }
  ASSERT_TRUE(t.heap->collect(*t.m));
  for (int round = 0; round < 3; ++round) {
    Handle n(*t.m, t.new_node(1, 7));
    ASSERT_NE(n.get(), nullptr);
    ASSERT_GT(self.chunk_end - self.chunk_top, 0) << "no rest left in the chunk";
    EXPECT_EQ(*self.chunk_top, 0xef) << "the rest is not poisoned: nothing tested";
    EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
    // The thread goes on with its chunk after the verifier zeroed its rest.
    for (int i = 0; i < 5000; ++i) ASSERT_NE(t.new_node(1, i), nullptr);
    ASSERT_TRUE(t.heap->collect(*t.m));
    EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
  }
}

// Entries a broken registration would leave (added behind the heap's back;
// no collection follows, which would run a finalizer that does not exist).
TEST(VerifyHeap, FindsBrokenFinalizerEntries) {
  {
    TestHeap t;
    HandleScope scope(*t.m);
    Handle plain(*t.m, t.new_node(0, 1));
    impl_of(*t.heap).finalizers.add(plain.get());
    auto problem = t.heap->verify(*t.m);
    ASSERT_TRUE(problem);
    EXPECT_NE(problem->find("young registry"), std::string::npos) << *problem;
    EXPECT_NE(problem->find("not of a finalizable type"), std::string::npos) << *problem;
  }
  TestHeap t;
  Layout l;
  l.size = 16;
  l.finalizable = true;
  l.finalizer = [](Mutator&, Value*) {};
  l.name = "resource";
  std::uint32_t type = t.heap->register_layout(l).value();
  HandleScope scope(*t.m);
  Handle r(*t.m, allocate_finalizable(*t.m, type, 16));
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
  impl_of(*t.heap).finalizers.add(r.get());
  auto problem = t.heap->verify(*t.m);
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("'resource'"), std::string::npos) << *problem;
  EXPECT_NE(problem->find("listed a second time"), std::string::npos) << *problem;
}

TEST(VerifyHeap, FindsAStalePointer) {
  TestHeap t;
  HandleScope scope(*t.m);
  Handle a(*t.m, t.new_node(1, 1));
  Object* stale = t.new_node(0, 2);
  ASSERT_TRUE(t.heap->collect(*t.m));
  a.get()->slots()[0] = ref_value(stale);  // a raw pointer kept across a collection
  auto problem = t.heap->verify(*t.m);
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("in evacuated nursery space"), std::string::npos) << *problem;
  EXPECT_NE(problem->find("'node'"), std::string::npos) << *problem;
  a.get()->slots()[0] = 0;
}

TEST(VerifyHeap, FindsAMissedBarrier) {
  TestHeap t;
  HandleScope scope(*t.m);
  Handle a(*t.m, t.new_node(1, 1));
  ASSERT_TRUE(t.heap->collect(*t.m));
  ASSERT_TRUE(t.heap->collect(*t.m));
  ASSERT_TRUE(t.old(a.get()));
  Handle y(*t.m, t.new_node(0, 2));
  ASSERT_TRUE(t.heap->collect(*t.m));
  a.get()->slots()[0] = y.value();  // without write(): not logged
  auto problem = t.heap->verify(*t.m);
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("not logged"), std::string::npos) << *problem;
  a.get()->slots()[0] = 0;
}

TEST(VerifyHeap, FindsAnInteriorPointerInARoot) {
  TestHeap t;
  HandleScope scope(*t.m);
  Handle a(*t.m, t.new_node(2, 1));
  ASSERT_TRUE(t.heap->collect(*t.m));
  Handle bad(*t.m, ref_value(a.get()) + 8);
  auto problem = t.heap->verify(*t.m);
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("root slot"), std::string::npos) << *problem;
  EXPECT_NE(problem->find("not the start of an object"), std::string::npos) << *problem;
  bad.set(0);
}

// Verify mode checks memory as it is handed out: a large object placed on a
// frontier block someone wrote to is reported before its header is written.
TEST(VerifyHeapDeathTest, FreshMemoryMustBeZero) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Options o = small_options();
  o.verify = true;
  EXPECT_DEATH(
      {
        TestHeap t(o);
        HandleScope scope(*t.m);
        Handle first(*t.m, t.new_byte_array(kBlock - 64, 1));  // one block
        auto& blocks = impl_of(*t.heap).blocks;
        std::size_t next = blocks.index_of(first.get()) + 1;
        if (next != blocks.frontier()) std::abort();  // not the case this test is about
        blocks.block(next)[96] = 1;                   // committed, never handed out
        t.new_byte_array(kBlock - 64, 2);
      },
      "fresh large object memory at 0x[0-9a-f]+ is not zero \\(word 0x1 at offset 96");
}

}  // namespace
}  // namespace runa::heap::testing
