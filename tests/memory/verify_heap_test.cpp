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

}  // namespace
}  // namespace runa::heap::testing
