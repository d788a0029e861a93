/* The concurrency part of the C ABI (runatime/c/concurrency.h) from C,
 * through runatime.h only (and tier 0's C entry, to run the Runa side):
 *
 *   - refusals: NULL and wrong-kind arguments, capacities, timeouts, a
 *     reply outside a behaviour;
 *   - a bounded channel's statuses: full, empty, timeouts, closed;
 *   - two C threads exchanging Strings over a bounded channel, with Runa
 *     code passing each on between two channels, while the consumer
 *     collects before every receive: each String arrives intact (and the
 *     young ones were moved while they waited in a channel);
 *   - a C behaviour answering asks (also from the native actor_ask), an
 *     ask that times out, backpressure of a full mailbox, a stopped
 *     actor's statuses, a monitor's "down" notice, a failing behaviour;
 *   - a Runa behaviour spawned from C and asked from C;
 *   - jobs on the runtime's pool, one of them failing.
 * Exits 0 on success; also run with a collection at every allocation. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "capi_check.h"
#include "rt_tier0.h"

/* Root slots of the main thread, which every thread reads (a reference
 * read from one is current until the reader's next call that may collect). */
enum { kFirst, kSecond, kDone, kGate, kStarted, kNotices, kActor, kRootCount };
static rt_value g_roots[kRootCount];

static const rt_function* g_collect; /* the native gc_collect(major) */
static const rt_function* g_pass_on; /* pass_on(from, to) of the program */
static const rt_function* g_item;    /* item(tuple, i) */

static void collect(rt_thread* t) {
  rt_value minor = RT_VALUE_FALSE;
  rt_value ignored = 0;
  CHECK(rt_call(t, g_collect, &minor, 1, &ignored));
}

static void expect_text(rt_thread* t, rt_value v, const char* text) {
  char buffer[64];
  size_t length = 0;
  CHECK(rt_string_get(t, v, buffer, sizeof buffer, &length));
  if (strcmp(buffer, text) != 0) {
    fprintf(stderr, "expected \"%s\", got \"%s\"\n", text, buffer);
    exit(1);
  }
}

/* ---- refusals ------------------------------------------------------------------------------ */

static void refusals(rt_thread* t) {
  rt_value v = 0;
  rt_value seven = 0;
  CHECK(rt_integer_new(t, 7, &seven));
  EXPECT(rt_channel_new(NULL, 0, &v) == RT_ERROR_INVALID_ARGUMENT);
  EXPECT(rt_channel_new(t, 0, NULL) == RT_ERROR_INVALID_ARGUMENT);
  EXPECT(rt_channel_new(t, RT_CHANNEL_MAX_CAPACITY + 1u, &v) == RT_ERROR_INVALID_ARGUMENT);
  EXPECT(rt_channel_send(t, seven, seven, RT_WAIT_FOREVER) == RT_ERROR_INVALID_ARGUMENT);
  EXPECT(strstr(rt_last_error(), "not a Channel") != NULL);
  EXPECT(rt_channel_receive(t, seven, 0, &v) == RT_ERROR_INVALID_ARGUMENT);
  EXPECT(rt_channel_try_send(t, seven, seven) == RT_ERROR_INVALID_ARGUMENT);
  EXPECT(rt_channel_try_receive(t, seven, &v) == RT_ERROR_INVALID_ARGUMENT);
  EXPECT(rt_channel_close(t, seven) == RT_ERROR_INVALID_ARGUMENT);
  CHECK(rt_channel_new(t, 0, &g_roots[kFirst]));
  EXPECT(rt_channel_receive(t, g_roots[kFirst], -2, &v) == RT_ERROR_INVALID_ARGUMENT);
  EXPECT(strstr(rt_last_error(), "RT_WAIT_FOREVER") != NULL);
  EXPECT(rt_channel_receive(t, g_roots[kFirst], 0, NULL) == RT_ERROR_INVALID_ARGUMENT);
  EXPECT(rt_actor_spawn(t, NULL, NULL, 0, &v) == RT_ERROR_INVALID_ARGUMENT);
  EXPECT(rt_actor_spawn_function(t, seven, seven, 0, &v) == RT_ERROR_INVALID_ARGUMENT);
  EXPECT(rt_actor_send(t, g_roots[kFirst], seven) == RT_ERROR_INVALID_ARGUMENT);
  EXPECT(strstr(rt_last_error(), "not an Actor") != NULL);
  EXPECT(rt_actor_try_send(t, seven, seven) == RT_ERROR_INVALID_ARGUMENT);
  EXPECT(rt_actor_ask(t, seven, seven, RT_WAIT_FOREVER, &v) == RT_ERROR_INVALID_ARGUMENT);
  EXPECT(rt_actor_stop(t, seven) == RT_ERROR_INVALID_ARGUMENT);
  EXPECT(rt_actor_wait(t, seven, NULL) == RT_ERROR_INVALID_ARGUMENT);
  EXPECT(rt_actor_monitor(t, seven, seven) == RT_ERROR_INVALID_ARGUMENT);
  EXPECT(rt_actor_reply(t, seven, NULL) == RT_ERROR_INVALID_STATE);
  EXPECT(rt_job_start(NULL, NULL, NULL, NULL) == RT_ERROR_INVALID_ARGUMENT);
  EXPECT(rt_job_wait(NULL, 0) == RT_ERROR_INVALID_ARGUMENT);
  EXPECT(strcmp(rt_status_name(RT_ERROR_WOULD_BLOCK), "RT_ERROR_WOULD_BLOCK") == 0);
  EXPECT(strcmp(rt_status_name(RT_ERROR_CLOSED), "RT_ERROR_CLOSED") == 0);
  EXPECT(strcmp(rt_status_name(RT_ERROR_TIMEOUT), "RT_ERROR_TIMEOUT") == 0);
}

