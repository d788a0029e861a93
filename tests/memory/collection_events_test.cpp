// Collection callbacks (Heap::add_collection_callback): what they hear, that
// they run as ordinary mutator calls (they allocate, even under
// stress_every=1, where every allocation collects), and that removal waits
// for a call in progress on another thread.
#include <atomic>
#include <thread>
#include <vector>

#include "heap_fixture.hpp"

namespace runa::heap::testing {
namespace {

struct Heard {
  std::vector<CollectionEvent> events;
  TestHeap* t = nullptr;
  Value* keep = nullptr;  // a handle slot of the test's scope
  std::uint64_t allocated = 0;
};

void record_event(void* ctx, Mutator& m, const CollectionEvent& e) {
  auto* h = static_cast<Heard*>(ctx);
  EXPECT_EQ(&m, h->t->m);  // the requesting thread's mutator
  h->events.push_back(e);
}

TEST(CollectionEvents, EveryCollectionIsHeardWithItsRecord) {
  TestHeap t;
  Heard heard;
  heard.t = &t;
  std::uint64_t id = t.heap->add_collection_callback(record_event, &heard);
  HandleScope scope(*t.m);
  Handle kept(*t.m, t.new_node(0, 1));
  ASSERT_TRUE(t.heap->collect(*t.m));
  ASSERT_TRUE(t.heap->collect(*t.m));  // promotion_age 2: the node is promoted now
  ASSERT_TRUE(t.heap->collect(*t.m, true));
  Stats s = t.heap->stats();
  ASSERT_EQ(heard.events.size(), s.minor_collections + s.major_collections);
  const CollectionEvent& last = heard.events.back();
  EXPECT_TRUE(last.major);
  EXPECT_EQ(last.cause, CollectionCause::kRequested);
  EXPECT_GT(last.pause_ns, 0u);
  EXPECT_GT(last.start_ns, 0u);
  EXPECT_GE(last.before_bytes, last.after_bytes);
  EXPECT_GE(last.after_bytes, 16u);  // the kept node
  std::uint64_t promoted = 0;
  for (const CollectionEvent& e : heard.events) promoted += e.promoted_bytes;
  EXPECT_EQ(promoted, s.promoted_bytes);
  for (std::size_t i = 1; i < heard.events.size(); ++i) {
    EXPECT_GE(heard.events[i].start_ns, heard.events[i - 1].start_ns);
  }
  EXPECT_TRUE(t.heap->remove_collection_callback(*t.m, id));
  EXPECT_FALSE(t.heap->remove_collection_callback(*t.m, id));
  std::size_t before = heard.events.size();
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(heard.events.size(), before);
  EXPECT_EQ(TestHeap::node_id(kept.get(), 0), 1u);
}

// Allocates a node per event and keeps the newest in a handle slot the test
// reads afterwards; its own collections (stress_every=1: every allocation)
// must not call it again.
void allocate_on_event(void* ctx, Mutator& m, const CollectionEvent& /*e*/) {
  auto* h = static_cast<Heard*>(ctx);
  EXPECT_EQ(m.poll.load(), 0u);
  ++h->allocated;
  Object* o = allocate(m, h->t->node[0], 16);
  ASSERT_NE(o, nullptr);
  o->slots()[0] = h->allocated;
  *h->keep = ref_value(o);
}

TEST(CollectionEvents, ACallbackMayAllocateEvenWhenEveryAllocationCollects) {
  Options o = small_options();
  o.stress_every = 1;
  o.verify = true;
  TestHeap t(o);
  HandleScope scope(*t.m);
  Heard heard;
  heard.t = &t;
  heard.keep = new_handle(*t.m);
  std::uint64_t id = t.heap->add_collection_callback(allocate_on_event, &heard);
  for (std::uint64_t i = 0; i < 50; ++i) ASSERT_NE(t.new_node(0, i), nullptr);
  // With stress_every=1 (RUNA_GC may set another period) each of the test's
  // 50 allocations collected once and was heard once; the callback's own
  // allocation collected too, unheard.
  Stats s = t.heap->stats();
  if (t.heap->options().stress_every == 1) {
    EXPECT_EQ(heard.allocated, 50u);
    EXPECT_GE(s.minor_collections + s.major_collections, 100u);
  }
  EXPECT_GE(heard.allocated, 1u);
  EXPECT_GE(s.minor_collections + s.major_collections, heard.allocated);
  EXPECT_EQ(TestHeap::node_id(as_object(*heard.keep), 0), heard.allocated);
  EXPECT_TRUE(t.heap->remove_collection_callback(*t.m, id));
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

// Another thread's callback is in progress when this thread removes it: the
// removal returns only after that call did (its context may be freed then).
// Meanwhile the remover is in native, so the callback may collect.
struct Blocking {
  std::atomic<bool> entered{false};
  std::atomic<bool> removing{false};
  std::atomic<bool> finished{false};
  Heap* heap = nullptr;
};

void block_until_removed(void* ctx, Mutator& m, const CollectionEvent& /*e*/) {
  auto* b = static_cast<Blocking*>(ctx);
  if (b->entered.exchange(true)) return;
  while (!b->removing.load()) std::this_thread::yield();
  // The remover waits; a collection now must not wait for it.
  for (int i = 0; i < 1000; ++i) std::this_thread::yield();
  EXPECT_TRUE(b->heap->collect(m));
  b->finished = true;
}

TEST(CollectionEvents, RemovalWaitsForACallInProgressElsewhere) {
  TestHeap t;
  Blocking b;
  b.heap = t.heap.get();
  std::uint64_t id = t.heap->add_collection_callback(block_until_removed, &b);
  std::thread other([&] {
    Mutator& m = t.heap->attach();
    EXPECT_TRUE(t.heap->collect(m));
    t.heap->detach(m);
  });
  while (!b.entered.load()) {
    poll(*t.m);
    std::this_thread::yield();
  }
  b.removing = true;
  EXPECT_TRUE(t.heap->remove_collection_callback(*t.m, id));
  EXPECT_TRUE(b.finished.load());
  other.join();
}

// A callback removes itself: removal returns at once, the call finishes,
// and it is never called again.
struct SelfRemoving {
  Heap* heap = nullptr;
  std::uint64_t id = 0;
  int calls = 0;
};

void remove_self(void* ctx, Mutator& m, const CollectionEvent& /*e*/) {
  auto* s = static_cast<SelfRemoving*>(ctx);
  ++s->calls;
  EXPECT_TRUE(s->heap->remove_collection_callback(m, s->id));
}

TEST(CollectionEvents, ACallbackMayRemoveItself) {
  TestHeap t;
  SelfRemoving s;
  s.heap = t.heap.get();
  s.id = t.heap->add_collection_callback(remove_self, &s);
  ASSERT_TRUE(t.heap->collect(*t.m));
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(s.calls, 1);
  EXPECT_FALSE(t.heap->remove_collection_callback(*t.m, s.id));
}

}  // namespace
}  // namespace runa::heap::testing
