// MethodCache: the global cache of method lookups by (receiver type,
// selector), for megamorphic call sites and calls by name (docs/types.md,
// "Dispatch"). A direct-mapped table of a fixed power-of-two size; a
// collision replaces the older entry.
//
// Protocol. Each entry is one atomic pointer to a Binding, the vtable slot
// of the receiver's descriptor that answered the lookup: immutable and as
// long-lived as the descriptor. A reader loads the pointer once (acquire)
// and checks the binding's receiver and selector, so it can never combine
// the key of one write with the method of another; the interleaving that
// would break an entry of two separate words (key and method, with a writer
// replacing both between a reader's two loads) cannot happen. Writers
// race freely: the last store wins, and either binding is right for its own
// key.
//
// The table is made at the first miss, not with the cache: zeroing its
// 32 KiB wrote 8 pages at every start-up (8 page faults, a tenth of
// `runa run` hello world's own), and a program without a megamorphic site
// or a call by name never looks up. Two threads missing first may both
// make one; a compare-and-swap keeps the first and the other is freed
// unread. Filling allocates only that once.
#pragma once

#include <atomic>
#include <cstdint>

#include "types/type_desc.hpp"

namespace runa::types {

class MethodCache {
 public:
  explicit MethodCache(unsigned log2_entries = 12);
  ~MethodCache();
  MethodCache(const MethodCache&) = delete;
  MethodCache& operator=(const MethodCache&) = delete;
  MethodCache(MethodCache&&) = delete;
  MethodCache& operator=(MethodCache&&) = delete;

  // The method `selector` names on `type`; nullptr when it has none.
  [[nodiscard]] const MethodDesc* lookup(const TypeDesc* type, std::uint32_t selector) {
    std::atomic<const Binding*>* entries = entries_.load(std::memory_order_acquire);
    if (entries == nullptr) [[unlikely]]
      entries = make_entries();
    std::atomic<const Binding*>& e = entries[index_of(type, selector)];
    const Binding* b = e.load(std::memory_order_acquire);
    if (b != nullptr && b->receiver == type && b->selector == selector) return b->method;
    return fill(type, selector, e);
  }

  [[nodiscard]] std::uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  [[nodiscard]] std::size_t index_of(const TypeDesc* type, std::uint32_t selector) const {
    const std::uint64_t key = (std::uint64_t{type->serial} << 32) | selector;
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> shift_);
  }
  const MethodDesc* fill(const TypeDesc* type, std::uint32_t selector,
                         std::atomic<const Binding*>& e);
  // The table, made (all entries empty) and published by the first caller.
  std::atomic<const Binding*>* make_entries();

  unsigned shift_;
  std::atomic<std::atomic<const Binding*>*> entries_{nullptr};  // null until the first lookup
  std::atomic<std::uint64_t> misses_{0};
};

}  // namespace runa::types
