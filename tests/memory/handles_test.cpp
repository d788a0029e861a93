// Handles and registered roots: scopes over chunks, persistent slots, root
// sets and frame enumerators, each kept up to date by collections.
#include <vector>

#include "heap_fixture.hpp"
#include "memory/handles.hpp"
#include "memory/mutators.hpp"

namespace runa::heap::testing {
namespace {

TEST(Handles, ScopesSpanChunksAndRestore) {
  RUNA_SKIP_UNDER_TEST_MODES("checks which space objects are in");
  TestHeap t;
  Value* top0 = t.m->handle_top;
  Value* limit0 = t.m->handle_limit;
  std::vector<Handle> outer;
  {
    HandleScope scope(*t.m);
    for (std::size_t i = 0; i < 3 * kHandleChunk + 5; ++i) {
      outer.emplace_back(*t.m, t.new_node(0, i));
    }
    {
      HandleScope inner(*t.m);
      Value* before = t.m->handle_top;
      Handle x(*t.m, imm(3));
      EXPECT_EQ(x.slot(), before);
    }
    ASSERT_TRUE(t.heap->collect(*t.m));
    for (std::size_t i = 0; i < outer.size(); ++i) {
      ASSERT_EQ(TestHeap::node_id(outer[i].get(), 0), i);
      ASSERT_TRUE(t.young(outer[i].get()));
    }
    EXPECT_EQ(record(*t.m).chunks.size(), 4u);
  }
  // Both ends come back, although the scope closed in its fourth chunk.
  EXPECT_EQ(t.m->handle_top, top0);
  EXPECT_EQ(t.m->handle_limit, limit0);
  // The chunks are reused, not reallocated.
  {
    HandleScope scope(*t.m);
    for (std::size_t i = 0; i < 2 * kHandleChunk; ++i) Handle h(*t.m, imm(i));
  }
  EXPECT_EQ(record(*t.m).chunks.size(), 4u);
}

TEST(Handles, ClosedScopesAreNotRoots) {
  TestHeap t;
  Object* o = nullptr;
  {
    HandleScope scope(*t.m);
    Handle h(*t.m, t.new_node(0, 1));
    o = h.get();
  }
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(t.heap->stats().surviving_bytes, 0u);
  (void)o;
}

// Defect 5: new_handle() handed out its slot as the last scope left it, a
// reference to an object that may have died since. A caller that allocates
// before writing the slot (allocation may collect) made the collector
// follow it. Slots come out empty, on the fast path (a popped scope) and on
// the slow one (a reused chunk) alike.
TEST(Handles, NewSlotsAreEmptyAfterAScopeAndInReusedChunks) {
  TestHeap t;
  constexpr std::size_t kSlots = kHandleChunk + 10;  // into a second chunk
  {
    HandleScope scope(*t.m);
    for (std::size_t i = 0; i < kSlots; ++i) Handle h(*t.m, t.new_node(0, i));
  }
  ASSERT_TRUE(t.heap->collect(*t.m));  // every node died: the old slots dangle
  HandleScope scope(*t.m);
  std::vector<Value*> slots;
  for (std::size_t i = 0; i < kSlots; ++i) {
    Value* slot = new_handle(*t.m);
    ASSERT_EQ(*slot, 0u) << "slot " << i;
    Object* o = t.new_node(0, 1000 + i);  // may collect while the slot is in scope
    ASSERT_NE(o, nullptr);
    *slot = ref_value(o);
    slots.push_back(slot);
  }
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
  for (std::size_t i = 0; i < kSlots; ++i) {
    ASSERT_EQ(TestHeap::node_id(as_object(*slots[i]), 0), 1000 + i);
  }
}

// Defect 13: stores whose destination is a handle, read after the value
// exists. Under stress_every=1 every allocation collects and moves the
// destination, so a destination read before the allocation would be a
// stale copy: the chain below would lose links, and verify would see it.
TEST(Handles, StoresThroughHandlesFollowObjectsMovedByTheirValue) {
  Options o = small_options();
  o.stress_every = 1;
  o.verify = true;
  o.poison = true;
  TestHeap t(o);
  HandleScope scope(*t.m);
  constexpr std::uint64_t kLinks = 200;
  Handle head(*t.m, t.new_node(2, 0));
  Handle tail(*t.m, head.value());
  for (std::uint64_t i = 1; i <= kLinks; ++i) {
    Object* n = nullptr;
    if (i % 2 == 0) {
      n = allocate_into(*t.m, tail, 0, t.node[2], 8 + 8 * 2 + 8);
    } else {
      set_slot(*t.m, tail, 0, ref_value(n = allocate(*t.m, t.node[2], 8 + 8 * 2 + 8)));
    }
    ASSERT_NE(n, nullptr);
    n->slots()[2] = i;
    // Slot 1: a value computed by an allocation, stored through the handle.
    set_slot(*t.m, tail, 1, ref_value(t.new_node(0, 1000 + i)));
    tail.set(tail->slots()[0]);
  }
  ASSERT_EQ(t.heap->verify(*t.m), std::nullopt);
  Object* n = head.get();
  for (std::uint64_t i = 0; i <= kLinks; ++i) {
    ASSERT_EQ(TestHeap::node_id(n, 2), i);
    if (i == kLinks) break;
    ASSERT_EQ(TestHeap::node_id(as_object(n->slots()[1]), 0), 1001 + i);
    n = as_object(n->slots()[0]);
  }
  EXPECT_EQ(n->slots()[0], 0u);
}

TEST(Handles, PersistentSlotsUpdateAndAreReused) {
  TestHeap t;
  std::vector<Persistent> ps;
  for (std::uint64_t i = 0; i < 1500; ++i) ps.emplace_back(*t.heap, ref_value(t.new_node(0, i)));
  EXPECT_EQ(impl_of(*t.heap).persistents.in_use(), 1500u);
  ASSERT_TRUE(t.heap->collect(*t.m));
  for (std::uint64_t i = 0; i < ps.size(); ++i) ASSERT_EQ(TestHeap::node_id(ps[i].get(), 0), i);
  Value* freed = ps[700].slot();
  ps[700].reset();
  EXPECT_EQ(impl_of(*t.heap).persistents.in_use(), 1499u);
  Persistent again(*t.heap, imm(1));
  EXPECT_EQ(again.slot(), freed);  // the free list hands the slot back first
  Persistent moved = std::move(again);
  EXPECT_EQ(moved.value(), imm(1));
  ps.clear();
  moved.reset();
  EXPECT_EQ(impl_of(*t.heap).persistents.in_use(), 0u);
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(t.heap->stats().survivor_bytes, 0u);
}

TEST(Handles, RootSetsAreReadAndUpdated) {
  TestHeap t;
  Value globals[3] = {};
  std::uint64_t id = t.heap->add_roots(globals, 3);
  globals[0] = ref_value(t.new_node(0, 10));
  globals[1] = imm(99);
  globals[2] = ref_value(t.new_node(0, 12));
  Value before = globals[0];
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_NE(globals[0], before);
  EXPECT_EQ(TestHeap::node_id(as_object(globals[0]), 0), 10u);
  EXPECT_EQ(globals[1], imm(99));
  EXPECT_EQ(TestHeap::node_id(as_object(globals[2]), 0), 12u);
  t.heap->remove_roots(id);
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(t.heap->stats().survivor_bytes, 0u);
}

struct Frames {
  std::vector<Value> slots;
  int calls = 0;
};

void enumerate(void* ctx, RootVisitor& v) {
  auto* f = static_cast<Frames*>(ctx);
  ++f->calls;
  v.visit_range(f->slots.data(), f->slots.size());
}

TEST(Handles, FrameEnumeratorsReportSlots) {
  TestHeap t;
  Frames f;
  f.slots = {ref_value(t.new_node(0, 5)), 0, imm(2)};
  std::uint64_t id = t.heap->add_frame_enumerator(*t.m, enumerate, &f);
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_GE(f.calls, 1);
  EXPECT_TRUE(t.young(as_object(f.slots[0])));
  EXPECT_EQ(TestHeap::node_id(as_object(f.slots[0]), 0), 5u);
  t.heap->remove_frame_enumerator(*t.m, id);
  int calls = f.calls;
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(f.calls, calls);
}

}  // namespace
}  // namespace runa::heap::testing