/* ---- a channel's statuses ------------------------------------------------------------------ */

static void channel_statuses(rt_thread* t) {
  rt_value v = 0;
  rt_value one = 0;
  rt_value two = 0;
  CHECK(rt_integer_new(t, 1, &one));
  CHECK(rt_integer_new(t, 2, &two));
  CHECK(rt_channel_new(t, 2, &g_roots[kFirst]));
  EXPECT(rt_channel_try_receive(t, g_roots[kFirst], &v) == RT_ERROR_WOULD_BLOCK);
  EXPECT(rt_channel_receive(t, g_roots[kFirst], 5, &v) == RT_ERROR_TIMEOUT);
  CHECK(rt_channel_try_send(t, g_roots[kFirst], one));
  CHECK(rt_channel_send(t, g_roots[kFirst], two, 0));
  EXPECT(rt_channel_try_send(t, g_roots[kFirst], one) == RT_ERROR_WOULD_BLOCK);
  EXPECT(rt_channel_send(t, g_roots[kFirst], one, 5) == RT_ERROR_TIMEOUT);
  /* Neither refused send left anything behind: 1 then 2, in order. */
  CHECK(rt_channel_try_receive(t, g_roots[kFirst], &v));
  EXPECT(v == one);
  CHECK(rt_channel_send(t, g_roots[kFirst], one, RT_WAIT_FOREVER));
  CHECK(rt_channel_close(t, g_roots[kFirst]));
  CHECK(rt_channel_close(t, g_roots[kFirst])); /* harmless */
  EXPECT(rt_channel_send(t, g_roots[kFirst], one, RT_WAIT_FOREVER) == RT_ERROR_CLOSED);
  EXPECT(rt_channel_try_send(t, g_roots[kFirst], one) == RT_ERROR_CLOSED);
  /* What was sent before the close is still received, then CLOSED. */
  CHECK(rt_channel_receive(t, g_roots[kFirst], RT_WAIT_FOREVER, &v));
  EXPECT(v == two);
  CHECK(rt_channel_receive(t, g_roots[kFirst], 0, &v));
  EXPECT(v == one);
  EXPECT(rt_channel_receive(t, g_roots[kFirst], RT_WAIT_FOREVER, &v) == RT_ERROR_CLOSED);
  EXPECT(rt_channel_try_receive(t, g_roots[kFirst], &v) == RT_ERROR_CLOSED);
}

/* ---- two C threads, and Runa code between them ------------------------------------------- */

enum { kValues = 300 };
static rt_value g_sent_raw[kValues]; /* what each String was when sent: a number only */
static atomic_int g_moved;

