/* runatime.h — RunaTime's C ABI.
 *
 * This header is the boundary every execution tier and every host reaches
 * RunaTime through when it is not written in C++ (ARCHITECTURE.md, boundary
 * 1). It is pure C (C99 or later, and C++), has no dependency beyond the C
 * standard headers, and lets no C++ exception or type cross it. A Rust (or
 * any other) client declares the same functions and structs by hand.
 *
 * The ABI is split by part, one header each under runatime/c/, all
 * included here: base.h (the version, statuses, the last error, the rules
 * for growable structs), heap.h (the garbage-collected heap), heap_profile.h (snapshots and
 * allocation profiles), values.h
 * (Runa values: numbers, Booleans, Characters), bridge.h (the execution
 * bridge: runtimes, modules, natives, tiers, profiles), types.h (the
 * run-time types) and concurrency.h (channels, actors, pool jobs). Later parts add
 * their own header under the same rules and are included here; clients
 * include only this file.
 *
 * ---- History ---------------------------------------------------------------
 *
 *   1.0  the heap.
 *   1.1  finalizers: rt_layout.finalizer and .finalizer_context,
 *        rt_allocate_finalizable, rt_wait_for_finalizers,
 *        rt_heap_stats.finalizers_run and .finalizers_pending,
 *        rt_layout_init_sized, rt_heap_stats_init_sized.
 *   1.2  collection events: rt_collection_callback_add and _remove,
 *        rt_collection_event, rt_collection_cause; the declarations split
 *        into runatime/c/base.h and runatime/c/heap.h (none changed).
 *   1.3  values: runatime/c/values.h (rt_types_create, rt_value_* );
 *        layouts: tailed kinds (RT_LAYOUT_REF_TAIL, RT_LAYOUT_BYTE_TAIL),
 *        weak fields and the descriptor at the end of rt_layout,
 *        rt_descriptor_of.
 *   1.4  the execution bridge: runatime/c/bridge.h (runtimes, threads,
 *        modules, calls, natives, the tier interface, profiles, the
 *        policy); RT_ERROR_THROWN.
 *   1.5  observing the heap: runatime/c/heap_profile.h (heap snapshots,
 *        allocation sampling and profiles, stack describers).
 *   1.6  the run-time types: runatime/c/types.h (descriptors, reflection
 *        on values, method lookup by selector, inline caches); host roots
 *        of a bridge thread: rt_thread_roots_add and _remove.
 *   1.7  C tiers' frames in traces, dumps and profiles (rt_frame_at);
 *        deoptimising a running frame (rt_deoptimize_frame).
 *   1.8  execution requests (rt_execute and its request and result);
 *        inlined frames of a C tier's activation (rt_frames_at).
 *   1.9  frame enumerators of a bridge thread (rt_thread_frames_add and
 *        _remove): a C tier reports the references its own frames hold.
 *   1.10 the concurrency services: runatime/c/concurrency.h (channels of
 *        Runa values, actors with a C or Runa behaviour, jobs on the
 *        runtime's pool); RT_ERROR_CLOSED, RT_ERROR_TIMEOUT,
 *        RT_ERROR_WOULD_BLOCK.
 */
#ifndef RUNATIME_H
#define RUNATIME_H

#include "runatime/c/base.h"
#include "runatime/c/bridge.h"
#include "runatime/c/concurrency.h"
#include "runatime/c/heap.h"
#include "runatime/c/heap_profile.h"
#include "runatime/c/types.h"
#include "runatime/c/values.h"

#endif /* RUNATIME_H */
