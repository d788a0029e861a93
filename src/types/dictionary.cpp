#include "types/dictionary.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

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

// The index (dictionary.hpp): control bytes, then 32-bit positions. A
// control byte is kEmpty, kDeleted, or the low 7 bits of an entry's hash.
constexpr std::uint8_t kEmpty = 0x80;
constexpr std::uint8_t kDeleted = 0xFE;
constexpr std::uint64_t kGroup = 8;  // slots whose control bytes are read as one word
constexpr std::uint64_t kLsbs = 0x0101010101010101ULL;
constexpr std::uint64_t kMsbs = 0x8080808080808080ULL;
// Positions are 32 bits: a Dictionary holds fewer entries than this.
constexpr std::uint64_t kMaxCapacity = std::uint64_t{1} << 32;
static_assert(std::endian::native == std::endian::little, "control words are read little-endian");

std::uint8_t control_of(std::uint64_t hash) {
  return static_cast<std::uint8_t>(hash & 0x7F);
}
// The first group of a hash's probe sequence, of `groups` (a power of two).
std::uint64_t first_group(std::uint64_t hash, std::uint64_t groups) {
  return (hash >> 7) & (groups - 1);
}
// A bit 7 per byte of `word` that may equal `control` (a full slot's byte):
// the classic zero-byte test on word ^ pattern. A borrow can mark a byte
// above a true match too; callers compare the entry, so that costs a read,
// never a wrong answer. Empty and deleted bytes have bit 7 set and never
// match.
std::uint64_t match(std::uint64_t word, std::uint8_t control) {
  const std::uint64_t x = word ^ (kLsbs * control);
  return (x - kLsbs) & ~x & kMsbs;
}
// A bit 7 per empty byte: set in kEmpty (1000 0000), where bit 1 is clear,
// unlike kDeleted (1111 1110); full bytes have bit 7 clear.
std::uint64_t match_empty(std::uint64_t word) {
  return word & (~word << 6) & kMsbs;
}
std::uint64_t byte_at(std::uint64_t bits) {
  return static_cast<std::uint64_t>(std::countr_zero(bits)) / 8;
}

