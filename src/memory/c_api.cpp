// The heap's C ABI (include/runatime/c/heap.h) over runa::heap::Heap, built
// from the machinery every part's C ABI shares (services/c_abi.hpp).
//
// Every entry point is noexcept and runs its body inside guarded(): a C++
// exception (std::bad_alloc from a container, anything else) becomes a
// status and a message, never an unwinding across the C boundary. Checks
// that the C++ API leaves to the caller (or answers with abort()) are made
// here first, so that a C, Rust or generated caller gets an error instead:
// the mutator must be the calling thread's, running where the heap needs it;
// objects must be references into the heap with a registered type; ids and
// persistent slots must be live; handle scopes must close innermost first.
//
// State the C++ Heap does not keep for these checks lives beside it, in
// struct rt_heap (memory/c_api.hpp, shared with c_api_roots.cpp and
// c_api_collections.cpp: root-set ids, persistent slots, frame-enumerator thunks,
// the C finalizers of finalizable types, under `mu`), and in the calling
// thread's list of attachments (owner: the rt_heap; mutator: the record).
//
// Finalizers: every finalizable layout registered here gets the C++
// finalizer call_c_finalizer, which finds the rt_heap through
// HeapImpl::c_api and the C callback by the object's type, and enters the
// finalizer thread (which rt_attach never saw) into that thread's list of
// mutators, so that the callback may use its mutator with rt_* functions.
//
// Grown structs (rt_layout and rt_heap_stats in 1.1): their exported *_init
// functions of 1.0 write the 1.0 size only; the header routes callers to the
// *_init_sized functions, defined here with the 1.0 names in parentheses so
// that the header's macros do not apply.
//
// rt_mutator is the C view of Mutator: the pointer rt_attach returns IS the
// Mutator (a MutatorRecord's base), and the static_asserts below keep the
// two layouts identical.
#include "runatime.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "memory/c_api.hpp"
#include "memory/heap.hpp"
#include "memory/layouts.hpp"
#include "memory/mutators.hpp"
#include "runatime/heap.hpp"
#include "services/c_abi.hpp"

namespace rh = runa::heap;
using namespace runa::heap::capi;  // NOLINT(google-build-using-namespace): this file's own helpers

// ---- layouts shared with the C header ------------------------------------------

static_assert(std::is_standard_layout_v<rh::Mutator>);
static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t) &&
              std::atomic<std::uint32_t>::is_always_lock_free);
static_assert(sizeof(rt_mutator) == sizeof(rh::Mutator));
static_assert(alignof(rt_mutator) == alignof(rh::Mutator));
static_assert(offsetof(rt_mutator, cursor) == offsetof(rh::Mutator, cursor));
static_assert(offsetof(rt_mutator, limit) == offsetof(rh::Mutator, limit));
static_assert(offsetof(rt_mutator, poll) == offsetof(rh::Mutator, poll));
static_assert(offsetof(rt_mutator, handle_top) == offsetof(rh::Mutator, handle_top));
static_assert(offsetof(rt_mutator, handle_limit) == offsetof(rh::Mutator, handle_limit));
static_assert(std::is_same_v<rt_value, rh::Value>);
static_assert(RT_HEADER_UNLOGGED == rh::hdr::kUnlogged);
static_assert(RT_HEADER_TYPE_SHIFT == rh::hdr::kTypeShift);
static_assert(RT_LARGE_OBJECT_BYTES == rh::kLargeObject);
static_assert(RT_LAYOUT_PLAIN == static_cast<int>(rh::LayoutKind::kPlain));
static_assert(RT_LAYOUT_REF_ARRAY == static_cast<int>(rh::LayoutKind::kRefArray));
static_assert(RT_LAYOUT_BYTE_ARRAY == static_cast<int>(rh::LayoutKind::kByteArray));
static_assert(RT_LAYOUT_WEAK_REF == static_cast<int>(rh::LayoutKind::kWeakRef));
static_assert(RT_LAYOUT_EPHEMERON == static_cast<int>(rh::LayoutKind::kEphemeron));
static_assert(RT_LAYOUT_REF_TAIL == static_cast<int>(rh::LayoutKind::kRefTail));
static_assert(RT_LAYOUT_BYTE_TAIL == static_cast<int>(rh::LayoutKind::kByteTail));
static_assert(RT_CAUSE_EDEN_FULL == static_cast<int>(rh::CollectionCause::kEdenFull));
static_assert(RT_CAUSE_STRESS == static_cast<int>(rh::CollectionCause::kStress));
static_assert(RT_CAUSE_REQUESTED == static_cast<int>(rh::CollectionCause::kRequested));
static_assert(RT_CAUSE_OLD_GROWN == static_cast<int>(rh::CollectionCause::kOldGrown));
static_assert(RT_CAUSE_NO_ROOM == static_cast<int>(rh::CollectionCause::kNoRoom));
static_assert(RT_CAUSE_LARGE_FAILURE == static_cast<int>(rh::CollectionCause::kLargeFailure));

