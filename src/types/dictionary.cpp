#include "types/dictionary.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace runa::types {

namespace {

using heap::Object;

// The dictionary object's slots.
constexpr std::size_t kEntries = 0;
constexpr std::size_t kIndex = 1;
constexpr std::size_t kCount = 2;
constexpr std::size_t kUsed = 3;
constexpr std::size_t kVersion = 4;
constexpr std::uint32_t kDictBytes = 8 + 8 * 5;

// The index (dictionary.hpp): byte 0 holds the offset of the first group
// (chosen when the index is made so that the groups start on a cache line),
// then groups of kGroupBytes: kGroup control bytes, kPad bytes that read as
// deleted slots, and the kGroup slots' 32-bit entry positions. A control
// byte is kEmpty, kDeleted, or the low 7 bits of an entry's hash.
constexpr std::uint8_t kEmpty = 0x80;
constexpr std::uint8_t kDeleted = 0xFE;
constexpr std::uint64_t kGroup = 12;       // slots per group
constexpr std::uint64_t kPad = 4;          // control bytes 12..15: never empty, never matched
constexpr std::uint64_t kGroupBytes = 64;  // one cache line
constexpr std::uint64_t kPositionsAt = kGroup + kPad;
static_assert(kPositionsAt + 4 * kGroup == kGroupBytes);
// Positions are 32 bits: a Dictionary holds fewer entries than 2^32, so
// at most 2^28 groups (capacity 2,818,572,288; 2^29 would pass 2^32).
constexpr std::uint64_t kMaxGroups = std::uint64_t{1} << 28;
static_assert(std::endian::native == std::endian::little, "control words are read little-endian");

// 7/8 of the slots may be used.
constexpr std::uint64_t capacity_of(std::uint64_t groups) {
  return groups * kGroup * 7 / 8;
}
static_assert(capacity_of(kMaxGroups) < (std::uint64_t{1} << 32));
static_assert(capacity_of(2 * kMaxGroups) >= (std::uint64_t{1} << 32));

std::uint8_t control_of(std::uint64_t hash) {
  return static_cast<std::uint8_t>(hash & 0x7F);
}
// A group's 16 control bytes (12 slots and 4 pads) and the questions a
// probe asks them, each answered with a bit per slot (bit k: slot k).
#if defined(__SSE2__)
// x86-64 (where SSE2 is always there): one 16-byte compare per question.
using Pattern = __m128i;
Pattern pattern_of(std::uint8_t control) {
  return _mm_set1_epi8(static_cast<char>(control));
}
struct Group {
  __m128i bytes;
  explicit Group(const std::uint8_t* g)
      : bytes(_mm_loadu_si128(reinterpret_cast<const __m128i*>(g))) {}
  // The slots whose control byte is the pattern's. Pads never match one
  // of a full slot.
  [[nodiscard]] std::uint32_t match(Pattern p) const {
    return static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, p)));
  }
  [[nodiscard]] std::uint32_t empty() const { return match(pattern_of(kEmpty)); }
};
#else
// Elsewhere: the same questions on two 64-bit words (SWAR).
constexpr std::uint64_t kLsbs = 0x0101010101010101ULL;
constexpr std::uint64_t kMsbs = 0x8080808080808080ULL;
using Pattern = std::uint64_t;
Pattern pattern_of(std::uint8_t control) {
  return kLsbs * control;
}
struct Group {
  std::uint64_t low;
  std::uint64_t high;
  explicit Group(const std::uint8_t* g) {
    std::memcpy(&low, g, 8);
    std::memcpy(&high, g + 8, 8);
  }
  // The classic zero-byte test on word ^ pattern. A borrow can mark a byte
  // above a true match too; callers compare the entry, so that costs a
  // read, never a wrong answer. Empty, deleted and pad bytes have bit 7
  // set and never match.
  [[nodiscard]] std::uint32_t match(Pattern p) const {
    return slots((((low ^ p) - kLsbs) & ~(low ^ p) & kMsbs),
                 (((high ^ p) - kLsbs) & ~(high ^ p) & kMsbs));
  }
  // Exact: bit 7 is set in kEmpty (1000 0000), where bit 1 is clear,
  // unlike kDeleted (1111 1110); full bytes have bit 7 clear.
  [[nodiscard]] std::uint32_t empty() const {
    return slots(low & (~low << 6) & kMsbs, high & (~high << 6) & kMsbs);
  }
  // Bit 7 of each byte of the two words, gathered into a bit per slot.
  static std::uint32_t slots(std::uint64_t low_bits, std::uint64_t high_bits) {
    constexpr std::uint64_t kGather = 0x0102040810204080ULL;
    return static_cast<std::uint32_t>(((low_bits >> 7) * kGather) >> 56 |
                                      ((high_bits >> 7) * kGather) >> 56 << 8);
  }
};
#endif
std::uint64_t slot_at(std::uint32_t bits) {
  return static_cast<std::uint64_t>(std::countr_zero(bits));
}

