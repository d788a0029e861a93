// Type values: a type as a value a program holds — what IMPORT gives for a
// module's type and what reflection natives take and return (docs/types.md,
// "Type values").
//
//   type value  plain object (layout "Type"), no references: the raw word
//               of its descriptor's address. Descriptors live as long as
//               the registry, which outlives every object of the heap.
//
// Invariants:
//   - One Type value per descriptor, made on first use and kept for the
//     heap's life (a persistent handle), so EQ on Type values is identity
//     and a Dictionary keyed by types works.
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
#include "types/type_desc.hpp"

namespace runa::types {

class TypeValues {
 public:
  // Registers the layout with `heap`. Never collects.
  static Result<std::unique_ptr<TypeValues>> create(heap::Heap& heap);

  [[nodiscard]] bool is_type_value(Value v) const {
    return heap::is_ref(v) && heap::hdr::type_of(heap::as_object(v)->load_header()) == type_;
  }
  // The Type value of `t`; nothing when the heap is exhausted. MAY COLLECT.
  Value get(heap::Mutator& m, const TypeDesc* t);
  // The descriptor a Type value stands for. Never collects.
  [[nodiscard]] static const TypeDesc* descriptor(Value type_value);

 private:
  TypeValues(heap::Heap& heap, std::uint32_t type) : heap_(heap), type_(type) {}

  heap::Heap& heap_;
  std::uint32_t type_;
  std::mutex mu_;
  std::unordered_map<const TypeDesc*, heap::Persistent> made_;
};

}  // namespace runa::types
