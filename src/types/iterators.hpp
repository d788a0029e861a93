// Iterators: what ITER_CREATE makes and ITER_NEXT steps (docs/bytecode.md
// §2.5.4; docs/types.md, "Iterators").
//
//   iterator  plain object (layout "Iterator"): the reference `source` (the
//             List, Dictionary, Set, Tuple or flat String iterated), then
//             the raw words `kind`, `position` and `version`.
//
// What a step yields: a List's and a Tuple's items in order, a
// Dictionary's keys and a Set's members in insertion order, a String's
// Characters. `position` is an item index, a Dictionary cursor's position,
// or a byte offset into the String.
//
// Invariants:
//   - `version` is the List's or Dictionary's version when the iterator
//     was made; a step that finds it changed reports kModified (the tier
//     raises ValueError) and stays modified. Tuples and Strings are
//     immutable: nothing to check.
//   - A String is flattened when the iterator is made, so a step never
//     allocates. No step collects.
//   - ITER_CREATE of an iterator is that iterator (§2.5.4). Generators and
//     struct iterators (methods iterator, has_next, next) are the tier's:
//     they need calls; make() reports kNotIterable for them and the tier
//     handles struct instances before asking.
#pragma once

#include <cstdint>

#include "runatime/heap.hpp"
#include "runatime/result.hpp"
#include "types/dictionary.hpp"
#include "types/list.hpp"
#include "types/strings.hpp"
#include "types/tuple.hpp"

namespace runa::types {

class Iterators {
 public:
  enum class Status : std::uint8_t {
    kValue,        // make: *out is the iterator; next: *out is the next item
    kEnd,          // next: no more items
    kModified,     // next: the List or Dictionary changed shape (ValueError)
    kNotIterable,  // make: the value is none of the iterables (TypeError)
    kOutOfMemory,  // make: the heap is exhausted
  };

  // Registers the layout with `heap`. The built-in types must outlive this
  // object. Never collects.
  static Result<Iterators> create(heap::Heap& heap, const Strings& strings, const Lists& lists,
                                  const Dictionaries& dicts, const Dictionaries& sets,
                                  const Tuples& tuples);

  [[nodiscard]] bool is_iterator(Value v) const {
    return heap::is_ref(v) && heap::hdr::type_of(heap::as_object(v)->load_header()) == type_;
  }
  [[nodiscard]] std::uint32_t iterator_type() const { return type_; }

  // ITER_CREATE: an iterator over the value in `v`. MAY COLLECT.
  Status make(heap::Mutator& m, const heap::Handle& v, Value* out) const;
  // ITER_NEXT: the next item of iterator `it`. Never collects.
  static Status next(Value it, Value* out);

 private:
  Iterators(std::uint32_t type, const Strings& strings, const Lists& lists,
            const Dictionaries& dicts, const Dictionaries& sets, const Tuples& tuples)
      : type_(type),
        strings_(&strings),
        lists_(&lists),
        dicts_(&dicts),
        sets_(&sets),
        tuples_(&tuples) {}

  std::uint32_t type_;
  const Strings* strings_;
  const Lists* lists_;
  const Dictionaries* dicts_;
  const Dictionaries* sets_;
  const Tuples* tuples_;
};

}  // namespace runa::types
