/* runatime/c/types.h — the run-time types in the C ABI: type descriptors,
 * reflection on values and dispatch, over a runtime of bridge.h. The C++
 * API is runatime/types.hpp, function for function; docs/types.md ("The
 * public API") explains both. Included by runatime.h (include that one).
 *
 * Rules beyond base.h's and bridge.h's:
 *   - rt_type is opaque: one type descriptor, immutable, valid as long as
 *     its runtime, readable from any thread. Two rt_type pointers are the
 *     same type exactly when they are equal (structural types are
 *     interned). Strings in the info structs live as long as the runtime.
 *   - A lookup that finds nothing is not a failure: RT_OK with a NULL
 *     result. An index out of range is RT_ERROR_INVALID_ARGUMENT.
 *   - Reflection stands outside every module: PRIVATE fields are listed
 *     with their flag but never read or stored by name, READONLY fields are
 *     never stored, a stored value must be of the field's type. Those
 *     failures, like a missing field or method, raise TypeError on the
 *     thread: RT_ERROR_THROWN, the exception left for rt_exception_text.
 *   - rt_inline_cache is what a tier keeps per call or field site: find is
 *     lock-free, any thread may record; its protocol is the C++ one
 *     (runatime/types.hpp, InlineCache).
 */
#ifndef RUNATIME_C_TYPES_H
#define RUNATIME_C_TYPES_H

#include "runatime/c/base.h"
#include "runatime/c/bridge.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rt_type rt_type;                 /* opaque */
typedef struct rt_inline_cache rt_inline_cache; /* opaque */

/* RUNAB-1.2's type kinds, plus the built-in Set and Tuple. */
typedef enum rt_type_kind {
  RT_TYPE_NOTHING = 0,
  RT_TYPE_BOOLEAN = 1,
  RT_TYPE_INTEGER = 2,
  RT_TYPE_FLOAT = 3,
  RT_TYPE_CHARACTER = 4,
  RT_TYPE_STRING = 5,
  RT_TYPE_ANY = 6,
  RT_TYPE_SET = 7,
  RT_TYPE_TUPLE = 8,
  RT_TYPE_STRUCT = 9,
  RT_TYPE_LIST = 10,
  RT_TYPE_MAP = 11,
  RT_TYPE_OPTIONAL = 12,
  RT_TYPE_UNION = 13,
  RT_TYPE_FUNCTION = 14,
  RT_TYPE_EXTERNAL = 15
} rt_type_kind;

/* ======================================================================== */
/* Descriptors                                                              */
/* ======================================================================== */

typedef struct rt_type_info {
  size_t size; /* sizeof(rt_type_info) of the caller */
  rt_type_kind kind;
  const char* name;
  uint32_t serial;         /* dense from 1: rt_type_at(serial) */
  const rt_type* super;    /* a struct's supertype, or NULL */
  uint32_t depth;          /* a struct's depth below its root */
  uint32_t field_count;    /* a struct's fields, inherited first */
  uint32_t method_count;   /* a struct's vtable */
  uint32_t arg_count;      /* components: rt_type_arg */
  const rt_type* result;   /* a Function type's result, or NULL */
  const rt_module* module; /* the module declaring a struct or External, or NULL */
} rt_type_info;

RT_API rt_status rt_type_info_init(rt_type_info* info) RT_NOEXCEPT;
RT_API rt_status rt_type_get_info(rt_runtime* runtime, const rt_type* type,
                                  rt_type_info* out) RT_NOEXCEPT;
/* Descriptors made so far; rt_type_at(1 .. count). */
RT_API rt_status rt_type_count(rt_runtime* runtime, uint32_t* out) RT_NOEXCEPT;
RT_API rt_status rt_type_at(rt_runtime* runtime, uint32_t serial, const rt_type** out) RT_NOEXCEPT;
/* The built-in type of a kind RT_TYPE_NOTHING .. RT_TYPE_TUPLE. */
RT_API rt_status rt_type_builtin(rt_runtime* runtime, rt_type_kind kind,
                                 const rt_type** out) RT_NOEXCEPT;
/* The type the module declares under `name`, or NULL. */
RT_API rt_status rt_type_find(rt_runtime* runtime, const rt_module* module, const char* name,
                              const rt_type** out) RT_NOEXCEPT;
/* Component i: a List's element, a Map's key (0) and value (1), an
 * Optional's base, a Union's members, a Function's parameters. */
RT_API rt_status rt_type_arg(const rt_type* type, uint32_t i, const rt_type** out) RT_NOEXCEPT;
/* *out non-zero when every value of s is a value of t (docs/bytecode.md
 * §2.5.5); constant time between structs. */
RT_API rt_status rt_type_is_subtype(const rt_type* s, const rt_type* t, int* out) RT_NOEXCEPT;

