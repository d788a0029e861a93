// Weak fields (Layout::weak_fields, the module format's WEAK flag): the
// collectors keep the strong fields' referents alive, not the weak ones',
// clear a weak field whose referent died and update one whose referent
// moved, in minor and major collections, in old and young objects, and in
// tailed objects.
#include <gtest/gtest.h>

#include "heap_fixture.hpp"
#include "memory/heap.hpp"

namespace runa::heap::testing {
namespace {

// Fields: 0 strong, 1 weak, 2 strong, 3 weak; a raw word after them.
constexpr std::uint32_t kWeak[] = {1, 3};
constexpr std::size_t kSize = 8 + 4 * 8 + 8;

struct WeakFieldsHeap : TestHeap {
  explicit WeakFieldsHeap(const Options& o = small_options()) : TestHeap(o) {
    Layout l;
    l.size = kSize;
    l.refs = 4;
    l.weak_fields = kWeak;
    l.weak_count = 2;
    l.name = "Cache";
    cache = heap->register_layout(l).value();
    Layout c;
    c.kind = LayoutKind::kRefTail;
    c.size = 16 + 16;
    c.refs = 2;
    c.weak_fields = kWeak;  // field 1
    c.weak_count = 1;
    c.name = "WeakClosure";
    closure = heap->register_layout(c).value();
  }
  std::uint32_t cache = 0;
  std::uint32_t closure = 0;
};

// Fills the four fields of the cache in `c` with new nodes 10..13 and
// returns nothing else alive: the test keeps what it wants in handles.
void fill(WeakFieldsHeap& t, const Handle& c, Handle* keep) {
  for (unsigned f = 0; f < 4; ++f) {
    Object* n = t.new_node(0, 10 + f);
    ASSERT_NE(n, nullptr);
    set_slot(*t.m, c, f, ref_value(n));
    if (keep != nullptr) keep[f].set(ref_value(n));
  }
}

TEST(WeakFields, RegistrationChecksThem) {
  Layouts ls;
  Layout l;
  l.size = 32;
  l.refs = 2;
  std::uint32_t fields[] = {1, 1};
  l.weak_fields = fields;
  l.weak_count = 2;
  auto e = ls.add(l);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("increasing order"), std::string::npos) << e.error().message;
  fields[0] = 0;
  EXPECT_TRUE(ls.add(l).ok());
  fields[1] = 2;  // the limit: refs - 1 is the last reference field
  e = ls.add(l);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("weak field 2"), std::string::npos) << e.error().message;
  l.weak_fields = nullptr;
  EXPECT_FALSE(ls.add(l).ok());
  Layout a;
  a.kind = LayoutKind::kRefArray;
  a.weak_fields = fields;
  a.weak_count = 1;
  e = ls.add(a);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("plain and tailed"), std::string::npos) << e.error().message;
}

