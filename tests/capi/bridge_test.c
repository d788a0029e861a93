/* The execution bridge through the C ABI only (runatime.h, and rt_tier0.h
 * for the reference tier): make a runtime, register a native, load a
 * module, call its functions and main, read profile counters, see an
 * exception, and drive the policy (promotion requests, deoptimisation, the
 * speculation budget), execution requests (rt_execute) and a C tier's
 * frames in traces, inlined ones too (rt_frame_at, rt_frames_at). Exits 0
 * on success. */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <string.h>
#include <time.h>

#include "capi_check.h"
#include "rt_tier0.h"

/* c_scale(x, factor) = x * factor, for Integers. */
static rt_status c_scale(void* context, rt_native_call* call) {
  int* calls = (int*)context;
  int64_t x = 0, factor = 0;
  ++*calls;
  if (rt_integer_get(call->thread, call->args[0], &x) != RT_OK ||
      rt_integer_get(call->thread, call->args[1], &factor) != RT_OK) {
    return rt_native_throw(call, "TypeError", "c_scale takes two Integers");
  }
  return rt_integer_new(call->thread, x * factor, &call->result);
}

/* A tier that takes running frames of count_loop at its loop header and
 * continues the loop natively (on-stack replacement); it serves nothing
 * else. Its prepare runs on the policy's thread. It speculates that the
 * sum fits 32 bits: when the next addition would not, its guard fails and
 * it hands the frame back to tier 0 mid-loop (rt_deoptimize_frame). */
typedef struct {
  int prepared;
  int entered;
  int handed_back;
  int64_t entered_at; /* the loop counter when it took the frame */
  int64_t left_at;    /* and when it handed the frame back */
  /* It also serves guarded_fails, installed by hand: a call of fails at
   * `call_offset`, reported with rt_frame_at before the call. */
  const rt_function* guarded_fails;
  const rt_function* fails;
  uint32_t call_offset;
  int refused_far_offset; /* rt_frame_at past the code was refused */
  /* twice, prepared on request (rt_execute) and served natively while its
   * argument fits 32 bits; outer_inlined, served with inner_checked
   * inlined (rt_frames_at). */
  rt_runtime* runtime;
  const rt_function* twice;
  const rt_function* outer_inlined;
  const rt_function* inner_checked;
  const rt_function* text_length;
  int twice_runs;
  int frames_refused; /* the bad rt_frames_at calls were refused */
} osr_tier;

static void* osr_prepare(void* self, const rt_function* f, uint32_t osr_offset) {
  osr_tier* tier = (osr_tier*)self;
  rt_function_info info;
  rt_function_info_init(&info);
  if (f == tier->twice && osr_offset == RT_NO_OSR) {
    /* A compilation that takes a while: rt_execute reports its time. */
    struct timespec pause = {0, 2000000};
    nanosleep(&pause, NULL);
    ++tier->prepared;
    return tier;
  }
  if (osr_offset == RT_NO_OSR || rt_function_get_info(f, &info) != RT_OK ||
      strcmp(info.name, "count_loop") != 0) {
    return NULL;
  }
  ++tier->prepared;
  return tier;
}

static rt_status osr_invoke(void* self, rt_thread* t, const rt_function* f, rt_value* callee,
                            rt_value* args, uint32_t n, rt_value* out) {
  osr_tier* tier = (osr_tier*)self;
  (void)callee, (void)n;
  if (f == tier->twice) {
    int64_t x = 0;
    ++tier->twice_runs;
    if (rt_integer_get(t, args[0], &x) != RT_OK || x > INT32_MAX || x < INT32_MIN) {
      /* The guard failed: back to tier 0, which runs this call too. */
      rt_status s = rt_deoptimize(tier->runtime, f, "twice: not a 32-bit Integer");
      return s != RT_OK ? s : rt_call(t, f, args, 1, out);
    }
    return rt_integer_new(t, x * 2, out);
  }
  if (f == tier->outer_inlined) {
    /* inner_checked inlined: its CALL of text_length is this code's. */
    rt_frame_position at[2] = {{tier->inner_checked, 6}, {tier->outer_inlined, 6}};
    rt_frame_position wrong[2] = {{tier->outer_inlined, 6}, {tier->inner_checked, 6}};
    rt_frame_position far[2] = {{tier->inner_checked, 600}, {tier->outer_inlined, 6}};
    tier->frames_refused =
        rt_frames_at(t, wrong, 2) == RT_ERROR_INVALID_ARGUMENT &&
        rt_frames_at(t, far, 2) == RT_ERROR_INVALID_ARGUMENT &&
        rt_frames_at(t, at, 0) == RT_ERROR_INVALID_ARGUMENT &&
        rt_frames_at(t, at, RT_MAX_FRAMES_PER_ACTIVATION + 1) == RT_ERROR_INVALID_ARGUMENT;
    rt_status s = rt_frames_at(t, at, 2);
    if (s != RT_OK) return s;
    return rt_call(t, tier->text_length, args, 1, out); /* a TypeError for an Integer */
  }
  if (f != tier->guarded_fails) return RT_ERROR_UNSUPPORTED;
  tier->refused_far_offset = rt_frame_at(t, 100000) == RT_ERROR_INVALID_ARGUMENT;
  rt_status s = rt_frame_at(t, tier->call_offset);
  if (s != RT_OK) return s;
  return rt_call(t, tier->fails, NULL, 0, out); /* throws: the exception stays in flight */
}

