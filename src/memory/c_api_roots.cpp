// The heap C ABI's roots beside handles: registered root sets, the root
// visitor frame enumerators are given, and the frame enumerators
// themselves (keyed by a serial unique for the heap's life: memory/c_api.hpp).
// The rules every entry point follows are in c_api.cpp.
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "memory/c_api.hpp"
#include "memory/heap.hpp"
#include "services/c_abi.hpp"

namespace rh = runa::heap;
using runa::c_abi::fail;
using runa::c_abi::guarded;
using runa::c_abi::null_argument;
using runa::heap::capi::FrameThunk;
using runa::heap::capi::own;

namespace {

void call_frame_enumerator(void* ctx, rh::RootVisitor& v) {
  auto* t = static_cast<FrameThunk*>(ctx);
  t->fn(t->context, reinterpret_cast<rt_root_visitor*>(&v));
}

}  // namespace

extern "C" {

rt_status rt_roots_add(rt_heap* heap, rt_value* slots, size_t count, uint64_t* out_id) noexcept {
  constexpr const char* fn = "rt_roots_add";
  return guarded(fn, [&] {
    if (heap == nullptr) return null_argument(fn, "heap");
    if (slots == nullptr && count != 0) return null_argument(fn, "slots");
    if (out_id == nullptr) return null_argument(fn, "out_id");
    std::lock_guard lock(heap->mu);
    heap->root_ids.reserve(heap->root_ids.size() + 1);  // the insert cannot throw
    std::uint64_t id = heap->heap->add_roots(slots, count);
    heap->root_ids.insert(id);
    *out_id = id;
    return RT_OK;
  });
}

rt_status rt_roots_remove(rt_heap* heap, uint64_t id) noexcept {
  constexpr const char* fn = "rt_roots_remove";
  return guarded(fn, [&] {
    if (heap == nullptr) return null_argument(fn, "heap");
    std::lock_guard lock(heap->mu);
    if (heap->root_ids.erase(id) == 0) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  "root set " + std::to_string(id) + " is not registered (removed already?)");
    }
    heap->heap->remove_roots(id);
    return RT_OK;
  });
}

void rt_root_visit(rt_root_visitor* visitor, rt_value* slot) noexcept {
  if (visitor != nullptr && slot != nullptr) {
    reinterpret_cast<rh::RootVisitor*>(visitor)->visit(slot);
  }
}

void rt_root_visit_range(rt_root_visitor* visitor, rt_value* slots, size_t count) noexcept {
  if (visitor != nullptr && slots != nullptr) {
    reinterpret_cast<rh::RootVisitor*>(visitor)->visit_range(slots, count);
  }
}

rt_status rt_frame_enumerator_add(rt_heap* heap, rt_mutator* m, rt_frame_enumerator fn_ptr,
                                  void* context, uint64_t* out_id) noexcept {
  constexpr const char* fn = "rt_frame_enumerator_add";
  return guarded(fn, [&] {
    if (heap == nullptr) return null_argument(fn, "heap");
    rh::MutatorRecord* r = nullptr;
    rt_status s = own(fn, m, heap, true, r);
    if (s != RT_OK) return s;
    if (fn_ptr == nullptr) return null_argument(fn, "fn");
    if (out_id == nullptr) return null_argument(fn, "out_id");
    auto thunk = std::make_unique<FrameThunk>(FrameThunk{fn_ptr, context, r, 0});
    std::lock_guard lock(heap->mu);
    std::uint64_t serial = heap->next_frame_serial;
    FrameThunk* t = heap->frames.emplace(serial, std::move(thunk)).first->second.get();
    try {
      t->heap_id = heap->heap->add_frame_enumerator(*r, &call_frame_enumerator, t);
    } catch (...) {
      heap->frames.erase(serial);
      throw;
    }
    ++heap->next_frame_serial;
    *out_id = serial;
    return RT_OK;
  });
}

rt_status rt_frame_enumerator_remove(rt_heap* heap, rt_mutator* m, uint64_t id) noexcept {
  constexpr const char* fn = "rt_frame_enumerator_remove";
  return guarded(fn, [&] {
    if (heap == nullptr) return null_argument(fn, "heap");
    rh::MutatorRecord* r = nullptr;
    rt_status s = own(fn, m, heap, true, r);
    if (s != RT_OK) return s;
    std::lock_guard lock(heap->mu);
    auto it = heap->frames.find(id);
    if (it == heap->frames.end() || it->second->owner != r) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  "frame enumerator " + std::to_string(id) +
                      " is not registered for this mutator (removed already?)");
    }
    heap->heap->remove_frame_enumerator(*r, it->second->heap_id);
    heap->frames.erase(it);
    return RT_OK;
  });
}

}  // extern "C"