// The sizes of the growable structs in ABI 1.0: the least a caller may pass.
// Later minor versions append fields and keep these constants.
constexpr std::size_t kLayoutSize10 = 32;
static_assert(sizeof(rt_layout) == 72 && offsetof(rt_layout, finalizer) == kLayoutSize10);
static_assert(offsetof(rt_layout, descriptor) == 48);  // 1.3 fields after the 1.1 ones
static_assert(sizeof(rt_handle) == sizeof(rh::Value*));

namespace {

using runa::c_abi::fail;
using runa::c_abi::guarded;
using runa::c_abi::hex;
using runa::c_abi::init_struct;
using runa::c_abi::null_argument;
using runa::c_abi::read_struct;
using runa::c_abi::write_struct;

// ---- mutators -------------------------------------------------------------------------

// The mutators attached by this thread (services/c_abi.hpp), so that a
// mutator is used only by the thread that attached it (and a freed one is
// never dereferenced): owner is the rt_heap, mutator the MutatorRecord.
using runa::c_abi::Attachment;
using runa::c_abi::attachments;

rh::MutatorRecord* record_of(const Attachment& a) {
  return static_cast<rh::MutatorRecord*>(a.mutator);
}

rh::Mutator* as_mutator(rt_mutator* m) {
  return reinterpret_cast<rh::Mutator*>(m);
}

// Runs body(record) inside guarded() for a mutator the calling thread owns
// (checked as own() does), so that every entry point taking a mutator
// validates it the same way.
template <class Body>
rt_status with_mutator(const char* fn, rt_mutator* m, const rt_heap* heap, bool running,
                       Body body) {
  return guarded(fn, [&] {
    rh::MutatorRecord* r = nullptr;
    if (rt_status s = own(fn, m, heap, running, r); s != RT_OK) return s;
    return body(r);
  });
}

// Checks that `o` is a reference to an object of a registered type in h.
rt_status check_object(const char* fn, rh::HeapImpl& h, rt_value o, const rh::Layout*& layout) {
  if (!rh::is_ref(o)) {
    return fail(RT_ERROR_INVALID_ARGUMENT, fn, "object " + hex(o) + " is not a reference");
  }
  if (!h.region.contains(rh::as_object(o))) {
    return fail(RT_ERROR_INVALID_ARGUMENT, fn, "object " + hex(o) + " is not in this heap");
  }
  std::uint64_t header = rh::as_object(o)->load_header();
  layout = (header & rh::hdr::kForwarded) != 0 ? nullptr : h.layouts.find(rh::hdr::type_of(header));
  if (layout == nullptr) {
    return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                "object " + hex(o) + " has the header " + hex(header) +
                    ", which names no registered type (a stale reference?)");
  }
  return RT_OK;
}

bool fixed_size(rh::LayoutKind k) {
  return k == rh::LayoutKind::kPlain || k == rh::LayoutKind::kWeakRef ||
         k == rh::LayoutKind::kEphemeron;
}

const char* kind_name(rh::LayoutKind k) {
  switch (k) {
    case rh::LayoutKind::kPlain:
      return "plain";
    case rh::LayoutKind::kRefArray:
      return "ref array";
    case rh::LayoutKind::kByteArray:
      return "byte array";
    case rh::LayoutKind::kWeakRef:
      return "weak reference";
    case rh::LayoutKind::kEphemeron:
      return "ephemeron";
    case rh::LayoutKind::kRefTail:
      return "ref tail";
    case rh::LayoutKind::kByteTail:
      return "byte tail";
  }
  return "unknown";
}

// `slot` must be one of the reference slots of `o` (whose layout is `l`).
rt_status check_slot(const char* fn, const rh::Layout& l, rt_value o, const rt_value* slot) {
  rh::RefRange refs = rh::ref_slots(l, rh::as_object(o));
  if (slot >= refs.begin && slot < refs.end) return RT_OK;
  return fail(RT_ERROR_INVALID_ARGUMENT, fn,
              "slot " + hex(reinterpret_cast<std::uintptr_t>(slot)) +
                  " is not a reference slot of the " + kind_name(l.kind) + " '" + l.name + "' at " +
                  hex(o) + " (it has " + std::to_string(refs.end - refs.begin) + ")");
}

// An object (as check_object) of a ref array type.
rt_status check_ref_array(const char* fn, rh::HeapImpl& h, rt_value o, const rh::Layout*& l) {
  if (rt_status s = check_object(fn, h, o, l); s != RT_OK) return s;
  if (l->kind == rh::LayoutKind::kRefArray) return RT_OK;
  return fail(
      RT_ERROR_INVALID_ARGUMENT, fn,
      "object " + hex(o) + " is a " + kind_name(l->kind) + " '" + l->name + "', not a ref array");
}

std::uint64_t array_length(rt_value o) {
  return rh::array_length(rh::as_object(o));
}

// The registered layout of `type`, or an error.
rt_status find_layout(const char* fn, rh::HeapImpl& h, std::uint32_t type, const rh::Layout*& out) {
  out = h.layouts.find(type);
  if (out == nullptr) {
    return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                "type " + std::to_string(type) + " is not a registered layout");
  }
  return RT_OK;
}