std::uint64_t& word(Value dict, std::size_t i) {
  return heap::as_object(dict)->slots()[i];
}

// The index seen as its groups: `at` offsets below are byte offsets from
// the first group of a slot's control byte (its group's offset plus its
// slot).
struct Groups {
  std::uint8_t* base;
  std::uint64_t mask;  // groups - 1
  explicit Groups(Value index)
      : base(heap::array_bytes(heap::as_object(index)) +
             heap::array_bytes(heap::as_object(index))[0]),
        mask(heap::array_length(heap::as_object(index)) / kGroupBytes - 2) {}
  // The probe sequence of `hash`: groups in triangular order from the
  // hash's upper bits, which visits every group.
  [[nodiscard]] std::uint64_t first(std::uint64_t hash) const { return (hash >> 7) & mask; }
  [[nodiscard]] std::uint64_t after(std::uint64_t g, std::uint64_t step) const {
    return (g + step) & mask;
  }
  [[nodiscard]] const std::uint8_t* group(std::uint64_t g) const { return base + g * kGroupBytes; }
  [[nodiscard]] std::uint8_t& control(std::uint64_t at) const { return base[at]; }
  [[nodiscard]] std::uint32_t* position(std::uint64_t at) const {
    return reinterpret_cast<std::uint32_t*>(base + (at & ~(kGroupBytes - 1)) + kPositionsAt +
                                            4 * (at & (kGroupBytes - 1)));
  }
  // The first empty slot of `hash`'s probe sequence.
  [[nodiscard]] std::uint64_t free_slot(std::uint64_t hash) const {
    std::uint64_t g = first(hash);
    for (std::uint64_t step = 1;; ++step) {
      const std::uint32_t empty = Group(group(g)).empty();
      if (empty != 0) return g * kGroupBytes + slot_at(empty);
      g = after(g, step);
    }
  }
};

Value* entry_slots(Value entries) {
  return heap::array_slots(heap::as_object(entries));
}
std::uint64_t capacity(Value dict) {
  const Value entries = word(dict, kEntries);
  return entries == 0 ? 0 : heap::array_length(heap::as_object(entries)) / 3;
}
// The index in `entries`' slots of an entry's first slot, less 1 (slot 0 of
// a reference array is its length word: entry e starts at 1 + 3e).
std::uint64_t entry_index(Object* entries, const Value* entry) {
  return static_cast<std::uint64_t>(entry - heap::array_slots(entries));
}
// The stored form of a hash: its low 61 bits as a small Integer.
Value stored_hash(std::uint64_t h) {
  return (h << 3) | kSmallIntTag;
}

}  // namespace

Result<Dictionaries> Dictionaries::create(heap::Heap& heap, KeyRules& rules, const char* name) {
  heap::Layout d;
  d.kind = heap::LayoutKind::kPlain;
  d.size = kDictBytes;
  d.refs = 2;
  d.name = name;
  auto dict = heap.register_layout(d);
  if (!dict) return dict.error();
  heap::Layout e;
  e.kind = heap::LayoutKind::kRefArray;
  const std::string entries_name = std::string(name) + "Entries";
  e.name = entries_name.c_str();
  auto entries = heap.register_layout(e);
  if (!entries) return entries.error();
  heap::Layout i;
  i.kind = heap::LayoutKind::kByteArray;
  const std::string index_name = std::string(name) + "Index";
  i.name = index_name.c_str();
  auto index = heap.register_layout(i);
  if (!index) return index.error();
  rules.forbid(*dict);
  return Dictionaries(rules, *dict, *entries, *index);
}

Value Dictionaries::make(heap::Mutator& m, std::uint64_t expected) const {
  heap::HandleScope scope(m);
  Object* o = heap::allocate(m, dict_type_, kDictBytes);
  if (o == nullptr) return 0;
  heap::Handle dict(m, o);
  if (expected > 0 && !rebuild(m, dict, expected)) return 0;
  return dict.value();
}

