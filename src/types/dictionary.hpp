// Dictionaries: Runa's Dictionary — insertion-ordered, any hashable key
// (docs/types.md, "Dictionary").
//
// The design is SwissTable's open addressing (absl::flat_hash_map) with
// an order array beside it for insertion order:
//
//   dictionary  plain object (layout "Dictionary"): references `slots`,
//               `control` and `order`, then the raw words count (live
//               entries), used (entries ever placed since the last
//               rebuild, removed ones included), version, and the table's
//               shape: mask ((groups - 1) * 16) and first (where the first
//               group starts, from the control array's address), so that a
//               lookup reads them with the references, from one object.
//               Without a table (control 0), mask is 0 and first is the
//               address of kNoTable, a group of empty slots: a lookup there
//               misses with no test for the table.
//   control     byte array: groups of 16 control bytes from `first`, one
//               per slot: kEmpty, kDeleted, or the low 7 bits of the key's
//               hash (high bit clear). `first` (1 to 16) is chosen when the
//               array is made so that groups start on a 16-byte boundary (an
//               array large enough for that to matter is a large object and
//               never moves; a small one that moves keeps its offset, so
//               only its alignment is lost).
//   slots       reference array of 2 per slot: (key, value), slot s at
//               elements 2s and 2s + 1. An empty or deleted slot holds
//               nothing twice, so the collector keeps nothing alive by it.
//   order       byte array of 32-bit slot numbers, `used` of them, in the
//               order the keys were inserted.
//
// A probe reads a group's 16 control bytes at once (one SSE2 compare, or
// 64-bit arithmetic where there is no SSE2), matches them all against 7
// bits of the hash, and reads a slot only where they match: a hit touches
// the control group and the slot, as absl's does, and a miss usually the
// control group alone. Groups are probed in triangular order from the
// hash's upper bits; 7/8 of the slots may be used (the capacity).
// Iteration reads the order array and, through it, the slots. (The former
// design, CPython's compact dict, kept entries dense in insertion order and
// reached them through an index: a hit cost two dependent cache misses
// where absl's costs one; docs/types.md has the measurements.)
//
// Invariants:
//   - A slot goes from empty to full (its number appended to `order`) and
//     from full to deleted, and from nothing else, between rebuilds; a
//     rebuild (grow or compact, when `used` reaches the capacity) places
//     the live keys anew in their order, so iteration order is insertion
//     order, and storing to an existing key keeps its place. A deleted slot
//     is never refilled before the rebuild, so an `order` entry names the
//     key placed there or a deleted slot, which iteration skips.
//   - A key is placed in the first group of its probe sequence with an
//     empty slot; so a present key lies in or before the first group with
//     an empty slot, where a lookup stops. Full and deleted slots are
//     `used`, at most the capacity, below the slot count: every probe finds
//     an empty slot and ends.
//   - `version` changes with every insertion of a new key, every removal
//     and every rebuild: an iteration step that finds it changed reports
//     kModified (the tier raises ValueError). Storing to an existing key is
//     not a change of shape and does not.
//   - Keys are stored flat (a rope key is flattened first) and never
//     change; a rebuild hashes them again (KeyRules::hash never collects).
//   - Not synchronised: a program sharing one Dictionary between threads
//     must lock (docs/types.md); the collector may move it at any call
//     marked MAY COLLECT, and every call takes its objects in handles.
#pragma once

#include <cstdint>