// Bytes of an array or tailed object of `length` elements of layout l, or 0
// on overflow.
std::size_t array_bytes(const rh::Layout& l, std::uint64_t length) {
  constexpr std::uint64_t kMax = std::uint64_t{1} << 48;  // beyond any max_heap (16 TiB)
  if (length > kMax) return 0;
  switch (l.kind) {
    case rh::LayoutKind::kRefArray:
      return rh::ref_array_bytes(length);
    case rh::LayoutKind::kRefTail:
      return rh::ref_tail_bytes(l.size, length);
    case rh::LayoutKind::kByteTail:
      return rh::byte_tail_bytes(l.size, length);
    default:
      return rh::byte_array_bytes(length);
  }
}

rt_status out_of_memory(const char* fn, rh::HeapImpl& h, const rh::Layout& l, std::size_t bytes) {
  return fail(RT_ERROR_OUT_OF_MEMORY, fn,
              "out of memory: " + std::to_string(bytes) + " bytes of type '" + l.name +
                  "' do not fit the heap after collecting (max_heap " +
                  std::to_string(h.opt.max_heap) + " bytes)");
}

rt_status allocated(rh::Object* o, rt_value* out) {
  *out = rh::ref_value(o);
  return RT_OK;
}

// The position of (top, limit) in r's handle stack, increasing with the
// number of slots in use; SIZE_MAX when limit ends none of r's chunks.
std::size_t handle_position(const rh::MutatorRecord& r, const rh::Value* top,
                            const rh::Value* limit) {
  if (limit == nullptr) return 0;
  for (std::size_t i = 0; i < r.chunks.size(); ++i) {
    const rh::Value* b = r.chunks[i].get();
    if (b + rh::kHandleChunk == limit) {
      if (top < b || top > limit) return SIZE_MAX;
      return i * (rh::kHandleChunk + 1) + static_cast<std::size_t>(top - b) + 1;
    }
  }
  return SIZE_MAX;
}

// Enters `r` into the calling thread's attachments if rt_attach never saw
// it (the heap's finalizer thread), so that C code called with it may use
// it with rt_* functions, the inline rt_fast_allocate among them: its
// TLABs are zeroed from then on (heap.cpp, "Zeroing").
void enter_attachments(rt_heap* heap, rh::MutatorRecord& r) {
  auto& attached = attachments();
  if (std::none_of(attached.begin(), attached.end(),
                   [&](const Attachment& a) { return a.mutator == &r; })) {
    r.heap->zero_tlabs(r);
    attached.push_back({heap, &r});
  }
}

void call_c_finalizer(rh::Mutator& m, rh::Value* object) noexcept {
  rh::MutatorRecord& r = rh::record(m);
  auto* heap = static_cast<rt_heap*>(r.heap->c_api);
  enter_attachments(heap, r);
  CFinalizer f{};
  {
    std::lock_guard lock(heap->mu);
    f = heap->finalizers.at(rh::hdr::type_of(rh::as_object(*object)->load_header()));
  }
  f.fn(f.context, heap, reinterpret_cast<rt_mutator*>(&m), rt_handle{object});
}

// Whether the calling thread is `heap`'s finalizer thread.
bool on_finalizer_thread(const rt_heap* heap) {
  const auto& attached = attachments();
  return std::any_of(attached.begin(), attached.end(), [&](const Attachment& a) {
    return a.owner == heap && record_of(a)->finalizer_thread;
  });
}

// Objects of a finalizable type come from rt_allocate_finalizable only: any
// other allocation would never be finalized.
rt_status refuse_finalizable(const char* fn, const rh::Layout& l) {
  return fail(RT_ERROR_INVALID_ARGUMENT, fn,
              std::string("type '") + l.name +
                  "' is finalizable: allocate it with rt_allocate_finalizable (its finalizer would "
                  "never run)");
}

// The bytes of an object of layout `l` with `length` elements (arrays; 0
// for fixed-size types), or an error.
rt_status sized_object(const char* fn, rh::HeapImpl& h, const rh::Layout& l, std::uint64_t length,
                       std::size_t& bytes) {
  if (fixed_size(l.kind)) {
    if (length != 0) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  std::string("type '") + l.name + "' is not an array: length must be 0, not " +
                      std::to_string(length));
    }
    bytes = l.size;
    return RT_OK;
  }
  bytes = array_bytes(l, length);
  if (bytes == 0 || bytes > h.opt.max_heap) {
    return fail(RT_ERROR_OUT_OF_MEMORY, fn,
                "out of memory: an array of " + std::to_string(length) +
                    " elements is larger than the heap (max_heap " +
                    std::to_string(h.opt.max_heap) + " bytes)");
  }
  return RT_OK;
}

}  // namespace

// ---- helpers shared with c_api_collections.cpp (memory/c_api.hpp) ----------------

// Finds `m` among this thread's mutators (of `heap`, unless it is NULL);
// with `running`, also requires it not to be in native.
rt_status runa::heap::capi::own(const char* fn, rt_mutator* m, const rt_heap* heap, bool running,
                                rh::MutatorRecord*& out) {
  if (m == nullptr) return null_argument(fn, "mutator");
  auto& attached = attachments();
  auto it = std::find_if(attached.begin(), attached.end(), [&](const Attachment& a) {
    return &static_cast<rh::Mutator&>(*record_of(a)) == as_mutator(m);
  });
  if (it == attached.end()) {
    return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                "the mutator was not attached by the calling thread (or is detached)");
  }
  if (heap != nullptr && it->owner != heap) {
    return fail(RT_ERROR_INVALID_ARGUMENT, fn, "the mutator belongs to another heap");
  }
  if (running && record_of(*it)->state.load(std::memory_order_relaxed) != rh::kRunning) {
    return fail(RT_ERROR_INVALID_STATE, fn,
                "the thread is in a native region (call rt_leave_native first)");
  }
  out = record_of(*it);
  return RT_OK;
}