static rt_status osr_enter(void* self, rt_thread* t, const rt_function* f, void* code,
                           uint32_t offset, rt_value* frame, uint32_t slots, uint32_t stack,
                           rt_value* out) {
  osr_tier* tier = (osr_tier*)self;
  int64_t n = 0, sum = 0, i = 0;
  if (code != tier || slots != 3 || stack != 0 || rt_integer_get(t, frame[0], &n) != RT_OK ||
      rt_integer_get(t, frame[1], &sum) != RT_OK || rt_integer_get(t, frame[2], &i) != RT_OK) {
    return RT_ERROR_INVALID_ARGUMENT;
  }
  ++tier->entered;
  tier->entered_at = i;
  for (; i < n; ++i) {
    if (sum + i > INT32_MAX) { /* the guard: hand the frame back as it stands */
      rt_value state[3];
      ++tier->handed_back;
      tier->left_at = i;
      if (rt_integer_new(t, n, &state[0]) != RT_OK || rt_integer_new(t, sum, &state[1]) != RT_OK ||
          rt_integer_new(t, i, &state[2]) != RT_OK) {
        return RT_ERROR_OUT_OF_MEMORY;
      }
      return rt_deoptimize_frame(t, f, "count_loop: the sum outgrew 32 bits", offset, 0, state, 3,
                                 0, out);
    }
    sum += i;
  }
  return rt_integer_new(t, sum, out);
}

