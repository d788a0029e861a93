// Dictionaries: Runa's Dictionary — insertion-ordered, compact, any
// hashable key (docs/types.md, "Dictionary").
//
// The design is CPython's compact dict: a dense array of entries in
// insertion order and a sparse index of positions into it.
//
//   dictionary  plain object (layout "Dictionary"): references `entries`
//               and `index`, then the raw words count (live entries),
//               used (entries written, deleted ones included) and version.
//   entries     reference array of 3 × capacity slots: (hash, key, value)
//               per entry, the hash as a small Integer (its low 61 bits)
//               so the collector reads the array as plain values; a
//               deleted entry has all three slots nothing.
//   index       byte array in two parts, for `slots` index slots (a
//               power of two, at least 8): first one control byte per
//               slot — kEmpty, kDeleted, or 7 bits of the entry's hash
//               (high bit clear) — then one 32-bit entry position per
//               slot. Slots come in aligned groups of 8 whose control
//               bytes are read as one word and matched all at once
//               (SwissTable's idea, here with plain 64-bit arithmetic), so
//               a probe reads an entry only when its 7 bits match, and a
//               miss usually reads one control word and nothing else.
//               Groups are probed in triangular order from the hash's
//               upper bits; capacity is 7/8 of the slots.
//
// Invariants:
//   - Entries never move while the dictionary lives except when it is
//     rebuilt (grow or compact, both when `used` reaches the capacity);
//     a rebuild keeps the live entries' order, so iteration order is
//     insertion order, and storing to an existing key keeps its place.
//   - `version` changes with every insertion of a new key, every removal
//     and every rebuild: an iteration step that finds it changed reports
//     kModified (the tier raises ValueError). Storing to an existing key is
//     not a change of shape and does not.
//   - Index slots only go from empty to full and from full to deleted
//     between rebuilds, and a key is placed in the first empty slot of its
//     probe sequence; so a present key lies before the first group with an
//     empty slot, where a lookup stops. Non-empty slots are at most `used`,
//     which is at most the capacity, below the slot count: every probe
//     finds an empty slot and ends.
//   - Keys are stored flat (a rope key is flattened first) and never change.
//   - Not synchronised: a program sharing one Dictionary between threads
//     must lock (docs/types.md); the collector may move it at any call
//     marked MAY COLLECT, and every call takes its objects in handles.
#pragma once

#include <cstdint>

#include "runatime/heap.hpp"
#include "runatime/result.hpp"
#include "types/keys.hpp"

namespace runa::types {

class Dictionaries {
 public:
  enum class Status : std::uint8_t {
    kFound,        // get: *out set; set: the key existed (its value replaced)
    kAbsent,       // get/remove: no such key; set: a new key was added
    kUnhashable,   // TypeError: the key is a List, Dictionary...
    kOutOfMemory,  // OutOfMemory: the heap is exhausted (nothing changed)
    kModified,     // next(): the dictionary changed shape since begin()
    kEnd,          // next(): no more entries
  };

  // Registers the layouts with `heap` under `name` ("Dictionary", or "Set"
  // for the Set, which is a Dictionary whose values are unused), and makes
  // the type unhashable in `rules`, which must outlive this object. Never
  // collects.
  static Result<Dictionaries> create(heap::Heap& heap, KeyRules& rules,
                                     const char* name = "Dictionary");

  [[nodiscard]] bool is_dictionary(Value v) const {
    return heap::is_ref(v) && heap::hdr::type_of(heap::as_object(v)->load_header()) == dict_type_;
  }
  [[nodiscard]] std::uint32_t dictionary_type() const { return dict_type_; }

  // An empty Dictionary with room for `expected` entries before it grows;
  // nothing when exhausted. MAY COLLECT.
  Value make(heap::Mutator& m, std::uint64_t expected = 0) const;

  // MAY COLLECT (a rope key is flattened, and `key` then holds the flat
  // string; set() may also grow the dictionary).
  Status get(heap::Mutator& m, const heap::Handle& dict, const heap::Handle& key, Value* out) const;
  Status set(heap::Mutator& m, const heap::Handle& dict, const heap::Handle& key,
             const heap::Handle& value) const;
  Status remove(heap::Mutator& m, const heap::Handle& dict, const heap::Handle& key) const;

  [[nodiscard]] static std::uint64_t size(Value dict);

  // The index slots a rebuild for `live` entries makes: a power of two, at
  // least 8, whose capacity (7/8 of it) holds `live` and half as many
  // again, so a dictionary filled by insertions doubles each time; 0 when
  // that capacity reaches 2^32 entries, which 32-bit positions cannot name
  // (the set is refused as out of memory). Never collects.
  [[nodiscard]] static std::uint64_t slots_for(std::uint64_t live);

  // Iteration in insertion order. Never collects.
  struct Cursor {
    std::uint64_t position = 0;
    std::uint64_t version = 0;
  };
  [[nodiscard]] static Cursor begin(Value dict);
  // kFound with the next entry's key and value, kEnd, or kModified.
  static Status next(Value dict, Cursor& cursor, Value* key, Value* value);

 private:
  Dictionaries(KeyRules& rules, std::uint32_t dict, std::uint32_t entries, std::uint32_t index)
      : rules_(&rules), dict_type_(dict), entries_type_(entries), index_type_(index) {}

  // Makes `key` ready to hash: kUnhashable, kOutOfMemory or kFound (ready).
  // Every immediate is ready; objects take the call.
  Status prepare_key(heap::Mutator& m, const heap::Handle& key) const {
    return heap::is_ref(key.value()) ? prepare_object_key(m, key) : Status::kFound;
  }
  Status prepare_object_key(heap::Mutator& m, const heap::Handle& key) const;
  // The index slot holding `key`, or -1 - (the first empty slot of its
  // probe sequence, where it would go). Never collects.
  // Inlined into its three callers: a lookup is short enough then for the
  // processor to overlap the cache misses of consecutive lookups.
  [[nodiscard, gnu::always_inline]] std::int64_t probe(Value dict, Value key,
                                                       std::uint64_t hash) const;
  // Rebuilds with slots_for(live) slots. MAY COLLECT; false when
  // exhausted or beyond the positions' range.
  bool rebuild(heap::Mutator& m, const heap::Handle& dict, std::uint64_t live) const;

  KeyRules* rules_;
  std::uint32_t dict_type_;
  std::uint32_t entries_type_;
  std::uint32_t index_type_;
};

}  // namespace runa::types
