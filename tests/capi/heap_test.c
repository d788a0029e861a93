/* The heap through the C ABI only, from C: a linked list of 100,000 nodes
 * built through handles across many collections, with stress mode and
 * poisoning on (options given as text) and the heap verified along the way,
 * then checked node by node. Also exercises the inline
 * fast paths, the write barrier on old objects (an index array that gets
 * promoted), a root set, a persistent handle, a frame enumerator,
 * identity hashes that stay the same while their objects move, and
 * finalizers (ABI 1.1).
 * RUNA_GC, when set, applies on top of the test's options, as for the C++
 * test heaps (tests/CMakeLists.txt runs this test so in the stress run):
 * the list is then 5,000 nodes long (the heap may be verified after every
 * collection), and the checks that depend on the test's own stress period
 * are left out.
 * Exits 0 on success; on failure prints what failed and exits 1. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capi_check.h"
#include "runatime.h"

#define MAX_NODES 100000u
#define STRESS_NODES 5000u
#define INDEX_EVERY 1000u
#define MAX_INDEX_LENGTH (MAX_NODES / INDEX_EVERY)

/* The list's length: MAX_NODES, or STRESS_NODES under RUNA_GC. */
static uint32_t g_nodes = MAX_NODES;
#define INDEX_LENGTH (g_nodes / INDEX_EVERY)

/* Node: header, next (reference slot), payload (raw word). */
#define NODE_BYTES 24u
#define NEXT 0
#define PAYLOAD 1

static uint64_t payload(uint64_t i) {
  return (i * UINT64_C(0x9E3779B97F4A7C15)) ^ UINT64_C(0x5555);
}

/* A tier's "frame": four reference slots the collector must see. */
struct frame {
  rt_value slots[4];
  unsigned visits;
};

static void enumerate_frame(void* context, rt_root_visitor* visitor) {
  struct frame* f = context;
  f->visits++;
  rt_root_visit_range(visitor, f->slots, 3);
  rt_root_visit(visitor, &f->slots[3]);
}

/* A root set, as a module's globals would be. */
static rt_value globals[2];

/* The identity hash of every indexed node, taken when it was new. */
static uint32_t index_hashes[MAX_INDEX_LENGTH];

/* What the finalizer saw; read after rt_wait_for_finalizers. */
struct finalized {
  rt_heap* heap;
  uint32_t type;
  uint32_t node_type;
  uint32_t calls;
  uint64_t payloads; /* sum of the payloads of the objects finalized */
  uint32_t problems;
};

static void finalize(void* context, rt_heap* heap, rt_mutator* m, rt_handle object) {
  struct finalized* f = context;
  rt_value v = 0;
  rt_value garbage = 0;
  /* A finalizer may allocate (and so collect): the object is re-read from its handle. */
  if (rt_allocate(m, f->node_type, &garbage) != RT_OK) f->problems++;
  if (heap != f->heap || rt_handle_get(object, &v) != RT_OK || rt_type_of(v) != f->type) {
    f->problems++;
    return;
  }
  f->payloads += rt_object_slots(v)[PAYLOAD];
  f->calls++;
}

