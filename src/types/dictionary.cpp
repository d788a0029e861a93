#include "types/dictionary.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "types/dictionary_table.hpp"

namespace runa::types {

namespace {

using heap::Object;
using namespace table;

// Entry `pos` of an order array (byte array, so read and written through
// memcpy: one 32-bit move).
std::uint32_t order_at(const std::uint8_t* order, std::uint64_t pos) {
  std::uint32_t slot = 0;
  std::memcpy(&slot, order + 4 * pos, sizeof slot);
  return slot;
}
void set_order(std::uint8_t* order, std::uint64_t pos, std::uint64_t slot) {
  const auto s = static_cast<std::uint32_t>(slot);
  std::memcpy(order + 4 * pos, &s, sizeof s);
}
std::uint8_t* order_of(Value dict) {
  return heap::array_bytes(heap::as_object(word(dict, kOrder)));
}
std::uint64_t capacity(Value dict) {
  const Value order = word(dict, kOrder);
  return order == 0 ? 0 : heap::array_length(heap::as_object(order)) / 4;
}
// The element index set_slot takes for slot `slot`'s key (its value is the
// next): element 0 of a reference array is its length word.
std::size_t key_element(std::uint64_t slot) {
  return 1 + 2 * slot;
}

}  // namespace

Result<Dictionaries> Dictionaries::create(heap::Heap& heap, KeyRules& rules, const char* name) {
  heap::Layout d;
  d.kind = heap::LayoutKind::kPlain;
  d.size = kDictBytes;
  d.refs = 3;
  d.name = name;
  auto dict = heap.register_layout(d);
  if (!dict) return dict.error();
  const auto array = [&](heap::LayoutKind kind, const char* part) {
    heap::Layout a;
    a.kind = kind;
    const std::string part_name = std::string(name) + part;
    a.name = part_name.c_str();
    return heap.register_layout(a);
  };
  auto slots = array(heap::LayoutKind::kRefArray, "Slots");
  if (!slots) return slots.error();
  auto control = array(heap::LayoutKind::kByteArray, "Control");
  if (!control) return control.error();
  auto order = array(heap::LayoutKind::kByteArray, "Order");
  if (!order) return order.error();
  rules.forbid(*dict);
  return Dictionaries(rules, *dict, *slots, *control, *order);
}

Value Dictionaries::make(heap::Mutator& m, std::uint64_t expected) const {
  heap::HandleScope scope(m);
  Object* o = heap::allocate(m, dict_type_, kDictBytes);
  if (o == nullptr) return 0;
  o->slots()[kFirst] = reinterpret_cast<std::uintptr_t>(kNoTable);
  heap::Handle dict(m, o);
  if (expected > 0 && !rebuild(m, dict, expected)) return 0;
  return dict.value();
}

bool Dictionaries::rebuild(heap::Mutator& m, const heap::Handle& dict, std::uint64_t live) const {
  const std::uint64_t groups = groups_for(live);
  if (groups == 0) return false;  // reported as out of memory
  const std::uint64_t cap = capacity_of(groups);

  heap::HandleScope scope(m);
  // One group's worth more than the groups: room to start them on a
  // 16-byte boundary.
  const std::uint64_t control_bytes = (groups + 1) * kGroup;
  Object* c =
      heap::allocate_array(m, control_type_, heap::byte_array_bytes(control_bytes), control_bytes);
  if (c == nullptr) return false;
  heap::Handle control(m, c);
  Object* o = heap::allocate_array(m, order_type_, heap::byte_array_bytes(4 * cap), 4 * cap);
  if (o == nullptr) return false;
  heap::Handle order(m, o);
  const std::uint64_t n_slots = groups * kGroup;
  Object* fresh =
      heap::allocate_array(m, slots_type_, heap::ref_array_bytes(2 * n_slots), 2 * n_slots);
  if (fresh == nullptr) return false;
  // Nothing below allocates: the stores into `fresh` are initialising ones.
  // The alignment holds while the control array stays where it is made, as
  // a large one (the big tables, where it matters) always does; a small
  // one may move, keeping its offset and so its meaning.
  auto* start = reinterpret_cast<std::uint8_t*>(control.get());
  std::uint8_t* bytes = heap::array_bytes(control.get());
  const std::uint64_t first = static_cast<std::uint64_t>(bytes - start) + kGroup -
                              (reinterpret_cast<std::uintptr_t>(bytes) & (kGroup - 1));
  const Groups to(start + first, (groups - 1) * kGroup);
  std::memset(to.base, kEmpty, n_slots);
  Value* to_slots = heap::array_slots(fresh);
  std::uint8_t* to_order = heap::array_bytes(order.get());
  std::uint64_t n = 0;
  if (word(dict.value(), kOrder) != 0) {
    const Value d = dict.value();
    const Groups from(d);
    const Value* from_slots = slots_of(d);
    const std::uint8_t* from_order = order_of(d);
    const std::uint64_t used = word(d, kUsed);
    for (std::uint64_t pos = 0; pos < used; ++pos) {
      const std::uint32_t slot = order_at(from_order, pos);
      if (from.control(slot) == kDeleted) continue;
      const Value key = from_slots[2 * slot];
      const std::uint64_t h = rules_->hash(key);
      const std::uint64_t at = to.free_slot(h);
      to.control(at) = control_of(h);
      to_slots[2 * at] = key;
      to_slots[2 * at + 1] = from_slots[2 * slot + 1];
      set_order(to_order, n++, at);
    }
  }
  Object* d = heap::as_object(dict.value());
  heap::set_slot(m, d, kSlots, heap::ref_value(fresh));
  heap::set_slot(m, d, kControl, control.value());
  heap::set_slot(m, d, kOrder, order.value());
  d->slots()[kMask] = to.mask;
  d->slots()[kFirst] = first;
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

template <Dictionaries::Keys kKeys>
inline Dictionaries::Probe Dictionaries::probe(Value dict, Value key, std::uint64_t hash) const {
  if (word(dict, kControl) == 0) return {};
  const Groups groups(dict);
  Value* slots = slots_of(dict);
  const Pattern pattern = pattern_of(control_of(hash));
  std::uint64_t g = groups.first(hash);
  for (std::uint64_t step = 1;; ++step) {
    const Group controls(groups.group(g));
    for (std::uint32_t m = controls.match(pattern); m != 0; m &= m - 1) {
      const std::uint64_t slot = g + slot_at(m);
      Value* e = slots + 2 * slot;
      if constexpr (kKeys == Keys::kSmallInt) {
        if (e[0] == key) return {static_cast<std::int64_t>(slot), e};
        if (!both_small_ints(e[0], key)) return {kUndecided, nullptr};
      } else if constexpr (kKeys == Keys::kString) {
        if (e[0] == key) return {static_cast<std::int64_t>(slot), e};
        if (!rules_->strings->is_flat(e[0])) return {kUndecided, nullptr};
        if (flat::equal_hashed(e[0], key, hash)) return {static_cast<std::int64_t>(slot), e};
      } else if (rules_->equal(e[0], key)) {
        return {static_cast<std::int64_t>(slot), e};
      }
    }
    const std::uint32_t empty = controls.empty();
    if (empty != 0) return {-1 - static_cast<std::int64_t>(g + slot_at(empty))};
    g = groups.after(g, step);
  }
}

Dictionaries::Probe Dictionaries::probe_any(Value dict, Value key, std::uint64_t hash) const {
  if (rules_->strings->is_flat(key)) {
    const Probe found = probe<Keys::kString>(dict, key, hash);
    if (found.at != kUndecided) return found;
  }
  return probe_slow(dict, key, hash);
}

Dictionaries::Probe Dictionaries::probe_slow(Value dict, Value key, std::uint64_t hash) const {
  return probe<Keys::kAny>(dict, key, hash);
}

inline Dictionaries::Probe Dictionaries::find(Value dict, Value key, std::uint64_t hash) const {
  if (is_small_int(key)) {
    const Probe found = probe<Keys::kSmallInt>(dict, key, hash);
    if (found.at != kUndecided) return found;
  }
  return probe_any(dict, key, hash);
}

Dictionaries::Status Dictionaries::get_small(heap::Mutator& m, const heap::Handle& dict,
                                             const heap::Handle& key, Value* out) const {
  const Probe found = probe<Keys::kSmallInt>(dict.value(), key.value(), rules_->hash(key.value()));
  if (found.at >= 0) {
    *out = found.entry[1];
    return Status::kFound;
  }
  if (found.at != kUndecided) return Status::kAbsent;
  return get_any(m, dict, key, out);
}

Dictionaries::Status Dictionaries::get_any(heap::Mutator& m, const heap::Handle& dict,
                                           const heap::Handle& key, Value* out) const {
  Probe found;
  if (const Value k = key.value(); rules_->strings->is_flat(k)) {
    // A flat String, the commonest key here: ready, its hash cached, and
    // its probe inline.
    const std::uint64_t h = Strings::hash(k);
    found = probe<Keys::kString>(dict.value(), k, h);
    if (found.at == kUndecided) [[unlikely]]
      found = probe_slow(dict.value(), k, h);
  } else {
    if (Status s = prepare_key(m, key); s != Status::kFound) return s;
    const Value ready = key.value();                              // a rope's flat string now
    found = probe_any(dict.value(), ready, rules_->hash(ready));  // which asks flat first
  }
  if (found.at < 0) return Status::kAbsent;
  *out = found.entry[1];
  return Status::kFound;
}

Dictionaries::Status Dictionaries::set(heap::Mutator& m, const heap::Handle& dict,
                                       const heap::Handle& key, const heap::Handle& value) const {
  std::uint64_t h = 0;
  Probe found;
  if (const Value k = key.value(); rules_->strings->is_flat(k)) {
    // A flat String, the commonest object key: ready, its hash cached by
    // the lookup before, its probe inline (as in get_any), where the
    // general path below asks its kind three times over, in three calls.
    h = Strings::hash(k);
    found = probe<Keys::kString>(dict.value(), k, h);
    if (found.at == kUndecided) [[unlikely]]
      found = probe_slow(dict.value(), k, h);
  } else {
    if (Status s = prepare_key(m, key); s != Status::kFound) return s;
    h = rules_->hash(key.value());
    found = find(dict.value(), key.value(), h);
  }
  if (found.at >= 0) {
    heap::set_slot(m, heap::as_object(word(dict.value(), kSlots)),
                   key_element(static_cast<std::uint64_t>(found.at)) + 1, value.value());
    return Status::kFound;
  }
  if (word(dict.value(), kUsed) == capacity(dict.value())) {
    if (!rebuild(m, dict, word(dict.value(), kCount) + 1)) return Status::kOutOfMemory;
    found = find(dict.value(), key.value(), h);
  }
  const Value d = dict.value();
  const auto at = static_cast<std::uint64_t>(-1 - found.at);
  Object* slots = heap::as_object(word(d, kSlots));
  heap::set_slot(m, slots, key_element(at), key.value());
  heap::set_slot(m, slots, key_element(at) + 1, value.value());
  Groups(d).control(at) = control_of(h);
  const std::uint64_t pos = word(d, kUsed);
  set_order(order_of(d), pos, at);
  word(d, kUsed) = pos + 1;
  word(d, kCount) += 1;
  word(d, kVersion) += 1;
  return Status::kAbsent;
}

Dictionaries::Status Dictionaries::remove(heap::Mutator& m, const heap::Handle& dict,
                                          const heap::Handle& key) const {
  if (Status s = prepare_key(m, key); s != Status::kFound) return s;
  const Probe found = find(dict.value(), key.value(), rules_->hash(key.value()));
  if (found.at < 0) return Status::kAbsent;
  const Value d = dict.value();
  const auto at = static_cast<std::uint64_t>(found.at);
  Groups(d).control(at) = kDeleted;
  // The slot holds nothing, so it keeps nothing alive.
  Object* slots = heap::as_object(word(d, kSlots));
  heap::set_slot(m, slots, key_element(at), 0);
  heap::set_slot(m, slots, key_element(at) + 1, 0);
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
    const std::uint32_t slot = order_at(order_of(dict), cursor.position++);
    if (Groups(dict).control(slot) == kDeleted) continue;
    const Value* e = slots_of(dict) + 2 * slot;
    *key = e[0];
    *value = e[1];
    return Status::kFound;
  }
  return Status::kEnd;
}

}  // namespace runa::types
