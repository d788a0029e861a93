/* runatime/c/values.h — Runa values through the C ABI (docs/types.md,
 * "Value representation"; the C++ API is runatime/values.hpp). Included by
 * runatime.h (include that one); the rules of runatime/c/base.h and of
 * runatime/c/heap.h (references held across a call that MAY COLLECT are
 * stale afterwards) apply to every call.
 *
 * An rt_value is nothing (0), a Boolean, a Character, an Integer (64-bit;
 * immediate in the 61-bit range, a boxed object outside it), a Float
 * (immediate in the common exponent ranges, a boxed object outside them)
 * or a reference to another object. The encoding is the C++ header's; C
 * code makes and reads numbers through the functions below, which box and
 * unbox as needed, so it never depends on the ranges.
 *
 * An rt_types is what the types layer registered with one heap (the boxed
 * number layouts): make one per heap, after rt_heap_create, and destroy it
 * before the heap.
 */
#ifndef RUNATIME_C_VALUES_H
#define RUNATIME_C_VALUES_H

#include "runatime/c/base.h"
#include "runatime/c/heap.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rt_types rt_types;

/* Nothing and the Booleans are constant words. */
#define RT_VALUE_NOTHING UINT64_C(0)
#define RT_VALUE_FALSE UINT64_C(4)
#define RT_VALUE_TRUE UINT64_C(12)

/* The kinds a value word has at this level (the types issue's descriptors
 * say more about RT_VALUE_KIND_OBJECT). Values are stable. */
typedef enum rt_value_kind {
  RT_VALUE_KIND_NOTHING = 0,
  RT_VALUE_KIND_BOOLEAN = 1,
  RT_VALUE_KIND_CHARACTER = 2,
  RT_VALUE_KIND_INTEGER = 3,
  RT_VALUE_KIND_FLOAT = 4,
  RT_VALUE_KIND_OBJECT = 5
} rt_value_kind;

/* Arithmetic (docs/bytecode.md §2.5.1). */
typedef enum rt_value_op {
  RT_VALUE_OP_ADD = 0,
  RT_VALUE_OP_SUB = 1,
  RT_VALUE_OP_MUL = 2,
  RT_VALUE_OP_DIV = 3,
  RT_VALUE_OP_MOD = 4,
  RT_VALUE_OP_SHL = 5,
  RT_VALUE_OP_SHR = 6,
  RT_VALUE_OP_AND = 7,
  RT_VALUE_OP_OR = 8,
  /* Unary: rt_value_unary only. */
  RT_VALUE_OP_NEG = 9,
  RT_VALUE_OP_NOT = 10
} rt_value_op;

/* The error an operation raises in the program (not a failure of the call). */
typedef enum rt_value_fault {
  RT_VALUE_FAULT_NONE = 0,
  RT_VALUE_FAULT_TYPE = 1,             /* TypeError */
  RT_VALUE_FAULT_OVERFLOW = 2,         /* OverflowError */
  RT_VALUE_FAULT_DIVISION_BY_ZERO = 3, /* DivisionByZero */
  RT_VALUE_FAULT_VALUE = 4             /* ValueError: a negative shift count */
} rt_value_fault;

/* How two numbers compare (exactly, an Integer with a Float included). */
typedef enum rt_value_order {
  RT_VALUE_LESS = 0,
  RT_VALUE_EQUAL = 1,
  RT_VALUE_GREATER = 2,
  RT_VALUE_UNORDERED = 3,  /* a NaN */
  RT_VALUE_NOT_NUMBERS = 4 /* LT and the others raise TypeError */
} rt_value_order;

/* Registers the boxed number layouts with `heap`. Never collects. */
RT_API rt_status rt_types_create(rt_heap* heap, rt_types** out) RT_NOEXCEPT;
/* NULL is accepted. */
RT_API void rt_types_destroy(rt_types* types) RT_NOEXCEPT;

/* The kind of `v`; a reference must be to an object of the types' heap.
 * Never collects. */
RT_API rt_status rt_value_kind_of(const rt_types* types, rt_value v,
                                  rt_value_kind* out) RT_NOEXCEPT;

/* The Integer i, the Float d. MAY COLLECT (when the number is boxed);
 * RT_ERROR_OUT_OF_MEMORY when the heap is exhausted. `m` is the calling
 * thread's mutator of the types' heap, running. */
RT_API rt_status rt_value_from_integer(rt_types* types, rt_mutator* m, int64_t i,
                                       rt_value* out) RT_NOEXCEPT;
RT_API rt_status rt_value_from_float(rt_types* types, rt_mutator* m, double d,
                                     rt_value* out) RT_NOEXCEPT;
/* The Character c: RT_ERROR_INVALID_ARGUMENT unless c is a Unicode scalar
 * value (at most 0x10FFFF, not a surrogate). Never collects. */
RT_API rt_status rt_value_from_character(uint32_t c, rt_value* out) RT_NOEXCEPT;

/* The number in v (RT_ERROR_INVALID_ARGUMENT if v is not an Integer, not a
 * Float; no conversion between them), the Character's scalar value, the
 * Boolean. Never collect. */
RT_API rt_status rt_value_to_integer(const rt_types* types, rt_value v, int64_t* out) RT_NOEXCEPT;
RT_API rt_status rt_value_to_float(const rt_types* types, rt_value v, double* out) RT_NOEXCEPT;
RT_API rt_status rt_value_to_character(rt_value v, uint32_t* out) RT_NOEXCEPT;

/* `a op b` (rt_value_binary) and `op a` (rt_value_unary: NEG, NOT). RT_OK
 * when the operation ran: *fault says whether it raised an error in the
 * program (then *out is RT_VALUE_NOTHING). RT_ERROR_OUT_OF_MEMORY when its
 * result had to be boxed and the heap is exhausted. MAY COLLECT (boxing a
 * result). */
RT_API rt_status rt_value_binary(rt_types* types, rt_mutator* m, int op, rt_value a, rt_value b,
                                 rt_value* out, rt_value_fault* fault) RT_NOEXCEPT;
RT_API rt_status rt_value_unary(rt_types* types, rt_mutator* m, int op, rt_value a, rt_value* out,
                                rt_value_fault* fault) RT_NOEXCEPT;

/* How a and b compare as numbers. Never collects. */
RT_API rt_status rt_value_compare(const rt_types* types, rt_value a, rt_value b,
                                  rt_value_order* out) RT_NOEXCEPT;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* RUNATIME_C_VALUES_H */
