// The heap's C ABI (include/runatime.h), tested through that header only:
// every function's success path, its documented errors (a status and a
// message, never a crash), the versioned structs, the thread rules, and
// that objects held through handles, persistents, root sets and frame
// enumerators survive and follow collections.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runatime.h"

#include "c_api_fixture.hpp"

namespace {

using namespace runa::capi_test;  // NOLINT(google-build-using-namespace)

TEST(CApi, VersionAndStatusNames) {
  EXPECT_EQ(rt_abi_version(), static_cast<std::uint32_t>(RT_ABI_VERSION));
  EXPECT_TRUE(rt_abi_compatible());
  EXPECT_STREQ(rt_status_name(RT_OK), "RT_OK");
  EXPECT_STREQ(rt_status_name(RT_ERROR_OUT_OF_MEMORY), "RT_ERROR_OUT_OF_MEMORY");
  EXPECT_STREQ(rt_status_name(99), "RT_ERROR_UNKNOWN");
}

TEST(CApi, OptionsAreCheckedAndVersioned) {
  rt_heap_options o;
  ASSERT_RT_OK(rt_heap_options_init(&o));
  EXPECT_EQ(o.size, sizeof o);
  EXPECT_EQ(o.max_heap, std::uint64_t{1} << 30);
  EXPECT_EQ(o.promotion_age, 3u);

  rt_heap* h = nullptr;
  o.promotion_age = 16;
  EXPECT_EQ(rt_heap_create(&o, &h), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("promotion_age"), std::string::npos) << last_error();
  EXPECT_EQ(h, nullptr);

  // A caller from a later minor version: known fields plus zeroed new ones is fine...
  struct Later {
    rt_heap_options base;
    std::uint64_t future;
  } later{};
  rt_heap_options_init(&later.base);
  later.base.size = sizeof later;
  later.base.nursery = 1 << 20;
  ASSERT_RT_OK(rt_heap_create(&later.base, &h));
  rt_heap_options back;
  rt_heap_options_init(&back);
  ASSERT_RT_OK(rt_heap_get_options(h, &back));
  EXPECT_EQ(back.nursery, 1u << 20);
  ASSERT_RT_OK(rt_heap_destroy(h));
  // ...but asking for something this version does not know is refused.
  later.future = 1;
  EXPECT_EQ(rt_heap_create(&later.base, &h), RT_ERROR_UNSUPPORTED);
  EXPECT_NE(last_error().find("byte 64"), std::string::npos) << last_error();

  o.size = 8;
  EXPECT_EQ(rt_heap_create(&o, &h), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_heap_create(nullptr, nullptr), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_heap_options_init(nullptr), RT_ERROR_INVALID_ARGUMENT);
  // NULL options: the defaults.
  ASSERT_RT_OK(rt_heap_create(nullptr, &h));
  ASSERT_RT_OK(rt_heap_destroy(h));
  EXPECT_EQ(rt_heap_destroy(nullptr), RT_ERROR_INVALID_ARGUMENT);
}

TEST(CApi, OptionsFromText) {
  rt_heap_options o;  // not small_options(): RUNA_GC would set some fields
  ASSERT_RT_OK(rt_heap_options_init(&o));
  o.tlab = 4 << 10;
  o.promotion_age = 2;
  ASSERT_RT_OK(rt_heap_options_parse("max_heap=2g, nursery=1m,log verify=1 stress-every=3", &o));
  EXPECT_EQ(o.max_heap, std::uint64_t{2} << 30);
  EXPECT_EQ(o.nursery, 1u << 20);
  EXPECT_EQ(o.log, 1u);
  EXPECT_EQ(o.verify, 1u);
  EXPECT_EQ(o.stress_every, 3u);
  // Fields the text does not name keep the caller's values.
  EXPECT_EQ(o.tlab, 4u << 10);
  EXPECT_EQ(o.promotion_age, 2u);
  EXPECT_EQ(o.poison, 0u);
  // Booleans come back as 0 or 1.
  o.poison = 7;
  ASSERT_RT_OK(rt_heap_options_parse("", &o));
  EXPECT_EQ(o.poison, 1u);
  ASSERT_RT_OK(rt_heap_options_parse("log=off", &o));
  EXPECT_EQ(o.log, 0u);
  // The result makes a heap.
  ASSERT_RT_OK(rt_heap_options_parse("max_heap=64m,stress_every=0,verify=off", &o));
  rt_heap* h = nullptr;
  ASSERT_RT_OK(rt_heap_create(&o, &h));
  ASSERT_RT_OK(rt_heap_destroy(h));

  // A bad item: an error naming it, and *inout untouched.
  const rt_heap_options kept = o;
  EXPECT_EQ(rt_heap_options_parse("tlab=8k,nursry=1m", &o), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(last_error(),
            "rt_heap_options_parse: heap options: unknown option 'nursry' (did you mean "
            "'nursery'?)");
  EXPECT_EQ(std::memcmp(&o, &kept, sizeof o), 0);
  EXPECT_EQ(rt_heap_options_parse("promotion_age=3k", &o), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(last_error(),
            "rt_heap_options_parse: heap options: option 'promotion_age': '3k' is not a whole "
            "number");
  // Ranges are rt_heap_create's to check.
  ASSERT_RT_OK(rt_heap_options_parse("promotion_age=16", &o));
  EXPECT_EQ(rt_heap_create(&o, &h), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("promotion_age"), std::string::npos) << last_error();

  EXPECT_EQ(rt_heap_options_parse(nullptr, &o), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(last_error(), "rt_heap_options_parse: text is NULL");
  EXPECT_EQ(rt_heap_options_parse("log", nullptr), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(last_error(), "rt_heap_options_parse: inout is NULL");
  rt_heap_options tiny = o;
  tiny.size = 8;
  EXPECT_EQ(rt_heap_options_parse("log", &tiny), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("inout->size is 8"), std::string::npos) << last_error();

  // A caller from a later minor version: its unknown tail stays zero...
  struct Later {
    rt_heap_options base;
    std::uint64_t future;
  } later{};
  rt_heap_options_init(&later.base);
  later.base.size = sizeof later;
  ASSERT_RT_OK(rt_heap_options_parse("nursery=2m", &later.base));
  EXPECT_EQ(later.base.nursery, 2u << 20);
  EXPECT_EQ(later.base.size, sizeof later);
  EXPECT_EQ(later.future, 0u);
  // ...and setting it asks for something this version cannot do.
  later.future = 1;
  EXPECT_EQ(rt_heap_options_parse("nursery=4m", &later.base), RT_ERROR_UNSUPPORTED);
  EXPECT_EQ(later.base.nursery, 2u << 20);
}

TEST(CApi, IdentityHashes) {
  CHeap t;
  rt_handle_scope scope;
  ASSERT_RT_OK(rt_handle_scope_open(t.m, &scope));
  rt_handle node;
  ASSERT_RT_OK(rt_handle_new(t.m, t.new_node(5), &node));
  rt_value large = 0;  // never moves, but only the handle keeps it alive
  ASSERT_RT_OK(rt_allocate_large(t.m, t.refs, 3, &large));
  rt_handle keep_large;
  ASSERT_RT_OK(rt_handle_new(t.m, large, &keep_large));
  std::uint32_t h = 0;
  std::uint32_t again = 0;
  ASSERT_RT_OK(rt_identity_hash(t.m, *node.slot, &h));
  EXPECT_NE(h, 0u);
  EXPECT_LT(h, 1u << 20);
  ASSERT_RT_OK(rt_identity_hash(t.m, *node.slot, &again));
  EXPECT_EQ(again, h);
  std::uint32_t large_hash = 0;
  ASSERT_RT_OK(rt_identity_hash(t.m, large, &large_hash));
  EXPECT_NE(large_hash, 0u);

  // The same after the node is copied, promoted and collected fully.
  rt_value before = *node.slot;
  for (int k = 0; k < 3; ++k) ASSERT_RT_OK(rt_collect(t.heap, t.m, RT_COLLECT_MINOR));
  ASSERT_RT_OK(rt_collect(t.heap, t.m, RT_COLLECT_MAJOR));
  EXPECT_NE(*node.slot, before);
  EXPECT_EQ(CHeap::id(*node.slot), 5u);
  ASSERT_RT_OK(rt_identity_hash(t.m, *node.slot, &again));
  EXPECT_EQ(again, h);
  ASSERT_EQ(*keep_large.slot, large);
  ASSERT_RT_OK(rt_identity_hash(t.m, large, &again));
  EXPECT_EQ(again, large_hash);

  // Errors leave *out alone.
  again = 12345;
  EXPECT_EQ(rt_identity_hash(t.m, *node.slot, nullptr), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_identity_hash(nullptr, *node.slot, &again), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_identity_hash(t.m, imm(3), &again), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("is not a reference"), std::string::npos) << last_error();
  EXPECT_EQ(rt_identity_hash(t.m, 0x1000, &again), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("not in this heap"), std::string::npos) << last_error();
  std::thread([&] {
    std::uint32_t x = 0;
    EXPECT_EQ(rt_identity_hash(t.m, large, &x), RT_ERROR_INVALID_ARGUMENT);
  }).join();
  ASSERT_RT_OK(rt_enter_native(t.m));
  EXPECT_EQ(rt_identity_hash(t.m, large, &again), RT_ERROR_INVALID_STATE);
  ASSERT_RT_OK(rt_leave_native(t.m));
  EXPECT_EQ(again, 12345u);
  ASSERT_RT_OK(rt_handle_scope_close(&scope));
}

TEST(CApi, LastErrorIsPerThreadAndKeptBySuccess) {
  rt_heap* h = nullptr;
  EXPECT_EQ(rt_heap_create(nullptr, nullptr), RT_ERROR_INVALID_ARGUMENT);
  std::string mine = last_error();
  EXPECT_NE(mine.find("rt_heap_create"), std::string::npos) << mine;
  std::thread([] { EXPECT_STREQ(rt_last_error(), ""); }).join();
  ASSERT_RT_OK(rt_heap_create(nullptr, &h));
  EXPECT_EQ(last_error(), mine);
  ASSERT_RT_OK(rt_heap_destroy(h));
}

TEST(CApi, Layouts) {
  CHeap t;
  rt_layout l;
  ASSERT_RT_OK(rt_layout_init(&l));  // sets l.size, which rt_get_layout reads
  ASSERT_RT_OK(rt_get_layout(t.heap, t.node, &l));
  EXPECT_EQ(l.kind, static_cast<std::uint32_t>(RT_LAYOUT_PLAIN));
  EXPECT_EQ(l.object_size, 24u);
  EXPECT_EQ(l.refs, 1u);
  EXPECT_STREQ(l.name, "node");
  EXPECT_EQ(rt_get_layout(t.heap, 0, &l), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_get_layout(t.heap, 999, &l), RT_ERROR_INVALID_ARGUMENT);

  std::uint32_t type = 0;
  rt_layout_init(&l);
  l.object_size = 12;
  EXPECT_EQ(rt_register_layout(t.heap, &l, &type), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("multiple of 8"), std::string::npos) << last_error();
  l.object_size = 16;
  l.refs = 2;
  EXPECT_EQ(rt_register_layout(t.heap, &l, &type), RT_ERROR_INVALID_ARGUMENT);
  l.refs = 0;
  l.kind = 7;
  EXPECT_EQ(rt_register_layout(t.heap, &l, &type), RT_ERROR_INVALID_ARGUMENT);
  l.kind = RT_LAYOUT_PLAIN;
  l.finalizable = 1;
  EXPECT_EQ(rt_register_layout(t.heap, &l, &type), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("needs a finalizer"), std::string::npos) << last_error();
  l.finalizable = 0;
  l.name = nullptr;
  ASSERT_RT_OK(rt_register_layout(t.heap, &l, &type));
  EXPECT_GT(type, t.bytes);
  EXPECT_EQ(rt_register_layout(t.heap, nullptr, &type), RT_ERROR_INVALID_ARGUMENT);
}

TEST(CApi, GrownStructsKeepOldCallersSafe) {
  // The exported functions of 1.0 write the 1.0 structs, never more...
  struct Guarded {
    rt_layout layout;
    unsigned char after[16];
  } g;
  std::memset(&g, 0xAB, sizeof g);
  ASSERT_RT_OK((rt_layout_init)(&g.layout));
  EXPECT_EQ(g.layout.size, 32u);
  EXPECT_EQ(g.layout.object_size, 8u);
  const auto* tail = reinterpret_cast<const unsigned char*>(&g.layout) + 32;
  EXPECT_EQ(tail[0], 0xAB);
  EXPECT_EQ(g.after[0], 0xAB);
  rt_heap_stats s;
  std::memset(&s, 0xAB, sizeof s);
  ASSERT_RT_OK((rt_heap_stats_init)(&s));
  EXPECT_EQ(s.size, 112u);
  EXPECT_EQ(s.committed_bytes, 0u);
  EXPECT_EQ(s.finalizers_run, 0xABABABABABABABABu);
  // ...and a 1.0-sized layout still registers (the 1.1 fields take their defaults).
  CHeap t;
  g.layout.object_size = 16;
  g.layout.refs = 1;
  g.layout.name = "old";
  std::uint32_t type = 0;
  ASSERT_RT_OK(rt_register_layout(t.heap, &g.layout, &type));
  g.layout.finalizable = 1;
  EXPECT_EQ(rt_register_layout(t.heap, &g.layout, &type), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("ABI 1.1"), std::string::npos) << last_error();

  // The *_init macros: sizeof the caller's struct, tail zeroed.
  rt_layout l;
  std::memset(&l, 0xAB, sizeof l);
  ASSERT_RT_OK(rt_layout_init(&l));
  EXPECT_EQ(l.size, sizeof l);
  EXPECT_EQ(l.finalizer, nullptr);
  EXPECT_EQ(l.finalizer_context, nullptr);
  ASSERT_RT_OK(rt_heap_stats_init(&s));
  EXPECT_EQ(s.size, sizeof s);
  EXPECT_EQ(s.finalizers_run, 0u);
  EXPECT_EQ(rt_layout_init_sized(&l, 16), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_layout_init_sized(nullptr, sizeof l), RT_ERROR_INVALID_ARGUMENT);
}

// What the finalizers of CApi.Finalizers saw. Objects of its types hold
// their id in slot 1 (plain) or have it as their length (arrays).
struct CFinalized {
  rt_heap* heap = nullptr;
  std::uint32_t node = 0;
  bool arrays = false;
  std::uint64_t resurrect = ~std::uint64_t{0};  // this id is stored into `keep`
  std::mutex mu;
  std::vector<std::uint64_t> ids;
  std::atomic<int> problems{0};
  rt_persistent keep{nullptr};
};

void c_finalize(void* context, rt_heap* heap, rt_mutator* m, rt_handle object) {
  auto* seen = static_cast<CFinalized*>(context);
  if (heap != seen->heap) seen->problems++;
  // The finalizer thread's mutator is accepted like any other...
  rt_value n = 0;
  if (rt_allocate(m, seen->node, &n) != RT_OK) seen->problems++;
  rt_value v = 0;
  if (rt_handle_get(object, &v) != RT_OK) seen->problems++;  // after the allocation
  // ...except where it would wait for itself or leave the heap.
  if (rt_wait_for_finalizers(heap, m) != RT_ERROR_INVALID_STATE) seen->problems++;
  if (rt_detach(heap, m) != RT_ERROR_INVALID_STATE) seen->problems++;
  if (rt_heap_destroy(heap) != RT_ERROR_INVALID_STATE) seen->problems++;
  std::uint64_t id = seen->arrays ? rt_array_length(v) : rt_object_slots(v)[1];
  if (id == seen->resurrect && rt_persistent_new(heap, v, &seen->keep) != RT_OK) {
    seen->problems++;
  }
  std::lock_guard lock(seen->mu);
  seen->ids.push_back(id);
}

TEST(CApi, Finalizers) {
  CHeap t;
  CFinalized plain;
  CFinalized arrays;
  plain.heap = arrays.heap = t.heap;
  plain.node = arrays.node = t.node;
  arrays.arrays = true;
  plain.resurrect = 7;

  rt_layout l;
  ASSERT_RT_OK(rt_layout_init(&l));
  l.object_size = 24;
  l.refs = 1;
  l.name = "resource";
  l.finalizer = c_finalize;
  l.finalizer_context = &plain;
  std::uint32_t resource = 0;
  EXPECT_EQ(rt_register_layout(t.heap, &l, &resource), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("not finalizable"), std::string::npos) << last_error();
  l.finalizable = 1;
  ASSERT_RT_OK(rt_register_layout(t.heap, &l, &resource));
  l.kind = RT_LAYOUT_REF_ARRAY;
  l.name = "buffers";
  l.finalizer_context = &arrays;
  std::uint32_t buffers = 0;
  ASSERT_RT_OK(rt_register_layout(t.heap, &l, &buffers));
  rt_layout back;
  ASSERT_RT_OK(rt_layout_init(&back));
  ASSERT_RT_OK(rt_get_layout(t.heap, resource, &back));
  EXPECT_EQ(back.finalizable, 1u);
  EXPECT_EQ(back.finalizer, c_finalize);
  EXPECT_EQ(back.finalizer_context, &plain);

  // Only rt_allocate_finalizable allocates them, and only them.
  rt_value v = 0;
  EXPECT_EQ(rt_allocate(t.m, resource, &v), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("rt_allocate_finalizable"), std::string::npos) << last_error();
  EXPECT_EQ(rt_allocate_array(t.m, buffers, 3, &v), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_allocate_large(t.m, resource, 0, &v), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_allocate_finalizable(t.m, t.node, 0, &v), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_allocate_finalizable(t.m, resource, 3, &v), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_allocate_finalizable(t.m, resource, 0, nullptr), RT_ERROR_INVALID_ARGUMENT);

  rt_handle_scope scope;
  ASSERT_RT_OK(rt_handle_scope_open(t.m, &scope));
  rt_handle kept;
  ASSERT_RT_OK(rt_handle_new(t.m, 0, &kept));
  for (std::uint64_t id = 0; id < 100; ++id) {
    ASSERT_RT_OK(rt_allocate_finalizable(t.m, resource, 0, &v));
    EXPECT_EQ(rt_type_of(v), resource);
    rt_object_slots(v)[1] = id;
    if (id == 5) {
      ASSERT_RT_OK(rt_handle_set(kept, v));
    }
  }
  ASSERT_RT_OK(rt_allocate_finalizable(t.m, buffers, 3, &v));
  EXPECT_EQ(rt_array_length(v), 3u);
  ASSERT_RT_OK(rt_allocate_finalizable(t.m, buffers, 2000, &v));  // large
  EXPECT_EQ(rt_array_length(v), 2000u);
  ASSERT_RT_OK(rt_collect(t.heap, t.m, RT_COLLECT_MAJOR));
  ASSERT_RT_OK(rt_wait_for_finalizers(t.heap, t.m));
  {
    std::lock_guard lock(plain.mu);
    std::vector<std::uint64_t> ids = plain.ids;
    std::sort(ids.begin(), ids.end());
    ASSERT_EQ(ids.size(), 99u);
    for (std::uint64_t i = 0; i < 99; ++i) EXPECT_EQ(ids[i], i < 5 ? i : i + 1);
  }
  {
    std::lock_guard lock(arrays.mu);
    std::vector<std::uint64_t> ids = arrays.ids;
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(ids, (std::vector<std::uint64_t>{3, 2000}));
  }
  EXPECT_EQ(plain.problems.load(), 0);
  EXPECT_EQ(arrays.problems.load(), 0);
  rt_heap_stats s = t.stats();
  EXPECT_EQ(s.finalizers_run, 101u);
  EXPECT_EQ(s.finalizers_pending, 0u);

  // Object 7 was resurrected: it lives on and is never finalized again.
  ASSERT_NE(plain.keep.slot, nullptr);
  ASSERT_RT_OK(rt_persistent_get(plain.keep, &v));
  EXPECT_EQ(rt_object_slots(v)[1], 7u);
  ASSERT_RT_OK(rt_persistent_free(t.heap, plain.keep));
  ASSERT_RT_OK(rt_handle_scope_close(&scope));  // object 5 dies too
  ASSERT_RT_OK(rt_collect(t.heap, t.m, RT_COLLECT_MAJOR));
  ASSERT_RT_OK(rt_wait_for_finalizers(t.heap, t.m));
  {
    std::lock_guard lock(plain.mu);
    EXPECT_EQ(plain.ids.size(), 100u);
    EXPECT_EQ(std::count(plain.ids.begin(), plain.ids.end(), 7u), 1);
    EXPECT_EQ(std::count(plain.ids.begin(), plain.ids.end(), 5u), 1);
  }
  ASSERT_RT_OK(rt_heap_verify(t.heap, t.m));
  EXPECT_EQ(rt_wait_for_finalizers(nullptr, t.m), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_wait_for_finalizers(t.heap, nullptr), RT_ERROR_INVALID_ARGUMENT);
}

TEST(CApi, AllocationOfEveryKind) {
  CHeap t;
  rt_value n = t.new_node(7);
  EXPECT_TRUE(rt_is_ref(n));
  EXPECT_EQ(rt_type_of(n), t.node);
  EXPECT_EQ(rt_object_slots(n)[0], 0u);
  std::size_t size = 0;
  ASSERT_RT_OK(rt_object_size(t.heap, n, &size));
  EXPECT_EQ(size, 24u);

  rt_value a = 0;
  ASSERT_RT_OK(rt_allocate_array(t.m, t.refs, 10, &a));
  EXPECT_EQ(rt_array_length(a), 10u);
  ASSERT_RT_OK(rt_object_size(t.heap, a, &size));
  EXPECT_EQ(size, rt_ref_array_bytes(10));
  rt_value b = 0;
  ASSERT_RT_OK(rt_allocate_array(t.m, t.bytes, 13, &b));
  EXPECT_EQ(rt_array_length(b), 13u);
  std::memcpy(rt_array_data(b), "hello, world!", 13);
  ASSERT_RT_OK(rt_object_size(t.heap, b, &size));
  EXPECT_EQ(size, rt_byte_array_bytes(13));

  // Wrong kinds, unknown types, bad sizes.
  EXPECT_EQ(rt_allocate(t.m, t.refs, &a), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("rt_allocate_array"), std::string::npos) << last_error();
  EXPECT_EQ(rt_allocate_array(t.m, t.node, 3, &a), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_allocate(t.m, 0, &a), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_allocate(t.m, 4242, &a), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_allocate(t.m, t.node, nullptr), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_allocate(nullptr, t.node, &a), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_allocate_slow(t.m, t.node, 32, &a), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_allocate_slow(t.m, t.node, 20, &a), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_allocate_slow(t.m, t.refs, 8, &a), RT_ERROR_INVALID_ARGUMENT);
  ASSERT_RT_OK(rt_allocate_slow(t.m, t.node, 24, &a));
  EXPECT_EQ(rt_type_of(a), t.node);
  EXPECT_EQ(rt_object_size(t.heap, imm(3), &size), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_object_size(t.heap, 0x1000, &size), RT_ERROR_INVALID_ARGUMENT);
}

TEST(CApi, FastPathsMatchTheHeader) {
  CHeap t;
  rt_handle_scope scope;
  ASSERT_RT_OK(rt_handle_scope_open(t.m, &scope));
  std::vector<rt_handle> hs;
  for (std::uint64_t i = 0; i < 5000; ++i) {
    rt_value v = 0;
    ASSERT_RT_OK(rt_fast_allocate(t.m, t.node, 24, &v));
    rt_object_slots(v)[1] = i;
    rt_handle h;
    ASSERT_RT_OK(rt_fast_handle(t.m, v, &h));
    if (!hs.empty()) {
      ASSERT_RT_OK(rt_fast_write(t.m, v, &rt_object_slots(v)[0], *hs.back().slot));
    }
    hs.push_back(h);
    ASSERT_RT_OK(rt_fast_poll(t.m));
  }
  rt_value a = 0;
  ASSERT_RT_OK(rt_fast_allocate_array(t.m, t.refs, rt_ref_array_bytes(4), 4, &a));
  EXPECT_EQ(rt_array_length(a), 4u);
  ASSERT_RT_OK(rt_fast_allocate_array(t.m, t.refs, rt_ref_array_bytes(2000), 2000, &a));
  EXPECT_EQ(rt_array_length(a), 2000u);
  ASSERT_RT_OK(rt_collect(t.heap, t.m, RT_COLLECT_MINOR));
  for (std::uint64_t i = 0; i < hs.size(); ++i) {
    rt_value v = 0;
    ASSERT_RT_OK(rt_handle_get(hs[i], &v));
    ASSERT_EQ(CHeap::id(v), i);
    if (i > 0) {
      ASSERT_EQ(CHeap::id(rt_object_slots(v)[0]), i - 1);
    }
  }
  ASSERT_RT_OK(rt_heap_verify(t.heap, t.m));
  ASSERT_RT_OK(rt_handle_scope_close(&scope));
}

TEST(CApi, OutOfMemoryIsAStatusAndTheHeapRecovers) {
  rt_heap_options o = small_options();
  o.max_heap = 1 << 20;
  CHeap t(o);
  std::vector<rt_persistent> kept;
  rt_status s = RT_OK;
  for (int i = 0; i < 1000 && s == RT_OK; ++i) {
    rt_value v = 0;
    s = rt_allocate_large(t.m, t.bytes, 64 << 10, &v);
    if (s == RT_OK) {
      rt_persistent p;
      ASSERT_RT_OK(rt_persistent_new(t.heap, v, &p));
      kept.push_back(p);
    }
  }
  ASSERT_EQ(s, RT_ERROR_OUT_OF_MEMORY);
  EXPECT_NE(last_error().find("out of memory"), std::string::npos) << last_error();
  EXPECT_GT(kept.size(), 5u);
  rt_value v = 0;
  EXPECT_EQ(rt_allocate_array(t.m, t.refs, std::uint64_t{1} << 40, &v), RT_ERROR_OUT_OF_MEMORY);
  // Freeing the references gives the room back to the next major collection.
  for (rt_persistent p : kept) ASSERT_RT_OK(rt_persistent_free(t.heap, p));
  ASSERT_RT_OK(rt_collect(t.heap, t.m, RT_COLLECT_MAJOR));
  ASSERT_RT_OK(rt_allocate_large(t.m, t.bytes, 64 << 10, &v));
  ASSERT_RT_OK(rt_heap_verify(t.heap, t.m));
}

// rt_allocate_large and rt_allocate_pinned: a fixed-size object and an
// array stay where they are through minor and major collections, counted in
// the statistics' `space`.
void objects_stay_put(rt_status (*allocate)(rt_mutator*, uint32_t, uint64_t, rt_value*),
                      const char* name, std::uint64_t rt_heap_stats::*space) {
  CHeap t;
  rt_handle_scope scope;
  ASSERT_RT_OK(rt_handle_scope_open(t.m, &scope));
  rt_value one = 0;
  ASSERT_RT_OK(allocate(t.m, t.node, 0, &one));
  EXPECT_EQ(allocate(t.m, t.node, 3, &one), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(rt_last_error()).find(name), std::string::npos);
  rt_value arr = 0;
  ASSERT_RT_OK(allocate(t.m, t.refs, 3, &arr));
  EXPECT_EQ(rt_array_length(arr), 3u);
  rt_handle h1;
  rt_handle ha;
  ASSERT_RT_OK(rt_handle_new(t.m, one, &h1));
  ASSERT_RT_OK(rt_handle_new(t.m, arr, &ha));
  ASSERT_RT_OK(rt_collect(t.heap, t.m, RT_COLLECT_MINOR));
  ASSERT_RT_OK(rt_collect(t.heap, t.m, RT_COLLECT_MAJOR));
  EXPECT_EQ(*h1.slot, one);
  EXPECT_EQ(*ha.slot, arr);
  EXPECT_GT(t.stats().*space, 0u);
  ASSERT_RT_OK(rt_handle_scope_close(&scope));
}

TEST(CApi, PinnedObjectsDoNotMove) {
  objects_stay_put(rt_allocate_pinned, "rt_allocate_pinned", &rt_heap_stats::old_bytes);
}

TEST(CApi, LargeObjectsDoNotMove) {
  objects_stay_put(rt_allocate_large, "rt_allocate_large", &rt_heap_stats::large_bytes);
}

TEST(CApi, WriteBarrierRemembersOldObjects) {
  CHeap t;
  rt_handle_scope scope;
  ASSERT_RT_OK(rt_handle_scope_open(t.m, &scope));
  // A large object is born old: storing a young reference must log it.
  rt_value old = 0;
  ASSERT_RT_OK(rt_allocate_large(t.m, t.refs, 2, &old));
  rt_handle ho;
  ASSERT_RT_OK(rt_handle_new(t.m, old, &ho));
  rt_value young = t.new_node(42);
  ASSERT_RT_OK(rt_write(t.m, *ho.slot, &rt_array_slots(*ho.slot)[0], young));
  rt_value young2 = t.new_node(43);
  ASSERT_RT_OK(rt_fast_write(t.m, *ho.slot, &rt_array_slots(*ho.slot)[1], young2));
  ASSERT_RT_OK(rt_collect(t.heap, t.m, RT_COLLECT_MINOR));
  ASSERT_RT_OK(rt_heap_verify(t.heap, t.m));
  rt_value kept = rt_array_slots(*ho.slot)[0];
  ASSERT_TRUE(rt_is_ref(kept));
  EXPECT_NE(kept, young);  // it moved, and the slot followed
  EXPECT_EQ(CHeap::id(kept), 42u);
  EXPECT_EQ(CHeap::id(rt_array_slots(*ho.slot)[1]), 43u);

  // Checked stores: the slot must be one of the object's reference slots.
  rt_value n = t.new_node(1);
  EXPECT_EQ(rt_write(t.m, n, &rt_object_slots(n)[1], imm(1)), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("not a reference slot"), std::string::npos) << last_error();
  EXPECT_EQ(rt_write(t.m, n, &rt_object_slots(n)[0] - 1, imm(1)), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_write(t.m, imm(5), &rt_object_slots(n)[0], imm(1)), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_write(t.m, n, nullptr, imm(1)), RT_ERROR_INVALID_ARGUMENT);
  rt_value b = 0;
  ASSERT_RT_OK(rt_allocate_array(t.m, t.bytes, 16, &b));
  EXPECT_EQ(rt_write(t.m, b, rt_array_slots(b), imm(1)), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_RT_OK(rt_write(t.m, n, &rt_object_slots(n)[0], imm(1)));
  EXPECT_RT_OK(rt_log_object(t.m, n));
  EXPECT_EQ(rt_log_object(t.m, 0), RT_ERROR_INVALID_ARGUMENT);
  ASSERT_RT_OK(rt_handle_scope_close(&scope));
}

// A large ref array through the C ABI: rt_fast_write (rt_log_store) and the
// range calls keep young elements alive; bad ranges and objects are errors.
TEST(CApi, LargeArrayStoresCopiesAndFills) {
  CHeap t;
  rt_handle_scope scope;
  ASSERT_RT_OK(rt_handle_scope_open(t.m, &scope));
  rt_value big = 0;
  ASSERT_RT_OK(rt_allocate_array(t.m, t.refs, 2000, &big));  // large: never moves
  rt_handle hb;
  ASSERT_RT_OK(rt_handle_new(t.m, big, &hb));
  ASSERT_RT_OK(rt_collect(t.heap, t.m, RT_COLLECT_MINOR));  // its cards clean
  rt_value* e = rt_array_slots(big);
  ASSERT_RT_OK(rt_fast_write(t.m, big, &e[1500], t.new_node(42)));
  ASSERT_RT_OK(rt_copy_elements(t.m, big, 10, big, 1500, 1));
  ASSERT_RT_OK(rt_fill_elements(t.m, big, 100, 50, t.new_node(43)));
  ASSERT_RT_OK(rt_heap_verify(t.heap, t.m));
  ASSERT_RT_OK(rt_collect(t.heap, t.m, RT_COLLECT_MINOR));
  ASSERT_RT_OK(rt_heap_verify(t.heap, t.m));
  EXPECT_EQ(CHeap::id(e[1500]), 42u);
  EXPECT_EQ(e[10], e[1500]);
  for (int i = 100; i < 150; ++i) ASSERT_EQ(CHeap::id(e[i]), 43u) << i;
  EXPECT_EQ(e[99], 0u);
  EXPECT_EQ(e[150], 0u);

  EXPECT_EQ(rt_copy_elements(t.m, big, 1990, big, 0, 11), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("cannot copy 11 elements"), std::string::npos) << last_error();
  EXPECT_EQ(rt_fill_elements(t.m, big, 2000, 1, imm(1)), RT_ERROR_INVALID_ARGUMENT);
  rt_value b = 0;
  ASSERT_RT_OK(rt_allocate_array(t.m, t.bytes, 16, &b));
  EXPECT_EQ(rt_copy_elements(t.m, big, 0, b, 0, 1), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("not a ref array"), std::string::npos) << last_error();
  EXPECT_EQ(rt_fill_elements(t.m, imm(3), 0, 1, imm(1)), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_log_store(t.m, big, &e[-1]), RT_ERROR_INVALID_ARGUMENT);  // the length word
  EXPECT_EQ(rt_log_store(t.m, big, nullptr), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_array_length(big), 2000u);
  ASSERT_RT_OK(rt_handle_scope_close(&scope));
}

TEST(CApi, HandleScopesNestAndCatchMisuse) {
  CHeap t;
  rt_handle_scope outer;
  rt_handle_scope inner;
  ASSERT_RT_OK(rt_handle_scope_open(t.m, &outer));
  std::vector<rt_handle> hs;
  for (std::uint64_t i = 0; i < 1000; ++i) {  // several chunks of slots
    rt_handle h;
    ASSERT_RT_OK(rt_handle_new(t.m, t.new_node(i), &h));
    hs.push_back(h);
  }
  ASSERT_RT_OK(rt_handle_scope_open(t.m, &inner));
  for (std::uint64_t i = 0; i < 600; ++i) {
    rt_handle h;
    ASSERT_RT_OK(rt_handle_new(t.m, imm(i), &h));
  }
  rt_handle_scope saved_inner = inner;
  ASSERT_RT_OK(rt_handle_scope_close(&inner));
  EXPECT_EQ(rt_handle_scope_close(&inner), RT_ERROR_INVALID_ARGUMENT);  // closed twice
  ASSERT_RT_OK(rt_collect(t.heap, t.m, RT_COLLECT_MINOR));
  for (std::uint64_t i = 0; i < hs.size(); ++i) {
    rt_value v = 0;
    ASSERT_RT_OK(rt_handle_get(hs[i], &v));
    ASSERT_EQ(CHeap::id(v), i);
  }
  ASSERT_RT_OK(rt_handle_set(hs[0], imm(9)));
  EXPECT_EQ(*hs[0].slot, imm(9));

  // Closing the outer scope and then an inner one: the second is refused.
  rt_handle_scope in2;
  ASSERT_RT_OK(rt_handle_scope_open(t.m, &in2));
  rt_handle h;
  ASSERT_RT_OK(rt_handle_new(t.m, imm(1), &h));
  ASSERT_RT_OK(rt_handle_scope_close(&outer));
  EXPECT_EQ(rt_handle_scope_close(&in2), RT_ERROR_INVALID_STATE);
  EXPECT_NE(last_error().find("out of order"), std::string::npos) << last_error();
  (void)saved_inner;
  EXPECT_EQ(rt_handle_get(rt_handle{nullptr}, nullptr), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_handle_set(rt_handle{nullptr}, 0), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_handle_scope_open(t.m, nullptr), RT_ERROR_INVALID_ARGUMENT);
}

TEST(CApi, PersistentHandles) {
  CHeap t;
  rt_persistent p;
  ASSERT_RT_OK(rt_persistent_new(t.heap, t.new_node(5), &p));
  rt_value before = *p.slot;
  ASSERT_RT_OK(rt_collect(t.heap, t.m, RT_COLLECT_MINOR));
  rt_value v = 0;
  ASSERT_RT_OK(rt_persistent_get(p, &v));
  EXPECT_NE(v, before);
  EXPECT_EQ(CHeap::id(v), 5u);
  ASSERT_RT_OK(rt_persistent_set(p, imm(3)));
  ASSERT_RT_OK(rt_persistent_get(p, &v));
  EXPECT_EQ(v, imm(3));
  ASSERT_RT_OK(rt_persistent_free(t.heap, p));
  EXPECT_EQ(rt_persistent_free(t.heap, p), RT_ERROR_INVALID_ARGUMENT);
  rt_value local = 0;
  EXPECT_EQ(rt_persistent_free(t.heap, rt_persistent{&local}), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_persistent_new(t.heap, 0, nullptr), RT_ERROR_INVALID_ARGUMENT);
}

rt_value g_frame_slots[3];
std::atomic<int> g_frame_visits{0};

void enumerate(void* context, rt_root_visitor* visitor) {
  auto* slots = static_cast<rt_value*>(context);
  g_frame_visits.fetch_add(1);
  rt_root_visit(visitor, &slots[0]);
  rt_root_visit_range(visitor, &slots[1], 2);
}

TEST(CApi, RootSetsAndFrameEnumerators) {
  CHeap t;
  rt_value roots[2] = {t.new_node(1), imm(2)};
  std::uint64_t roots_id = 0;
  ASSERT_RT_OK(rt_roots_add(t.heap, roots, 2, &roots_id));
  g_frame_slots[0] = t.new_node(10);
  g_frame_slots[1] = 0;
  g_frame_slots[2] = t.new_node(12);
  std::uint64_t frame_id = 0;
  ASSERT_RT_OK(rt_frame_enumerator_add(t.heap, t.m, enumerate, g_frame_slots, &frame_id));
  g_frame_visits = 0;
  ASSERT_RT_OK(rt_collect(t.heap, t.m, RT_COLLECT_MINOR));
  EXPECT_GE(g_frame_visits.load(), 1);
  ASSERT_RT_OK(rt_heap_verify(t.heap, t.m));
  EXPECT_EQ(CHeap::id(roots[0]), 1u);
  EXPECT_EQ(roots[1], imm(2));
  EXPECT_EQ(CHeap::id(g_frame_slots[0]), 10u);
  EXPECT_EQ(CHeap::id(g_frame_slots[2]), 12u);
  EXPECT_EQ(t.stats().surviving_bytes, 3u * 24u);

  ASSERT_RT_OK(rt_frame_enumerator_remove(t.heap, t.m, frame_id));
  EXPECT_EQ(rt_frame_enumerator_remove(t.heap, t.m, frame_id), RT_ERROR_INVALID_ARGUMENT);
  ASSERT_RT_OK(rt_roots_remove(t.heap, roots_id));
  EXPECT_EQ(rt_roots_remove(t.heap, roots_id), RT_ERROR_INVALID_ARGUMENT);
  g_frame_visits = 0;
  ASSERT_RT_OK(rt_collect(t.heap, t.m, RT_COLLECT_MINOR));
  EXPECT_EQ(g_frame_visits.load(), 0);
  EXPECT_EQ(rt_roots_add(t.heap, nullptr, 1, &roots_id), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_frame_enumerator_add(t.heap, t.m, nullptr, nullptr, &frame_id),
            RT_ERROR_INVALID_ARGUMENT);
}

// Defect 4: rt_detach freed the mutator's record, then erased the frame
// enumerators it had registered, keyed by the record's address and an id
// that restarts at 1 for every mutator. The breaking interleaving: thread A
// detaches (its record is freed), thread B attaches and gets the same
// address, B registers an enumerator (same key: its thunk is dropped, or A's
// erase then drops it), and the next collection calls the freed thunk. Here
// threads keep attaching, registering and detaching while the main thread
// collects; the ids they get must never repeat.
namespace {
struct WorkerFrame {
  rt_value slot = 0;
};
void enumerate_worker_frame(void* context, rt_root_visitor* visitor) {
  rt_root_visit(visitor, &static_cast<WorkerFrame*>(context)->slot);
}
}  // namespace

TEST(CApi, DetachWhileOthersAttachWithFrameEnumerators) {
  CHeap t;
  constexpr int kWorkers = 3;
  constexpr int kRounds = 400;
  std::atomic<int> running{kWorkers};
  std::mutex ids_mu;
  std::vector<std::uint64_t> ids;
  std::vector<std::thread> workers;
  for (int k = 0; k < kWorkers; ++k) {
    workers.emplace_back([&, k] {
      for (int round = 0; round < kRounds; ++round) {
        rt_mutator* m = nullptr;
        ASSERT_RT_OK(rt_attach(t.heap, &m));
        WorkerFrame frame;
        std::uint64_t id = 0;
        ASSERT_RT_OK(rt_frame_enumerator_add(t.heap, m, enumerate_worker_frame, &frame, &id));
        {
          std::lock_guard lock(ids_mu);
          ids.push_back(id);
        }
        const std::uint64_t tag = (static_cast<std::uint64_t>(k) << 32) | round;
        ASSERT_RT_OK(rt_allocate(m, t.node, &frame.slot));
        rt_object_slots(frame.slot)[1] = tag;
        ASSERT_RT_OK(rt_poll(m));
        ASSERT_EQ(CHeap::id(frame.slot), tag);
        // Half the rounds remove the enumerator first; the others leave it to rt_detach.
        if (round % 2 == 0) {
          ASSERT_RT_OK(rt_frame_enumerator_remove(t.heap, m, id));
        }
        ASSERT_RT_OK(rt_detach(t.heap, m));
      }
      running.fetch_sub(1);
    });
  }
  while (running.load() != 0) {
    ASSERT_RT_OK(rt_collect(t.heap, t.m, RT_COLLECT_MINOR));
  }
  for (auto& w : workers) w.join();
  ASSERT_RT_OK(rt_heap_verify(t.heap, t.m));
  std::sort(ids.begin(), ids.end());
  EXPECT_TRUE(std::adjacent_find(ids.begin(), ids.end()) == ids.end())
      << "frame-enumerator ids must be unique across mutators";
  EXPECT_EQ(ids.size(), std::size_t{kWorkers} * kRounds);
}

TEST(CApi, ThreadRules) {
  CHeap t;
  rt_mutator* again = nullptr;
  EXPECT_EQ(rt_attach(t.heap, &again), RT_ERROR_INVALID_STATE);
  EXPECT_EQ(rt_heap_destroy(t.heap), RT_ERROR_INVALID_STATE);
  EXPECT_NE(last_error().find("still attached"), std::string::npos) << last_error();
  // Another thread may not use this thread's mutator.
  std::thread([&] {
    rt_value v = 0;
    EXPECT_EQ(rt_allocate(t.m, t.node, &v), RT_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(rt_detach(t.heap, t.m), RT_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(rt_collect(t.heap, t.m, RT_COLLECT_MINOR), RT_ERROR_INVALID_ARGUMENT);
  }).join();
  // A mutator used with another heap.
  rt_heap* other = nullptr;
  ASSERT_RT_OK(rt_heap_create(nullptr, &other));
  EXPECT_EQ(rt_collect(other, t.m, RT_COLLECT_MINOR), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_collect(t.heap, t.m, 5), RT_ERROR_INVALID_ARGUMENT);
  ASSERT_RT_OK(rt_heap_destroy(other));
}

TEST(CApi, NativeRegions) {
  CHeap t;
  rt_handle_scope scope;
  ASSERT_RT_OK(rt_handle_scope_open(t.m, &scope));
  rt_handle h;
  ASSERT_RT_OK(rt_handle_new(t.m, t.new_node(77), &h));
  rt_value before = *h.slot;
  EXPECT_EQ(rt_leave_native(t.m), RT_ERROR_INVALID_STATE);
  ASSERT_RT_OK(rt_enter_native(t.m));
  EXPECT_EQ(rt_enter_native(t.m), RT_ERROR_INVALID_STATE);
  rt_value v = 0;
  EXPECT_EQ(rt_allocate(t.m, t.node, &v), RT_ERROR_INVALID_STATE);
  EXPECT_EQ(rt_collect(t.heap, t.m, RT_COLLECT_MINOR), RT_ERROR_INVALID_STATE);
  EXPECT_EQ(rt_poll(t.m), RT_ERROR_INVALID_STATE);
  EXPECT_EQ(rt_detach(t.heap, t.m), RT_ERROR_INVALID_STATE);
  // Another thread collects without waiting for this one.
  std::thread([&] {
    rt_mutator* m2 = nullptr;
    ASSERT_RT_OK(rt_attach(t.heap, &m2));
    ASSERT_RT_OK(rt_collect(t.heap, m2, RT_COLLECT_MINOR));
    ASSERT_RT_OK(rt_detach(t.heap, m2));
  }).join();
  ASSERT_RT_OK(rt_leave_native(t.m));
  EXPECT_NE(*h.slot, before);
  EXPECT_EQ(CHeap::id(*h.slot), 77u);
  ASSERT_RT_OK(rt_handle_scope_close(&scope));
}

TEST(CApi, PollingThreadsLetOthersCollect) {
  CHeap t;
  std::atomic<bool> stop{false};
  std::atomic<int> ready{0};
  std::vector<std::thread> pollers;
  for (int k = 0; k < 2; ++k) {
    pollers.emplace_back([&, k] {
      rt_mutator* m = nullptr;
      ASSERT_RT_OK(rt_attach(t.heap, &m));
      rt_handle_scope scope;
      ASSERT_RT_OK(rt_handle_scope_open(m, &scope));
      rt_handle h;
      rt_value v = 0;
      ASSERT_RT_OK(rt_allocate(m, t.node, &v));
      rt_object_slots(v)[1] = 100 + static_cast<std::uint64_t>(k);
      ASSERT_RT_OK(rt_handle_new(m, v, &h));
      ready.fetch_add(1);
      while (!stop.load()) {
        ASSERT_RT_OK(k == 0 ? rt_fast_poll(m) : rt_poll(m));
        ASSERT_EQ(CHeap::id(*h.slot), 100 + static_cast<std::uint64_t>(k));
      }
      ASSERT_RT_OK(rt_handle_scope_close(&scope));
      ASSERT_RT_OK(rt_detach(t.heap, m));
    });
  }
  while (ready.load() < 2) std::this_thread::yield();
  for (int i = 0; i < 20; ++i) {
    ASSERT_RT_OK(rt_collect(t.heap, t.m, i % 5 == 4 ? RT_COLLECT_MAJOR : RT_COLLECT_MINOR));
  }
  stop = true;
  for (auto& p : pollers) p.join();
  rt_heap_stats s = t.stats();
  EXPECT_GE(s.minor_collections + s.major_collections, 20u);
  EXPECT_GE(s.major_collections, 4u);
}

// Collection callbacks through the C ABI: every collection heard with its
// kind and cause, the callback allocating with the mutator it is given (a
// running mutator of the calling thread), and removal.
}  // namespace
