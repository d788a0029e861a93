/* runatime/c/bridge.h — the execution bridge in the C ABI: a runtime
 * (heap, types, natives, modules, tiers, policy), its threads, loading
 * modules and calling their functions, natives registered from outside,
 * the tier interface, profile records and the tier policy. docs/bridge.md
 * explains each part; this header is the contract for C, Rust and any
 * language with a C FFI. Included by runatime.h (include that one).
 *
 * Rules beyond base.h's:
 *   - rt_runtime, rt_thread, rt_module and rt_function are opaque. Modules
 *     and functions live as long as their runtime; a thread from
 *     rt_thread_attach until rt_thread_detach, used only by the thread that
 *     attached it.
 *   - Natives and tiers are registered after rt_runtime_create and before
 *     the first rt_thread_attach (RT_ERROR_INVALID_STATE after it).
 *   - A call that runs Runa code returns RT_ERROR_THROWN when the code threw
 *     and nothing caught it: the exception stays on the thread until
 *     rt_exception_clear (rt_exception_text describes it).
 *   - Values (rt_value, heap.h) passed in are copied into roots for the
 *     call. A reference returned is valid until the thread's next call that
 *     may run Runa code or collect, unless it is kept in slots registered
 *     with rt_thread_roots_add, which the collector keeps alive and updates;
 *     numbers, Booleans and Characters are immediates (values.h) and always
 *     valid. Tier callbacks receive their arguments in root slots the
 *     collector updates.
 */
#ifndef RUNATIME_C_BRIDGE_H
#define RUNATIME_C_BRIDGE_H

#include "runatime/c/base.h"
#include "runatime/c/heap.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rt_runtime rt_runtime;   /* opaque */
typedef struct rt_thread rt_thread;     /* opaque */
typedef struct rt_module rt_module;     /* opaque */
typedef struct rt_function rt_function; /* opaque */

/* ======================================================================== */
/* The runtime                                                              */
/* ======================================================================== */

typedef struct rt_runtime_options {
  size_t size;                    /* sizeof(rt_runtime_options) of the caller */
  const char* heap_options;       /* RUNA_GC text (heap_options.hpp); NULL: RUNA_GC or defaults */
  const char* const* module_path; /* LOAD_MODULE's directories */
  size_t module_path_count;
  const char* const* arguments; /* main's List of Strings */
  size_t argument_count;
  uint32_t call_threshold;     /* 0: the default (1,000) */
  uint32_t backedge_threshold; /* 0: the default (60,000) */
  uint32_t speculation_budget; /* 0: the default (4) */
  uint32_t tier_log;           /* non-zero: the policy's decisions on stderr */
} rt_runtime_options;

RT_API rt_status rt_runtime_options_init(rt_runtime_options* options) RT_NOEXCEPT;
RT_API rt_status rt_runtime_create(const rt_runtime_options* options, rt_runtime** out) RT_NOEXCEPT;
/* Every thread must be detached. */
RT_API rt_status rt_runtime_destroy(rt_runtime* runtime) RT_NOEXCEPT;

/* The calling thread, attached to the runtime. */
RT_API rt_status rt_thread_attach(rt_runtime* runtime, rt_thread** out) RT_NOEXCEPT;
RT_API rt_status rt_thread_detach(rt_runtime* runtime, rt_thread* thread) RT_NOEXCEPT;

/* ======================================================================== */
/* Modules and calls                                                        */
/* ======================================================================== */

/* Loads, verifies and links a module (.runab, or .runas assembled) and runs
 * its initializer: RT_ERROR_INVALID_ARGUMENT with the loader's message for a
 * module that does not verify or link, RT_ERROR_THROWN when the initializer
 * threw. */
RT_API rt_status rt_module_load(rt_thread* thread, const char* path,
                                const rt_module** out) RT_NOEXCEPT;
/* The module's non-method function of that name. */
RT_API rt_status rt_module_function(const rt_module* module, const char* name,
                                    const rt_function** out) RT_NOEXCEPT;
/* Calls f with args[0..n) through its entry (the tier serving it). */
RT_API rt_status rt_call(rt_thread* thread, const rt_function* f, const rt_value* args, uint32_t n,
                         rt_value* out) RT_NOEXCEPT;
/* _rt_aott_execute (since ABI 1.8): a call with a tier preference, and a
 * report of how it ran (docs/bridge.md, "Execution requests"). A wanted
 * tier that does not serve f yet prepares it now (on this thread, without
 * delaying collections) and is installed as f's entry, as a promotion
 * would be; when it cannot serve f, the call runs where f is, or, with
 * `no_fallback`, returns RT_ERROR_THROWN with a NotAvailable. `tier`
 * outside the registered tiers: RT_ERROR_THROWN with a ValueError. */
#define RT_ANY_TIER 0xFFFFFFFFu