#define RT_FIELD_READONLY 0x1u /* stored only by the owner's constructors */
#define RT_FIELD_PRIVATE 0x2u  /* not visible to reflection */
#define RT_FIELD_WEAK 0x4u     /* does not keep its referent alive */

typedef struct rt_field_info {
  size_t size;
  const char* name;
  const rt_type* type;
  const rt_type* owner; /* the struct that declared it */
  uint32_t slot;        /* value slot i of every instance */
  uint32_t flags;       /* RT_FIELD_* */
} rt_field_info;

RT_API rt_status rt_field_info_init(rt_field_info* info) RT_NOEXCEPT;
RT_API rt_status rt_type_field(const rt_type* type, uint32_t i, rt_field_info* out) RT_NOEXCEPT;
/* *found is 0 when the type has no field of that name (*out untouched). */
RT_API rt_status rt_type_field_named(const rt_type* type, const char* name, rt_field_info* out,
                                     int* found) RT_NOEXCEPT;

typedef struct rt_method_info {
  size_t size;
  const char* name;
  uint32_t selector;
  const rt_type* owner; /* the struct that declared it */
  int constructor;
  const rt_function* function; /* what rt_call runs (the receiver first) */
} rt_method_info;

RT_API rt_status rt_method_info_init(rt_method_info* info) RT_NOEXCEPT;
/* Method i of a struct's vtable (inherited first, overrides in place). */
RT_API rt_status rt_type_method(rt_runtime* runtime, const rt_type* type, uint32_t i,
                                rt_method_info* out) RT_NOEXCEPT;

/* ======================================================================== */
/* Values                                                                   */
/* ======================================================================== */

/* The type of a value (List[Any] for a List...), or NULL for an object no
 * type describes. */
RT_API rt_status rt_value_type(rt_thread* thread, rt_value v, const rt_type** out) RT_NOEXCEPT;
RT_API rt_status rt_value_instance_of(rt_thread* thread, rt_value v, const rt_type* type,
                                      int* out) RT_NOEXCEPT;
/* CAST: *out is v, or an Integer converted to Float; TypeError otherwise. */
RT_API rt_status rt_value_cast(rt_thread* thread, rt_value v, const rt_type* type,
                               rt_value* out) RT_NOEXCEPT;
/* A new instance of a struct type, every field nothing (as NEW); call its
 * constructor with rt_method_invoke. TypeError for another kind. */
RT_API rt_status rt_type_new(rt_thread* thread, const rt_type* type, rt_value* out) RT_NOEXCEPT;
RT_API rt_status rt_field_get(rt_thread* thread, rt_value object, const char* name,
                              rt_value* out) RT_NOEXCEPT;
RT_API rt_status rt_field_set(rt_thread* thread, rt_value object, const char* name,
                              rt_value value) RT_NOEXCEPT;
/* Calls method `name` of the receiver with args[0..n), as CALL_METHOD. */
RT_API rt_status rt_method_invoke(rt_thread* thread, rt_value receiver, const char* name,
                                  const rt_value* args, uint32_t n, rt_value* out) RT_NOEXCEPT;

/* ======================================================================== */
/* Dispatch                                                                 */
/* ======================================================================== */

/* The selector of a method name, interned on first use. */
RT_API rt_status rt_selector(rt_runtime* runtime, const char* name, uint32_t* out) RT_NOEXCEPT;
/* The method a selector names on a struct type, by the global method
 * cache; *found is 0 when there is none. */
RT_API rt_status rt_method_lookup(rt_runtime* runtime, const rt_type* type, uint32_t selector,
                                  rt_method_info* out, int* found) RT_NOEXCEPT;
/* Its vtable slot, the same in every subtype; RT_NO_SLOT when none. */
#define RT_NO_SLOT 0xFFFFFFFFu
RT_API rt_status rt_method_slot(rt_runtime* runtime, const rt_type* type, uint32_t selector,
                                uint32_t* out) RT_NOEXCEPT;

RT_API rt_status rt_inline_cache_create(rt_inline_cache** out) RT_NOEXCEPT;
/* No thread may be using it. */
RT_API rt_status rt_inline_cache_destroy(rt_inline_cache* cache) RT_NOEXCEPT;
/* *found non-zero and *data set when the site has seen `type`. */
RT_API rt_status rt_inline_cache_find(const rt_inline_cache* cache, const rt_type* type,
                                      uintptr_t* data, int* found) RT_NOEXCEPT;
/* Records data for type after a miss: *cached is 0 once the site is (or
 * now becomes) megamorphic. */
RT_API rt_status rt_inline_cache_record(rt_inline_cache* cache, const rt_type* type, uintptr_t data,
                                        int* cached) RT_NOEXCEPT;
/* 0 empty, 1 monomorphic, 2 to 4 polymorphic, 5 megamorphic. */
RT_API rt_status rt_inline_cache_state(const rt_inline_cache* cache, uint32_t* out) RT_NOEXCEPT;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* RUNATIME_C_TYPES_H */