int main(void) {
  rt_heap_options options;
  rt_heap* heap = NULL;
  rt_layout layout;
  uint32_t node_type = 0;
  uint32_t index_type = 0;
  rt_mutator* m = NULL;
  rt_handle_scope outer;
  rt_handle head;
  rt_persistent index;
  struct frame frame = {{0, 0, 0, 0}, 0};
  uint64_t frame_id = 0;
  uint64_t roots_id = 0;
  uint32_t resource_type = 0;
  struct finalized finalized = {NULL, 0, 0, 0, 0, 0};
  uint64_t all_payloads = 0;
  uint64_t kept_payloads = 0;
  rt_heap_stats stats;
  rt_value v = 0;
  rt_value cur = 0;
  uint32_t i;
  uint32_t hash = 0;
  const char* gc_env = getenv("RUNA_GC");

  if (gc_env != NULL && gc_env[0] == '\0') gc_env = NULL;
  EXPECT(rt_abi_compatible());

  CHECK(rt_heap_options_init(&options));
  /* Verification after every collection costs a whole-heap walk each time;
   * the loop verifies every 10,000 nodes instead. */
  CHECK(rt_heap_options_parse(
      "nursery=1m tlab=4k max_heap=256m promotion_age=2 stress_every=257 poison "
      "major_growth_percent=50",
      &options));
  EXPECT(options.nursery == 1u << 20 && options.tlab == 4096 && options.max_heap == 256u << 20);
  EXPECT(options.promotion_age == 2 && options.stress_every == 257 && options.poison == 1);
  EXPECT(options.major_growth_percent == 50 && options.gc_threads == 2 && options.log == 0);
  /* A typo is an error that names the option, and changes nothing. */
  EXPECT(rt_heap_options_parse("nursry=2m", &options) == RT_ERROR_INVALID_ARGUMENT);
  EXPECT(strstr(rt_last_error(), "did you mean 'nursery'?") != NULL);
  EXPECT(options.nursery == 1u << 20);
  /* Options the struct cannot carry are refused, not dropped. */
  EXPECT(rt_heap_options_parse("nursery=2m huge_pages", &options) == RT_ERROR_INVALID_ARGUMENT);
  EXPECT(strstr(rt_last_error(), "huge_pages is not in rt_heap_options") != NULL);
  EXPECT(rt_heap_options_parse("sample_bytes=512k", &options) == RT_ERROR_INVALID_ARGUMENT);
  EXPECT(strstr(rt_last_error(), "rt_heap_sample_allocations") != NULL);
  EXPECT(options.nursery == 1u << 20);
  if (gc_env != NULL) {
    CHECK(rt_heap_options_parse(gc_env, &options));
    g_nodes = STRESS_NODES;
  }
  CHECK(rt_heap_create(&options, &heap));

  CHECK(rt_layout_init(&layout));
  layout.object_size = NODE_BYTES;
  layout.refs = 1;
  layout.name = "node";
  CHECK(rt_register_layout(heap, &layout, &node_type));
  CHECK(rt_layout_init(&layout));
  layout.kind = RT_LAYOUT_REF_ARRAY;
  layout.name = "index";
  CHECK(rt_register_layout(heap, &layout, &index_type));

  CHECK(rt_attach(heap, &m));
  /* A bad type is an error with a message, not a crash. */
  EXPECT(rt_allocate(m, 12345, &v) == RT_ERROR_INVALID_ARGUMENT);
  EXPECT(rt_last_error()[0] != '\0');

  CHECK(rt_handle_scope_open(m, &outer));
  CHECK(rt_handle_new(m, 0, &head));
  CHECK(rt_allocate_array(m, index_type, INDEX_LENGTH, &v));
  EXPECT(rt_array_length(v) == INDEX_LENGTH);
  CHECK(rt_persistent_new(heap, v, &index));
  CHECK(rt_roots_add(heap, globals, 2, &roots_id));
  CHECK(rt_frame_enumerator_add(heap, m, enumerate_frame, &frame, &frame_id));

  for (i = 0; i < g_nodes; ++i) {
    rt_handle_scope scope;
    rt_handle node;
    rt_value n = 0;
    rt_value h = 0;
    CHECK(rt_handle_scope_open(m, &scope));
    /* Both allocation paths; either may collect, so nothing raw is held. */
    if (i % 2 == 0) {
      CHECK(rt_allocate(m, node_type, &n));
    } else {
      CHECK(rt_fast_allocate(m, node_type, NODE_BYTES, &n));
    }
    rt_object_slots(n)[PAYLOAD] = payload(i);
    CHECK(rt_fast_handle(m, n, &node));
    CHECK(rt_handle_get(head, &h));
    if (i % 3 == 0) {
      CHECK(rt_write(m, n, &rt_object_slots(n)[NEXT], h));
    } else {
      CHECK(rt_fast_write(m, n, &rt_object_slots(n)[NEXT], h));
    }
    CHECK(rt_handle_set(head, n));
    if (i % INDEX_EVERY == 0) {
      /* The index is soon old: these stores go through the barrier's slow path. */
      rt_value ix = 0;
      CHECK(rt_persistent_get(index, &ix));
      CHECK(rt_write(m, ix, &rt_array_slots(ix)[i / INDEX_EVERY], n));
      CHECK(rt_identity_hash(m, n, &index_hashes[i / INDEX_EVERY]));
      EXPECT(index_hashes[i / INDEX_EVERY] != 0);
    }
    frame.slots[i % 4] = n;
    if (i == 0) globals[0] = n;
    if (i == g_nodes / 2) globals[1] = n;
    CHECK(rt_handle_scope_close(&scope));
    CHECK(rt_fast_poll(m));
    if (i % 25000 == 24999) CHECK(rt_collect(heap, m, RT_COLLECT_MAJOR));
    if (i % 10000 == 9999) CHECK(rt_heap_verify(heap, m));
  }
  CHECK(rt_collect(heap, m, RT_COLLECT_MINOR));
  CHECK(rt_heap_verify(heap, m));

  /* Walk the list: newest first, every payload in place. */
  CHECK(rt_handle_get(head, &cur));
  for (i = g_nodes; i-- > 0;) {
    EXPECT(rt_is_ref(cur));
    EXPECT(rt_type_of(cur) == node_type);
    if (rt_object_slots(cur)[PAYLOAD] != payload(i)) {
      fprintf(stderr, "node %" PRIu32 ": payload %" PRIx64 ", expected %" PRIx64 "\n", i,
              rt_object_slots(cur)[PAYLOAD], payload(i));
      return 1;
    }
    cur = rt_object_slots(cur)[NEXT];
  }
  EXPECT(cur == 0);

  /* The index, the root set and the frame were kept up to date. */
  CHECK(rt_persistent_get(index, &v));
  for (i = 0; i < INDEX_LENGTH; ++i) {
    rt_value n = rt_array_slots(v)[i];
    EXPECT(rt_is_ref(n) && rt_object_slots(n)[PAYLOAD] == payload(i * INDEX_EVERY));
    CHECK(rt_identity_hash(m, n, &hash));
    EXPECT(hash == index_hashes[i]);
  }
  EXPECT(rt_object_slots(globals[0])[PAYLOAD] == payload(0));
  EXPECT(rt_object_slots(globals[1])[PAYLOAD] == payload(g_nodes / 2));
  for (i = g_nodes - 4; i < g_nodes; ++i) {
    EXPECT(rt_object_slots(frame.slots[i % 4])[PAYLOAD] == payload(i));
  }
  EXPECT(frame.visits > 0);

  CHECK(rt_heap_stats_init(&stats));
  CHECK(rt_heap_get_stats(heap, &stats));
  printf("collections: %" PRIu64 " minor, %" PRIu64 " major; allocated %" PRIu64
         " bytes, promoted %" PRIu64 "; pause max %" PRIu64 " ns\n",
         stats.minor_collections, stats.major_collections, stats.allocated_bytes,
         stats.promoted_bytes, stats.max_pause_ns);
  EXPECT(stats.minor_collections + stats.major_collections >= g_nodes / 257);
  if (gc_env == NULL) EXPECT(stats.major_collections >= 4);
  EXPECT(stats.allocated_bytes >= (uint64_t)g_nodes * NODE_BYTES);
  EXPECT(stats.promoted_bytes > 0);

  CHECK(rt_frame_enumerator_remove(heap, m, frame_id));
  CHECK(rt_roots_remove(heap, roots_id));
  CHECK(rt_persistent_free(heap, index));
  CHECK(rt_handle_scope_close(&outer));
  /* Nothing holds the list now: a major collection frees it. */
  CHECK(rt_collect(heap, m, RT_COLLECT_MAJOR));
  CHECK(rt_heap_get_stats(heap, &stats));
  EXPECT(stats.old_bytes < (uint64_t)g_nodes * NODE_BYTES / 2);

  /* Finalizers: 1000 finalizable objects, every tenth kept in a handle. */
  CHECK(rt_layout_init(&layout));
  layout.object_size = NODE_BYTES;
  layout.refs = 1;
  layout.finalizable = 1;
  layout.finalizer = finalize;
  layout.finalizer_context = &finalized;
  layout.name = "resource";
  CHECK(rt_register_layout(heap, &layout, &resource_type));
  finalized.heap = heap;
  finalized.type = resource_type;
  finalized.node_type = node_type;
  CHECK(rt_handle_scope_open(m, &outer));
  for (i = 0; i < 1000; ++i) {
    rt_handle kept;
    CHECK(rt_allocate_finalizable(m, resource_type, 0, &v));
    rt_object_slots(v)[PAYLOAD] = i;
    all_payloads += i;
    if (i % 10 == 0) {
      CHECK(rt_handle_new(m, v, &kept));
      kept_payloads += i;
    }
  }
  CHECK(rt_collect(heap, m, RT_COLLECT_MAJOR));
  CHECK(rt_wait_for_finalizers(heap, m));
  EXPECT(finalized.problems == 0);
  EXPECT(finalized.calls == 900);
  EXPECT(finalized.payloads == all_payloads - kept_payloads);
  CHECK(rt_handle_scope_close(&outer));
  CHECK(rt_collect(heap, m, RT_COLLECT_MAJOR));
  CHECK(rt_wait_for_finalizers(heap, m));
  EXPECT(finalized.problems == 0);
  EXPECT(finalized.calls == 1000 && finalized.payloads == all_payloads);
  CHECK(rt_heap_get_stats(heap, &stats));
  EXPECT(stats.finalizers_run == 1000 && stats.finalizers_pending == 0);
  CHECK(rt_detach(heap, m));
  CHECK(rt_heap_destroy(heap));
  puts("heap_test (C): OK");
  return 0;
}
