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
// key. Filling never allocates.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "types/type_desc.hpp"

namespace runa::types {

class MethodCache {
 public:
  explicit MethodCache(unsigned log2_entries = 12);

  // The method `selector` names on `type`; nullptr when it has none.
  [[nodiscard]] const MethodDesc* lookup(const TypeDesc* type, std::uint32_t selector) {
    std::atomic<const Binding*>& e = entries_[index_of(type, selector)];
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

  unsigned shift_;
  std::unique_ptr<std::atomic<const Binding*>[]> entries_;
  std::atomic<std::uint64_t> misses_{0};
};

}  // namespace runa::types
