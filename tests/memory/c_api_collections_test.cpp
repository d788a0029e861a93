// The heap's C ABI for collections, tested through include/runatime.h:
// collection callbacks, the versioned statistics, and the test modes.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "c_api_fixture.hpp"
#include "runatime.h"

namespace {

using namespace runa::capi_test;  // NOLINT(google-build-using-namespace)

namespace {
struct CEvents {
  rt_heap* heap = nullptr;
  std::uint32_t node = 0;
  rt_persistent newest{};
  std::vector<rt_collection_event> events;
};
void on_collection(void* context, rt_heap* heap, rt_mutator* m, const rt_collection_event* e) {
  auto* c = static_cast<CEvents*>(context);
  EXPECT_EQ(heap, c->heap);
  EXPECT_EQ(e->size, sizeof(rt_collection_event));
  c->events.push_back(*e);
  rt_value v = 0;
  ASSERT_RT_OK(rt_allocate(m, c->node, &v));
  rt_object_slots(v)[1] = c->events.size();
  ASSERT_RT_OK(rt_persistent_set(c->newest, v));
}
}  // namespace

TEST(CApi, CollectionCallbacks) {
  CHeap t;
  CEvents c;
  c.heap = t.heap;
  c.node = t.node;
  ASSERT_RT_OK(rt_persistent_new(t.heap, 0, &c.newest));
  std::uint64_t id = 0;
  EXPECT_EQ(rt_collection_callback_add(t.heap, nullptr, &c, &id), RT_ERROR_INVALID_ARGUMENT);
  ASSERT_RT_OK(rt_collection_callback_add(t.heap, on_collection, &c, &id));
  ASSERT_RT_OK(rt_collect(t.heap, t.m, RT_COLLECT_MINOR));
  ASSERT_RT_OK(rt_collect(t.heap, t.m, RT_COLLECT_MAJOR));
  for (int i = 0; i < 20000; ++i) t.new_node(static_cast<std::uint64_t>(i));  // eden fills
  rt_heap_stats s = t.stats();
  ASSERT_EQ(c.events.size(), s.minor_collections + s.major_collections);
  EXPECT_EQ(c.events[0].cause, static_cast<std::uint32_t>(RT_CAUSE_REQUESTED));
  EXPECT_EQ(c.events[1].kind, static_cast<std::uint32_t>(RT_COLLECT_MAJOR));
  EXPECT_EQ(c.events[1].cause, static_cast<std::uint32_t>(RT_CAUSE_REQUESTED));
  EXPECT_GT(c.events[1].pause_ns, 0u);
  EXPECT_NE(c.events.back().cause, static_cast<std::uint32_t>(RT_CAUSE_REQUESTED));
  rt_value newest = 0;
  ASSERT_RT_OK(rt_persistent_get(c.newest, &newest));
  EXPECT_EQ(CHeap::id(newest), c.events.size());
  ASSERT_RT_OK(rt_heap_verify(t.heap, t.m));

  ASSERT_RT_OK(rt_collection_callback_remove(t.heap, t.m, id));
  EXPECT_EQ(rt_collection_callback_remove(t.heap, t.m, id), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("not registered"), std::string::npos) << last_error();
  std::size_t heard = c.events.size();
  ASSERT_RT_OK(rt_collect(t.heap, t.m, RT_COLLECT_MINOR));
  EXPECT_EQ(c.events.size(), heard);
  ASSERT_RT_OK(rt_persistent_free(t.heap, c.newest));
}

TEST(CApi, StatsAreVersioned) {
  CHeap t;
  ASSERT_RT_OK(rt_collect(t.heap, t.m, RT_COLLECT_MINOR));
  rt_heap_stats s = t.stats();
  EXPECT_GE(s.minor_collections, 1u);
  EXPECT_GT(s.committed_bytes, 0u);
  // A caller from a later version with a bigger struct: the tail is zeroed.
  struct Later {
    rt_heap_stats base;
    std::uint64_t future;
  } later;
  std::memset(&later, 0xAB, sizeof later);
  later.base.size = sizeof later;
  ASSERT_RT_OK(rt_heap_get_stats(t.heap, &later.base));
  EXPECT_EQ(later.future, 0u);
  EXPECT_EQ(later.base.size, sizeof later);
  EXPECT_EQ(later.base.minor_collections, s.minor_collections);
  rt_heap_stats tiny;
  tiny.size = 16;
  EXPECT_EQ(rt_heap_get_stats(t.heap, &tiny), RT_ERROR_INVALID_ARGUMENT);
}

// ABI 1.2 appended the second pass's counters: a 1.2 caller reads them, a
// 1.1 caller (128 bytes) gets its fields and nothing written past them.
TEST(CApi, StatsOf12CarryTheSecondPassCounters) {
  CHeap t;
  ASSERT_RT_OK(rt_collect(t.heap, t.m, RT_COLLECT_MINOR));
  rt_heap_stats s = t.stats();
  EXPECT_GE(s.safepoint_handshakes, 1u);
  EXPECT_GT(s.nursery_bytes, 0u);
  EXPECT_LE(s.max_time_to_safepoint_ns, s.time_to_safepoint_ns);
  EXPECT_LE(s.mutator_lock_contended, s.mutator_lock_acquisitions);
  rt_heap_stats old;
  std::memset(&old, 0xAB, sizeof old);
  old.size = 128;
  ASSERT_RT_OK(rt_heap_get_stats(t.heap, &old));
  EXPECT_GE(old.minor_collections, 1u);
  EXPECT_EQ(old.remembered_slots_scanned, 0xABABABABABABABABu);
  EXPECT_EQ(old.mutator_lock_contended, 0xABABABABABABABABu);
}

TEST(CApi, StressPoisonAndVerifyModes) {
  rt_heap_options o = small_options();
  o.stress_every = 1;
  o.poison = 1;
  o.verify = 1;
  CHeap t(o);
  rt_handle_scope scope;
  ASSERT_RT_OK(rt_handle_scope_open(t.m, &scope));
  rt_handle head;
  ASSERT_RT_OK(rt_handle_new(t.m, 0, &head));
  for (std::uint64_t i = 0; i < 300; ++i) {
    rt_value n = t.new_node(i);
    ASSERT_RT_OK(rt_write(t.m, n, &rt_object_slots(n)[0], *head.slot));
    *head.slot = n;
  }
  rt_value cur = *head.slot;
  for (std::uint64_t i = 300; i-- > 0;) {
    ASSERT_EQ(CHeap::id(cur), i);
    cur = rt_object_slots(cur)[0];
  }
  EXPECT_EQ(cur, 0u);
  EXPECT_GE(t.stats().minor_collections + t.stats().major_collections, 300u);
  ASSERT_RT_OK(rt_heap_verify(t.heap, t.m));
  ASSERT_RT_OK(rt_handle_scope_close(&scope));
}

// Issue 11, defect 7, as the issue tried it through the C ABI: with
// max_heap=256m and the other options their defaults, a list reachable
// from one root fills the heap until out of memory (more than half of
// max_heap: nothing is reserved for promotion), the root is dropped, a
// major collection is asked for, and then a million small allocations all
// succeed. In the test modes (RUNA_GC) a heap of 512 KiB with a 32 KiB
// nursery (small enough to verify every few allocations), where a
// collection every few allocations leaves most of each line unused.
TEST(CApi, AHeapFilledToOutOfMemoryWorksAgainOnceTheRootIsDropped) {
  rt_heap_options o;
  rt_heap_options_init(&o);
  o.max_heap = std::uint64_t{256} << 20;
  std::uint64_t after = 1000000;
  if (const char* env = gc_env()) {
    o.max_heap = 512 << 10;
    o.nursery = 32 << 10;
    o.survivor_ratio = 1;
    o.tlab = 1 << 10;
    after = 2000;
    ASSERT_RT_OK(rt_heap_options_parse(env, &o));
  }
  CHeap t(o);
  rt_persistent root;
  ASSERT_RT_OK(rt_persistent_new(t.heap, 0, &root));
  std::uint64_t made = 0;
  rt_status s = RT_OK;
  for (;;) {
    rt_value n = 0;
    s = rt_allocate(t.m, t.node, &n);
    if (s != RT_OK) break;
    rt_value head = 0;
    ASSERT_RT_OK(rt_persistent_get(root, &head));
    ASSERT_RT_OK(rt_write(t.m, n, &rt_object_slots(n)[0], head));
    ASSERT_RT_OK(rt_persistent_set(root, n));
    ++made;
  }
  ASSERT_EQ(s, RT_ERROR_OUT_OF_MEMORY);
  EXPECT_GT(made * 24, gc_env() != nullptr ? o.max_heap / 4 : o.max_heap / 2) << made;
  ASSERT_RT_OK(rt_heap_verify(t.heap, t.m));
  ASSERT_RT_OK(rt_persistent_set(root, 0));
  ASSERT_RT_OK(rt_collect(t.heap, t.m, RT_COLLECT_MAJOR));
  for (std::uint64_t i = 0; i < after; ++i) {
    rt_value v = 0;
    ASSERT_RT_OK(rt_allocate(t.m, t.node, &v)) << i;
  }
  ASSERT_RT_OK(rt_heap_verify(t.heap, t.m));
  ASSERT_RT_OK(rt_persistent_free(t.heap, root));
}

}  // namespace