typedef struct rt_execute_request {
  size_t size; /* sizeof(rt_execute_request) of the caller */
  const rt_function* function;
  const rt_value* args; /* copied into roots for the call */
  uint32_t count;
  uint32_t tier;               /* a tier index, or RT_ANY_TIER: whichever serves f */
  uint32_t no_fallback;        /* non-zero: refuse rather than run elsewhere */
  uint32_t speculation_budget; /* f's budget from now on; 0: unchanged */
} rt_execute_request;

typedef struct rt_execute_result {
  size_t size;          /* sizeof(rt_execute_result) of the caller */
  rt_value value;       /* the result, as rt_call's */
  uint32_t tier;        /* the tier whose entry ran the call */
  uint32_t deoptimized; /* non-zero: f went back to a lower tier meanwhile */
  uint32_t promoted;    /* non-zero: f left for a higher tier meanwhile */
  uint32_t budget_left; /* deoptimisations f may still have */
  uint64_t run_ns;      /* the call, wall clock */
  uint64_t compile_ns;  /* preparing f meanwhile: the wanted tier's, the policy's */
} rt_execute_result;

RT_API rt_status rt_execute_request_init(rt_execute_request* request) RT_NOEXCEPT;
RT_API rt_status rt_execute_result_init(rt_execute_result* result) RT_NOEXCEPT;
/* *result is filled also when the call threw (value 0). */
RT_API rt_status rt_execute(rt_thread* thread, const rt_execute_request* request,
                            rt_execute_result* result) RT_NOEXCEPT;

/* Runs the module's main with the runtime's arguments: *exit_status is what
 * main's result makes it (docs/bytecode.md §2.4). */
RT_API rt_status rt_run_main(rt_thread* thread, const rt_module* module,
                             int* exit_status) RT_NOEXCEPT;

/* Registers slots[0..count) as roots: until rt_thread_roots_remove(id),
 * the collector keeps what they reference alive and rewrites them when it
 * moves it, so a host holds references across calls that may collect. The
 * slots must stay at their address; any value stored in them later is
 * held too. The set belongs to the thread: remove it by id from that
 * thread (RT_ERROR_INVALID_ARGUMENT for an id it did not add), or
 * rt_thread_detach removes what is left. */
RT_API rt_status rt_thread_roots_add(rt_thread* thread, rt_value* slots, size_t count,
                                     uint64_t* id) RT_NOEXCEPT;
RT_API rt_status rt_thread_roots_remove(rt_thread* thread, uint64_t id) RT_NOEXCEPT;

/* Since ABI 1.9: registers `enumerator(context, visitor)` (heap.h) to be
 * called in every collection until rt_thread_frames_remove(id): it reports
 * with rt_root_visit every reference slot of the frames a tier keeps for
 * this thread in memory of its own (native frames, spill areas, stacks of
 * its own), and the collector keeps what they reference alive and rewrites
 * them when it moves it. heap.h's rules for enumerators hold (it runs on
 * the collecting thread while this one is stopped, must not allocate,
 * call into the runtime or unwind). Added and removed by the thread itself,
 * running (not inside a native call of its own that released the heap);
 * rt_thread_detach removes what is left. *id is unique among the
 * thread's enumerators. RT_ERROR_INVALID_ARGUMENT: NULL, or (remove) an id
 * this thread did not add or removed already. */
RT_API rt_status rt_thread_frames_add(rt_thread* thread, rt_frame_enumerator enumerator,
                                      void* context, uint64_t* id) RT_NOEXCEPT;
RT_API rt_status rt_thread_frames_remove(rt_thread* thread, uint64_t id) RT_NOEXCEPT;

/* The uncaught exception as `runa run` prints it ("uncaught Type: message"
 * and the trace, one frame a line), NUL-terminated, truncated to `capacity`;
 * *length gets the full length. */
RT_API rt_status rt_exception_text(rt_thread* thread, char* buffer, size_t capacity,
                                   size_t* length) RT_NOEXCEPT;
RT_API rt_status rt_exception_clear(rt_thread* thread) RT_NOEXCEPT;

/* Integers and Strings of the runtime's thread (a number outside the
 * immediate range is boxed: MAY COLLECT). _get fails with
 * RT_ERROR_INVALID_ARGUMENT for a value of another kind. */
RT_API rt_status rt_integer_new(rt_thread* thread, int64_t i, rt_value* out) RT_NOEXCEPT;
RT_API rt_status rt_integer_get(rt_thread* thread, rt_value v, int64_t* out) RT_NOEXCEPT;
RT_API rt_status rt_string_new(rt_thread* thread, const char* utf8, size_t length,
                               rt_value* out) RT_NOEXCEPT;
/* The String's UTF-8 bytes, NUL-terminated and truncated to `capacity`;
 * *length gets the full length. */
