// The write barrier: young objects never log, old objects log once, and the
// log keeps old-to-young references alive across collections.
#include <thread>

#include "heap_fixture.hpp"
#include "memory/mutators.hpp"

namespace runa::heap::testing {
namespace {

// An old node with k slots, reachable from a new handle.
Handle old_node(TestHeap& t, unsigned k, std::uint64_t id) {
  Handle h(*t.m, t.new_node(k, id));
  EXPECT_TRUE(t.heap->collect(*t.m));
  EXPECT_TRUE(t.heap->collect(*t.m));
  EXPECT_TRUE(t.old(h.get()));
  return h;
}

TEST(Barrier, YoungObjectsAreBornLogged) {
  TestHeap t;
  Object* a = t.new_node(1, 1);
  EXPECT_EQ(a->load_header() & hdr::kUnlogged, 0u);
  set_slot(*t.m, a, 0, ref_value(t.new_node(0, 2)));
  EXPECT_TRUE(record(*t.m).modified.empty());
}

TEST(Barrier, OldObjectsLogOnce) {
  TestHeap t;
  HandleScope scope(*t.m);
  Handle o = old_node(t, 2, 1);
  EXPECT_NE(o.get()->load_header() & hdr::kUnlogged, 0u);
  set_slot(*t.m, o.get(), 0, ref_value(t.new_node(0, 2)));
  set_slot(*t.m, o.get(), 1, ref_value(t.new_node(0, 3)));
  ASSERT_EQ(record(*t.m).modified.size(), 1u);
  EXPECT_EQ(record(*t.m).modified[0], o.get());
  EXPECT_EQ(o.get()->load_header() & hdr::kUnlogged, 0u);
}

TEST(Barrier, LoggedOldObjectKeepsYoungReferentsAlive) {
  TestHeap t;
  HandleScope scope(*t.m);
  Handle o = old_node(t, 1, 1);
  // The only reference to the young node is in the old object.
  set_slot(*t.m, o.get(), 0, ref_value(t.new_node(0, 42)));
  ASSERT_TRUE(t.heap->collect(*t.m));
  Object* y = as_object(o.get()->slots()[0]);
  EXPECT_TRUE(t.young(y));
  EXPECT_EQ(TestHeap::node_id(y, 0), 42u);
  // Still pointing at a survivor: the object stays logged and is carried.
  EXPECT_EQ(o.get()->load_header() & hdr::kUnlogged, 0u);
  EXPECT_TRUE(record(*t.m).modified.empty());
  EXPECT_EQ(impl_of(*t.heap).carried.size(), 1u);
  ASSERT_TRUE(t.heap->collect(*t.m));  // the referent is promoted now
  y = as_object(o.get()->slots()[0]);
  EXPECT_TRUE(t.old(y));
  EXPECT_EQ(TestHeap::node_id(y, 0), 42u);
  EXPECT_NE(o.get()->load_header() & hdr::kUnlogged, 0u);  // nothing young left
  EXPECT_TRUE(impl_of(*t.heap).carried.empty());
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(Barrier, DetachedThreadsLogIsKept) {
  TestHeap t;
  HandleScope scope(*t.m);
  Handle o = old_node(t, 1, 1);
  Value* slot = t.heap->new_persistent(0);
  std::thread other([&] {
    Mutator& m2 = t.heap->attach();
    Object* y = allocate(m2, t.node[0], 16);
    y->slots()[0] = 77;
    set_slot(m2, o.get(), 0, ref_value(y));
    t.heap->detach(m2);
  });
  {
    NativeRegion native(*t.m);
    other.join();
  }
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(TestHeap::node_id(as_object(o.get()->slots()[0]), 0), 77u);
  t.heap->free_persistent(slot);
}

}  // namespace
}  // namespace runa::heap::testing
