// A pause never allocates from the C++ heap (docs/memory.md, "A pause never
// allocates"; issue 11, defect 8).
//
// This executable replaces operator new for the whole process and counts
// the calls made on a thread inside a pause (memory/pause_marker.hpp: the
// thread that stopped the world, and each collector worker while it runs
// its part). Every collection of these tests, those caused by allocation
// included, must count none: minor and major collections on several
// workers, with weak references, ephemerons, finalizers, a carded large
// array, a collection callback, and a list of a million nodes whose
// children pile up on the mark stack (each node's value is pushed before
// its next node, and the next node is popped first). The verifier is off:
// it is a test mode of its own and allowed to allocate (verify_heap.cpp).
//
// And the reservation that makes it possible: when it cannot be grown
// before a pause (its commit refused), the allocation that needed the
// collection gets out-of-memory, nothing crashes, and once the reservation
// can grow again the heap works on.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <limits>
#include <new>

#include "memory/heap.hpp"
#include "memory/heap_fixture.hpp"
#include "memory/pause_marker.hpp"

namespace {

std::atomic<std::uint64_t> g_in_pause{0};

void* counted(std::size_t n, std::size_t align) {
  if (runa::heap::in_pause()) g_in_pause.fetch_add(1, std::memory_order_relaxed);
  if (n == 0) n = 1;
  if (align <= alignof(std::max_align_t)) return std::malloc(n);
  return std::aligned_alloc(align, (n + align - 1) / align * align);
}

// Out of line: inlined into operator delete, free() of what operator new
// returned would look mismatched to the compiler (-Wmismatched-new-delete).
[[gnu::noinline]] void release(void* p) noexcept {
  std::free(p);
}

void* counted_or_throw(std::size_t n, std::size_t align) {
  void* p = counted(n, align);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

// The replaceable forms of operator new and delete ([new.delete]).
void* operator new(std::size_t n) {
  return counted_or_throw(n, 0);
}
void* operator new[](std::size_t n) {
  return counted_or_throw(n, 0);
}
void* operator new(std::size_t n, std::align_val_t a) {
  return counted_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return counted_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return counted(n, 0);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return counted(n, 0);
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept {
  release(p);
}
void operator delete[](void* p) noexcept {
  release(p);
}
void operator delete(void* p, std::size_t) noexcept {
  release(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  release(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  release(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  release(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  release(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  release(p);
}

namespace runa::heap::testing {
namespace {

std::atomic<int> g_finalized{0};

void count_finalized(Mutator&, Value*) {
  g_finalized.fetch_add(1);
}

void count_collection(void* ctx, Mutator&, const CollectionEvent&) {
  static_cast<std::atomic<int>*>(ctx)->fetch_add(1);
}

Options deep_options(unsigned workers) {
  Options o;
  o.nursery = 4 << 20;
  o.max_heap = 512 << 20;
  o.promotion_age = 2;
  o.gc_threads = workers;
  o.verify = false;
  return o;
}

// Node slots: 0 value, 1 next (node[2]); the value is a node[0] holding i.
Object* deep_list(TestHeap& t, std::size_t n) {
  HandleScope scope(*t.m);
  Handle head(*t.m, Value{0});
  for (std::size_t i = 0; i < n; ++i) {
    Handle node(*t.m, t.new_node(2, i));
    if (node.get() == nullptr) return nullptr;
    Object* value = t.new_node(0, i);
    if (value == nullptr) return nullptr;
    write(*t.m, node.get(), node->slots() + 0, ref_value(value));
    write(*t.m, node.get(), node->slots() + 1, *head.slot());
    *head.slot() = ref_value(node.get());
  }
  return head.get();
}

void check_deep_list(Object* head, std::size_t n) {
  std::size_t count = 0;
  for (Object* o = head; o != nullptr; o = as_object(o->slots()[1])) {
    std::uint64_t i = n - 1 - count;
    ASSERT_EQ(TestHeap::node_id(o, 2), i);
    ASSERT_EQ(TestHeap::node_id(as_object(o->slots()[0]), 0), i);
    ++count;
  }
  ASSERT_EQ(count, n);
}

void collections_with_everything(unsigned workers, std::size_t length) {
  TestHeap t(deep_options(workers));
  Layout fl;
  fl.size = 16;
  fl.refs = 1;
  fl.name = "finalizable";
  fl.finalizable = true;
  fl.finalizer = count_finalized;
  std::uint32_t finalizable = t.heap->register_layout(fl).value();
  std::atomic<int> events{0};
  std::uint64_t callback = t.heap->add_collection_callback(count_collection, &events);
  g_finalized = 0;
  g_in_pause = 0;

  HandleScope scope(*t.m);
  Handle kept(*t.m, t.new_node(1, 7));
  Handle weak_kept(*t.m, allocate(*t.m, t.weak, 16));
  write(*t.m, weak_kept.get(), weak_kept->slots(), ref_value(kept.get()));
  Handle weak_lost(*t.m, allocate(*t.m, t.weak, 16));
  write(*t.m, weak_lost.get(), weak_lost->slots(), ref_value(t.new_node(0, 8)));
  Handle eph_kept(*t.m, allocate(*t.m, t.ephemeron, 24));
  write(*t.m, eph_kept.get(), eph_kept->slots(), ref_value(kept.get()));
  write(*t.m, eph_kept.get(), eph_kept->slots() + 1, ref_value(t.new_node(0, 9)));
  Handle eph_lost(*t.m, allocate(*t.m, t.ephemeron, 24));
  write(*t.m, eph_lost.get(), eph_lost->slots(), ref_value(t.new_node(0, 10)));
  write(*t.m, eph_lost.get(), eph_lost->slots() + 1, ref_value(t.new_node(0, 11)));
  for (int i = 0; i < 100; ++i) ASSERT_NE(allocate_finalizable(*t.m, finalizable, 16), nullptr);
  // A large reference array, remembered per card, with young elements.
  constexpr std::size_t kCarded = 40000;
  Handle carded(*t.m, t.new_ref_array(kCarded, 12));
  ASSERT_NE(carded.get(), nullptr);
  for (std::size_t i = 1; i < kCarded; i += 997) {
    write(*t.m, carded.get(), array_slots(carded.get()) + i, ref_value(t.new_node(0, i)));
  }
  Handle list(*t.m, deep_list(t, length));
  ASSERT_NE(list.get(), nullptr);

  ASSERT_TRUE(t.heap->collect(*t.m));        // minor
  ASSERT_TRUE(t.heap->collect(*t.m, true));  // major
  ASSERT_TRUE(t.heap->collect(*t.m, true));  // and one with everything old
  t.heap->wait_for_finalizers(*t.m);

  EXPECT_EQ(g_in_pause.load(), 0U) << "operator new calls inside pauses";
  EXPECT_GE(t.heap->stats().major_collections, 2U);
  EXPECT_EQ(g_finalized.load(), 100);
  EXPECT_GE(events.load(), 3);
  EXPECT_EQ(weak_kept->slots()[0], ref_value(kept.get()));
  EXPECT_EQ(weak_lost->slots()[0], Value{0});
  EXPECT_EQ(eph_kept->slots()[0], ref_value(kept.get()));
  EXPECT_EQ(TestHeap::node_id(as_object(eph_kept->slots()[1]), 0), 9U);
  EXPECT_EQ(eph_lost->slots()[0], Value{0});
  EXPECT_EQ(eph_lost->slots()[1], Value{0});
  for (std::size_t i = 1; i < kCarded; i += 997) {
    EXPECT_EQ(TestHeap::node_id(as_object(array_slots(carded.get())[i]), 0), i);
  }
  check_deep_list(list.get(), length);
  EXPECT_TRUE(t.heap->remove_collection_callback(*t.m, callback));
}

TEST(PauseAlloc, NoAllocationInPausesOneWorker) {
  collections_with_everything(1, 1000000);
}

TEST(PauseAlloc, NoAllocationInPausesTwoWorkers) {
  collections_with_everything(2, 1000000);
}

TEST(PauseAlloc, NoAllocationInPausesFourWorkersSmall) {
  collections_with_everything(4, 100000);
}

// The pause reserve may not grow (its commit refused, as the OS would under
// strict overcommit): a list kept alive grows until a collection needs more
// than is committed; that allocation gets out-of-memory (nullptr) long
// before the heap is full, and so does a requested collection; the heap is
// intact. Allowed to grow again, the reserve grows and the heap works on.
TEST(PauseAlloc, AReserveThatCannotGrowIsOutOfMemoryNotACrash) {
  Options o = small_options();
  o.max_heap = 64 << 20;
  o.verify = false;
  TestHeap t(o);
  HeapImpl& h = impl_of(*t.heap);
  h.pause_reserve.set_limit(h.pause_reserve.committed());
  std::size_t committed = h.pause_reserve.committed();

  HandleScope scope(*t.m);
  Handle list(*t.m, Value{0});
  std::size_t length = 0;
  for (;; ++length) {
    Object* node = t.new_node(1, length);
    if (node == nullptr) break;
    write(*t.m, node, node->slots(), list.value());
    list.set(ref_value(node));
    ASSERT_LT(length, std::size_t{4} << 20) << "the reserve never ran short";
  }
  EXPECT_EQ(h.pause_reserve.committed(), committed);
  EXPECT_LT(t.heap->stats().old_bytes, o.max_heap / 2)
      << "out of memory for the reserve, not the heap";
  EXPECT_FALSE(t.heap->collect(*t.m, true));
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);

  h.pause_reserve.set_limit(std::numeric_limits<std::size_t>::max());
  Object* more = t.new_node(1, length);
  ASSERT_NE(more, nullptr);
  write(*t.m, more, more->slots(), list.value());
  list.set(ref_value(more));
  EXPECT_TRUE(t.heap->collect(*t.m, true));
  EXPECT_GT(h.pause_reserve.committed(), committed);
  std::size_t n = 0;
  for (Object* node = list.get(); node != nullptr; node = as_object(node->slots()[0])) {
    ASSERT_EQ(TestHeap::node_id(node, 1), length - n);
    ++n;
  }
  EXPECT_EQ(n, length + 1);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

}  // namespace
}  // namespace runa::heap::testing
