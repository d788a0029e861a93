#include "types/dictionary.hpp"

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

// An index slot: 0 empty, 1 deleted, else (tag << 32) | (position + 2),
// the tag being 32 bits of the hash that the start position does not use,
// so that probing compares tags in the index and reads an entry only when
// its tag matches (a miss usually reads no entry at all).
constexpr std::uint64_t kEmpty = 0;
constexpr std::uint64_t kDeleted = 1;

std::uint64_t tag_of(std::uint64_t hash) {
  return (hash >> 29) & 0xFFFFFFFFU;
}
std::uint64_t index_entry(std::uint64_t hash, std::uint64_t position) {
  return (tag_of(hash) << 32) | (position + 2);
}
std::uint64_t position_of(std::uint64_t slot) {
  return (slot & 0xFFFFFFFFU) - 2;
}

std::uint64_t& word(Value dict, std::size_t i) {
  return heap::as_object(dict)->slots()[i];
}
std::uint64_t* index_slots(Value index) {
  return reinterpret_cast<std::uint64_t*>(heap::array_bytes(heap::as_object(index)));
}
std::uint64_t index_size(Value index) {
  return heap::array_length(heap::as_object(index)) / 8;
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
  const std::uint64_t wanted = live * 2 > 5 ? live * 2 : 5;
  std::uint64_t slots = 8;
  while (slots * 2 / 3 < wanted) slots *= 2;
  const std::uint64_t cap = slots * 2 / 3;

  heap::HandleScope scope(m);
  Object* idx = heap::allocate_array(m, index_type_, heap::byte_array_bytes(slots * 8), slots * 8);
  if (idx == nullptr) return false;
  heap::Handle index(m, idx);
  Object* fresh = heap::allocate_array(m, entries_type_, heap::ref_array_bytes(3 * cap), 3 * cap);
  if (fresh == nullptr) return false;
  // Nothing below allocates: the stores into `fresh` are initialising ones.
  std::uint64_t* ix = index_slots(index.value());
  std::memset(ix, 0, slots * 8);  // kEmpty everywhere
  const std::uint64_t mask = slots - 1;
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
    std::uint64_t i = h & mask;
    while (ix[i] != kEmpty) i = (i + 1) & mask;
    ix[i] = index_entry(h, n);
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

Dictionaries::Status Dictionaries::prepare_key(heap::Mutator& m, const heap::Handle& key) const {
  if (rules_->strings->is_string(key.value()) && !rules_->strings->is_flat(key.value())) {
    const Value flat = rules_->strings->flatten(m, key);
    if (flat == 0) return Status::kOutOfMemory;
    key.set(flat);
  }
  return rules_->hashable(key.value()) ? Status::kFound : Status::kUnhashable;
}

std::int64_t Dictionaries::probe(Value dict, Value key, std::uint64_t hash) const {
  const Value index = word(dict, kIndex);
  if (index == 0) return -1;
  const std::uint64_t* ix = index_slots(index);
  const std::uint64_t mask = index_size(index) - 1;
  const Value* entries = entry_slots(word(dict, kEntries));
  const Value stored = stored_hash(hash);
  const std::uint64_t tag = tag_of(hash);
  // Ends: the index always has an empty slot (used <= capacity < slots).
  for (std::uint64_t i = hash & mask;; i = (i + 1) & mask) {
    const std::uint64_t slot = ix[i];
    if (slot == kEmpty) return -1 - static_cast<std::int64_t>(i);
    if ((slot >> 32) == tag && slot != kDeleted) {
      const Value* e = entries + 3 * position_of(slot);
      if (e[0] == stored && rules_->equal(e[1], key)) return static_cast<std::int64_t>(i);
    }
  }
}

Dictionaries::Status Dictionaries::get(heap::Mutator& m, const heap::Handle& dict,
                                       const heap::Handle& key, Value* out) const {
  if (Status s = prepare_key(m, key); s != Status::kFound) return s;
  const std::uint64_t h = rules_->hash(key.value()) >> 3;
  const std::int64_t at = probe(dict.value(), key.value(), h);
  if (at < 0) return Status::kAbsent;
  const std::uint64_t p = position_of(index_slots(word(dict.value(), kIndex))[at]);
  *out = entry_slots(word(dict.value(), kEntries))[3 * p + 2];
  return Status::kFound;
}

Dictionaries::Status Dictionaries::set(heap::Mutator& m, const heap::Handle& dict,
                                       const heap::Handle& key, const heap::Handle& value) const {
  if (Status s = prepare_key(m, key); s != Status::kFound) return s;
  const std::uint64_t h = rules_->hash(key.value()) >> 3;
  std::int64_t at = probe(dict.value(), key.value(), h);
  if (at >= 0) {
    const std::uint64_t p = position_of(index_slots(word(dict.value(), kIndex))[at]);
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
  index_slots(word(d, kIndex))[-1 - at] = index_entry(h, pos);
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
  std::uint64_t* ix = index_slots(word(d, kIndex));
  const std::uint64_t p = position_of(ix[at]);
  ix[at] = kDeleted;
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
