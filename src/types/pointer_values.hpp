// Pointer values: a runtime thing as a value a program holds — a Type value
// (IMPORT of a module's type, reflection natives) wraps a type descriptor,
// a Module value (LOAD_MODULE's result) wraps the bridge's loaded module
// (docs/types.md, "Type and Module values").
//
//   value  plain object (layout "Type" or "Module"), no references: the raw
//          word of the thing's address. The things live as long as the
//          runtime (descriptors in the registry, modules in the bridge),
//          which outlives every object of the heap.
//
// Invariants:
//   - One value per thing, made on first use and kept for the heap's life
//     (a persistent handle), so EQ on them is identity and a Dictionary
//     keyed by types or modules works.
//   - `made_` is only read and written under `mu_`, and nothing under it
//     allocates or polls: a mutator blocked on the lock waits only for
//     another's table lookup, never for a collection. Two threads that miss
//     at once both allocate; the second to lock keeps the first one's value.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "runatime/heap.hpp"
#include "runatime/result.hpp"
#include "runatime/values.hpp"

namespace runa::types {

class PointerValues {
 public:
  // Registers the layout `name` with `heap`. Never collects.
  static Result<std::unique_ptr<PointerValues>> create(heap::Heap& heap, const char* name);

  [[nodiscard]] bool is_value(Value v) const {
    return heap::is_ref(v) && heap::hdr::type_of(heap::as_object(v)->load_header()) == type_;
  }
  // The value of `thing`; nothing when the heap is exhausted. MAY COLLECT.
  Value get(heap::Mutator& m, const void* thing);
  // The thing a value stands for. Never collects.
  [[nodiscard]] static const void* pointer(Value v);

 private:
  PointerValues(heap::Heap& heap, std::uint32_t type) : heap_(heap), type_(type) {}

  heap::Heap& heap_;
  std::uint32_t type_;
  std::mutex mu_;
  std::unordered_map<const void*, heap::Persistent> made_;
};

}  // namespace runa::types