/* A thread's last act before it detaches: nothing of it may collect after. */
static void done(rt_thread* t, rt_runtime* runtime) {
  CHECK(rt_channel_send(t, g_roots[kDone], RT_VALUE_TRUE, RT_WAIT_FOREVER));
  CHECK(rt_thread_detach(runtime, t));
}

static void* producer(void* arg) {
  rt_thread* t = NULL;
  CHECK(rt_thread_attach((rt_runtime*)arg, &t));
  rt_value held[1] = {0};
  uint64_t id = 0;
  CHECK(rt_thread_roots_add(t, held, 1, &id));
  for (int i = 0; i < kValues; ++i) {
    char text[32];
    snprintf(text, sizeof text, "value %d", i);
    CHECK(rt_string_new(t, text, strlen(text), &held[0]));
    g_sent_raw[i] = held[0];
    CHECK(rt_channel_send(t, g_roots[kFirst], held[0], RT_WAIT_FOREVER));
  }
  CHECK(rt_channel_close(t, g_roots[kFirst]));
  CHECK(rt_thread_roots_remove(t, id));
  done(t, (rt_runtime*)arg);
  return NULL;
}

/* Runa code: pass_on(first, second) until first is closed, then closes
 * second. */
static void* relay(void* arg) {
  rt_thread* t = NULL;
  CHECK(rt_thread_attach((rt_runtime*)arg, &t));
  for (int i = 0; i < kValues; ++i) {
    rt_value args[2] = {g_roots[kFirst], g_roots[kSecond]};
    rt_value ignored = 0;
    CHECK(rt_call(t, g_pass_on, args, 2, &ignored));
  }
  rt_value v = 0;
  EXPECT(rt_channel_receive(t, g_roots[kFirst], RT_WAIT_FOREVER, &v) == RT_ERROR_CLOSED);
  CHECK(rt_channel_close(t, g_roots[kSecond]));
  done(t, (rt_runtime*)arg);
  return NULL;
}

static void* consumer(void* arg) {
  rt_thread* t = NULL;
  CHECK(rt_thread_attach((rt_runtime*)arg, &t));
  for (int i = 0; i < kValues; ++i) {
    /* The Strings waiting in the channels are young: this moves them. */
    collect(t);
    rt_value v = 0;
    CHECK(rt_channel_receive(t, g_roots[kSecond], RT_WAIT_FOREVER, &v));
    char text[32];
    snprintf(text, sizeof text, "value %d", i);
    expect_text(t, v, text);
    if (v != g_sent_raw[i]) atomic_fetch_add(&g_moved, 1);
  }
  rt_value v = 0;
  EXPECT(rt_channel_receive(t, g_roots[kSecond], RT_WAIT_FOREVER, &v) == RT_ERROR_CLOSED);
  done(t, (rt_runtime*)arg);
  return NULL;
}

/* The main thread stays attached (its roots hold the channels) and waits
 * on `done`, in a blocking region: an attached thread that made no call
 * would hold every collection up. */
static void exchange(rt_thread* t, rt_runtime* runtime) {
  CHECK(rt_channel_new(t, 4, &g_roots[kFirst]));
  CHECK(rt_channel_new(t, 2, &g_roots[kSecond]));
  CHECK(rt_channel_new(t, 0, &g_roots[kDone]));
  pthread_t threads[3];
  EXPECT(pthread_create(&threads[0], NULL, producer, runtime) == 0);
  EXPECT(pthread_create(&threads[1], NULL, relay, runtime) == 0);
  EXPECT(pthread_create(&threads[2], NULL, consumer, runtime) == 0);
  for (int i = 0; i < 3; ++i) {
    rt_value v = 0;
    CHECK(rt_channel_receive(t, g_roots[kDone], RT_WAIT_FOREVER, &v));
  }
  for (int i = 0; i < 3; ++i) EXPECT(pthread_join(threads[i], NULL) == 0);
  EXPECT(atomic_load(&g_moved) > 0);
}

/* ---- a C behaviour ----------------------------------------------------------------------- */

typedef struct doubler {
  atomic_int handled;
} doubler;

/* Answers 2 * n for an Integer n; for the String "block", says so on
 * `started` and waits for a value on `gate` first; for "fail", fails. */
