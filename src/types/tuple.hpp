// Tuples: Runa's Tuple — a fixed sequence of values, immutable once made
// (docs/types.md, "Tuple"). A reference array of layout "Tuple".
//
// A Tuple is hashable when its elements are, and two Tuples are one key
// when their elements are, in order (keys.hpp). So that hashing never
// allocates, String elements are stored flat: make() flattens ropes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "runatime/heap.hpp"
#include "runatime/result.hpp"
#include "types/keys.hpp"

namespace runa::types {

class Tuples {
 public:
  // Registers the layout with `heap` and tells `rules` about Tuples.
  // Never collects.
  static Result<Tuples> create(heap::Heap& heap, KeyRules& rules);

  [[nodiscard]] bool is_tuple(Value v) const {
    return heap::is_ref(v) && heap::hdr::type_of(heap::as_object(v)->load_header()) == type_;
  }
  // A Tuple of the values in the handle slots `items` (Strings flattened);
  // nothing when the heap is exhausted. MAY COLLECT.
  Value make(heap::Mutator& m, std::span<Value* const> items) const;

  [[nodiscard]] static std::uint64_t size(Value tuple) {
    return heap::array_length(heap::as_object(tuple));
  }
  [[nodiscard]] static std::optional<Value> get(Value tuple, std::uint64_t i) {
    if (i >= size(tuple)) return std::nullopt;
    return heap::array_slots(heap::as_object(tuple))[i];
  }

 private:
  Tuples(std::uint32_t type, const Strings* strings) : type_(type), strings_(strings) {}
  std::uint32_t type_;
  const Strings* strings_;
};

}  // namespace runa::types