// own() for the calls a finalizer must not make with its mutator (the
// finalizer thread's mutator belongs to the heap): `why` says why not.
rt_status runa::heap::capi::own_outside_finalizers(const char* fn, rt_mutator* m,
                                                   const rt_heap* heap, const char* why,
                                                   rh::MutatorRecord*& out) {
  if (heap == nullptr) return null_argument(fn, "heap");
  if (rt_status s = own(fn, m, heap, true, out); s != RT_OK) return s;
  if (out->finalizer_thread) return fail(RT_ERROR_INVALID_STATE, fn, why);
  return RT_OK;
}

void runa::heap::capi::call_c_collection_callback(void* ctx, rh::Mutator& m,
                                                  const rh::CollectionEvent& e) {
  const auto* t = static_cast<const CallbackThunk*>(ctx);
  enter_attachments(t->heap, rh::record(m));
  rt_collection_event c{};
  c.size = sizeof c;
  c.kind = e.major ? RT_COLLECT_MAJOR : RT_COLLECT_MINOR;
  c.cause = static_cast<std::uint32_t>(e.cause);
  c.start_ns = e.start_ns;
  c.pause_ns = e.pause_ns;
  c.before_bytes = e.before_bytes;
  c.after_bytes = e.after_bytes;
  c.promoted_bytes = e.promoted_bytes;
  // Not touched after the call: a callback that removes itself frees t.
  t->fn(t->context, t->heap, reinterpret_cast<rt_mutator*>(&m), &c);
}

namespace {

// What `read` finds in the layout of object o, after the checks every
// object query makes.
template <class T, class F>
rt_status query_object(const char* fn, const rt_heap* heap, rt_value o, T* out, F read) {
  return guarded(fn, [&] {
    if (heap == nullptr) return null_argument(fn, "heap");
    if (out == nullptr) return null_argument(fn, "out");
    const rh::Layout* l = nullptr;
    if (rt_status s = check_object(fn, impl_of(*heap->heap), o, l); s != RT_OK) return s;
    *out = read(*l);
    return RT_OK;
  });
}

}  // namespace

extern "C" {

// ---- heaps -----------------------------------------------------------------------------

rt_status rt_heap_create(const rt_heap_options* options, rt_heap** out) noexcept {
  constexpr const char* fn = "rt_heap_create";
  return guarded(fn, [&] {
    if (out == nullptr) return null_argument(fn, "out");
    rh::Options o;
    if (rt_status s = read_options(fn, options, o); s != RT_OK) return s;
    auto wrapper = std::make_unique<rt_heap>();
    auto created = rh::Heap::create(o);
    if (!created.ok()) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn, created.error().describe());
    }
    wrapper->heap = std::move(created.value());
    impl_of(*wrapper->heap).c_api = wrapper.get();
    *out = wrapper.release();
    return RT_OK;
  });
}

rt_status rt_heap_destroy(rt_heap* heap) noexcept {
  constexpr const char* fn = "rt_heap_destroy";
  return guarded(fn, [&] {
    if (heap == nullptr) return null_argument(fn, "heap");
    if (on_finalizer_thread(heap)) {
      return fail(RT_ERROR_INVALID_STATE, fn, "called from a finalizer of this heap");
    }
    if (std::size_t n = impl_of(*heap->heap).safepoint.count(); n != 0) {
      return fail(RT_ERROR_INVALID_STATE, fn,
                  std::to_string(n) + " mutator(s) still attached: every thread must rt_detach");
    }
    delete heap;
    return RT_OK;
  });
}

// ---- layouts ---------------------------------------------------------------------------

rt_status rt_layout_init_sized(rt_layout* layout, size_t size) noexcept {
  constexpr const char* fn = "rt_layout_init";
  if (layout == nullptr) return null_argument(fn, "layout");
  rt_layout c{};
  c.kind = RT_LAYOUT_PLAIN;
  c.object_size = 8;
  return init_struct(fn, layout, size, kLayoutSize10, &c, sizeof c);
}

rt_status(rt_layout_init)(rt_layout* layout) noexcept {
  return rt_layout_init_sized(layout, kLayoutSize10);
}

