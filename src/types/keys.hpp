// Keys: equality and hashing of values as the Dictionary and Set use them
// (docs/types.md, "What the bytecode leaves open" and "Hashing").
//
// Rules (each one a decision of docs/types.md):
//   - numbers are equal when their exact values are (Integer 1, Float 1.0
//     and a boxed 1 are one key), and equal numbers hash equal: a Float that
//     is an Integer hashes as that Integer, -0.0 as 0;
//   - every NaN is the same key (EQ would say NaN is unequal to itself);
//   - Strings by content; a Character equals the String of exactly that one
//     Character and hashes as it;
//   - nothing, Booleans: by their word;
//   - Tuples by their elements (hashable when all their elements are);
//   - other objects by identity (their identity hash, stable across moves),
//     except the mutable containers, which are not hashable (TypeError).
//
// Strings must be flat here (Strings::flatten first): comparing a rope
// would allocate. Nothing here collects.
#pragma once

#include <cstdint>
#include <optional>

#include "runatime/values.hpp"
#include "types/strings.hpp"
#include "types/text_hash.hpp"

// hash_int hashes an Integer as this word (text_hash.hpp).
static_assert(runa::types::make_small_int(-5) == (static_cast<std::uint64_t>(-5) << 3 | 1));

namespace runa::types {

struct KeyRules {
  const Context* cx = nullptr;
  const Strings* strings = nullptr;
  // Heap types whose instances are not hashable (List, Dictionary, Set);
  // 0 entries unused.
  std::uint32_t unhashable[4] = {};
  std::uint32_t tuple_type = 0;  // Tuples: reference arrays compared by element

  // Makes instances of heap type `type` unhashable (a mutable container).
  void forbid(std::uint32_t type);
  [[nodiscard]] bool hashable(Value v) const;
  // The key's hash; v is hashable, and flat if a String. Small Integers,
  // the commonest keys, inline.
  [[nodiscard]] std::uint64_t hash(Value v) const {
    return is_small_int(v) ? hash_small_int(v) : hash_other(v);
  }
  // Key equality; both hashable (Strings flat).
  [[nodiscard]] bool equal(Value a, Value b) const {
    if (a == b) return true;
    if (both_small_ints(a, b)) return false;
    return equal_slow(a, b);
  }

 private:
  [[nodiscard]] std::uint64_t hash_other(Value v) const;
  [[nodiscard]] bool equal_slow(Value a, Value b) const;
  [[nodiscard]] bool is_tuple(Value v) const {
    return tuple_type != 0 && heap::is_ref(v) &&
           heap::hdr::type_of(heap::as_object(v)->load_header()) == tuple_type;
  }
};

}  // namespace runa::types