TEST(WeakFields, MinorCollectionsKeepStrongFieldsAndClearDeadWeakOnes) {
  WeakFieldsHeap t;
  HandleScope scope(*t.m);
  Handle c(*t.m, allocate(*t.m, t.cache, kSize));
  c.get()->slots()[4] = 0x1000;  // the raw word: never followed
  Handle keep[4] = {Handle(*t.m, Value{0}), Handle(*t.m, Value{0}), Handle(*t.m, Value{0}),
                    Handle(*t.m, Value{0})};
  fill(t, c, keep);
  ASSERT_FALSE(::testing::Test::HasFailure());
  keep[0].set(0);  // strong: lives through c
  keep[3].set(0);  // weak: dies
  ASSERT_TRUE(t.heap->collect(*t.m));
  Value* f = c.get()->slots();
  ASSERT_TRUE(is_ref(f[0]));
  EXPECT_EQ(TestHeap::node_id(as_object(f[0]), 0), 10u);
  EXPECT_EQ(f[1], keep[1].value());  // weak, alive elsewhere: updated (it moved)
  EXPECT_EQ(TestHeap::node_id(as_object(f[1]), 0), 11u);
  EXPECT_EQ(f[2], keep[2].value());
  EXPECT_EQ(f[3], 0u);
  EXPECT_EQ(f[4], 0x1000u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(WeakFields, AnOldObjectsWeakFieldToAYoungReferent) {
  WeakFieldsHeap t;
  HandleScope scope(*t.m);
  Handle c(*t.m, allocate(*t.m, t.cache, kSize));
  ASSERT_TRUE(t.heap->collect(*t.m));
  ASSERT_TRUE(t.heap->collect(*t.m));
  ASSERT_TRUE(t.old(c.get()));
  Handle young(*t.m, t.new_node(0, 5));
  set_slot(*t.m, c, 1, young.value());  // old -> young, weak, through the barrier
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(c.get()->slots()[1], young.value());  // the survivor's new address
  // c must still be remembered: its weak field points at a survivor.
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
  young.set(0);
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(c.get()->slots()[1], 0u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(WeakFields, MajorCollectionsClearAndUpdateThem) {
  Options o = small_options();
  o.promotion_age = 1;
  WeakFieldsHeap t(o);
  HandleScope scope(*t.m);
  Handle c(*t.m, allocate(*t.m, t.cache, kSize));
  Handle keep[4] = {Handle(*t.m, Value{0}), Handle(*t.m, Value{0}), Handle(*t.m, Value{0}),
                    Handle(*t.m, Value{0})};
  fill(t, c, keep);
  ASSERT_FALSE(::testing::Test::HasFailure());
  ASSERT_TRUE(t.heap->collect(*t.m));  // everything old now
  keep[3].set(0);
  ASSERT_TRUE(t.heap->collect(*t.m, true));
  Value* f = c.get()->slots();
  EXPECT_EQ(f[1], keep[1].value());
  EXPECT_EQ(f[3], 0u);
  EXPECT_EQ(TestHeap::node_id(as_object(f[0]), 0), 10u);
  EXPECT_EQ(TestHeap::node_id(as_object(f[2]), 0), 12u);
  keep[1].set(0);
  ASSERT_TRUE(t.heap->collect(*t.m, true));
  EXPECT_EQ(c.get()->slots()[1], 0u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(WeakFields, AWeakFieldOfATailedObject) {
  WeakFieldsHeap t;
  HandleScope scope(*t.m);
  Handle c(*t.m, allocate_array(*t.m, t.closure, ref_tail_bytes(32, 2), 2));
  Handle keep(*t.m, t.new_node(0, 1));
  // Fields 0 (strong) and 1 (weak), then two strong cells.
  write(*t.m, c.get(), tail_fields(c.get()) + 1, keep.value());
  Object* n = t.new_node(0, 2);
  write(*t.m, c.get(), tail_fields(c.get()) + 0, ref_value(n));
  n = t.new_node(0, 3);
  write(*t.m, c.get(), tail_fields(c.get()) + 3, ref_value(n));
  ASSERT_TRUE(t.heap->collect(*t.m));
  Value* f = tail_fields(c.get());
  EXPECT_EQ(f[1], keep.value());
  EXPECT_EQ(TestHeap::node_id(as_object(f[0]), 0), 2u);
  EXPECT_EQ(TestHeap::node_id(as_object(f[3]), 0), 3u);
  keep.set(0);
  ASSERT_TRUE(t.heap->collect(*t.m));
  ASSERT_TRUE(t.heap->collect(*t.m, true));
  f = tail_fields(c.get());
  EXPECT_EQ(f[1], 0u);
  EXPECT_EQ(TestHeap::node_id(as_object(f[3]), 0), 3u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(WeakFields, StressEveryAllocationWithVerifyAndPoison) {
  RUNA_SKIP_UNDER_TEST_MODES("sets the test modes itself");
  Options o = small_options();
  o.stress_every = 1;
  o.verify = true;
  o.poison = true;
  WeakFieldsHeap t(o);
  HandleScope scope(*t.m);
  // A chain through field 0; field 1 weakly names the node two back (alive
  // through the chain), field 3 weakly names a node nothing else holds.
  Handle head(*t.m, Value{0});
  for (std::uint64_t i = 0; i < 200; ++i) {
    Handle c(*t.m, allocate(*t.m, t.cache, kSize));
    ASSERT_NE(c.get(), nullptr);
    c.get()->slots()[4] = i;
    set_slot(*t.m, c, 0, head.value());
    Value back = head.value() != 0 ? head.get()->slots()[0] : 0;
    set_slot(*t.m, c, 1, back);
    Object* n = t.new_node(0, i);
    ASSERT_NE(n, nullptr);
    set_slot(*t.m, c, 3, ref_value(n));
    head.set(c.value());
  }
  ASSERT_TRUE(t.heap->collect(*t.m));
  std::uint64_t i = 200;
  for (Value v = head.value(); v != 0; v = as_object(v)->slots()[0]) {
    --i;
    Object* c = as_object(v);
    EXPECT_EQ(c->slots()[4], i);
    Value prev = c->slots()[0];
    Value back = prev != 0 ? as_object(prev)->slots()[0] : 0;
    EXPECT_EQ(c->slots()[1], back) << i;
    EXPECT_EQ(c->slots()[3], 0u) << i;
  }
  EXPECT_EQ(i, 0u);
}

}  // namespace
}  // namespace runa::heap::testing
