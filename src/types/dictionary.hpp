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
//   index       byte array of groups of 12 slots, one 64-byte cache line
//               each: 12 control bytes (kEmpty, kDeleted, or 7 bits of
//               the entry's hash, high bit clear), 4 bytes that read as
//               deleted slots, then the 12 slots' 32-bit entry positions.
//               A probe reads a group's 16 control bytes at once and
//               matches them all (SwissTable's idea: one SSE2 compare, or
//               64-bit arithmetic where there is no SSE2), reads an entry
//               only when 7 hash bits match, and finds the position in the
//               line it already has: a hit touches the group's line and
//               the entry's, as absl::flat_hash_map touches its control
//               bytes and its slot; a miss usually touches the group alone.
//               (Positions in an array of their own, after all control
//               bytes, cost a hit a third dependent cache miss: measured in
//               docs/types.md.) Byte 0 of the index is the offset of the
//               first group, chosen when the index is made so that groups
//               start on a cache line; an index large enough for that to
//               matter is a large object and never moves, and one that
//               moves keeps its offset, so only its alignment is lost.
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
//     between rebuilds, and a key is placed in the first group of its probe
//     sequence with an empty slot; so a present key lies in or before the
//     first group with an empty slot, where a lookup stops. Non-empty
//     slots are at most `used`, which is at most the capacity, below the
//     slot count: every probe finds an empty slot and ends.
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

  // The index groups (12 slots each) a rebuild for `live` entries makes: a
  // power of two whose capacity (7/8 of the slots) holds `live` and half as
  // many again, so a dictionary filled by insertions doubles each time; 0
  // when that capacity reaches 2^32 entries, which 32-bit positions cannot
  // name (the set is refused as out of memory). Never collects.
  [[nodiscard]] static std::uint64_t groups_for(std::uint64_t live);

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
  // get() for every key but the small Integers probe<true> decides.
  [[gnu::noinline]] Status get_any(heap::Mutator& m, const heap::Handle& dict,
                                   const heap::Handle& key, Value* out) const;
  // Where `key` is: `at`, the index slot holding it, and its entry; or
  // at = -1 - (the first empty slot of its probe sequence, where it would
  // go), or -1 when the dictionary has no index yet. Never collects.
  struct Probe {
    std::int64_t at = -1;
    Value* entry = nullptr;
  };
  // probe<false> compares keys by KeyRules::equal. probe<true> is for a
  // small-Integer key, the commonest: it decides by identity, which is
  // enough unless an entry of the same hash holds a key of another kind
  // (Float 1.0 is the key 1): then it answers at = kUndecided.
  static constexpr std::int64_t kUndecided = INT64_MIN;
  template <bool kExact>
  [[nodiscard, gnu::always_inline]] Probe probe(Value dict, Value key, std::uint64_t hash) const;
  [[nodiscard, gnu::noinline]] Probe probe_any(Value dict, Value key, std::uint64_t hash) const;
  // probe<true> for a small Integer, probe_any for any other key or when
  // probe<true> cannot decide; `key` is prepared. Inlined into set() and
  // remove().
  [[nodiscard, gnu::always_inline]] Probe find(Value dict, Value key, std::uint64_t hash) const;
  // Rebuilds with groups_for(live) groups. MAY COLLECT; false when
  // exhausted or beyond the positions' range.
  bool rebuild(heap::Mutator& m, const heap::Handle& dict, std::uint64_t live) const;

  KeyRules* rules_;
  std::uint32_t dict_type_;
  std::uint32_t entries_type_;
  std::uint32_t index_type_;
};

}  // namespace runa::types