bool Dictionaries::rebuild(heap::Mutator& m, const heap::Handle& dict, std::uint64_t live) const {
  const std::uint64_t groups = groups_for(live);
  if (groups == 0) return false;  // reported as out of memory
  const std::uint64_t cap = capacity_of(groups);

  heap::HandleScope scope(m);
  // One group's worth more than the groups: room to start them on a line.
  const std::uint64_t index_bytes = (groups + 1) * kGroupBytes;
  Object* idx =
      heap::allocate_array(m, index_type_, heap::byte_array_bytes(index_bytes), index_bytes);
  if (idx == nullptr) return false;
  heap::Handle index(m, idx);
  Object* fresh = heap::allocate_array(m, entries_type_, heap::ref_array_bytes(3 * cap), 3 * cap);
  if (fresh == nullptr) return false;
  // Nothing below allocates: the stores into `fresh` are initialising ones.
  // The alignment holds while the index stays where it is made, as a large
  // one (the big tables, where it matters) always does; a small one may
  // move, keeping its offset and so its meaning.
  std::uint8_t* bytes = heap::array_bytes(index.get());
  const auto address = reinterpret_cast<std::uintptr_t>(bytes);
  bytes[0] = static_cast<std::uint8_t>(kGroupBytes - (address & (kGroupBytes - 1)));
  const Groups to_index(index.value());
  for (std::uint64_t g = 0; g < groups; ++g) {
    std::uint8_t* group = to_index.base + g * kGroupBytes;
    std::memset(group, kEmpty, kGroup);
    std::memset(group + kGroup, kDeleted, kPad);
  }
  Value* to = heap::array_slots(fresh);
  std::uint64_t n = 0;
  const Value old = word(dict.value(), kEntries);
  const std::uint64_t used = old == 0 ? 0 : word(dict.value(), kUsed);
  for (std::uint64_t e = 0; e < used; ++e) {
    const Value* from = entry_slots(old) + 3 * e;
    if (from[0] == 0) continue;  // deleted
    to[3 * n] = from[0];
    to[3 * n + 1] = from[1];
    to[3 * n + 2] = from[2];
    const std::uint64_t h = from[0] >> 3;
    const std::uint64_t at = to_index.free_slot(h);
    to_index.control(at) = control_of(h);
    *to_index.position(at) = static_cast<std::uint32_t>(n);
    ++n;
  }
  Object* d = heap::as_object(dict.value());
  heap::set_slot(m, d, kEntries, heap::ref_value(fresh));
  heap::set_slot(m, d, kIndex, index.value());
  d->slots()[kUsed] = n;
  d->slots()[kCount] = n;
  d->slots()[kVersion] += 1;
  return true;
}

std::uint64_t Dictionaries::groups_for(std::uint64_t live) {
  if (live >= capacity_of(kMaxGroups)) return 0;  // also keeps the sum below from overflowing
  const std::uint64_t wanted = std::max<std::uint64_t>(live + live / 2, 5);
  std::uint64_t groups = 1;
  while (groups <= kMaxGroups && capacity_of(groups) < wanted) groups *= 2;
  return groups <= kMaxGroups ? groups : 0;
}

Dictionaries::Status Dictionaries::prepare_object_key(heap::Mutator& m,
                                                      const heap::Handle& key) const {
  const Strings& strings = *rules_->strings;
  if (strings.is_flat(key.value())) return Status::kFound;  // the commonest object key
  if (strings.is_string(key.value())) {
    const Value flat = strings.flatten(m, key);
    if (flat == 0) return Status::kOutOfMemory;
    key.set(flat);
    return Status::kFound;
  }
  return rules_->hashable(key.value()) ? Status::kFound : Status::kUnhashable;
}

template <bool kExact>
inline Dictionaries::Probe Dictionaries::probe(Value dict, Value key, std::uint64_t hash) const {
  const Value index = word(dict, kIndex);
  if (index == 0) return {};
  const Groups groups(index);
  Value* entries = entry_slots(word(dict, kEntries));
  const Value stored = stored_hash(hash);
  const Pattern pattern = pattern_of(control_of(hash));
  std::uint64_t g = groups.first(hash);
  for (std::uint64_t step = 1;; ++step) {
    const std::uint8_t* group = groups.group(g);
    const Group controls(group);
    for (std::uint32_t m = controls.match(pattern); m != 0; m &= m - 1) {
      const std::uint64_t slot = slot_at(m);
      std::uint32_t p = 0;
      std::memcpy(&p, group + kPositionsAt + 4 * slot, sizeof p);
      Value* e = entries + 3 * std::uint64_t{p};
      if (e[0] != stored) continue;
      if (kExact && e[1] != key && !both_small_ints(e[1], key)) return {kUndecided, nullptr};
      if (kExact ? e[1] == key : rules_->equal(e[1], key)) {
        return {static_cast<std::int64_t>(g * kGroupBytes + slot), e};
      }
    }
    const std::uint32_t empty = controls.empty();
    if (empty != 0) return {-1 - static_cast<std::int64_t>(g * kGroupBytes + slot_at(empty))};
    g = groups.after(g, step);
  }
}

Dictionaries::Probe Dictionaries::probe_any(Value dict, Value key, std::uint64_t hash) const {
  return probe<false>(dict, key, hash);
}