RT_API rt_status rt_string_get(rt_thread* thread, rt_value v, char* buffer, size_t capacity,
                               size_t* length) RT_NOEXCEPT;

/* ======================================================================== */
/* Natives                                                                  */
/* ======================================================================== */

typedef struct rt_native_call {
  rt_thread* thread;
  const rt_value* args; /* root slots, `count` of them */
  uint32_t count;
  rt_value result; /* set it to return a value (0: nothing) */
} rt_native_call;

/* Returns RT_OK with call->result set, or what rt_native_throw returned. */
typedef rt_status (*rt_native_fn)(void* context, rt_native_call* call);

/* Adds a native of library 0 under `name`, which modules bind by External
 * reference like the runtime's own; a name already taken is an error. */
RT_API rt_status rt_native_register(rt_runtime* runtime, const char* name, uint32_t arity,
                                    rt_native_fn fn, void* context) RT_NOEXCEPT;
/* A native of library 0 (the runtime's own, docs/natives.md, or one
 * registered above) as a function rt_call calls. */
RT_API rt_status rt_native_lookup(rt_thread* thread, const char* name,
                                  const rt_function** out) RT_NOEXCEPT;
/* Makes the native throw a runtime exception of `type` ("ValueError", ...)
 * with `message`; returns RT_ERROR_THROWN, for the native to return. */
RT_API rt_status rt_native_throw(rt_native_call* call, const char* type,
                                 const char* message) RT_NOEXCEPT;

/* ======================================================================== */
/* The tier interface                                                       */
/* ======================================================================== */

typedef struct rt_tier_callbacks {
  size_t size; /* sizeof(rt_tier_callbacks) of the caller */
  /* Runs f: *callee is the Function or Closure value called, args[0..n) its
   * arguments (root slots). RT_OK with *out set, or RT_ERROR_THROWN. */
  rt_status (*invoke)(void* self, rt_thread* thread, const rt_function* f, rt_value* callee,
                      rt_value* args, uint32_t n, rt_value* out);
  /* Prepares f (for on-stack replacement at `osr_offset`, or RT_NO_OSR);
   * the code word for f's entry, or NULL to refuse. Runs on the policy's
   * thread, which has no mutator: no heap access. */
  void* (*prepare)(void* self, const rt_function* f, uint32_t osr_offset);
  /* Code prepare() returned is no longer installed. May be NULL. */
  void (*release)(void* self, const rt_function* f, void* code);
  /* On-stack replacement: continue a running frame of f at the loop header
   * `offset` with the code prepare(f, offset) returned. frame[0..slots)
   * are its slots (parameters, then locals), then `stack` operand-stack
   * values; run f to its end: RT_OK with *out set, or RT_ERROR_THROWN.
   * May be NULL (the tier takes no running frames). */
  rt_status (*enter)(void* self, rt_thread* thread, const rt_function* f, void* code,
                     uint32_t offset, rt_value* frame, uint32_t slots, uint32_t stack,
                     rt_value* out);
} rt_tier_callbacks;

#define RT_NO_OSR 0xFFFFFFFFu

/* Since ABI 1.7 every frame a C tier runs (through invoke or enter) shows in
 * stack traces, thread dumps and profiles, between the frames it was called
 * from and those it calls, at bytecode offset 0 (invoke) or the offset it
 * was entered at (enter). The tier says where the frame stands now — the
 * offset of the instruction it executes — with rt_frame_at, before a call
 * that may throw or walk the stack. RT_ERROR_INVALID_STATE when the
 * thread's innermost frame is not a C tier's; RT_ERROR_INVALID_ARGUMENT
 * for an offset past the function's code. */
RT_API rt_status rt_frame_at(rt_thread* thread, uint32_t offset) RT_NOEXCEPT;

/* Since ABI 1.8: where a C tier's activation stands when its code runs
 * several functions at once (it inlined callees): positions[0..count),
 * innermost first, each a function and the offset of the instruction it
 * executes; the last must be the activation's own function. Traces, dumps
 * and profilers then show `count` frames for the activation, until the
 * next rt_frames_at or rt_frame_at (which is rt_frames_at with the
 * activation's function alone). At most RT_MAX_FRAMES_PER_ACTIVATION;
 * RT_ERROR_INVALID_STATE and RT_ERROR_INVALID_ARGUMENT as rt_frame_at,
 * and RT_ERROR_INVALID_ARGUMENT for a count of 0, above the limit, or an
 * outermost position of another function. */
#define RT_MAX_FRAMES_PER_ACTIVATION 16u

typedef struct rt_frame_position {
  const rt_function* function;
  uint32_t offset;
} rt_frame_position;

RT_API rt_status rt_frames_at(rt_thread* thread, const rt_frame_position* positions,
                              uint32_t count) RT_NOEXCEPT;