int main(void) {
  EXPECT(rt_abi_compatible());
  const char* path[] = {RUNA_CAPI_DIR};
  rt_runtime_options options;
  CHECK(rt_runtime_options_init(&options));
  options.module_path = path;
  options.module_path_count = 1;
  options.call_threshold = 50;
  options.backedge_threshold = 1000;
  rt_runtime* runtime = NULL;
  CHECK(rt_runtime_create(&options, &runtime));

  int native_calls = 0;
  CHECK(rt_native_register(runtime, "c_scale", 2, c_scale, &native_calls));
  EXPECT(rt_native_register(runtime, "c_scale", 2, c_scale, NULL) == RT_ERROR_INVALID_ARGUMENT);
  rt_tier0* tier0 = NULL;
  uint32_t tier0_index = 99;
  CHECK(rt_tier0_install(runtime, &tier0, &tier0_index));
  EXPECT(tier0_index == 0);
  osr_tier osr;
  memset(&osr, 0, sizeof osr);
  rt_tier_callbacks callbacks;
  CHECK(rt_tier_callbacks_init(&callbacks));
  callbacks.invoke = osr_invoke;
  callbacks.prepare = osr_prepare;
  callbacks.enter = osr_enter;
  uint32_t osr_index = 0;
  CHECK(rt_tier_register(runtime, "c osr tier", 1, &callbacks, &osr, &osr_index));

  rt_thread* t = NULL;
  CHECK(rt_thread_attach(runtime, &t));
  EXPECT(rt_native_register(runtime, "late", 0, c_scale, NULL) == RT_ERROR_INVALID_STATE);

  const rt_module* m = NULL;
  CHECK(rt_module_load(t, RUNA_CAPI_DIR "/bridge_program.runas", &m));

  /* A call with arguments, through the function's entry (tier 0). */
  const rt_function* add3 = NULL;
  CHECK(rt_module_function(m, "add3", &add3));
  rt_value args[3];
  CHECK(rt_integer_new(t, 1, &args[0]));
  CHECK(rt_integer_new(t, 2, &args[1]));
  CHECK(rt_integer_new(t, 39, &args[2]));
  rt_value result = 0;
  int64_t i = 0;
  CHECK(rt_call(t, add3, args, 3, &result));
  CHECK(rt_integer_get(t, result, &i));
  EXPECT(i == 42);

  /* The native registered above, called from Runa code. */
  const rt_function* scaled = NULL;
  CHECK(rt_module_function(m, "scaled", &scaled));
  CHECK(rt_call(t, scaled, args + 2, 1, &result));
  CHECK(rt_integer_get(t, result, &i));
  EXPECT(i == 390);
  EXPECT(native_calls == 1);

  /* The runtime's own natives, called from C. */
  const rt_function* text_length = NULL;
  CHECK(rt_native_lookup(t, "text_length", &text_length));
  rt_value word = 0;
  CHECK(rt_string_new(t, "na\xC3\xAFve", 6, &word));
  CHECK(rt_call(t, text_length, &word, 1, &result));
  CHECK(rt_integer_get(t, result, &i));
  EXPECT(i == 5);
  EXPECT(rt_native_lookup(t, "no_such_native", &text_length) == RT_ERROR_INVALID_ARGUMENT);

  /* A native that throws, and an exception nobody catches. */
  rt_value text = 0;
  CHECK(rt_string_new(t, "x", 1, &text));
  EXPECT(rt_call(t, scaled, &text, 1, &result) == RT_ERROR_THROWN);
  char message[512];
  size_t length = 0;
  CHECK(rt_exception_text(t, message, sizeof message, &length));
  EXPECT(strstr(message, "uncaught TypeError: c_scale takes two Integers") == message);
  EXPECT(strstr(message, "at scaled") != NULL);
  CHECK(rt_exception_clear(t));
  const rt_function* fails = NULL;
  CHECK(rt_module_function(m, "fails", &fails));
  EXPECT(rt_call(t, fails, NULL, 0, &result) == RT_ERROR_THROWN);
  CHECK(rt_exception_text(t, message, sizeof message, &length));
  EXPECT(strcmp(message,
                "uncaught DivisionByZero: DIV: Integer 1 by zero\n"
                "    at fails (bridge_program.runa:40)\n") == 0);
  CHECK(rt_exception_clear(t));
  EXPECT(rt_exception_text(t, message, sizeof message, &length) == RT_ERROR_INVALID_STATE);

  /* Profile records: sum_add3(100) calls add3 100 times in a loop. */
  const rt_function* sum = NULL;
  CHECK(rt_module_function(m, "sum_add3", &sum));
  CHECK(rt_integer_new(t, 100, &args[0]));
  CHECK(rt_call(t, sum, args, 1, &result));
  CHECK(rt_integer_get(t, result, &i));
  EXPECT(i == 3 * 5050);
  rt_profile p;
  CHECK(rt_profile_init(&p));
  CHECK(rt_profile_query(add3, &p));
  EXPECT(p.calls == 101);
  CHECK(rt_profile_query(sum, &p));
  EXPECT(p.calls == 1 && p.backedges == 100 && p.branches == 1);
  uint32_t offset = 0, taken = 0, not_taken = 0;
  CHECK(rt_profile_branch(sum, 0, &offset, &taken, &not_taken));
  EXPECT(taken == 1 && not_taken == 100);
  EXPECT(rt_profile_branch(sum, 1, &offset, &taken, &not_taken) == RT_ERROR_INVALID_ARGUMENT);

  /* A method site's receiver types: two struct types make it polymorphic. */
  const rt_function* areas = NULL;
  const rt_function* area_of = NULL;
  CHECK(rt_module_function(m, "areas", &areas));
  CHECK(rt_module_function(m, "area_of", &area_of));
  CHECK(rt_integer_new(t, 3, &args[0]));
  CHECK(rt_call(t, areas, args, 1, &result));
  CHECK(rt_integer_get(t, result, &i));
  EXPECT(i == 9 + 6);
  CHECK(rt_profile_query(area_of, &p));
  EXPECT(p.method_sites == 1);
  uint32_t state = 0;
  const char* names[4] = {NULL, NULL, NULL, NULL};
  CHECK(rt_profile_receivers(area_of, 0, &offset, &state, names, 4));
  EXPECT(state == 2 && offset == 3);
  EXPECT(strcmp(names[0], "Square") == 0 && strcmp(names[1], "Twice") == 0 && names[2] == NULL);

  /* What a tier compiles from. */
  rt_function_info info;
  CHECK(rt_function_info_init(&info));
  CHECK(rt_function_get_info(add3, &info));
  EXPECT(strcmp(info.name, "add3") == 0 && info.params == 3 && info.code_length == 12);
  EXPECT(info.tier == tier0_index);

  /* The policy: with tier 0 alone a deoptimisation keeps it there and
   * spends the budget. */
  uint32_t remaining = 0;
  CHECK(rt_speculation_budget(runtime, add3, &remaining));
  EXPECT(remaining == 4);
  CHECK(rt_deoptimize(runtime, add3, "a test"));
  CHECK(rt_speculation_budget(runtime, add3, &remaining));
  EXPECT(remaining == 3);
  CHECK(rt_tier_promote(t, add3));
  CHECK(rt_policy_drain(runtime));
  CHECK(rt_function_get_info(add3, &info));
  EXPECT(info.tier == tier0_index);

  /* On-stack replacement both ways. count_loop(1010) crosses 1,000
   * back-edges: the policy prepares the OSR tier for its loop header on
   * its own thread (drained here), and tier 0 looks for an OSR entry only
   * at every 256th back-edge past the threshold, so this run ends first.
   * count_loop(n) then starts in tier 0 and at back-edge 1,024 in all
   * (i = 14) hands the running frame over: the loop goes on in C until
   * the sum outgrows 32 bits (at i = 65,536: 65,536 * 65,537 / 2 >
   * 2^31 - 1), when the C tier's guard fails and it hands the frame back:
   * tier 0 finishes the loop. */
  const rt_function* count = NULL;
  CHECK(rt_module_function(m, "count_loop", &count));
  CHECK(rt_integer_new(t, 1010, &args[0]));
  CHECK(rt_call(t, count, args, 1, &result));
  CHECK(rt_integer_get(t, result, &i));
  EXPECT(i == 1010 * 1009 / 2);
  CHECK(rt_policy_drain(runtime));
  EXPECT(osr.prepared == 1 && osr.entered == 0);
  const int64_t n = 5000000;
  CHECK(rt_integer_new(t, n, &args[0]));
  CHECK(rt_call(t, count, args, 1, &result));
  CHECK(rt_integer_get(t, result, &i));
  EXPECT(i == n * (n - 1) / 2);
  EXPECT(osr.prepared == 1);
  EXPECT(osr.entered == 1);
  EXPECT(osr.entered_at == 1024 - 1010); /* i is stored before the back-edge */
  EXPECT(osr.handed_back == 1 && osr.left_at == 65536);
  CHECK(rt_function_get_info(count, &info));
  EXPECT(info.tier == tier0_index); /* its entry stays tier 0's: only the frame moved */
  CHECK(rt_profile_query(count, &p));
  EXPECT(p.deopts == 1);
  CHECK(rt_speculation_budget(runtime, count, &remaining));
  EXPECT(remaining == 3);
  /* The OSR entry was retired with the deoptimisation: a second run stays
   * in tier 0 from start to end. */
  CHECK(rt_call(t, count, args, 1, &result));
  CHECK(rt_integer_get(t, result, &i));
  EXPECT(i == n * (n - 1) / 2);
  EXPECT(osr.entered == 1 && osr.handed_back == 1);
  printf("count_loop: taken by the C tier at i = %lld, handed back at i = %lld\n",
         (long long)osr.entered_at, (long long)osr.left_at);

  /* A C tier's frame in a trace: guarded_fails runs in the C tier, which
   * says it stands at its CALL (line 51, not the line 50 it began at). */
  CHECK(rt_module_function(m, "guarded_fails", &osr.guarded_fails));
  osr.fails = fails;
  osr.call_offset = 3; /* PUSH_CONST u16 (3 bytes), then CALL */
  CHECK(rt_tier_install(runtime, osr.guarded_fails, osr_index, &osr));
  EXPECT(rt_call(t, osr.guarded_fails, NULL, 0, &result) == RT_ERROR_THROWN);
  CHECK(rt_exception_text(t, message, sizeof message, &length));
  EXPECT(strcmp(message,
                "uncaught DivisionByZero: DIV: Integer 1 by zero\n"
                "    at fails (bridge_program.runa:40)\n"
                "    at guarded_fails (bridge_program.runa:51)\n") == 0);
  CHECK(rt_exception_clear(t));
  EXPECT(osr.refused_far_offset);
  EXPECT(rt_frame_at(t, 0) == RT_ERROR_INVALID_STATE); /* no C tier runs here now */

  /* Inlined frames: the C tier runs outer_inlined with inner_checked
   * inlined and says so; the trace shows both, at their lines. */
  osr.runtime = runtime;
  CHECK(rt_module_function(m, "outer_inlined", &osr.outer_inlined));
  CHECK(rt_module_function(m, "inner_checked", &osr.inner_checked));
  osr.text_length = text_length;
  CHECK(rt_tier_install(runtime, osr.outer_inlined, osr_index, &osr));
  CHECK(rt_integer_new(t, 5, &args[0]));
  EXPECT(rt_call(t, osr.outer_inlined, args, 1, &result) == RT_ERROR_THROWN);
  CHECK(rt_exception_text(t, message, sizeof message, &length));
  EXPECT(strstr(message, "uncaught TypeError: text_length: argument 1 must be a String") ==
         message);
  EXPECT(strstr(message,
                "\n    at inner_checked (bridge_program.runa:61)\n"
                "    at outer_inlined (bridge_program.runa:71)\n") != NULL);
  CHECK(rt_exception_clear(t));
  EXPECT(osr.frames_refused);

  /* Execution requests (_rt_aott_execute). twice runs where it is (tier
   * 0); asked for the C tier, that tier prepares it on this thread and
   * serves it from then on; a 64-bit argument fails its guard: the same
   * request reports the deoptimisation and tier 0 gives the answer. */
  rt_execute_request request;
  rt_execute_result run;
  CHECK(rt_execute_request_init(&request));
  CHECK(rt_execute_result_init(&run));
  CHECK(rt_module_function(m, "twice", &osr.twice));
  request.function = osr.twice;
  request.args = args;
  request.count = 1;
  CHECK(rt_integer_new(t, 21, &args[0]));
  CHECK(rt_execute(t, &request, &run));
  CHECK(rt_integer_get(t, run.value, &i));
  EXPECT(i == 42 && run.tier == tier0_index && run.compile_ns == 0);
  EXPECT(!run.deoptimized && !run.promoted && run.budget_left == 4);
  const int prepared_before = osr.prepared;
  request.tier = osr_index;
  request.speculation_budget = 2;
  CHECK(rt_execute(t, &request, &run));
  CHECK(rt_integer_get(t, run.value, &i));
  EXPECT(i == 42 && run.tier == osr_index && osr.twice_runs == 1);
  EXPECT(osr.prepared == prepared_before + 1);
  EXPECT(run.compile_ns >= 2000000); /* the prepare's 2 ms */
  EXPECT(run.budget_left == 2 && !run.deoptimized);
  CHECK(rt_function_get_info(osr.twice, &info));
  EXPECT(info.tier == osr_index);
  request.tier = RT_ANY_TIER;
  CHECK(rt_integer_new(t, (int64_t)1 << 40, &args[0]));
  CHECK(rt_execute(t, &request, &run));
  CHECK(rt_integer_get(t, run.value, &i));
  EXPECT(i == (int64_t)1 << 41 && run.tier == osr_index && run.deoptimized);
  EXPECT(run.budget_left == 1 && run.compile_ns == 0 && osr.twice_runs == 2);
  CHECK(rt_function_get_info(osr.twice, &info));
  EXPECT(info.tier == tier0_index);
  /* A tier that cannot serve the function: add3 runs where it is, or,
   * without a fallback, is refused; a tier that does not exist is refused. */
  request.function = add3;
  request.count = 3;
  CHECK(rt_integer_new(t, 1, &args[0]));
  CHECK(rt_integer_new(t, 2, &args[1]));
  CHECK(rt_integer_new(t, 39, &args[2]));
  request.tier = osr_index;
  request.speculation_budget = 0;
  CHECK(rt_execute(t, &request, &run));
  CHECK(rt_integer_get(t, run.value, &i));
  EXPECT(i == 42 && run.tier == tier0_index);
  request.no_fallback = 1;
  EXPECT(rt_execute(t, &request, &run) == RT_ERROR_THROWN);
  CHECK(rt_exception_text(t, message, sizeof message, &length));
  EXPECT(strstr(message, "NotAvailable: execute: c osr tier cannot serve add3") != NULL);
  CHECK(rt_exception_clear(t));
  request.tier = 99;
  EXPECT(rt_execute(t, &request, &run) == RT_ERROR_THROWN);
  CHECK(rt_exception_text(t, message, sizeof message, &length));
  EXPECT(strstr(message, "ValueError: execute: no tier 99") != NULL);
  CHECK(rt_exception_clear(t));
  request.size = 8;
  EXPECT(rt_execute(t, &request, &run) == RT_ERROR_INVALID_ARGUMENT);

  /* main, with its exit status. */
  int status = -1;
  CHECK(rt_run_main(t, m, &status));
  EXPECT(status == 7);

  CHECK(rt_thread_detach(runtime, t));
  CHECK(rt_runtime_destroy(runtime));
  CHECK(rt_tier0_destroy(tier0));
  printf("bridge C ABI: all checks passed\n");
  return 0;
}
