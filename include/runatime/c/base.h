/* runatime/c/base.h — the part of the C ABI every other part builds on:
 * the ABI version, statuses and the last error, and the portability macros
 * the per-part headers use. Included by runatime.h (include that one).
 *
 * ---- Versioning ------------------------------------------------------------
 *
 * RT_ABI_VERSION_MAJOR changes when anything already published changes
 * meaning or layout (a field of rt_mutator, an enum value, a signature);
 * RT_ABI_VERSION_MINOR when something is only added (a function, a status, a
 * field at the end of a struct that carries a `size`). A client built with
 * header version M.m runs against a library whose rt_abi_version() has the
 * same major and a minor >= m (rt_abi_compatible() checks exactly this).
 *
 * Structs that may grow start with `size_t size`, which the caller sets to
 * sizeof the struct it was compiled with (the *_init functions do it):
 *   - in structs passed to RunaTime, fields beyond the caller's size take
 *     their defaults, and bytes beyond what this library knows must be zero
 *     (otherwise RT_ERROR_UNSUPPORTED: the caller asked for something this
 *     version cannot do);
 *   - in structs RunaTime fills, it writes the fields it knows up to the
 *     caller's size and zeroes the rest; `size` itself is left alone.
 *
 * The *_init function of a struct that has grown is a macro over its
 * *_init_sized function, passing sizeof the caller's struct, so C and C++
 * callers keep their source. The exported function of the old name stays,
 * for binaries and hand-written declarations (Rust) of the older version:
 * it writes the struct as that version declared it, never more.
 *
 *
 * ---- Errors ----------------------------------------------------------------
 *
 * Every function returns an rt_status, except the few that cannot fail
 * (rt_abi_version, rt_last_error, rt_status_name, rt_root_visit*), and
 * results come back through out-parameters, which are written only on
 * RT_OK. When a call fails it records a message, in English, for one
 * person, on the calling thread: rt_last_error() returns it. The message is
 * that of the most recent failing call on this thread; successful calls do
 * not change it. (A thread-local message rather than an error out-parameter:
 * signatures stay short, and no caller has to own or free error objects.)
 *
 * Bad arguments that can be detected cheaply (NULL pointers, unknown types,
 * slots outside an object, a mutator used on a thread that did not attach
 * it, a handle scope closed out of order) are errors, never crashes. A
 * pointer that is not what it claims to be at all (a freed mutator, an
 * arbitrary address passed as an object) cannot always be detected.
 */
#ifndef RUNATIME_C_BASE_H
#define RUNATIME_C_BASE_H

#include <stddef.h>
#include <stdint.h>

/* Version of the ABI this header describes. */
#define RT_ABI_VERSION_MAJOR 1
#define RT_ABI_VERSION_MINOR 10
#define RT_ABI_VERSION ((RT_ABI_VERSION_MAJOR << 16) | RT_ABI_VERSION_MINOR)

#ifdef __cplusplus
#define RT_NOEXCEPT noexcept
#define RT_STATIC_CAST(T, x) static_cast<T>(x)
#define RT_PTR_CAST(T, x) reinterpret_cast<T>(x)
extern "C" {
#else
#define RT_NOEXCEPT
#define RT_STATIC_CAST(T, x) ((T)(x))
#define RT_PTR_CAST(T, x) ((T)(x))
#endif

#if defined(__GNUC__) || defined(__clang__)
#define RT_API __attribute__((visibility("default")))
/* Relaxed atomic accesses, as the C++ fast paths make them (std::atomic_ref). */
#define RT_LOAD_RELAXED(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define RT_STORE_RELAXED(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#else
/* Other compilers: plain accesses (aligned words are single accesses on the
 * platforms RunaTime supports). */
#define RT_API
#define RT_LOAD_RELAXED(p) (*(p))
#define RT_STORE_RELAXED(p, v) (*(p) = (v))
#endif

/* ======================================================================== */
/* Version and errors                                                       */
/* ======================================================================== */

/* The library's ABI version: (major << 16) | minor. Never fails; any thread. */
RT_API uint32_t rt_abi_version(void) RT_NOEXCEPT;

/* Non-zero when the library linked in serves clients built with this header. */
static inline int rt_abi_compatible(void) {
  uint32_t v = rt_abi_version();
  /* Same major, and v at least this header's version (so minor >= ours). */
  return (v >> 16) == RT_ABI_VERSION_MAJOR && v >= RT_ABI_VERSION;
}

/* Values are stable; minor versions may add new ones (treat any unknown
 * non-zero value as a failure). */
typedef enum rt_status {
  RT_OK = 0,
  /* An argument is NULL, out of range, or not what the function needs. */
  RT_ERROR_INVALID_ARGUMENT = 1,
  /* The heap cannot satisfy the request even after collecting; the heap is
   * consistent and stays usable (the program sees OutOfMemory). */
  RT_ERROR_OUT_OF_MEMORY = 2,
  /* The call is not allowed in the current state (in native, still
   * attached, already attached, scopes closed out of order...). */
  RT_ERROR_INVALID_STATE = 3,
  /* Valid, but this version of RunaTime cannot do it (yet). */
  RT_ERROR_UNSUPPORTED = 4,
  /* rt_heap_verify found a broken invariant; the message names it. */
  RT_ERROR_VERIFY_FAILED = 5,
  /* A failure inside RunaTime that is none of the above (a bug). */
  RT_ERROR_INTERNAL = 6,
  /* Runa code threw an exception nothing caught (bridge.h: rt_exception_text). */
  RT_ERROR_THROWN = 7,
  /* Since 1.10 (concurrency.h): the channel is closed, or the actor is
   * stopping or has stopped. */
  RT_ERROR_CLOSED = 8,
  /* Since 1.10: a wait's timeout passed first. */
  RT_ERROR_TIMEOUT = 9,
  /* Since 1.10: a call that never waits would have had to (a full channel
   * or mailbox, an empty channel). */
  RT_ERROR_WOULD_BLOCK = 10
} rt_status;

/* The message of the most recent failing call on the calling thread ("" if
 * none). Valid until the next failing call on this thread; never NULL. */
RT_API const char* rt_last_error(void) RT_NOEXCEPT;

/* A constant name for a status ("RT_OK", "RT_ERROR_OUT_OF_MEMORY", ...;
 * "RT_ERROR_UNKNOWN" for a value this version does not know). Never fails.
 * (Enum-valued parameters are plain integers in this ABI: a value outside
 * the enum is then an error, not undefined behaviour.) */
RT_API const char* rt_status_name(int status) RT_NOEXCEPT;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* RUNATIME_C_BASE_H */
