// Operations on objects: List and Map constants, struct instances, Lists,
// Dictionaries, items (GET_ITEM, SET_ITEM, SPREAD, UNPACK) and the
// built-in iterators (docs/bytecode.md §2.2, §2.5; docs/types.md).
#include <string>

#include "bridge/runtime_impl.hpp"

namespace runa::rt::ops {

// Operands are root slots (Value*) throughout, also where an operation only
// reads one: the collector writes every one of them (runatime/ops.hpp).
// NOLINTBEGIN(readability-non-const-parameter)

namespace {

const types::TypeSystem& types_of(Thread& t) {
  return impl_of(t).types();
}

bool dict_status(Thread& t, types::Dictionaries::Status s, Value* key) {
  switch (s) {
    case types::Dictionaries::Status::kUnhashable:
      return raise(t, "TypeError", types_of(t).describe(*key) + " cannot be a Dictionary key");
    case types::Dictionaries::Status::kOutOfMemory:
      return out_of_memory(t);
    case types::Dictionaries::Status::kAbsent:
      return raise(t, "KeyError", "no key " + types_of(t).describe(*key));
    default:
      return true;
  }
}

// After Dictionaries::set: a new key (kAbsent) or a replaced one (kFound)
// is success, decided here: dict_status, which builds messages, is a call
// with a heavy entry that every SET_ITEM of an existing key used to pay.
bool stored(Thread& t, types::Dictionaries::Status s, Value* key) {
  return s == types::Dictionaries::Status::kAbsent || s == types::Dictionaries::Status::kFound ||
         dict_status(t, s, key);
}

// The Integer index in *k for a sequence of `size` items: nullopt after
// raising (TypeError for a non-Integer, IndexError outside 0 .. size - 1).
std::optional<std::uint64_t> index_of(Thread& t, Value* k, std::uint64_t size,
                                      std::string_view what) {
  const types::TypeSystem& ts = types_of(t);
  if (!types::is_int(ts.context(), *k)) {
    raise(t, "TypeError", std::string(what) + " index must be an Integer, not " + ts.describe(*k));
    return std::nullopt;
  }
  const std::int64_t i = types::as_int(*k);
  if (i < 0 || static_cast<std::uint64_t>(i) >= size) {
    raise(t, "IndexError",
          std::string(what) + " index " + std::to_string(i) + " is outside 0 .. " +
              std::to_string(size) + " - 1");
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(i);
}

// A new List or Dictionary of constant `index` (elements made recursively).
bool make_constant(Thread& t, const ModuleInfo& m, std::uint32_t index, Value* out) {
  const types::TypeSystem& ts = types_of(t);
  const module::Constant& c = m.module->constants[index];
  if (c.kind != module::ConstKind::kList && c.kind != module::ConstKind::kMap) {
    *out = m.constants[index];
    return true;
  }
  heap::HandleScope scope(*t.m);
  const bool list = c.kind == module::ConstKind::kList;
  heap::Handle result(*t.m, list ? ts.lists().make(*t.m, c.items.size())
                                 : ts.dictionaries().make(*t.m, c.items.size() / 2));
  if (result.value() == types::kNothing) return out_of_memory(t);
  heap::Handle a(*t.m, types::kNothing);
  heap::Handle b(*t.m, types::kNothing);
  for (std::size_t i = 0; i < c.items.size(); i += list ? 1 : 2) {
    if (!make_constant(t, m, c.items[i], a.slot())) return false;
    if (list) {
      if (!ts.lists().append(*t.m, result, a)) return out_of_memory(t);
      continue;
    }
    if (!make_constant(t, m, c.items[i + 1], b.slot())) return false;
    if (!stored(t, ts.dictionaries().set(*t.m, result, a, b), a.slot())) return false;
  }
  *out = result.value();
  return true;
}

}  // namespace

bool new_constant(Thread& t, const ModuleInfo& m, std::uint32_t index, Value* out) {
  return make_constant(t, m, index, out);
}

// ---- structs -------------------------------------------------------------------------------

StructShape struct_shape(const ModuleInfo& m, std::uint32_t type_id) {
  return struct_shape(type(m, type_id));
}

StructShape struct_shape(const void* type) {
  const auto* desc = static_cast<const types::TypeDesc*>(type);
  return {desc->heap_layout, static_cast<std::uint32_t>(8 + 8 * desc->fields.size())};
}

bool new_struct(Thread& t, StructShape shape, Value* out) {
  heap::Object* o = heap::allocate(*t.m, shape.layout, shape.bytes);
  if (o == nullptr) return out_of_memory(t);
  *out = heap::ref_value(o);
  return true;
}

std::int64_t struct_fields(Runtime& r, Value v) {
  if (!heap::is_ref(v) || v == types::kNothing) return -1;
  const auto* d =
      static_cast<const types::TypeDesc*>(r.impl().heap().descriptor_of(heap::as_object(v)));
  if (d == nullptr || d->kind != types::Kind::kStruct) return -1;
  return static_cast<std::int64_t>(d->fields.size());
}

bool is_struct(Runtime& r, Value v) {
  return struct_fields(r, v) >= 0;
}

bool bad_field(Thread& t, Value v, std::uint32_t field, bool store) {
  return raise(t, "TypeError",
               std::string(store ? "STORE_FIELD " : "LOAD_FIELD ") + std::to_string(field) + ": " +
                   types_of(t).describe(v) + " is not a struct with " + std::to_string(field + 1) +
                   " fields");
}

bool field_storable(Thread& t, Value v, std::uint32_t field, const FunctionInfo& in) {
  const auto* d = heap::is_ref(v) && v != types::kNothing
                      ? static_cast<const types::TypeDesc*>(
                            t.runtime->impl().heap().descriptor_of(heap::as_object(v)))
                      : nullptr;
  if (d == nullptr || d->kind != types::Kind::kStruct || d->fields.size() <= field) {
    return bad_field(t, v, field, true);
  }
  const types::FieldDesc& f = d->fields[field];
  if ((f.flags & module::kFieldReadonly) == 0) return true;
  if ((in.def->flags & module::kFnConstructor) != 0 && !in.def->params.empty()) {
    const auto* owner =
        static_cast<const types::TypeDesc*>(type(*in.module, in.def->params[0].type));
    if (owner->kind == types::Kind::kStruct && types::is_struct_subtype(owner, f.owner))
      return true;
  }
  return raise(t, "TypeError",
               "STORE_FIELD " + std::to_string(field) + ": field \"" + f.name + "\" of " + d->name +
                   " is READONLY: only a constructor of " + f.owner->name + " stores it");
}

// ---- Lists and Dictionaries ----------------------------------------------------------------

bool new_list(Thread& t, Value* items, std::uint32_t n, Value* out) {
  const types::TypeSystem& ts = types_of(t);
  heap::HandleScope scope(*t.m);
  heap::Handle list(*t.m, ts.lists().make(*t.m, n));
  if (list.value() == types::kNothing) return out_of_memory(t);
  for (std::uint32_t i = 0; i < n; ++i) {
    if (!ts.lists().append(*t.m, list, heap::Handle(items + i))) return out_of_memory(t);
  }
  *out = list.value();
  return true;
}

bool new_map(Thread& t, Value* pairs, std::uint32_t n, Value* out) {
  const types::TypeSystem& ts = types_of(t);
  heap::HandleScope scope(*t.m);
  heap::Handle map(*t.m, ts.dictionaries().make(*t.m, n));
  if (map.value() == types::kNothing) return out_of_memory(t);
  for (std::uint32_t i = 0; i < n; ++i) {
    Value* key = pairs + 2 * std::size_t{i};
    const auto s = ts.dictionaries().set(*t.m, map, heap::Handle(key), heap::Handle(key + 1));
    if (!stored(t, s, key)) return false;
  }
  *out = map.value();
  return true;
}

namespace {

// GET_ITEM on anything but a Dictionary: apart, so that the Dictionary's
// path has no frame for the messages built here.
[[gnu::noinline]] bool get_other_item(Thread& t, Value* c, Value* k, Value* out) {
  const types::TypeSystem& ts = types_of(t);
  if (ts.lists().is_list(*c)) {
    const auto i = index_of(t, k, types::Lists::size(*c), "List");
    if (!i) return false;
    *out = *types::Lists::get(*c, *i);
    return true;
  }
  if (ts.strings().is_string(*c)) {
    if (!ts.strings().is_flat(*c)) {
      const Value flat = ts.strings().flatten(*t.m, heap::Handle(c));
      if (flat == types::kNothing) return out_of_memory(t);
      *c = flat;
    }
    const auto i = index_of(t, k, ts.strings().length(*c), "String");
    if (!i) return false;
    *out = types::make_character(*types::Strings::char_at(*c, *i));
    return true;
  }
  if (ts.tuples().is_tuple(*c)) {
    const auto i = index_of(t, k, types::Tuples::size(*c), "Tuple");
    if (!i) return false;
    *out = *types::Tuples::get(*c, *i);
    return true;
  }
  return raise(t, "TypeError",
               "GET_ITEM needs a List, Dictionary, String or Tuple, not " + ts.describe(*c));
}

}  // namespace

bool get_item(Thread& t, Value* c, Value* k, Value* out) {
  // A Dictionary first: a tier does a List with a small Integer index
  // inline (list_get), so a Dictionary is what reaches here most.
  const types::TypeSystem& ts = types_of(t);
  if (ts.dictionaries().is_dictionary(*c)) {
    Value v = types::kNothing;
    const auto s = ts.dictionaries().get(*t.m, heap::Handle(c), heap::Handle(k), &v);
    if (s != types::Dictionaries::Status::kFound) [[unlikely]]
      return dict_status(t, s, k);
    *out = v;
    return true;
  }
  return get_other_item(t, c, k, out);
}

namespace {

// SET_ITEM on anything but a Dictionary (as get_other_item).
[[gnu::noinline]] bool set_other_item(Thread& t, Value* c, Value* k, Value* v) {
  const types::TypeSystem& ts = types_of(t);
  if (ts.lists().is_list(*c)) {
    const auto i = index_of(t, k, types::Lists::size(*c), "List");
    if (!i) return false;
    types::Lists::set(*t.m, *c, *i, *v);
    return true;
  }
  return raise(t, "TypeError", "SET_ITEM needs a List or a Dictionary, not " + ts.describe(*c));
}

}  // namespace

bool set_item(Thread& t, Value* c, Value* k, Value* v) {
  const types::TypeSystem& ts = types_of(t);
  if (ts.dictionaries().is_dictionary(*c)) {  // first, as in get_item
    const auto s = ts.dictionaries().set(*t.m, heap::Handle(c), heap::Handle(k), heap::Handle(v));
    return stored(t, s, k);
  }
  return set_other_item(t, c, k, v);
}

bool spread(Thread& t, Value* acc, Value* from) {
  const types::TypeSystem& ts = types_of(t);
  if (ts.lists().is_list(*acc)) {
    heap::HandleScope scope(*t.m);
    heap::Handle it(*t.m, types::kNothing);
    if (!iter_create(t, from, it.slot())) return false;
    heap::Handle item(*t.m, types::kNothing);
    for (;;) {
      const Step s = iter_next(t, it.slot(), item.slot());
      if (s == Step::kEnd) return true;
      if (s == Step::kThrow) return false;
      if (s == Step::kNotBuiltIn) {
        return raise(t, "TypeError",
                     "SPREAD into a List needs a built-in iterable, not " + ts.describe(*from));
      }
      if (!ts.lists().append(*t.m, heap::Handle(acc), item)) return out_of_memory(t);
    }
  }
  if (ts.dictionaries().is_dictionary(*acc) && ts.dictionaries().is_dictionary(*from)) {
    heap::HandleScope scope(*t.m);
    heap::Handle key(*t.m, types::kNothing);
    heap::Handle value(*t.m, types::kNothing);
    auto cursor = types::Dictionaries::begin(*from);
    for (;;) {
      Value k = types::kNothing;
      Value v = types::kNothing;
      const auto s = types::Dictionaries::next(*from, cursor, &k, &v);
      if (s == types::Dictionaries::Status::kEnd) return true;
      if (s == types::Dictionaries::Status::kModified) {
        return raise(t, "ValueError", "SPREAD: the Dictionary changed while it was copied");
      }
      key.set(k);
      value.set(v);
      if (!stored(t, ts.dictionaries().set(*t.m, heap::Handle(acc), key, value), key.slot())) {
        return false;
      }
    }
  }
  return raise(t, "TypeError",
               "SPREAD needs a List and an iterable, or two Dictionaries, not " +
                   ts.describe(*acc) + " and " + ts.describe(*from));
}

bool unpack(Thread& t, Value* s, std::uint32_t n, Value* out) {
  const types::TypeSystem& ts = types_of(t);
  const Value v = *s;
  std::uint64_t size = 0;
  Value* items = nullptr;
  if (ts.lists().is_list(v)) {
    size = types::Lists::size(v);
  } else if (ts.tuples().is_tuple(v)) {
    size = types::Tuples::size(v);
    items = heap::array_slots(heap::as_object(v));
  } else if (const std::int64_t fields = struct_fields(*t.runtime, v); fields >= 0) {
    size = static_cast<std::uint64_t>(fields);
    items = heap::as_object(v)->slots();
  } else {
    return raise(t, "TypeError", "UNPACK needs a List, Tuple or struct, not " + ts.describe(v));
  }
  if (size != n) {
    return raise(t, "ValueError",
                 "UNPACK " + std::to_string(n) + ": " + ts.describe(v) + " has " +
                     std::to_string(size) + " items");
  }
  for (std::uint32_t i = 0; i < n; ++i) {
    out[i] = items != nullptr ? items[i] : *types::Lists::get(v, i);
  }
  return true;
}

// ---- iteration ----------------------------------------------------------------------------

bool iter_create(Thread& t, Value* v, Value* out) {
  const types::TypeSystem& ts = types_of(t);
  if (ts.suspensions().is_generator(*v)) {  // a generator is its own iterator
    *out = *v;
    return true;
  }
  Value it = types::kNothing;
  switch (ts.iterators().make(*t.m, heap::Handle(v), &it)) {
    case types::Iterators::Status::kValue:
      *out = it;
      return true;
    case types::Iterators::Status::kOutOfMemory:
      return out_of_memory(t);
    default:
      return raise(t, "TypeError", "ITER_CREATE: " + ts.describe(*v) + " is not iterable");
  }
}

Step iter_next(Thread& t, Value* it, Value* out) {
  const types::TypeSystem& ts = types_of(t);
  if (ts.suspensions().is_generator(*it)) {
    heap::HandleScope scope(*t.m);
    heap::Handle sent(*t.m, types::kNothing);
    switch (resume(t, it, sent.slot(), out)) {
      case Resumed::kSuspended:
        return Step::kValue;
      case Resumed::kReturned:
        return Step::kEnd;
      default:
        return Step::kThrow;
    }
  }
  if (!ts.iterators().is_iterator(*it)) return Step::kNotBuiltIn;
  switch (types::Iterators::next(*it, out)) {
    case types::Iterators::Status::kValue:
      return Step::kValue;
    case types::Iterators::Status::kEnd:
      return Step::kEnd;
    default:
      raise(t, "ValueError", "ITER_NEXT: the List or Dictionary changed while it was iterated");
      return Step::kThrow;
  }
}

// NOLINTEND(readability-non-const-parameter)

}  // namespace runa::rt::ops
