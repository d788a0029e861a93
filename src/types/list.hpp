// Lists: Runa's List — growable, bounds-checked, any values
// (docs/types.md, "List").
//
//   list     plain object (layout "List"): reference `storage`, then the raw
//            words `length` and `version`.
//   storage  reference array (layout "ListStorage"); its own length word is
//            the capacity. Elements [length, capacity) are nothing.
//
// Invariants:
//   - 0 <= length <= capacity; storage is nothing only while capacity is 0.
//   - Growth doubles the capacity (at least 4) into a new storage array and
//     copies the elements with the heap's range barrier (copy_elements), so
//     a large storage born old is remembered on exactly the cards that hold
//     young elements.
//   - `version` changes with every change of length (append, extend, pop),
//     so an iterator notices one (docs/bytecode.md §2.5.4); storing an
//     element (SET_ITEM) is not a change of shape and does not.
//   - Not synchronised, like Dictionary. Calls marked MAY COLLECT take their
//     objects in handles.
#pragma once

#include <cstdint>
#include <optional>

#include "runatime/heap.hpp"
#include "runatime/result.hpp"
#include "types/keys.hpp"

namespace runa::types {

class Lists {
 public:
  // Registers the layouts with `heap` and makes Lists unhashable in `rules`.
  // Never collects.
  static Result<Lists> create(heap::Heap& heap, KeyRules& rules);

  [[nodiscard]] bool is_list(Value v) const {
    return heap::is_ref(v) && heap::hdr::type_of(heap::as_object(v)->load_header()) == list_type_;
  }

  // An empty List with room for `capacity` elements; nothing when the heap
  // is exhausted. MAY COLLECT.
  [[nodiscard]] std::uint32_t list_type() const { return list_type_; }
  Value make(heap::Mutator& m, std::uint64_t capacity = 0) const;

  [[nodiscard]] static std::uint64_t size(Value list);
  [[nodiscard]] static std::uint64_t version(Value list);
  // The element at i, or nullopt when i is out of range (IndexError).
  [[nodiscard]] static std::optional<Value> get(Value list, std::uint64_t i);
  // Stores v at i < size; false when out of range (IndexError). Never collects.
  static bool set(heap::Mutator& m, Value list, std::uint64_t i, Value v);
  // Appends the value in `v`; false when the heap is exhausted (nothing
  // changed). MAY COLLECT.
  bool append(heap::Mutator& m, const heap::Handle& list, const heap::Handle& v) const;
  // Appends every element of `from` (SPREAD); `from` may be `list` itself.
  // False when exhausted. MAY COLLECT.
  bool extend(heap::Mutator& m, const heap::Handle& list, const heap::Handle& from) const;
  // Removes and returns the last element; nullopt when empty. Never collects.
  static std::optional<Value> pop(heap::Mutator& m, Value list);

 private:
  Lists(std::uint32_t list, std::uint32_t storage) : list_type_(list), storage_type_(storage) {}
  // Makes room for `more` elements. MAY COLLECT; false when exhausted.
  bool reserve(heap::Mutator& m, const heap::Handle& list, std::uint64_t more) const;

  std::uint32_t list_type_;
  std::uint32_t storage_type_;
};

}  // namespace runa::types