RT_API rt_status rt_tier_callbacks_init(rt_tier_callbacks* callbacks) RT_NOEXCEPT;
/* Registers a tier at `level` (0 interprets; promotions go up by level). */
RT_API rt_status rt_tier_register(rt_runtime* runtime, const char* name, uint32_t level,
                                  const rt_tier_callbacks* callbacks, void* self,
                                  uint32_t* index) RT_NOEXCEPT;

/* What a tier compiles from. */
typedef struct rt_function_info {
  size_t size;
  const char* name;
  const uint8_t* code; /* the verified bytecode (docs/bytecode.md) */
  size_t code_length;
  uint32_t params;
  uint32_t frame_slots;
  uint32_t max_stack;
  uint32_t tier;   /* the tier serving it now */
  void* tier_code; /* that tier's code word */
} rt_function_info;

RT_API rt_status rt_function_info_init(rt_function_info* info) RT_NOEXCEPT;
RT_API rt_status rt_function_get_info(const rt_function* f, rt_function_info* out) RT_NOEXCEPT;

/* ======================================================================== */
/* Profiles and the policy (the AOTT plan's calls: docs/bridge.md)           */
/* ======================================================================== */

typedef struct rt_profile {
  size_t size;
  uint32_t calls;
  uint32_t backedges;
  uint32_t deopts;
  uint32_t branches; /* conditional branches; rt_profile_branch reads each */
  uint32_t allocation_sites;
  uint32_t method_sites; /* CALL_METHOD sites; rt_profile_receivers reads each */
} rt_profile;

RT_API rt_status rt_profile_init(rt_profile* profile) RT_NOEXCEPT;
/* _rt_profile_query. */
RT_API rt_status rt_profile_query(const rt_function* f, rt_profile* out) RT_NOEXCEPT;
RT_API rt_status rt_profile_branch(const rt_function* f, uint32_t index, uint32_t* offset,
                                   uint32_t* taken, uint32_t* not_taken) RT_NOEXCEPT;
/* The receiver types CALL_METHOD site `index` of f has seen: *state is the
 * inline-cache state (0 empty, 1 monomorphic, 2 to 4 polymorphic, 5
 * megamorphic); names[0 .. min(state, 4)) get the first types' names
 * (valid as long as the runtime), `capacity` at most. */
RT_API rt_status rt_profile_receivers(const rt_function* f, uint32_t index, uint32_t* offset,
                                      uint32_t* state, const char** names,
                                      uint32_t capacity) RT_NOEXCEPT;
/* _rt_tier_promote: f is hot; the policy queues it for the next tier. */
RT_API rt_status rt_tier_promote(rt_thread* thread, const rt_function* f) RT_NOEXCEPT;
/* Installs `tier` with `code` as f's entry at once (the coordinator). */
RT_API rt_status rt_tier_install(rt_runtime* runtime, const rt_function* f, uint32_t tier,
                                 void* code) RT_NOEXCEPT;
/* _rt_deoptimize: a guard failed; f goes back to the lowest tier. */
RT_API rt_status rt_deoptimize(rt_runtime* runtime, const rt_function* f,
                               const char* reason) RT_NOEXCEPT;
/* _rt_deoptimize for a running frame (since ABI 1.7): a guard failed inside
 * f; as rt_deoptimize, then the frame continues in the lowest tier before
 * the instruction at bytecode `offset` — `callee` the Function or Closure
 * value running (0: f's own Function, for a frame that reads no upvalue),
 * frame[0..slots) its slots (parameters, then locals, a
 * captured variable's cell where its scope has begun), then `stack`
 * operand-stack values, each as the bytecode would have them there — and
 * runs f to its end: RT_OK with *out set, or RT_ERROR_THROWN (also when the
 * lowest tier cannot take the frame: a NotAvailable inside a try statement
 * or for a generator or async function, a ValueError for a frame that does
 * not fit f or an offset that begins no instruction). The values must be
 * current: read after the caller's last call that may collect. */
RT_API rt_status rt_deoptimize_frame(rt_thread* thread, const rt_function* f, const char* reason,
                                     uint32_t offset, rt_value callee, const rt_value* frame,
                                     uint32_t slots, uint32_t stack, rt_value* out) RT_NOEXCEPT;
/* _rt_speculation_budget: deoptimisations f may still have before the
 * policy stops promoting it. */
RT_API rt_status rt_speculation_budget(rt_runtime* runtime, const rt_function* f,
                                       uint32_t* remaining) RT_NOEXCEPT;
/* Waits until the promotion queue is empty (tests, orderly shutdown). It
 * blocks without reaching a safepoint: call it only while no other thread
 * runs Runa code. */
RT_API rt_status rt_policy_drain(rt_runtime* runtime) RT_NOEXCEPT;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* RUNATIME_C_BRIDGE_H */
