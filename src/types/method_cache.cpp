// MethodCache (method_cache.hpp): the lazily made table and its misses.
#include "types/method_cache.hpp"

namespace runa::types {

MethodCache::MethodCache(unsigned log2_entries) : shift_(64 - log2_entries) {}

MethodCache::~MethodCache() {
  delete[] entries_.load(std::memory_order_relaxed);
}

std::atomic<const Binding*>* MethodCache::make_entries() {
  const std::size_t n = std::size_t{1} << (64 - shift_);
  auto* made = new std::atomic<const Binding*>[n];
  for (std::size_t i = 0; i < n; ++i) made[i].store(nullptr, std::memory_order_relaxed);
  std::atomic<const Binding*>* expected = nullptr;
  // Release: a reader that sees the table sees its empty entries.
  if (entries_.compare_exchange_strong(expected, made, std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
    return made;
  }
  delete[] made;
  return expected;
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