static rt_status doubler_behaviour(rt_thread* t, rt_value message, void* context) {
  doubler* self = (doubler*)context;
  atomic_fetch_add(&self->handled, 1);
  int64_t n = 0;
  if (rt_integer_get(t, message, &n) == RT_OK) {
    rt_value answer = 0;
    CHECK(rt_integer_new(t, 2 * n, &answer));
    int asked = -1;
    CHECK(rt_actor_reply(t, answer, &asked));
    EXPECT(rt_actor_reply(t, answer, NULL) == (asked ? RT_ERROR_INVALID_STATE : RT_OK));
    return RT_OK;
  }
  char text[16];
  size_t length = 0;
  CHECK(rt_string_get(t, message, text, sizeof text, &length));
  if (strcmp(text, "fail") == 0) return RT_ERROR_INVALID_ARGUMENT;
  rt_value v = 0;
  /* A behaviour may not wait for an actor. */
  EXPECT(rt_actor_ask(t, g_roots[kActor], message, 0, &v) == RT_ERROR_INVALID_STATE);
  EXPECT(rt_actor_wait(t, g_roots[kActor], NULL) == RT_ERROR_INVALID_STATE);
  CHECK(rt_channel_send(t, g_roots[kStarted], message, RT_WAIT_FOREVER));
  CHECK(rt_channel_receive(t, g_roots[kGate], RT_WAIT_FOREVER, &v));
  return RT_OK;
}

/* Forwards every message (the notices) to `notices`. */
static rt_status forwarder(rt_thread* t, rt_value message, void* context) {
  (void)context;
  return rt_channel_send(t, g_roots[kNotices], message, RT_WAIT_FOREVER);
}

/* The notice's item i as text. */
static void expect_item(rt_thread* t, rt_value notice, int64_t i, const char* text) {
  rt_value args[2] = {notice, 0};
  CHECK(rt_integer_new(t, i, &args[1]));
  rt_value item = 0;
  CHECK(rt_call(t, g_item, args, 2, &item));
  expect_text(t, item, text);
}

