/* runatime/c/heap_profile.h — observing the heap through the C ABI: heap
 * snapshots (V8 .heapsnapshot), allocation profiles (pprof profile.proto)
 * and their stacks (docs/memory.md, "Observing the heap"). Included by
 * runatime.h; the rules of runatime/c/base.h apply. Added in ABI 1.5.
 */
#ifndef RUNATIME_C_HEAP_PROFILE_H
#define RUNATIME_C_HEAP_PROFILE_H

#include "runatime/c/heap.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- heap snapshots ------------------------------------------------------ */

typedef struct rt_snapshot_info {
  size_t size;    /* sizeof(rt_snapshot_info) of the caller */
  uint64_t nodes; /* objects plus the synthetic root and root categories */
  uint64_t edges;
  uint64_t objects;     /* reachable objects written */
  uint64_t bytes;       /* their total size */
  uint64_t extra_bytes; /* side memory used at the peak (bitmap, stacks, ids) */
} rt_snapshot_info;

/* Writes every object reachable from the roots to `path` as a V8
 * .heapsnapshot (Chrome DevTools' Memory tab, memlab); objects keep their
 * ids across snapshots of one heap. Stops the world; never collects. `out`
 * may be NULL. Errors: INVALID_ARGUMENT (NULL heap or path, a mutator not
 * the caller's), INVALID_STATE (the file cannot be written: the message
 * says why). */
RT_API rt_status rt_heap_write_snapshot(rt_heap* heap, rt_mutator* m, const char* path,
                                        rt_snapshot_info* out) RT_NOEXCEPT;

/* ---- allocation profiles --------------------------------------------------- */

/* Samples one allocation every `mean_bytes` on average (exponentially
 * distributed intervals; at most 1 TiB), or stops with 0; samples taken are
 * kept. Stops the world for a moment; never collects. */
RT_API rt_status rt_heap_sample_allocations(rt_heap* heap, rt_mutator* m,
                                            uint64_t mean_bytes) RT_NOEXCEPT;

/* Receives one frame, innermost first. */
typedef void (*rt_frame_sink)(void* sink_context, const char* function, const char* file,
                              int64_t line);
/* Reports m's stack to `sink`, on m's thread, inside an allocation: it must
 * not allocate on the heap, collect, block, or unwind. */
typedef void (*rt_stack_describer)(void* context, rt_mutator* m, rt_frame_sink sink,
                                   void* sink_context);
/* Replaces the describer of the heap's samples (NULL: samples carry only
 * their type). */
RT_API rt_status rt_heap_set_stack_describer(rt_heap* heap, rt_stack_describer fn,
                                             void* context) RT_NOEXCEPT;

typedef struct rt_allocation_profile_info {
  size_t size;           /* sizeof(rt_allocation_profile_info) of the caller */
  uint64_t samples;      /* taken since the heap was created */
  uint64_t live_samples; /* whose object is still alive */
  uint64_t alloc_bytes;  /* estimated bytes allocated */
  uint64_t inuse_bytes;  /* estimated bytes of the live ones */
} rt_allocation_profile_info;

/* Writes the samples to `path` as gzip-compressed pprof profile.proto
 * (alloc_objects, alloc_space, inuse_objects, inuse_space; the type as the
 * innermost frame), for `go tool pprof`. Stops the world to copy the
 * samples; never collects. `out` may be NULL. Errors: INVALID_ARGUMENT,
 * INVALID_STATE (sampling never started, or the file cannot be written). */
RT_API rt_status rt_heap_write_allocation_profile(rt_heap* heap, rt_mutator* m, const char* path,
                                                  rt_allocation_profile_info* out) RT_NOEXCEPT;

/* ---- retained sizes and paths ----------------------------------------------- */

/* Text or JSON reports are written as rt_heap_leak_report describes: NUL-
 * terminated into `buffer` when `capacity` suffices, *needed the bytes the
 * whole report takes with its NUL (ask with capacity 0 first). */
/* Report formats, passed as uint32_t: any value may arrive from outside,
 * and one that is neither is refused (an enum parameter could not hold it). */
enum { RT_REPORT_TEXT = 0, RT_REPORT_JSON = 1 };

/* Per type, the reachable objects, their bytes and the bytes they retain
 * (dominators of the whole reachable heap). Stops the world; never
 * collects. Errors: INVALID_ARGUMENT (NULL heap or needed, unknown format,
 * buffer NULL with capacity > 0, a mutator not the caller's). */
RT_API rt_status rt_heap_analysis(rt_heap* heap, rt_mutator* m, uint32_t format, char* buffer,
                                  size_t capacity, size_t* needed) RT_NOEXCEPT;

/* What `object` retains (*retained_bytes, 0 when it is not reachable) and
 * its shortest path from a root as text ("(Thread 1) -> List.0 -> ...",
 * empty when not reachable), written as above. Stops the world; never
 * collects. Errors: as rt_heap_analysis, and NULL retained_bytes. */
RT_API rt_status rt_heap_retention(rt_heap* heap, rt_mutator* m, rt_value object,
                                   uint64_t* retained_bytes, char* buffer, size_t capacity,
                                   size_t* needed) RT_NOEXCEPT;

/* ---- leak reports ----------------------------------------------------------- */

/* From now on, counts the live objects of each type after every major
 * collection (docs/memory.md, "Leak reports"). Never collects. */
RT_API rt_status rt_heap_start_leak_detection(rt_heap* heap) RT_NOEXCEPT;

/* The leak report (suspect types with their growth, retained bytes and a
 * path from a root; persistent handles and root sets still held) as text
 * or JSON, NUL-terminated in `buffer` when `capacity` is enough; *needed
 * (which may not be NULL) gets the bytes the whole report takes with its
 * NUL, so a caller may ask with capacity 0 first. Stops the world; never
 * collects. Errors: INVALID_ARGUMENT (NULL heap or needed, unknown format,
 * buffer NULL with capacity > 0, a mutator not the caller's). */
RT_API rt_status rt_heap_leak_report(rt_heap* heap, rt_mutator* m, uint32_t format, char* buffer,
                                     size_t capacity, size_t* needed) RT_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /* RUNATIME_C_HEAP_PROFILE_H */
