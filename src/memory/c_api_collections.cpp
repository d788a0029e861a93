// The heap C ABI's collections: requesting them, hearing of them
// (collection callbacks), their statistics, heap verification and waiting
// for finalizers. The rest of the heap's C ABI, and the rules every entry
// point follows (guarded bodies, checked mutators), are in c_api.cpp.
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "memory/c_api.hpp"
#include "memory/collection_events.hpp"
#include "memory/heap.hpp"
#include "services/c_abi.hpp"

namespace rh = runa::heap;
using runa::c_abi::fail;
using runa::c_abi::guarded;
using runa::c_abi::init_struct;
using runa::c_abi::null_argument;
using runa::c_abi::write_struct;
using runa::heap::capi::call_c_collection_callback;
using runa::heap::capi::CallbackThunk;
using runa::heap::capi::kStatsSize10;
using runa::heap::capi::own;
using runa::heap::capi::own_outside_finalizers;

static_assert(sizeof(rt_heap_stats) == 128 + 13 * 8 &&
              offsetof(rt_heap_stats, finalizers_run) == kStatsSize10 &&
              offsetof(rt_heap_stats, remembered_slots_scanned) == 128);

extern "C" {

// ---- collections, statistics, verification -----------------------------------------------

rt_status rt_collection_callback_add(rt_heap* heap, rt_collection_callback fn_ptr, void* context,
                                     uint64_t* out_id) noexcept {
  constexpr const char* fn = "rt_collection_callback_add";
  return guarded(fn, [&] {
    if (heap == nullptr) return null_argument(fn, "heap");
    if (fn_ptr == nullptr) return null_argument(fn, "fn");
    if (out_id == nullptr) return null_argument(fn, "out_id");
    auto thunk = std::make_unique<CallbackThunk>(CallbackThunk{fn_ptr, context, heap});
    std::lock_guard lock(heap->mu);
    heap->callbacks.reserve(heap->callbacks.size() + 1);  // the emplace below cannot throw
    std::uint64_t id =
        heap->heap->add_collection_callback(&call_c_collection_callback, thunk.get());
    heap->callbacks.emplace(id, std::move(thunk));
    *out_id = id;
    return RT_OK;
  });
}

rt_status rt_collection_callback_remove(rt_heap* heap, rt_mutator* m, uint64_t id) noexcept {
  constexpr const char* fn = "rt_collection_callback_remove";
  return guarded(fn, [&] {
    if (heap == nullptr) return null_argument(fn, "heap");
    rh::MutatorRecord* r = nullptr;
    if (rt_status s = own(fn, m, heap, true, r); s != RT_OK) return s;
    // Not under `mu`: the removal waits for calls on other threads, which
    // may use rt_* functions that take it.
    if (!heap->heap->remove_collection_callback(*r, id)) {
      return fail(
          RT_ERROR_INVALID_ARGUMENT, fn,
          "collection callback " + std::to_string(id) + " is not registered (removed already?)");
    }
    std::lock_guard lock(heap->mu);
    heap->callbacks.erase(id);
    return RT_OK;
  });
}

rt_status rt_collect(rt_heap* heap, rt_mutator* m, uint32_t kind) noexcept {
  constexpr const char* fn = "rt_collect";
  return guarded(fn, [&] {
    if (heap == nullptr) return null_argument(fn, "heap");
    rh::MutatorRecord* r = nullptr;
    rt_status s = own(fn, m, heap, true, r);
    if (s != RT_OK) return s;
    if (kind != RT_COLLECT_MINOR && kind != RT_COLLECT_MAJOR) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  "kind " + std::to_string(kind) + " is not an rt_collection_kind");
    }
    if (!heap->heap->collect(*r, kind == RT_COLLECT_MAJOR)) {
      return fail(RT_ERROR_OUT_OF_MEMORY, fn,
                  "out of memory: the old generation cannot take the nursery's survivors even "
                  "after a major collection (the nursery was not collected)");
    }
    return RT_OK;
  });
}

rt_status rt_heap_stats_init_sized(rt_heap_stats* stats, size_t size) noexcept {
  constexpr const char* fn = "rt_heap_stats_init";
  if (stats == nullptr) return null_argument(fn, "stats");
  rt_heap_stats c{};
  return init_struct(fn, stats, size, kStatsSize10, &c, sizeof c);
}

rt_status(rt_heap_stats_init)(rt_heap_stats* stats) noexcept {
  return rt_heap_stats_init_sized(stats, kStatsSize10);
}

rt_status rt_heap_get_stats(const rt_heap* heap, rt_heap_stats* out) noexcept {
  constexpr const char* fn = "rt_heap_get_stats";
  return guarded(fn, [&] {
    if (heap == nullptr) return null_argument(fn, "heap");
    if (out == nullptr) return null_argument(fn, "out");
    rh::Stats st = heap->heap->stats();
    rt_heap_stats c{};
    c.size = sizeof c;
    c.minor_collections = st.minor_collections;
    c.major_collections = st.major_collections;
    c.total_pause_ns = st.total_pause_ns;
    c.max_pause_ns = st.max_pause_ns;
    c.p50_pause_ns = st.p50_pause_ns;
    c.p99_pause_ns = st.p99_pause_ns;
    c.allocated_bytes = st.allocated_bytes;
    c.promoted_bytes = st.promoted_bytes;
    c.surviving_bytes = st.surviving_bytes;
    c.survivor_bytes = st.survivor_bytes;
    c.old_bytes = st.old_bytes;
    c.large_bytes = st.large_bytes;
    c.committed_bytes = st.committed_bytes;
    c.finalizers_run = st.finalizers_run;
    c.finalizers_pending = st.finalizers_pending;
    c.remembered_slots_scanned = st.remembered_slots_scanned;
    c.returned_bytes = st.returned_bytes;
    c.return_calls = st.return_calls;
    c.retained_free_bytes = st.retained_free_bytes;
    c.nursery_bytes = st.nursery_bytes;
    c.safepoint_handshakes = st.safepoint_handshakes;
    c.time_to_safepoint_ns = st.time_to_safepoint_ns;
    c.max_time_to_safepoint_ns = st.max_time_to_safepoint_ns;
    c.tlab_refills = st.tlab_refills;
    c.eden_refills = st.eden_refills;
    c.eden_cas_retries = st.eden_cas_retries;
    c.mutator_lock_acquisitions = st.mutator_lock_acquisitions;
    c.mutator_lock_contended = st.mutator_lock_contended;
    return write_struct(fn, "out", out, kStatsSize10, &c, sizeof c);
  });
}

rt_status rt_heap_verify(rt_heap* heap, rt_mutator* m) noexcept {
  constexpr const char* fn = "rt_heap_verify";
  return guarded(fn, [&] {
    if (heap == nullptr) return null_argument(fn, "heap");
    rh::MutatorRecord* r = nullptr;
    rt_status s = own(fn, m, heap, true, r);
    if (s != RT_OK) return s;
    if (auto problem = heap->heap->verify(*r)) {
      return fail(RT_ERROR_VERIFY_FAILED, fn, *problem);
    }
    return RT_OK;
  });
}

rt_status rt_wait_for_finalizers(rt_heap* heap, rt_mutator* m) noexcept {
  constexpr const char* fn = "rt_wait_for_finalizers";
  return guarded(fn, [&] {
    rh::MutatorRecord* r = nullptr;
    if (rt_status s = own_outside_finalizers(
            fn, m, heap, "called from a finalizer, which would wait for itself to return", r);
        s != RT_OK) {
      return s;
    }
    heap->heap->wait_for_finalizers(*r);
    return RT_OK;
  });
}

}  // extern "C"