static void c_actor(rt_thread* t, rt_runtime* runtime) {
  doubler self;
  atomic_init(&self.handled, 0);
  (void)runtime;
  rt_value v = 0;
  CHECK(rt_channel_new(t, 0, &g_roots[kGate]));
  CHECK(rt_channel_new(t, 0, &g_roots[kStarted]));
  CHECK(rt_channel_new(t, 0, &g_roots[kNotices]));
  CHECK(rt_actor_spawn(t, doubler_behaviour, &self, 1, &g_roots[kActor]));
  rt_value watcher = 0;
  uint64_t id = 0;
  CHECK(rt_thread_roots_add(t, &watcher, 1, &id));
  CHECK(rt_actor_spawn(t, forwarder, NULL, 0, &watcher));
  CHECK(rt_actor_monitor(t, g_roots[kActor], watcher));

  /* Asks answered, from C and from the native actor_ask. */
  for (int64_t i = 0; i < 50; ++i) {
    rt_value n = 0;
    CHECK(rt_integer_new(t, i, &n));
    CHECK(rt_actor_ask(t, g_roots[kActor], n, RT_WAIT_FOREVER, &v));
    int64_t got = -1;
    CHECK(rt_integer_get(t, v, &got));
    EXPECT(got == 2 * i);
  }
  const rt_function* native_ask = NULL;
  CHECK(rt_native_lookup(t, "actor_ask", &native_ask));
  rt_value args[2] = {g_roots[kActor], 0};
  CHECK(rt_integer_new(t, 21, &args[1]));
  CHECK(rt_call(t, native_ask, args, 2, &v));
  int64_t got = 0;
  CHECK(rt_integer_get(t, v, &got));
  EXPECT(got == 42);

  /* A timeout: the behaviour waits at the gate, which opens only after
   * the ask gave up. */
  rt_value block = 0;
  CHECK(rt_string_new(t, "block", 5, &block));
  EXPECT(rt_actor_ask(t, g_roots[kActor], block, 10, &v) == RT_ERROR_TIMEOUT);
  EXPECT(strstr(rt_last_error(), "no reply within 10 ms") != NULL);
  CHECK(rt_channel_receive(t, g_roots[kStarted], RT_WAIT_FOREVER, &v));

  /* Backpressure: the behaviour is inside its turn (it said so), so the
   * mailbox of 1 takes one message and refuses the next. */
  rt_value one = 0;
  CHECK(rt_integer_new(t, 1, &one));
  CHECK(rt_actor_try_send(t, g_roots[kActor], one));
  EXPECT(rt_actor_try_send(t, g_roots[kActor], one) == RT_ERROR_WOULD_BLOCK);
  CHECK(rt_channel_send(t, g_roots[kGate], one, RT_WAIT_FOREVER));
  CHECK(rt_actor_send(t, g_roots[kActor], one)); /* waits for room, if need be */

  /* Stopped: what was sent before is handled; then CLOSED. */
  CHECK(rt_actor_stop(t, g_roots[kActor]));
  CHECK(rt_actor_stop(t, g_roots[kActor]));
  EXPECT(rt_actor_send(t, g_roots[kActor], one) == RT_ERROR_CLOSED);
  EXPECT(rt_actor_try_send(t, g_roots[kActor], one) == RT_ERROR_CLOSED);
  EXPECT(rt_actor_ask(t, g_roots[kActor], one, RT_WAIT_FOREVER, &v) == RT_ERROR_CLOSED);
  EXPECT(strstr(rt_last_error(), "stop") != NULL);
  CHECK(rt_actor_wait(t, g_roots[kActor], NULL));
  EXPECT(atomic_load(&self.handled) == 50 + 1 + 1 + 2);

  /* The monitor's notice: ("down", actor, "normal", nothing). */
  CHECK(rt_channel_receive(t, g_roots[kNotices], RT_WAIT_FOREVER, &v));
  rt_value notice[1] = {v};
  uint64_t notice_id = 0;
  CHECK(rt_thread_roots_add(t, notice, 1, &notice_id));
  expect_item(t, notice[0], 0, "down");
  expect_item(t, notice[0], 2, "normal");

  /* A behaviour that fails: the ask is answered with the exception, the
   * actor stops ("failed"), and waiting for it throws again. */
  CHECK(rt_actor_spawn(t, doubler_behaviour, &self, 0, &g_roots[kActor]));
  CHECK(rt_actor_monitor(t, g_roots[kActor], watcher));
  rt_value fail = 0;
  CHECK(rt_string_new(t, "fail", 4, &fail));
  EXPECT(rt_actor_ask(t, g_roots[kActor], fail, RT_WAIT_FOREVER, &v) == RT_ERROR_THROWN);
  char text[512];
  size_t length = 0;
  CHECK(rt_exception_text(t, text, sizeof text, &length));
  EXPECT(strstr(text, "RT_ERROR_INVALID_ARGUMENT") != NULL);
  CHECK(rt_exception_clear(t));
  EXPECT(rt_actor_wait(t, g_roots[kActor], NULL) == RT_ERROR_THROWN);
  CHECK(rt_exception_clear(t));
  CHECK(rt_channel_receive(t, g_roots[kNotices], RT_WAIT_FOREVER, &notice[0]));
  expect_item(t, notice[0], 0, "down");
  expect_item(t, notice[0], 2, "failed");
  CHECK(rt_thread_roots_remove(t, notice_id));

  CHECK(rt_actor_stop(t, watcher));
  CHECK(rt_actor_wait(t, watcher, NULL));
  CHECK(rt_thread_roots_remove(t, id));
}

/* ---- a Runa behaviour -------------------------------------------------------------------- */

static void runa_actor(rt_thread* t, const rt_module* m) {
  const rt_function* make = NULL;
  CHECK(rt_module_function(m, "adder_behaviour", &make));
  rt_value behaviour = 0;
  CHECK(rt_call(t, make, NULL, 0, &behaviour));
  rt_value hundred = 0;
  CHECK(rt_integer_new(t, 100, &hundred));
  CHECK(rt_actor_spawn_function(t, behaviour, hundred, 4, &g_roots[kActor]));
  for (int64_t i = 0; i < 20; ++i) {
    rt_value n = 0;
    CHECK(rt_integer_new(t, i, &n));
    rt_value v = 0;
    CHECK(rt_actor_ask(t, g_roots[kActor], n, 60000, &v));
    int64_t got = 0;
    CHECK(rt_integer_get(t, v, &got));
    EXPECT(got == 100 + i + i); /* state 100 + i answers state + i */
  }
  CHECK(rt_actor_stop(t, g_roots[kActor]));
  rt_value last = 0;
  CHECK(rt_actor_wait(t, g_roots[kActor], &last));
  int64_t state = 0;
  CHECK(rt_integer_get(t, last, &state));
  EXPECT(state == 120);
}

