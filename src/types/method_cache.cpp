#include "types/method_cache.hpp"

namespace runa::types {

MethodCache::MethodCache(unsigned log2_entries)
    : shift_(64 - log2_entries),
      entries_(new std::atomic<const Binding*>[std::size_t{1} << log2_entries]) {
  for (std::size_t i = 0; i < (std::size_t{1} << log2_entries); ++i) {
    entries_[i].store(nullptr, std::memory_order_relaxed);
  }
}

const MethodDesc* MethodCache::fill(const TypeDesc* type, std::uint32_t selector,
                                    std::atomic<const Binding*>& e) {
  misses_.fetch_add(1, std::memory_order_relaxed);
  auto it = type->slots_by_selector.find(selector);
  // Absent methods are not cached: calling one raises TypeError, not a path
  // worth making fast.
  if (it == type->slots_by_selector.end()) return nullptr;
  const Binding& b = type->vtable[it->second];
  e.store(&b, std::memory_order_release);
  return b.method;
}

}  // namespace runa::types