std::uint64_t& word(Value dict, std::size_t i) {
  return heap::as_object(dict)->slots()[i];
}
// The index's two parts; `slots` is its slot count.
std::uint8_t* controls(Value index) {
  return heap::array_bytes(heap::as_object(index));
}
std::uint64_t slot_count(Value index) {
  return heap::array_length(heap::as_object(index)) / 5;
}
std::uint32_t* positions(Value index) {
  return reinterpret_cast<std::uint32_t*>(controls(index) + slot_count(index));
}
std::uint64_t control_word(const std::uint8_t* ctrl, std::uint64_t group) {
  std::uint64_t w = 0;
  std::memcpy(&w, ctrl + group * kGroup, sizeof w);
  return w;
}
// The first empty slot of `hash`'s probe sequence.
std::uint64_t free_slot(const std::uint8_t* ctrl, std::uint64_t slots, std::uint64_t hash) {
  const std::uint64_t groups = slots / kGroup;
  std::uint64_t g = first_group(hash, groups);
  for (std::uint64_t step = 1;; ++step) {
    const std::uint64_t empty = match_empty(control_word(ctrl, g));
    if (empty != 0) return g * kGroup + byte_at(empty);
    g = (g + step) & (groups - 1);
  }
}
Value* entry_slots(Value entries) {
  return heap::array_slots(heap::as_object(entries));
}
std::uint64_t capacity(Value dict) {
  const Value entries = word(dict, kEntries);
  return entries == 0 ? 0 : heap::array_length(heap::as_object(entries)) / 3;
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
  const std::uint64_t slots = slots_for(live);
  if (slots == 0) return false;  // reported as out of memory
  const std::uint64_t cap = slots / 8 * 7;

  heap::HandleScope scope(m);
  const std::uint64_t index_bytes = slots * 5;
  Object* idx =
      heap::allocate_array(m, index_type_, heap::byte_array_bytes(index_bytes), index_bytes);
  if (idx == nullptr) return false;
  heap::Handle index(m, idx);
  Object* fresh = heap::allocate_array(m, entries_type_, heap::ref_array_bytes(3 * cap), 3 * cap);
  if (fresh == nullptr) return false;
  // Nothing below allocates: the stores into `fresh` are initialising ones.
  std::uint8_t* ctrl = controls(index.value());
  std::uint32_t* pos = positions(index.value());
  std::memset(ctrl, kEmpty, slots);
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
    const std::uint64_t i = free_slot(ctrl, slots, h);
    ctrl[i] = control_of(h);
    pos[i] = static_cast<std::uint32_t>(n);
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

std::uint64_t Dictionaries::slots_for(std::uint64_t live) {
  if (live >= kMaxCapacity) return 0;  // also keeps the sums below from overflowing
  const std::uint64_t wanted = std::max<std::uint64_t>(live + live / 2, 5);
  std::uint64_t slots = kGroup;
  while (slots / 8 * 7 < wanted) slots *= 2;
  return slots / 8 * 7 < kMaxCapacity ? slots : 0;
}

Dictionaries::Status Dictionaries::prepare_object_key(heap::Mutator& m,
                                                      const heap::Handle& key) const {
  if (rules_->strings->is_string(key.value())) {
    // A String, the commonest object key, is hashable: no need to ask.
    if (rules_->strings->is_flat(key.value())) return Status::kFound;
    const Value flat = rules_->strings->flatten(m, key);
    if (flat == 0) return Status::kOutOfMemory;
    key.set(flat);
    return Status::kFound;
  }
  return rules_->hashable(key.value()) ? Status::kFound : Status::kUnhashable;
}

inline std::int64_t Dictionaries::probe(Value dict, Value key, std::uint64_t hash) const {
  const Value index = word(dict, kIndex);
  if (index == 0) return -1;
  const std::uint8_t* ctrl = controls(index);
  const std::uint32_t* pos = positions(index);
  const std::uint64_t groups = slot_count(index) / kGroup;
  const Value* entries = entry_slots(word(dict, kEntries));
  const Value stored = stored_hash(hash);
  const std::uint8_t control = control_of(hash);
  std::uint64_t g = first_group(hash, groups);
  for (std::uint64_t step = 1;; ++step) {
    const std::uint64_t w = control_word(ctrl, g);
    for (std::uint64_t m = match(w, control); m != 0; m &= m - 1) {
      const std::uint64_t i = g * kGroup + byte_at(m);
      const Value* e = entries + 3 * std::uint64_t{pos[i]};
      if (e[0] == stored && rules_->equal(e[1], key)) return static_cast<std::int64_t>(i);
    }
    const std::uint64_t empty = match_empty(w);
    if (empty != 0) return -1 - static_cast<std::int64_t>(g * kGroup + byte_at(empty));
    g = (g + step) & (groups - 1);
  }
}

Dictionaries::Status Dictionaries::get(heap::Mutator& m, const heap::Handle& dict,
                                       const heap::Handle& key, Value* out) const {
  if (Status s = prepare_key(m, key); s != Status::kFound) return s;
  const std::uint64_t h = rules_->hash(key.value()) >> 3;
  const std::int64_t at = probe(dict.value(), key.value(), h);
  if (at < 0) return Status::kAbsent;
  const std::uint64_t p = positions(word(dict.value(), kIndex))[at];
  *out = entry_slots(word(dict.value(), kEntries))[3 * p + 2];
  return Status::kFound;
}

Dictionaries::Status Dictionaries::set(heap::Mutator& m, const heap::Handle& dict,
                                       const heap::Handle& key, const heap::Handle& value) const {
  if (Status s = prepare_key(m, key); s != Status::kFound) return s;
  const std::uint64_t h = rules_->hash(key.value()) >> 3;
  std::int64_t at = probe(dict.value(), key.value(), h);
  if (at >= 0) {
    const std::uint64_t p = positions(word(dict.value(), kIndex))[at];
    Object* entries = heap::as_object(word(dict.value(), kEntries));
    heap::set_slot(m, entries, 1 + 3 * p + 2, value.value());
    return Status::kFound;
  }
  if (word(dict.value(), kUsed) == capacity(dict.value())) {
    if (!rebuild(m, dict, word(dict.value(), kCount) + 1)) return Status::kOutOfMemory;
    at = probe(dict.value(), key.value(), h);
  }
  const Value d = dict.value();
  const std::uint64_t pos = word(d, kUsed);
  Object* entries = heap::as_object(word(d, kEntries));
  // Slot 0 of a reference array is its length word: entry e starts at 1 + 3e.
  heap::set_slot(m, entries, 1 + 3 * pos, stored_hash(h));
  heap::set_slot(m, entries, 2 + 3 * pos, key.value());
  heap::set_slot(m, entries, 3 + 3 * pos, value.value());
  const Value index = word(d, kIndex);
  controls(index)[-1 - at] = control_of(h);
  positions(index)[-1 - at] = static_cast<std::uint32_t>(pos);
  word(d, kUsed) = pos + 1;
  word(d, kCount) += 1;
  word(d, kVersion) += 1;
  return Status::kAbsent;
}

Dictionaries::Status Dictionaries::remove(heap::Mutator& m, const heap::Handle& dict,
                                          const heap::Handle& key) const {
  if (Status s = prepare_key(m, key); s != Status::kFound) return s;
  const std::uint64_t h = rules_->hash(key.value()) >> 3;
  const std::int64_t at = probe(dict.value(), key.value(), h);
  if (at < 0) return Status::kAbsent;
  const Value d = dict.value();
  const Value index = word(d, kIndex);
  const std::uint64_t p = positions(index)[at];
  controls(index)[at] = kDeleted;
  Object* entries = heap::as_object(word(d, kEntries));
  for (std::uint64_t k = 1; k <= 3; ++k) heap::set_slot(m, entries, 3 * p + k, 0);
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
