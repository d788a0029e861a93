/* Runa values through the C ABI only, from C (runatime/c/values.h): an
 * Integer counted across the end of the immediate range (its boxes kept in
 * a root set across calls that may collect), a Float product that leaves
 * the immediate range and comes back, the program faults an operation
 * reports beside RT_OK, exact comparison, Characters. The heap collects
 * every 3 allocations with verification and poisoning; RUNA_GC, when set,
 * applies on top, as for the other C ABI tests.
 * Exits 0 on success; on failure prints what failed and exits 1. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "capi_check.h"
#include "runatime.h"

/* 2^60 - 1, the largest immediate Integer (docs/types.md). */
#define SMALL_MAX ((INT64_C(1) << 60) - 1)

int main(void) {
  rt_heap_options options;
  rt_heap* heap = NULL;
  rt_types* types = NULL;
  rt_mutator* m = NULL;
  /* A tier's registers: what must survive a call that may collect. */
  rt_value regs[2] = {0, 0};
  uint64_t roots = 0;
  rt_value v = 0;
  rt_value_fault fault = RT_VALUE_FAULT_NONE;
  rt_value_kind kind;
  rt_value_order order;
  int64_t i = 0;
  double d = 0;
  uint32_t c = 0;
  int k;
  const char* gc_env = getenv("RUNA_GC");

  EXPECT(rt_abi_compatible());
  CHECK(rt_heap_options_init(&options));
  CHECK(rt_heap_options_parse("nursery=256k max_heap=16m stress_every=3 verify poison", &options));
  if (gc_env != NULL) CHECK(rt_heap_options_parse(gc_env, &options));
  CHECK(rt_heap_create(&options, &heap));
  CHECK(rt_types_create(heap, &types));
  CHECK(rt_attach(heap, &m));
  CHECK(rt_roots_add(heap, regs, 2, &roots));

  /* Count from SMALL_MAX - 20 to SMALL_MAX + 20: the last 20 are boxes,
   * each made by an addition that may collect and move the one before. */
  CHECK(rt_value_from_integer(types, m, SMALL_MAX - 20, &regs[0]));
  CHECK(rt_value_from_integer(types, m, 1, &regs[1]));
  for (k = 0; k < 40; ++k) {
    CHECK(rt_value_binary(types, m, RT_VALUE_OP_ADD, regs[0], regs[1], &v, &fault));
    EXPECT(fault == RT_VALUE_FAULT_NONE);
    regs[0] = v;
  }
  CHECK(rt_value_kind_of(types, regs[0], &kind));
  EXPECT(kind == RT_VALUE_KIND_INTEGER);
  EXPECT(rt_is_ref(regs[0]));
  CHECK(rt_collect(heap, m, RT_COLLECT_MAJOR));
  CHECK(rt_value_to_integer(types, regs[0], &i));
  EXPECT(i == SMALL_MAX + 20);

  /* Overflow is the program's error: RT_OK, with the fault. */
  CHECK(rt_value_from_integer(types, m, INT64_MAX, &regs[0]));
  CHECK(rt_value_binary(types, m, RT_VALUE_OP_MUL, regs[0], regs[1], &v, &fault));
  EXPECT(fault == RT_VALUE_FAULT_NONE);
  CHECK(rt_value_binary(types, m, RT_VALUE_OP_ADD, regs[0], regs[1], &v, &fault));
  EXPECT(fault == RT_VALUE_FAULT_OVERFLOW && v == RT_VALUE_NOTHING);
  CHECK(rt_value_from_integer(types, m, 0, &regs[1]));
  CHECK(rt_value_binary(types, m, RT_VALUE_OP_MOD, regs[0], regs[1], &v, &fault));
  EXPECT(fault == RT_VALUE_FAULT_DIVISION_BY_ZERO);

  /* 2^200 squared is 2^400, beyond the immediate range: boxed, exact, and
   * divided back into it. */
  CHECK(rt_value_from_float(types, m, ldexp(1.0, 200), &regs[0]));
  EXPECT(!rt_is_ref(regs[0]));
  CHECK(rt_value_binary(types, m, RT_VALUE_OP_MUL, regs[0], regs[0], &v, &fault));
  regs[1] = v;
  EXPECT(rt_is_ref(regs[1]));
  CHECK(rt_collect(heap, m, RT_COLLECT_MAJOR));
  CHECK(rt_value_to_float(types, regs[1], &d));
  EXPECT(d == ldexp(1.0, 400));
  CHECK(rt_value_binary(types, m, RT_VALUE_OP_DIV, regs[1], regs[0], &v, &fault));
  CHECK(rt_value_to_float(types, v, &d));
  EXPECT(d == ldexp(1.0, 200) && !rt_is_ref(v));

  /* Exact comparison: 2^53 + 1 against the Float 2^53. */
  CHECK(rt_value_from_integer(types, m, (INT64_C(1) << 53) + 1, &regs[0]));
  CHECK(rt_value_from_float(types, m, ldexp(1.0, 53), &regs[1]));
  CHECK(rt_value_compare(types, regs[0], regs[1], &order));
  EXPECT(order == RT_VALUE_GREATER);
  CHECK(rt_value_compare(types, regs[0], RT_VALUE_TRUE, &order));
  EXPECT(order == RT_VALUE_NOT_NUMBERS);

  /* Characters and Booleans. */
  CHECK(rt_value_from_character(0xE9, &v));
  CHECK(rt_value_to_character(v, &c));
  EXPECT(c == 0xE9);
  EXPECT(rt_value_from_character(0xDFFF, &v) == RT_ERROR_INVALID_ARGUMENT);
  CHECK(rt_value_unary(types, m, RT_VALUE_OP_NOT, RT_VALUE_FALSE, &v, &fault));
  EXPECT(v == RT_VALUE_TRUE);

  CHECK(rt_roots_remove(heap, roots));
  CHECK(rt_detach(heap, m));
  rt_types_destroy(types);
  CHECK(rt_heap_destroy(heap));
  printf("values through the C ABI: ok\n");
  return 0;
}
