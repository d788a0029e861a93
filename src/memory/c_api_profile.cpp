// The heap C ABI's observers (runatime/c/heap_profile.h): heap snapshots,
// allocation sampling, stack describers and allocation profiles, each a
// thin guard over runatime/heap_profile.hpp. The rules every entry point
// follows are in c_api.cpp.
#include <cstddef>
#include <cstring>
#include <mutex>
#include <string>

#include "memory/c_api.hpp"
#include "memory/heap.hpp"
#include "runatime/heap_profile.hpp"
#include "services/c_abi.hpp"

namespace rh = runa::heap;
using runa::c_abi::fail;
using runa::c_abi::guarded;
using runa::c_abi::null_argument;
using runa::c_abi::write_struct;
using runa::heap::capi::own;

namespace {

// The C++ describer behind the C one (ctx: the rt_heap).
void describe(void* ctx, rh::Mutator& m, std::vector<rh::StackFrame>& out) {
  auto* heap = static_cast<rt_heap*>(ctx);
  auto sink = [](void* c, const char* function, const char* file, int64_t line) {
    static_cast<std::vector<rh::StackFrame>*>(c)->push_back(
        {function != nullptr ? function : "", file != nullptr ? file : "", line});
  };
  heap->describer(heap->describer_context, reinterpret_cast<rt_mutator*>(&m), sink, &out);
}

// The shape every report entry point shares: checks, then `make`'s text
// copied out as rt_heap_leak_report describes.
template <class Make>
rt_status report(const char* fn, rt_heap* heap, rt_mutator* m, uint32_t format, char* buffer,
                 size_t capacity, size_t* needed, Make make) {
  return guarded(fn, [&] {
    if (heap == nullptr) return null_argument(fn, "heap");
    if (needed == nullptr) return null_argument(fn, "needed");
    if (buffer == nullptr && capacity > 0) return null_argument(fn, "buffer");
    if (format != RT_REPORT_TEXT && format != RT_REPORT_JSON) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn, "format must be RT_REPORT_TEXT or RT_REPORT_JSON");
    }
    rh::MutatorRecord* r = nullptr;
    if (rt_status s = own(fn, m, heap, true, r); s != RT_OK) return s;
    std::string text = make(*r);
    *needed = text.size() + 1;
    if (capacity >= *needed) std::memcpy(buffer, text.c_str(), *needed);
    return RT_OK;
  });
}

}  // namespace