rt_status rt_register_layout(rt_heap* heap, const rt_layout* layout, uint32_t* out_type) noexcept {
  constexpr const char* fn = "rt_register_layout";
  return guarded(fn, [&] {
    if (heap == nullptr) return null_argument(fn, "heap");
    if (layout == nullptr) return null_argument(fn, "layout");
    if (out_type == nullptr) return null_argument(fn, "out_type");
    rt_layout c{};
    c.object_size = 8;
    rt_status s = read_struct(fn, "layout", layout, layout->size, kLayoutSize10, &c, sizeof c);
    if (s != RT_OK) return s;
    if (c.kind > RT_LAYOUT_BYTE_TAIL) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  "layout kind " + std::to_string(c.kind) + " is not an rt_layout_kind");
    }
    if (c.finalizable != 0 && c.finalizer == nullptr && layout->size < sizeof(rt_layout)) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  "a finalizable layout needs a finalizer, a field since ABI 1.1 beyond this "
                  "layout's size (" +
                      std::to_string(layout->size) +
                      "): initialise it with rt_layout_init of a 1.1 header");
    }
    rh::Layout l;
    l.kind = static_cast<rh::LayoutKind>(c.kind);
    l.size = c.object_size;
    l.refs = c.refs;
    l.finalizable = c.finalizable != 0;
    l.finalizer = c.finalizer != nullptr ? &call_c_finalizer : nullptr;
    l.name = c.name != nullptr ? c.name : "";
    l.descriptor = c.descriptor;
    l.weak_fields = c.weak_fields;
    l.weak_count = c.weak_count;
    auto type = heap->heap->register_layout(l);
    if (!type.ok()) {
      // The layouts' own errors, or the finalizer thread that did not start.
      return fail(type.error().section == "layout" ? RT_ERROR_INVALID_ARGUMENT : RT_ERROR_INTERNAL,
                  fn, type.error().describe());
    }
    if (l.finalizable) {
      // No object of the type exists before *out_type is set: the callback is
      // in place before call_c_finalizer can look for it.
      std::lock_guard lock(heap->mu);
      heap->finalizers.emplace(*type, CFinalizer{c.finalizer, c.finalizer_context});
    }
    *out_type = *type;
    return RT_OK;
  });
}

rt_status rt_get_layout(const rt_heap* heap, uint32_t type, rt_layout* out) noexcept {
  constexpr const char* fn = "rt_get_layout";
  return guarded(fn, [&] {
    if (heap == nullptr) return null_argument(fn, "heap");
    if (out == nullptr) return null_argument(fn, "out");
    const rh::Layout* l = nullptr;
    rt_status s = find_layout(fn, impl_of(*heap->heap), type, l);
    if (s != RT_OK) return s;
    rt_layout c{};
    c.size = sizeof c;
    c.kind = static_cast<uint32_t>(l->kind);
    c.object_size = l->size;
    c.refs = l->refs;
    c.finalizable = l->finalizable ? 1 : 0;
    c.name = l->name;
    c.descriptor = l->descriptor;
    c.weak_fields = l->weak_fields;
    c.weak_count = l->weak_count;
    if (l->finalizable) {
      std::lock_guard lock(heap->mu);
      const CFinalizer& f = heap->finalizers.at(type);
      c.finalizer = f.fn;
      c.finalizer_context = f.context;
    }
    return write_struct(fn, "out", out, kLayoutSize10, &c, sizeof c);
  });
}

rt_status rt_descriptor_of(const rt_heap* heap, rt_value o, const void** out) noexcept {
  return query_object("rt_descriptor_of", heap, o, out,
                      [](const rh::Layout& l) { return l.descriptor; });
}

rt_status rt_object_size(const rt_heap* heap, rt_value o, size_t* out) noexcept {
  return query_object("rt_object_size", heap, o, out,
                      [&](const rh::Layout& l) { return rh::object_size(l, rh::as_object(o)); });
}

// ---- mutators ----------------------------------------------------------------------------

rt_status rt_attach(rt_heap* heap, rt_mutator** out) noexcept {
  constexpr const char* fn = "rt_attach";
  return guarded(fn, [&] {
    if (heap == nullptr) return null_argument(fn, "heap");
    if (out == nullptr) return null_argument(fn, "out");
    auto& attached = attachments();
    for (const Attachment& a : attached) {
      if (a.owner == heap) {
        return fail(RT_ERROR_INVALID_STATE, fn,
                    "the calling thread is already attached to this heap");
      }
    }
    attached.reserve(attached.size() + 1);  // the push_back below cannot throw
    rh::Mutator& m = heap->heap->attach();
    // rt_fast_allocate, inline in the caller's code, writes only the header.
    rh::record(m).heap->zero_tlabs(rh::record(m));
    attached.push_back({heap, &rh::record(m)});
    *out = reinterpret_cast<rt_mutator*>(&m);
    return RT_OK;
  });
}

rt_status rt_detach(rt_heap* heap, rt_mutator* m) noexcept {
  constexpr const char* fn = "rt_detach";
  return guarded(fn, [&] {
    rh::MutatorRecord* r = nullptr;
    if (rt_status s = own_outside_finalizers(
            fn, m, heap, "the finalizer thread's mutator belongs to the heap and is never detached",
            r);
        s != RT_OK) {
      return s;
    }
    // r's frame enumerators go before r does: once r is freed, another
    // thread's rt_attach may get its address. Each is taken out of r first
    // and its thunk freed after, so a collection that stops this thread
    // (in detach, or before) never calls a freed thunk.
    {
      std::lock_guard lock(heap->mu);
      std::erase_if(heap->frames, [&](const auto& f) {
        if (f.second->owner != r) return false;
        heap->heap->remove_frame_enumerator(*r, f.second->heap_id);
        return true;
      });
    }
    std::erase_if(attachments(), [&](const Attachment& a) { return a.mutator == r; });
    heap->heap->detach(*r);  // deletes r
    return RT_OK;
  });
}