#include "runatime/heap.hpp"
#include "runatime/result.hpp"
#include "types/dictionary_table.hpp"
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
  // string; set() may also grow the dictionary). get() is inline: a small
  // Integer key found or missed in its first group (most lookups) takes no
  // call.
  [[gnu::always_inline]] Status get(heap::Mutator& m, const heap::Handle& dict,
                                    const heap::Handle& key, Value* out) const;
  Status set(heap::Mutator& m, const heap::Handle& dict, const heap::Handle& key,
             const heap::Handle& value) const;
  Status remove(heap::Mutator& m, const heap::Handle& dict, const heap::Handle& key) const;

  [[nodiscard]] static std::uint64_t size(Value dict);

  // The groups (16 slots each) a rebuild for `live` entries makes: a power
  // of two whose capacity (7/8 of the slots) holds `live` and half as many
  // again, so a dictionary filled by insertions doubles each time; 0 when
  // that would pass 2^28 groups, whose 2^32 slots are as many as 32-bit
  // slot numbers name (the set is refused as out of memory). Never
  // collects.
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
  Dictionaries(KeyRules& rules, std::uint32_t dict, std::uint32_t slots, std::uint32_t control,
               std::uint32_t order)
      : rules_(&rules),
        dict_type_(dict),
        slots_type_(slots),
        control_type_(control),
        order_type_(order) {}

  // Makes `key` ready to hash: kUnhashable, kOutOfMemory or kFound (ready).
  // Every immediate is ready; objects take the call.
  Status prepare_key(heap::Mutator& m, const heap::Handle& key) const {
    return heap::is_ref(key.value()) ? prepare_object_key(m, key) : Status::kFound;
  }
  Status prepare_object_key(heap::Mutator& m, const heap::Handle& key) const;
  // get() for every key but small Integers; get_small for a small Integer
  // that get() cannot decide in its first group (another key at the first
  // match, or no empty slot).
  [[gnu::noinline]] Status get_any(heap::Mutator& m, const heap::Handle& dict,
                                   const heap::Handle& key, Value* out) const;
  [[gnu::noinline]] Status get_small(heap::Mutator& m, const heap::Handle& dict,
                                     const heap::Handle& key, Value* out) const;
  // Where `key` is: `at`, the slot holding it, and the slot's key word
  // (its value follows); or at = -1 - (the first empty slot of its probe
  // sequence, where it would go), or -1 when the dictionary has no slots
  // yet. Never collects.
  struct Probe {
    std::int64_t at = -1;
    Value* entry = nullptr;
  };
  // The key a probe compares with: probe<kAny> by KeyRules::equal;
  // probe<kString> for a flat String whose hash is `hash`, by identity or
  // by its hash and text (flat::equal_hashed), which
  // is enough unless a slot whose control byte matches holds a key that is
  // not a flat String (a Character may equal it): then it answers
  // kUndecided, and probe<kAny> decides (so the probe of a String, the
  // commonest object key, calls nothing and keeps its group in registers);
  // probe<kSmallInt>, the commonest, by identity, which is enough unless a
  // slot whose control byte matches holds a key that is not a small
  // Integer (Float 1.0 is the key 1): then it answers kUndecided too.
  enum class Keys : std::uint8_t { kSmallInt, kString, kAny };
  static constexpr std::int64_t kUndecided = INT64_MIN;
  template <Keys kKeys>
  [[nodiscard, gnu::always_inline]] Probe probe(Value dict, Value key, std::uint64_t hash) const;
  // probe<kString> or probe<kAny>, as the key is.
  [[nodiscard, gnu::noinline]] Probe probe_any(Value dict, Value key, std::uint64_t hash) const;
  // probe<kAny>, where a String's probe was undecided.
  [[nodiscard, gnu::noinline]] Probe probe_slow(Value dict, Value key, std::uint64_t hash) const;
  // probe<kSmallInt> for a small Integer, probe_any for any other key or
  // when that cannot decide; `key` is prepared. Inlined into set() and
  // remove().
  [[nodiscard, gnu::always_inline]] Probe find(Value dict, Value key, std::uint64_t hash) const;
  // Rebuilds with groups_for(live) groups. MAY COLLECT; false when
  // exhausted or beyond the positions' range.
  bool rebuild(heap::Mutator& m, const heap::Handle& dict, std::uint64_t live) const;

  KeyRules* rules_;
  std::uint32_t dict_type_;
  std::uint32_t slots_type_;
  std::uint32_t control_type_;
  std::uint32_t order_type_;
};

inline Dictionaries::Status Dictionaries::get(heap::Mutator& m, const heap::Handle& dict,
                                              const heap::Handle& key, Value* out) const {
  // A small Integer, the commonest key, is looked up here in its first
  // group, with no call: most lookups end there, a hit at the group's first
  // match or a miss with no match that the group's empty slot ends. Every
  // other case (a second match, a full group) is get_small's, which probes
  // from the start; every other kind of key is get_any's. So few
  // instructions stay here that more lookups overlap their misses to
  // memory (a hit's slot is one).
  //
  // Any other key goes to get_any at once: the kind test is one branch,
  // where probing first as a small Integer cost a String key (the commonest
  // other kind, a fresh object at each lookup, so never identical to the
  // stored key) a hash, a group load and a match before get_any began.
  using namespace table;
  const Value k = key.value();
  if (!is_small_int(k)) return get_any(m, dict, key, out);
  const Value d = dict.value();
  const std::uint64_t h = hash_small_int(k);
  const Groups groups(d);
  const std::uint64_t g = groups.first(h);
  const Group controls(groups.group(g));
  const std::uint32_t match = controls.match(pattern_of(control_of(h)));
  if (match != 0) {
    const Value* e = slots_of(d) + 2 * (g + slot_at(match));
    if (e[0] == k) {
      *out = e[1];
      return Status::kFound;
    }
  }
  if (match == 0 && controls.empty() != 0) return Status::kAbsent;
  return get_small(m, dict, key, out);
}

}  // namespace runa::types