inline Dictionaries::Probe Dictionaries::find(Value dict, Value key, std::uint64_t hash) const {
  if (is_small_int(key)) {
    const Probe found = probe<true>(dict, key, hash);
    if (found.at != kUndecided) return found;
  }
  return probe_any(dict, key, hash);
}

Dictionaries::Status Dictionaries::get(heap::Mutator& m, const heap::Handle& dict,
                                       const heap::Handle& key, Value* out) const {
  // A small Integer takes no call: once the probe has answered, nothing of
  // get() is needed but the answer, so the probe's loop has the registers
  // (find() would keep the arguments live across it for its fallback).
  const Value k = key.value();
  if (is_small_int(k)) {
    const Probe found = probe<true>(dict.value(), k, rules_->hash(k) >> 3);
    if (found.at >= 0) {
      *out = found.entry[2];
      return Status::kFound;
    }
    if (found.at != kUndecided) return Status::kAbsent;
  }
  return get_any(m, dict, key, out);
}

Dictionaries::Status Dictionaries::get_any(heap::Mutator& m, const heap::Handle& dict,
                                           const heap::Handle& key, Value* out) const {
  if (Status s = prepare_key(m, key); s != Status::kFound) return s;
  const Probe found = probe_any(dict.value(), key.value(), rules_->hash(key.value()) >> 3);
  if (found.at < 0) return Status::kAbsent;
  *out = found.entry[2];
  return Status::kFound;
}

Dictionaries::Status Dictionaries::set(heap::Mutator& m, const heap::Handle& dict,
                                       const heap::Handle& key, const heap::Handle& value) const {
  if (Status s = prepare_key(m, key); s != Status::kFound) return s;
  const std::uint64_t h = rules_->hash(key.value()) >> 3;
  Probe found = find(dict.value(), key.value(), h);
  if (found.at >= 0) {
    Object* entries = heap::as_object(word(dict.value(), kEntries));
    heap::set_slot(m, entries, 1 + entry_index(entries, found.entry) + 2, value.value());
    return Status::kFound;
  }
  if (word(dict.value(), kUsed) == capacity(dict.value())) {
    if (!rebuild(m, dict, word(dict.value(), kCount) + 1)) return Status::kOutOfMemory;
    found = find(dict.value(), key.value(), h);
  }
  const Value d = dict.value();
  const std::uint64_t pos = word(d, kUsed);
  Object* entries = heap::as_object(word(d, kEntries));
  // Slot 0 of a reference array is its length word: entry e starts at 1 + 3e.
  heap::set_slot(m, entries, 1 + 3 * pos, stored_hash(h));
  heap::set_slot(m, entries, 2 + 3 * pos, key.value());
  heap::set_slot(m, entries, 3 + 3 * pos, value.value());
  const Groups groups(word(d, kIndex));
  const auto at = static_cast<std::uint64_t>(-1 - found.at);
  groups.control(at) = control_of(h);
  *groups.position(at) = static_cast<std::uint32_t>(pos);
  word(d, kUsed) = pos + 1;
  word(d, kCount) += 1;
  word(d, kVersion) += 1;
  return Status::kAbsent;
}

Dictionaries::Status Dictionaries::remove(heap::Mutator& m, const heap::Handle& dict,
                                          const heap::Handle& key) const {
  if (Status s = prepare_key(m, key); s != Status::kFound) return s;
  const Probe found = find(dict.value(), key.value(), rules_->hash(key.value()) >> 3);
  if (found.at < 0) return Status::kAbsent;
  const Value d = dict.value();
  Groups(word(d, kIndex)).control(static_cast<std::uint64_t>(found.at)) = kDeleted;
  Object* entries = heap::as_object(word(d, kEntries));
  const std::uint64_t e = entry_index(entries, found.entry);
  for (std::uint64_t k = 1; k <= 3; ++k) heap::set_slot(m, entries, e + k, 0);
  word(d, kCount) -= 1;
  word(d, kVersion) += 1;
  return Status::kFound;
}

std::uint64_t Dictionaries::size(Value dict) {
  return word(dict, kCount);
}

Dictionaries::Cursor Dictionaries::begin(Value dict) {
  return {0, word(dict, kVersion)};
}

Dictionaries::Status Dictionaries::next(Value dict, Cursor& cursor, Value* key, Value* value) {
  if (word(dict, kVersion) != cursor.version) return Status::kModified;
  const std::uint64_t used = word(dict, kUsed);
  while (cursor.position < used) {
    const Value* e = entry_slots(word(dict, kEntries)) + 3 * cursor.position++;
    if (e[0] == 0) continue;
    *key = e[1];
    *value = e[2];
    return Status::kFound;
  }
  return Status::kEnd;
}

}  // namespace runa::types