rt_status rt_poll(rt_mutator* m) noexcept {
  constexpr const char* fn = "rt_poll";
  return with_mutator(fn, m, nullptr, true, [&](rh::MutatorRecord* r) {
    rh::poll(*r);
    return RT_OK;
  });
}

rt_status rt_safepoint_slow(rt_mutator* m) noexcept {
  constexpr const char* fn = "rt_safepoint_slow";
  return with_mutator(fn, m, nullptr, true, [&](rh::MutatorRecord* r) {
    rh::safepoint_slow(*r);
    return RT_OK;
  });
}

rt_status rt_enter_native(rt_mutator* m) noexcept {
  constexpr const char* fn = "rt_enter_native";
  return with_mutator(fn, m, nullptr, false, [&](rh::MutatorRecord* r) {
    if (r->state.load(std::memory_order_relaxed) != rh::kRunning) {
      return fail(RT_ERROR_INVALID_STATE, fn, "the thread is already in a native region");
    }
    rh::enter_native(*r);
    return RT_OK;
  });
}

rt_status rt_leave_native(rt_mutator* m) noexcept {
  constexpr const char* fn = "rt_leave_native";
  return with_mutator(fn, m, nullptr, false, [&](rh::MutatorRecord* r) {
    if (r->state.load(std::memory_order_relaxed) == rh::kRunning) {
      return fail(RT_ERROR_INVALID_STATE, fn, "the thread is not in a native region");
    }
    rh::leave_native(*r);
    return RT_OK;
  });
}

// ---- allocation ----------------------------------------------------------------------------

rt_status rt_allocate(rt_mutator* m, uint32_t type, rt_value* out) noexcept {
  constexpr const char* fn = "rt_allocate";
  return with_mutator(fn, m, nullptr, true, [&](rh::MutatorRecord* r) {
    if (out == nullptr) return null_argument(fn, "out");
    const rh::Layout* l = nullptr;
    if (rt_status s = find_layout(fn, *r->heap, type, l); s != RT_OK) return s;
    if (!fixed_size(l->kind)) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  std::string("type '") + l->name + "' is a " + kind_name(l->kind) +
                      ": use rt_allocate_array");
    }
    if (l->finalizable) return refuse_finalizable(fn, *l);
    rh::Object* o = rh::allocate(*r, type, l->size);
    if (o == nullptr) return out_of_memory(fn, *r->heap, *l, l->size);
    return allocated(o, out);
  });
}

rt_status rt_allocate_array(rt_mutator* m, uint32_t type, uint64_t length, rt_value* out) noexcept {
  constexpr const char* fn = "rt_allocate_array";
  return with_mutator(fn, m, nullptr, true, [&](rh::MutatorRecord* r) {
    if (out == nullptr) return null_argument(fn, "out");
    const rh::Layout* l = nullptr;
    if (rt_status s = find_layout(fn, *r->heap, type, l); s != RT_OK) return s;
    if (fixed_size(l->kind)) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  std::string("type '") + l->name + "' is a " + kind_name(l->kind) +
                      ", not an array: use rt_allocate");
    }
    if (l->finalizable) return refuse_finalizable(fn, *l);
    std::size_t bytes = 0;
    if (rt_status s = sized_object(fn, *r->heap, *l, length, bytes); s != RT_OK) return s;
    rh::Object* o = rh::allocate_array(*r, type, bytes, length);
    if (o == nullptr) return out_of_memory(fn, *r->heap, *l, bytes);
    return allocated(o, out);
  });
}

namespace {

// rt_allocate_large, rt_allocate_pinned and rt_allocate_finalizable: an
// object of any kind that `how` places; `finalizable` says which types the
// entry takes.
rt_status allocate_placed(const char* fn, rt_mutator* m, uint32_t type, uint64_t length,
                          rt_value* out,
                          rh::Object* (*how)(rh::Mutator&, std::uint32_t, std::size_t),
                          bool finalizable) {
  return with_mutator(fn, m, nullptr, true, [&](rh::MutatorRecord* r) {
    if (out == nullptr) return null_argument(fn, "out");
    const rh::Layout* l = nullptr;
    if (rt_status s = find_layout(fn, *r->heap, type, l); s != RT_OK) return s;
    if (l->finalizable && !finalizable) return refuse_finalizable(fn, *l);
    if (!l->finalizable && finalizable) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  std::string("type '") + l->name + "' is not finalizable");
    }
    std::size_t bytes = 0;
    if (rt_status s = sized_object(fn, *r->heap, *l, length, bytes); s != RT_OK) return s;
    rh::Object* o = how(*r, type, bytes);
    if (o == nullptr) return out_of_memory(fn, *r->heap, *l, bytes);
    if (!fixed_size(l->kind)) o->slots()[0] = length;
    return allocated(o, out);
  });
}

}  // namespace

rt_status rt_allocate_large(rt_mutator* m, uint32_t type, uint64_t length, rt_value* out) noexcept {
  return allocate_placed("rt_allocate_large", m, type, length, out, rh::allocate_large, false);
}

