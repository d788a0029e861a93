/* The execution bridge through the C ABI only (runatime.h, and rt_tier0.h
 * for the reference tier): make a runtime, register a native, load a
 * module, call its functions and main, read profile counters, see an
 * exception, and drive the policy (promotion requests, deoptimisation, the
 * speculation budget). Exits 0 on success. */
#include <string.h>

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

int main(void) {
  EXPECT(rt_abi_compatible());
  const char* path[] = {RUNA_CAPI_DIR};
  rt_runtime_options options;
  CHECK(rt_runtime_options_init(&options));
  options.module_path = path;
  options.module_path_count = 1;
  options.call_threshold = 50;
  rt_runtime* runtime = NULL;
  CHECK(rt_runtime_create(&options, &runtime));

  int native_calls = 0;
  CHECK(rt_native_register(runtime, "c_scale", 2, c_scale, &native_calls));
  EXPECT(rt_native_register(runtime, "c_scale", 2, c_scale, NULL) == RT_ERROR_INVALID_ARGUMENT);
  rt_tier0* tier0 = NULL;
  uint32_t tier0_index = 99;
  CHECK(rt_tier0_install(runtime, &tier0, &tier0_index));
  EXPECT(tier0_index == 0);

  rt_thread* t = NULL;
  CHECK(rt_thread_attach(runtime, &t));
  EXPECT(rt_native_register(runtime, "late", 0, c_scale, NULL) == RT_ERROR_INVALID_STATE);

  rt_module* m = NULL;
  CHECK(rt_module_load(t, RUNA_CAPI_DIR "/bridge_program.runas", &m));

  /* A call with arguments, through the function's entry (tier 0). */
  rt_function* add3 = NULL;
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
  rt_function* scaled = NULL;
  CHECK(rt_module_function(m, "scaled", &scaled));
  CHECK(rt_call(t, scaled, args + 2, 1, &result));
  CHECK(rt_integer_get(t, result, &i));
  EXPECT(i == 390);
  EXPECT(native_calls == 1);

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
  rt_function* fails = NULL;
  CHECK(rt_module_function(m, "fails", &fails));
  EXPECT(rt_call(t, fails, NULL, 0, &result) == RT_ERROR_THROWN);
  CHECK(rt_exception_text(t, message, sizeof message, &length));
  EXPECT(strcmp(message,
                "uncaught DivisionByZero: DIV: Integer 1 by zero\n"
                "    at fails (bridge_program.runa:40)\n") == 0);
  CHECK(rt_exception_clear(t));
  EXPECT(rt_exception_text(t, message, sizeof message, &length) == RT_ERROR_INVALID_STATE);

  /* Profile records: sum_add3(100) calls add3 100 times in a loop. */
  rt_function* sum = NULL;
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
