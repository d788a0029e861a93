// The loop's inline caches (code.hpp keeps their records): a field
// site's struct layout and a method site's (receiver key, function) pairs.
// Shared by every thread running the Code: a hit only reads, a miss writes
// one atomic word or publishes one immutable record.
#pragma once

#include "code.hpp"

namespace runa::tier0 {

// Whether `o` is a struct with field `field`: the heap type the site cached,
// or else the runtime's answer, then cached (written only on a miss, so
// threads hitting the same site share its cache line read-only). Never
// collects.
[[gnu::always_inline]] inline bool has_field(rt::Runtime& rt, FieldCache& cache, Value o,
                                             std::uint32_t field) {
  if (o == types::kNothing || !heap::is_ref(o)) return false;
  const std::uint32_t type = heap::hdr::type_of(heap::as_object(o)->load_header());
  if (type == cache.layout.load(std::memory_order_relaxed)) [[likely]]
    return true;
  if (ops::struct_fields(rt, o) <= static_cast<std::int64_t>(field)) return false;
  cache.layout.store(type, std::memory_order_relaxed);
  return true;
}

// Whether o is a struct of the heap type the site cached. Never collects.
[[gnu::always_inline]] inline bool cached_struct(const FieldCache& cache, Value o) {
  return o != types::kNothing && heap::is_ref(o) &&
         heap::hdr::type_of(heap::as_object(o)->load_header()) ==
             cache.layout.load(std::memory_order_relaxed);
}

// STORE_FIELD's check on a miss: the runtime's answer (which also enforces
// READONLY for the site's function), cached when yes; false after raising
// TypeError. Never collects unless it raises.
inline bool storable(rt::Thread& t, FieldCache& cache, Value o, std::uint32_t field,
                     const rt::FunctionInfo& in) {
  if (o == types::kNothing || !heap::is_ref(o)) return ops::bad_field(t, o, field, true);
  if (!ops::field_storable(t, o, field, in)) return false;
  cache.layout.store(heap::hdr::type_of(heap::as_object(o)->load_header()),
                     std::memory_order_relaxed);
  return true;
}

// The key a method site caches a receiver under: the heap type of an
// object, or the tag of an immediate (above every heap type).
inline std::uint64_t receiver_key(Value v) {
  if (v != types::kNothing && heap::is_ref(v))
    return heap::hdr::type_of(heap::as_object(v)->load_header());
  return (std::uint64_t{1} << 40) | (v & types::kTagMask) | (v == types::kNothing ? 8 : 0);
}

inline const rt::FunctionInfo* cached_method(const MethodCache& c, std::uint64_t key) {
  for (const auto& slot : c.entries) {
    const MethodEntry* e = slot.load(std::memory_order_acquire);
    if (e == nullptr) return nullptr;
    if (e->key == key) return e->function;
  }
  return nullptr;
}

inline void remember_method(const Code& code, MethodCache& c, std::uint64_t key,
                            const rt::FunctionInfo* f) {
  std::lock_guard lock(code.records_mu);
  for (auto& slot : c.entries) {
    if (slot.load(std::memory_order_relaxed) != nullptr) continue;
    code.records.push_back(std::make_unique<MethodEntry>(MethodEntry{key, f}));
    slot.store(code.records.back().get(), std::memory_order_release);
    return;
  }  // full: megamorphic, ops::method's global cache serves the site
}

}  // namespace runa::tier0