rt_status rt_allocate_pinned(rt_mutator* m, uint32_t type, uint64_t length,
                             rt_value* out) noexcept {
  return allocate_placed("rt_allocate_pinned", m, type, length, out, rh::allocate_pinned, false);
}

rt_status rt_allocate_finalizable(rt_mutator* m, uint32_t type, uint64_t length,
                                  rt_value* out) noexcept {
  return allocate_placed("rt_allocate_finalizable", m, type, length, out, rh::allocate_finalizable,
                         true);
}

rt_status rt_allocate_slow(rt_mutator* m, uint32_t type, size_t bytes, rt_value* out) noexcept {
  constexpr const char* fn = "rt_allocate_slow";
  return with_mutator(fn, m, nullptr, true, [&](rh::MutatorRecord* r) {
    if (out == nullptr) return null_argument(fn, "out");
    const rh::Layout* l = nullptr;
    if (rt_status s = find_layout(fn, *r->heap, type, l); s != RT_OK) return s;
    if (bytes % 8 != 0) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  std::to_string(bytes) + " bytes is not a multiple of 8");
    }
    if (fixed_size(l->kind) && bytes != l->size) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  std::to_string(bytes) + " bytes for type '" + l->name + "', whose size is " +
                      std::to_string(l->size));
    }
    if (!fixed_size(l->kind) && bytes < array_bytes(*l, 0)) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  std::to_string(bytes) + " bytes for the " + kind_name(l->kind) + " '" + l->name +
                      "': it takes at least " + std::to_string(array_bytes(*l, 0)) +
                      " (header, length and fixed fields)");
    }
    if (bytes > r->heap->opt.max_heap) return out_of_memory(fn, *r->heap, *l, bytes);
    rh::Object* o = rh::allocate_slow(*r, rh::hdr::make(type), bytes);
    if (o == nullptr) return out_of_memory(fn, *r->heap, *l, bytes);
    return allocated(o, out);
  });
}

// ---- write barrier ---------------------------------------------------------------------------

rt_status rt_write(rt_mutator* m, rt_value object, rt_value* slot, rt_value value) noexcept {
  constexpr const char* fn = "rt_write";
  return with_mutator(fn, m, nullptr, true, [&](rh::MutatorRecord* r) {
    if (slot == nullptr) return null_argument(fn, "slot");
    const rh::Layout* l = nullptr;
    if (rt_status s = check_object(fn, *r->heap, object, l); s != RT_OK) return s;
    if (rt_status s = check_slot(fn, *l, object, slot); s != RT_OK) return s;
    rh::write(*r, rh::as_object(object), slot, value);
    return RT_OK;
  });
}

rt_status rt_log_store(rt_mutator* m, rt_value object, rt_value* slot) noexcept {
  constexpr const char* fn = "rt_log_store";
  return with_mutator(fn, m, nullptr, true, [&](rh::MutatorRecord* r) {
    if (slot == nullptr) return null_argument(fn, "slot");
    const rh::Layout* l = nullptr;
    if (rt_status s = check_object(fn, *r->heap, object, l); s != RT_OK) return s;
    if (rt_status s = check_slot(fn, *l, object, slot); s != RT_OK) return s;
    if ((rh::as_object(object)->load_header() & rh::hdr::kUnlogged) != 0) {
      rh::log_store(*r, rh::as_object(object), slot);
    }
    return RT_OK;
  });
}

rt_status rt_copy_elements(rt_mutator* m, rt_value dst, uint64_t dst_index, rt_value src,
                           uint64_t src_index, uint64_t count) noexcept {
  constexpr const char* fn = "rt_copy_elements";
  return with_mutator(fn, m, nullptr, true, [&](rh::MutatorRecord* r) {
    const rh::Layout* l = nullptr;
    if (rt_status s = check_ref_array(fn, *r->heap, dst, l); s != RT_OK) return s;
    if (rt_status s = check_ref_array(fn, *r->heap, src, l); s != RT_OK) return s;
    if (!rh::copy_elements(*r, rh::as_object(dst), dst_index, rh::as_object(src), src_index,
                           count)) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  "cannot copy " + std::to_string(count) + " elements from index " +
                      std::to_string(src_index) + " of " + std::to_string(array_length(src)) +
                      " to index " + std::to_string(dst_index) + " of " +
                      std::to_string(array_length(dst)));
    }
    return RT_OK;
  });
}

rt_status rt_fill_elements(rt_mutator* m, rt_value array, uint64_t index, uint64_t count,
                           rt_value value) noexcept {
  constexpr const char* fn = "rt_fill_elements";
  return with_mutator(fn, m, nullptr, true, [&](rh::MutatorRecord* r) {
    const rh::Layout* l = nullptr;
    if (rt_status s = check_ref_array(fn, *r->heap, array, l); s != RT_OK) return s;
    if (!rh::fill_elements(*r, rh::as_object(array), index, count, value)) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  "cannot fill " + std::to_string(count) + " elements from index " +
                      std::to_string(index) + " of " + std::to_string(array_length(array)));
    }
    return RT_OK;
  });
}

