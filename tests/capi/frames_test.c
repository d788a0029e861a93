/* A C tier's own frames reported to the collector through the C ABI only
 * (rt_thread_frames_add and _remove, ABI 1.9). The tier serves keep(s) of
 * frames_program.runas natively: it moves s out of the root slot the
 * bridge gave it into a frame of its own, calls churn() (which allocates
 * and collects the nursery), and returns what its frame holds then. Its
 * frame enumerator reports the frame, so the String comes back moved and
 * intact. Then: a removed enumerator is not called again; bad ids and NULLs
 * are refused; an enumerator left registered goes with rt_thread_detach;
 * and two threads attach, serve keep and detach over and over while each
 * other's calls collect (the records must live exactly as long as the
 * heap may call them). Exits 0 on success; also run with a collection at
 * every allocation. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <string.h>

#include "capi_check.h"
#include "rt_tier0.h"

enum { kDepth = 8, kRounds = 40, kThreads = 2 };

/* One thread's frames of the tier: slots only the tier knows of. */
typedef struct {
  rt_value slots[kDepth];
  uint32_t depth;
  int visits; /* calls of the enumerator */
} frames;

typedef struct {
  const rt_function* keep;
  const rt_function* churn;
} frames_tier;

/* Each thread's frames, set while it runs the tier (a thread-local, as a
 * real tier keeps its per-thread state). */
static _Thread_local frames* current;

static void report_frames(void* context, rt_root_visitor* visitor) {
  frames* f = (frames*)context;
  ++f->visits;
  rt_root_visit_range(visitor, f->slots, f->depth);
}

static void* frames_prepare(void* self, const rt_function* f, uint32_t osr_offset) {
  frames_tier* tier = (frames_tier*)self;
  return f == tier->keep && osr_offset == RT_NO_OSR ? tier : NULL;
}

static rt_status frames_invoke(void* self, rt_thread* thread, const rt_function* f,
                               rt_value* callee, rt_value* args, uint32_t n, rt_value* out) {
  frames_tier* tier = (frames_tier*)self;
  (void)f;
  (void)callee;
  EXPECT(n == 1 && current != NULL && current->depth < kDepth);
  const uint32_t mine = current->depth++;
  current->slots[mine] = args[0];
  args[0] = 0; /* the tier's frame alone holds the String now */
  rt_value ignored = 0;
  const rt_status s = rt_call(thread, tier->churn, NULL, 0, &ignored);
  *out = current->slots[mine];
  current->slots[mine] = 0;
  --current->depth;
  return s;
}

/* keep("kept: <i>") through the tier: the result is the String given,
 * moved by churn's collection. */
static void keep_once(rt_thread* t, const frames_tier* tier, int i) {
  char text[32];
  snprintf(text, sizeof text, "kept: %d", i);
  rt_value s = 0;
  CHECK(rt_string_new(t, text, strlen(text), &s));
  const rt_value before = s;
  rt_value result = 0;
  CHECK(rt_call(t, tier->keep, &s, 1, &result));
  EXPECT(result != before); /* a young String: the nursery's collection moved it */
  char back[32];
  size_t length = 0;
  CHECK(rt_string_get(t, result, back, sizeof back, &length));
  EXPECT(length == strlen(text) && strcmp(back, text) == 0);
}

typedef struct {
  rt_runtime* runtime;
  const frames_tier* tier;
} worker_args;

/* Attaches, registers its frames, serves keep, and detaches with the
 * enumerator still registered (or removed first, every other round). */
static void* worker(void* p) {
  const worker_args* a = (const worker_args*)p;
  for (int round = 0; round < kRounds; ++round) {
    frames mine;
    memset(&mine, 0, sizeof mine);
    current = &mine;
    rt_thread* t = NULL;
    CHECK(rt_thread_attach(a->runtime, &t));
    uint64_t id = 0;
    CHECK(rt_thread_frames_add(t, report_frames, &mine, &id));
    keep_once(t, a->tier, round);
    if (round % 2 == 0) CHECK(rt_thread_frames_remove(t, id));
    CHECK(rt_thread_detach(a->runtime, t));
    current = NULL;
  }
  return NULL;
}

int main(void) {
  EXPECT(rt_abi_compatible());
  rt_runtime_options options;
  CHECK(rt_runtime_options_init(&options));
  rt_runtime* runtime = NULL;
  CHECK(rt_runtime_create(&options, &runtime));
  rt_tier0* tier0 = NULL;
  uint32_t tier0_index = 0;
  CHECK(rt_tier0_install(runtime, &tier0, &tier0_index));
  frames_tier tier;
  memset(&tier, 0, sizeof tier);
  rt_tier_callbacks callbacks;
  CHECK(rt_tier_callbacks_init(&callbacks));
  callbacks.invoke = frames_invoke;
  callbacks.prepare = frames_prepare;
  uint32_t tier_index = 0;
  CHECK(rt_tier_register(runtime, "c frames tier", 1, &callbacks, &tier, &tier_index));

  rt_thread* t = NULL;
  CHECK(rt_thread_attach(runtime, &t));
  const rt_module* m = NULL;
  CHECK(rt_module_load(t, RUNA_CAPI_DIR "/frames_program.runas", &m));
  CHECK(rt_module_function(m, "keep", &tier.keep));
  CHECK(rt_module_function(m, "churn", &tier.churn));
  CHECK(rt_tier_install(runtime, tier.keep, tier_index, &tier));

  /* Refusals. */
  frames mine;
  memset(&mine, 0, sizeof mine);
  current = &mine;
  uint64_t id = 0;
  EXPECT(rt_thread_frames_add(NULL, report_frames, &mine, &id) == RT_ERROR_INVALID_ARGUMENT);
  EXPECT(rt_thread_frames_add(t, NULL, &mine, &id) == RT_ERROR_INVALID_ARGUMENT);
  EXPECT(rt_thread_frames_add(t, report_frames, &mine, NULL) == RT_ERROR_INVALID_ARGUMENT);
  EXPECT(rt_thread_frames_remove(t, 12345) == RT_ERROR_INVALID_ARGUMENT);

  /* The frame is reported, and what it holds survives the move. */
  CHECK(rt_thread_frames_add(t, report_frames, &mine, &id));
  keep_once(t, &tier, 1);
  EXPECT(mine.visits > 0);

  /* Removed: not called by later collections, and not removable twice. */
  CHECK(rt_thread_frames_remove(t, id));
  EXPECT(rt_thread_frames_remove(t, id) == RT_ERROR_INVALID_ARGUMENT);
  const int visits = mine.visits;
  rt_value ignored = 0;
  CHECK(rt_call(t, tier.churn, NULL, 0, &ignored));
  EXPECT(mine.visits == visits);

  /* One left registered goes with the thread. */
  CHECK(rt_thread_frames_add(t, report_frames, &mine, &id));
  CHECK(rt_thread_detach(runtime, t));
  current = NULL;

  /* Two threads attaching and detaching with frames registered while the
   * other's calls collect (this one is detached: a collection would wait
   * for it otherwise). */
  worker_args args = {runtime, &tier};
  pthread_t threads[kThreads];
  for (int i = 0; i < kThreads; ++i) EXPECT(pthread_create(&threads[i], NULL, worker, &args) == 0);
  for (int i = 0; i < kThreads; ++i) EXPECT(pthread_join(threads[i], NULL) == 0);

  CHECK(rt_runtime_destroy(runtime));
  CHECK(rt_tier0_destroy(tier0));
  puts("frames_test: ok");
  return 0;
}