/* ---- jobs -------------------------------------------------------------------------------- */

typedef struct job_args {
  int64_t n;
  int64_t sum; /* written by the job, read after rt_job_wait */
} job_args;

/* Sums 0 .. n-1 through Integers made on the worker's thread, collecting
 * once halfway; fails for n < 0. */
static rt_status sum_job(rt_thread* t, void* context) {
  job_args* a = (job_args*)context;
  if (a->n < 0) return rt_integer_get(t, RT_VALUE_TRUE, &a->sum); /* INVALID_ARGUMENT */
  rt_value held[1] = {0};
  uint64_t id = 0;
  CHECK(rt_thread_roots_add(t, held, 1, &id));
  CHECK(rt_string_new(t, "kept", 4, &held[0]));
  a->sum = 0;
  for (int64_t i = 0; i < a->n; ++i) {
    rt_value v = 0;
    CHECK(rt_integer_new(t, i, &v));
    int64_t back = 0;
    CHECK(rt_integer_get(t, v, &back));
    a->sum += back;
    if (i == a->n / 2) collect(t);
  }
  expect_text(t, held[0], "kept");
  CHECK(rt_thread_roots_remove(t, id));
  return RT_OK;
}

static void jobs(rt_runtime* runtime) {
  job_args args[4] = {{100, 0}, {1000, 0}, {10, 0}, {-1, 0}};
  rt_job* started[4];
  for (int i = 0; i < 4; ++i) CHECK(rt_job_start(runtime, sum_job, &args[i], &started[i]));
  for (int i = 0; i < 3; ++i) {
    CHECK(rt_job_wait(started[i], RT_WAIT_FOREVER));
    EXPECT(args[i].sum == args[i].n * (args[i].n - 1) / 2);
  }
  EXPECT(rt_job_wait(started[3], RT_WAIT_FOREVER) == RT_ERROR_INVALID_ARGUMENT);
  EXPECT(strstr(rt_last_error(), "not an Integer") != NULL);
}

int main(void) {
  EXPECT(rt_abi_compatible());
  EXPECT(RT_ABI_VERSION_MINOR >= 10);
  rt_runtime_options options;
  CHECK(rt_runtime_options_init(&options));
  rt_runtime* runtime = NULL;
  CHECK(rt_runtime_create(&options, &runtime));
  rt_tier0* tier0 = NULL;
  uint32_t tier0_index = 0;
  CHECK(rt_tier0_install(runtime, &tier0, &tier0_index));
  rt_job* early = NULL;
  EXPECT(rt_job_start(runtime, sum_job, NULL, &early) == RT_ERROR_INVALID_STATE);

  rt_thread* t = NULL;
  CHECK(rt_thread_attach(runtime, &t));
  uint64_t roots = 0;
  CHECK(rt_thread_roots_add(t, g_roots, kRootCount, &roots));
  const rt_module* m = NULL;
  CHECK(rt_module_load(t, RUNA_CAPI_DIR "/concurrency_program.runas", &m));
  CHECK(rt_native_lookup(t, "gc_collect", &g_collect));
  CHECK(rt_module_function(m, "pass_on", &g_pass_on));
  CHECK(rt_module_function(m, "item", &g_item));

  refusals(t);
  channel_statuses(t);
  c_actor(t, runtime);
  runa_actor(t, m);

  exchange(t, runtime);
  jobs(runtime);

  CHECK(rt_thread_roots_remove(t, roots));
  CHECK(rt_thread_detach(runtime, t));
  CHECK(rt_runtime_destroy(runtime));
  CHECK(rt_tier0_destroy(tier0));
  puts("concurrency_test: ok");
  return 0;
}