extern "C" {

rt_status rt_heap_write_snapshot(rt_heap* heap, rt_mutator* m, const char* path,
                                 rt_snapshot_info* out) noexcept {
  constexpr const char* fn = "rt_heap_write_snapshot";
  return guarded(fn, [&] {
    if (heap == nullptr) return null_argument(fn, "heap");
    if (path == nullptr) return null_argument(fn, "path");
    rh::MutatorRecord* r = nullptr;
    if (rt_status s = own(fn, m, heap, true, r); s != RT_OK) return s;
    auto info = rh::write_heap_snapshot(*heap->heap, *r, path);
    if (!info) return fail(RT_ERROR_INVALID_STATE, fn, info.error().describe());
    if (out == nullptr) return RT_OK;
    rt_snapshot_info c{sizeof c,      info->nodes, info->edges,
                       info->objects, info->bytes, info->extra_bytes};
    return write_struct(fn, "out", out, sizeof c, &c, sizeof c);
  });
}

rt_status rt_heap_sample_allocations(rt_heap* heap, rt_mutator* m, uint64_t mean_bytes) noexcept {
  constexpr const char* fn = "rt_heap_sample_allocations";
  return guarded(fn, [&] {
    if (heap == nullptr) return null_argument(fn, "heap");
    rh::MutatorRecord* r = nullptr;
    if (rt_status s = own(fn, m, heap, true, r); s != RT_OK) return s;
    rh::set_allocation_sampling(*heap->heap, *r, static_cast<std::size_t>(mean_bytes));
    return RT_OK;
  });
}

rt_status rt_heap_set_stack_describer(rt_heap* heap, rt_stack_describer fn_ptr,
                                      void* context) noexcept {
  constexpr const char* fn = "rt_heap_set_stack_describer";
  return guarded(fn, [&] {
    if (heap == nullptr) return null_argument(fn, "heap");
    // Cleared first, set last: a sample taken meanwhile sees either none or
    // this one whole (the sampler reads the C++ describer under its lock).
    rh::set_stack_describer(*heap->heap, nullptr, nullptr);
    if (fn_ptr == nullptr) return RT_OK;
    {
      std::lock_guard lock(heap->mu);
      heap->describer = fn_ptr;
      heap->describer_context = context;
    }
    rh::set_stack_describer(*heap->heap, &describe, heap);
    return RT_OK;
  });
}

rt_status rt_heap_write_allocation_profile(rt_heap* heap, rt_mutator* m, const char* path,
                                           rt_allocation_profile_info* out) noexcept {
  constexpr const char* fn = "rt_heap_write_allocation_profile";
  return guarded(fn, [&] {
    if (heap == nullptr) return null_argument(fn, "heap");
    if (path == nullptr) return null_argument(fn, "path");
    rh::MutatorRecord* r = nullptr;
    if (rt_status s = own(fn, m, heap, true, r); s != RT_OK) return s;
    auto info = rh::write_allocation_profile(*heap->heap, *r, path);
    if (!info) return fail(RT_ERROR_INVALID_STATE, fn, info.error().describe());
    if (out == nullptr) return RT_OK;
    rt_allocation_profile_info c{sizeof c, info->samples, info->live_samples, info->alloc_bytes,
                                 info->inuse_bytes};
    return write_struct(fn, "out", out, sizeof c, &c, sizeof c);
  });
}

rt_status rt_heap_start_leak_detection(rt_heap* heap) noexcept {
  constexpr const char* fn = "rt_heap_start_leak_detection";
  return guarded(fn, [&] {
    if (heap == nullptr) return null_argument(fn, "heap");
    rh::start_leak_detection(*heap->heap);
    return RT_OK;
  });
}

rt_status rt_heap_leak_report(rt_heap* heap, rt_mutator* m, uint32_t format, char* buffer,
                              size_t capacity, size_t* needed) noexcept {
  return report("rt_heap_leak_report", heap, m, format, buffer, capacity, needed,
                [&](rh::MutatorRecord& r) {
                  rh::LeakReport l = rh::leak_report(*heap->heap, r);
                  return format == RT_REPORT_JSON ? l.json() : l.text();
                });
}

rt_status rt_heap_analysis(rt_heap* heap, rt_mutator* m, uint32_t format, char* buffer,
                           size_t capacity, size_t* needed) noexcept {
  return report("rt_heap_analysis", heap, m, format, buffer, capacity, needed,
                [&](rh::MutatorRecord& r) {
                  rh::HeapAnalysis a = rh::analyze_heap(*heap->heap, r);
                  return format == RT_REPORT_JSON ? a.json() : a.text();
                });
}

rt_status rt_heap_retention(rt_heap* heap, rt_mutator* m, rt_value object, uint64_t* retained_bytes,
                            char* buffer, size_t capacity, size_t* needed) noexcept {
  if (retained_bytes == nullptr) return null_argument("rt_heap_retention", "retained_bytes");
  return report("rt_heap_retention", heap, m, RT_REPORT_TEXT, buffer, capacity, needed,
                [&](rh::MutatorRecord& r) {
                  rh::ObjectRetention o = rh::retention_of(*heap->heap, r, object);
                  *retained_bytes = o.retained_bytes;
                  std::string path;
                  for (std::size_t i = 0; i < o.path.size(); ++i) {
                    path += (i == 0 ? "" : " -> ") + o.path[i];
                  }
                  return path;
                });
}

}  // extern "C"
