#include "types/iterators.hpp"

namespace runa::types {

namespace {

using heap::Object;

// The iterator object's slots. A tier reads a List's iterator inline
// (runatime/ops.hpp, list_next): the slots and the List kind's number are
// part of that contract, which tests/types/iterators_test.cpp checks.
constexpr std::size_t kSource = 0;
constexpr std::size_t kKind = 1;
constexpr std::size_t kPosition = 2;
constexpr std::size_t kVersion = 3;
constexpr std::uint32_t kIteratorBytes = 8 + 8 * 4;

enum Kind : std::uint64_t { kList, kDictionary, kTuple, kString };

std::uint64_t& word(Value it, std::size_t i) {
  return heap::as_object(it)->slots()[i];
}

}  // namespace

Result<Iterators> Iterators::create(heap::Heap& heap, const Strings& strings, const Lists& lists,
                                    const Dictionaries& dicts, const Dictionaries& sets,
                                    const Tuples& tuples) {
  heap::Layout l;
  l.kind = heap::LayoutKind::kPlain;
  l.size = kIteratorBytes;
  l.refs = 1;
  l.name = "Iterator";
  auto type = heap.register_layout(l);
  if (!type) return type.error();
  return Iterators(*type, strings, lists, dicts, sets, tuples);
}

Iterators::Status Iterators::make(heap::Mutator& m, const heap::Handle& v, Value* out) const {
  if (is_iterator(v.value())) {
    *out = v.value();
    return Status::kValue;
  }
  Kind kind = kList;
  std::uint64_t position = 0;
  std::uint64_t version = 0;
  heap::HandleScope scope(m);
  heap::Handle source(m, v.value());
  if (lists_->is_list(v.value())) {
    kind = kList;
    version = Lists::version(v.value());
  } else if (dicts_->is_dictionary(v.value()) || sets_->is_dictionary(v.value())) {
    kind = kDictionary;
    const Dictionaries::Cursor c = Dictionaries::begin(v.value());
    position = c.position;
    version = c.version;
  } else if (tuples_->is_tuple(v.value())) {
    kind = kTuple;
  } else if (strings_->is_string(v.value())) {
    kind = kString;
    const Value flat = strings_->flatten(m, source);
    if (flat == 0) return Status::kOutOfMemory;
    source.set(flat);
  } else {
    return Status::kNotIterable;
  }
  Object* it = heap::allocate(m, type_, kIteratorBytes);
  if (it == nullptr) return Status::kOutOfMemory;
  heap::set_slot(m, it, kSource, source.value());
  it->slots()[kKind] = kind;
  it->slots()[kPosition] = position;
  it->slots()[kVersion] = version;
  *out = heap::ref_value(it);
  return Status::kValue;
}

Iterators::Status Iterators::next(Value it, Value* out) {
  const Value source = word(it, kSource);
  std::uint64_t& position = word(it, kPosition);
  switch (word(it, kKind)) {
    case kList: {
      if (Lists::version(source) != word(it, kVersion)) return Status::kModified;
      const auto v = Lists::get(source, position);
      if (!v) return Status::kEnd;
      ++position;
      *out = *v;
      return Status::kValue;
    }
    case kDictionary: {
      Dictionaries::Cursor c{position, word(it, kVersion)};
      Value value = 0;
      const Dictionaries::Status s = Dictionaries::next(source, c, out, &value);
      position = c.position;
      if (s == Dictionaries::Status::kModified) return Status::kModified;
      return s == Dictionaries::Status::kFound ? Status::kValue : Status::kEnd;
    }
    case kTuple: {
      const auto v = Tuples::get(source, position);
      if (!v) return Status::kEnd;
      ++position;
      *out = *v;
      return Status::kValue;
    }
    default: {  // kString
      const auto c = Strings::next_char(source, position);
      if (!c) return Status::kEnd;
      *out = make_character(*c);
      return Status::kValue;
    }
  }
}

}  // namespace runa::types