rt_status rt_log_object(rt_mutator* m, rt_value object) noexcept {
  constexpr const char* fn = "rt_log_object";
  return with_mutator(fn, m, nullptr, true, [&](rh::MutatorRecord* r) {
    const rh::Layout* l = nullptr;
    if (rt_status s = check_object(fn, *r->heap, object, l); s != RT_OK) return s;
    if ((rh::as_object(object)->load_header() & rh::hdr::kUnlogged) != 0) {
      rh::log_object(*r, rh::as_object(object));
    }
    return RT_OK;
  });
}

// ---- identity hashes ---------------------------------------------------------------------------

rt_status rt_identity_hash(rt_mutator* m, rt_value object, uint32_t* out) noexcept {
  constexpr const char* fn = "rt_identity_hash";
  return with_mutator(fn, m, nullptr, true, [&](rh::MutatorRecord* r) {
    if (out == nullptr) return null_argument(fn, "out");
    const rh::Layout* l = nullptr;
    if (rt_status s = check_object(fn, *r->heap, object, l); s != RT_OK) return s;
    *out = rh::identity_hash(rh::as_object(object));
    return RT_OK;
  });
}

// ---- handles -----------------------------------------------------------------------------------

rt_status rt_handle_scope_open(rt_mutator* m, rt_handle_scope* scope) noexcept {
  constexpr const char* fn = "rt_handle_scope_open";
  return with_mutator(fn, m, nullptr, true, [&](rh::MutatorRecord* r) {
    if (scope == nullptr) return null_argument(fn, "scope");
    scope->mutator = m;
    scope->top = r->handle_top;
    scope->limit = r->handle_limit;
    return RT_OK;
  });
}

rt_status rt_handle_scope_close(rt_handle_scope* scope) noexcept {
  constexpr const char* fn = "rt_handle_scope_close";
  return guarded(fn, [&] {
    if (scope == nullptr) return null_argument(fn, "scope");
    if (scope->mutator == nullptr) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn, "the scope is already closed (or never opened)");
    }
    rh::MutatorRecord* r = nullptr;
    rt_status s = own(fn, scope->mutator, nullptr, true, r);
    if (s != RT_OK) return s;
    std::size_t mine = handle_position(*r, scope->top, scope->limit);
    if (mine == SIZE_MAX) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn, "the scope was not opened on this mutator");
    }
    if (mine > handle_position(*r, r->handle_top, r->handle_limit)) {
      return fail(RT_ERROR_INVALID_STATE, fn,
                  "scopes closed out of order: a scope opened inside this one was closed "
                  "after an outer one; close the innermost scope first");
    }
    r->handle_top = scope->top;
    r->handle_limit = scope->limit;
    scope->mutator = nullptr;
    return RT_OK;
  });
}

rt_status rt_handle_new(rt_mutator* m, rt_value value, rt_handle* out) noexcept {
  constexpr const char* fn = "rt_handle_new";
  return with_mutator(fn, m, nullptr, true, [&](rh::MutatorRecord* r) {
    if (out == nullptr) return null_argument(fn, "out");
    rh::Value* slot = rh::new_handle(*r);
    *slot = value;
    out->slot = slot;
    return RT_OK;
  });
}

rt_status rt_handle_get(rt_handle handle, rt_value* out) noexcept {
  if (handle.slot == nullptr) return null_argument("rt_handle_get", "handle.slot");
  if (out == nullptr) return null_argument("rt_handle_get", "out");
  *out = *handle.slot;
  return RT_OK;
}

rt_status rt_handle_set(rt_handle handle, rt_value value) noexcept {
  if (handle.slot == nullptr) return null_argument("rt_handle_set", "handle.slot");
  *handle.slot = value;
  return RT_OK;
}

rt_status rt_persistent_new(rt_heap* heap, rt_value value, rt_persistent* out) noexcept {
  constexpr const char* fn = "rt_persistent_new";
  return guarded(fn, [&] {
    if (heap == nullptr) return null_argument(fn, "heap");
    if (out == nullptr) return null_argument(fn, "out");
    std::lock_guard lock(heap->mu);
    heap->persistents.reserve(heap->persistents.size() + 1);  // the insert cannot throw
    rh::Value* slot = heap->heap->new_persistent(value);
    heap->persistents.insert(slot);
    out->slot = slot;
    return RT_OK;
  });
}

rt_status rt_persistent_get(rt_persistent p, rt_value* out) noexcept {
  if (p.slot == nullptr) return null_argument("rt_persistent_get", "p.slot");
  if (out == nullptr) return null_argument("rt_persistent_get", "out");
  *out = *p.slot;
  return RT_OK;
}

rt_status rt_persistent_set(rt_persistent p, rt_value value) noexcept {
  if (p.slot == nullptr) return null_argument("rt_persistent_set", "p.slot");
  *p.slot = value;
  return RT_OK;
}

rt_status rt_persistent_free(rt_heap* heap, rt_persistent p) noexcept {
  constexpr const char* fn = "rt_persistent_free";
  return guarded(fn, [&] {
    if (heap == nullptr) return null_argument(fn, "heap");
    if (p.slot == nullptr) return null_argument(fn, "p.slot");
    std::lock_guard lock(heap->mu);
    if (heap->persistents.erase(p.slot) == 0) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  "not a live persistent handle of this heap (freed already?)");
    }
    heap->heap->free_persistent(p.slot);
    return RT_OK;
  });
}

}  // extern "C"
