#include "types/list.hpp"

#include <algorithm>

namespace runa::types {

namespace {

using heap::Object;

constexpr std::size_t kStorage = 0;
constexpr std::size_t kLength = 1;
constexpr std::size_t kVersion = 2;
constexpr std::uint32_t kListBytes = 8 + 8 * 3;

std::uint64_t& length_word(Value list) {
  return heap::as_object(list)->slots()[kLength];
}
// Bumped by every change of length, so that an iterator notices one.
void changed(Value list) {
  heap::as_object(list)->slots()[kVersion] += 1;
}
Value storage_of(Value list) {
  return heap::as_object(list)->slots()[kStorage];
}
std::uint64_t capacity_of(Value list) {
  const Value s = storage_of(list);
  return s == 0 ? 0 : heap::array_length(heap::as_object(s));
}

}  // namespace

Result<Lists> Lists::create(heap::Heap& heap, KeyRules& rules) {
  heap::Layout l;
  l.kind = heap::LayoutKind::kPlain;
  l.size = kListBytes;
  l.refs = 1;
  l.name = "List";
  auto list = heap.register_layout(l);
  if (!list) return list.error();
  heap::Layout s;
  s.kind = heap::LayoutKind::kRefArray;
  s.name = "ListStorage";
  auto storage = heap.register_layout(s);
  if (!storage) return storage.error();
  rules.forbid(*list);
  return Lists(*list, *storage);
}

Value Lists::make(heap::Mutator& m, std::uint64_t capacity) const {
  heap::HandleScope scope(m);
  Object* o = heap::allocate(m, list_type_, kListBytes);
  if (o == nullptr) return 0;
  heap::Handle list(m, o);
  if (capacity > 0 && !reserve(m, list, capacity)) return 0;
  return list.value();
}

std::uint64_t Lists::size(Value list) {
  return length_word(list);
}

std::optional<Value> Lists::get(Value list, std::uint64_t i) {
  if (i >= length_word(list)) return std::nullopt;
  return heap::array_slots(heap::as_object(storage_of(list)))[i];
}

std::uint64_t Lists::version(Value list) {
  return heap::as_object(list)->slots()[kVersion];
}

bool Lists::set(heap::Mutator& m, Value list, std::uint64_t i, Value v) {
  if (i >= length_word(list)) return false;
  heap::set_slot(m, heap::as_object(storage_of(list)), 1 + i, v);
  return true;
}

bool Lists::reserve(heap::Mutator& m, const heap::Handle& list, std::uint64_t more) const {
  const std::uint64_t need = length_word(list.value()) + more;
  const std::uint64_t cap = capacity_of(list.value());
  if (need <= cap) return true;
  const std::uint64_t grown = std::max({need, cap * 2, std::uint64_t{4}});
  Object* fresh = heap::allocate_array(m, storage_type_, heap::ref_array_bytes(grown), grown);
  if (fresh == nullptr) return false;
  const Value old = storage_of(list.value());
  const std::uint64_t n = length_word(list.value());
  if (n > 0) heap::copy_elements(m, fresh, 0, heap::as_object(old), 0, n);
  heap::set_slot(m, heap::as_object(list.value()), kStorage, heap::ref_value(fresh));
  return true;
}

bool Lists::append(heap::Mutator& m, const heap::Handle& list, const heap::Handle& v) const {
  // Room is the rule (a List made at its size, or grown by doubling): the
  // call to reserve only when there is none.
  if (length_word(list.value()) >= capacity_of(list.value()) && !reserve(m, list, 1)) return false;
  const Value l = list.value();
  const std::uint64_t n = length_word(l);
  heap::set_slot(m, heap::as_object(storage_of(l)), 1 + n, v.value());
  length_word(l) = n + 1;
  changed(l);
  return true;
}

bool Lists::extend(heap::Mutator& m, const heap::Handle& list, const heap::Handle& from) const {
  const std::uint64_t k = length_word(from.value());
  if (k == 0) return true;
  if (!reserve(m, list, k)) return false;
  const Value l = list.value();
  const std::uint64_t n = length_word(l);
  heap::copy_elements(m, heap::as_object(storage_of(l)), n,
                      heap::as_object(storage_of(from.value())), 0, k);
  length_word(l) = n + k;
  changed(l);
  return true;
}

std::optional<Value> Lists::pop(heap::Mutator& m, Value list) {
  const std::uint64_t n = length_word(list);
  if (n == 0) return std::nullopt;
  Object* s = heap::as_object(storage_of(list));
  const Value v = heap::array_slots(s)[n - 1];
  heap::set_slot(m, s, n, 0);  // no stale reference keeps a dead object alive
  length_word(list) = n - 1;
  changed(list);
  return v;
}

}  // namespace runa::types
