#include "types/reflection.hpp"

namespace runa::types {

namespace {

Error reflection_error(std::string message) {
  Error e;
  e.section = "reflection";
  e.message = std::move(message);
  return e;
}

// The instance's struct type and its field `name`, or the error.
Result<const FieldDesc*> find_field(const TypeSystem& ts, Value object, std::string_view name) {
  const TypeDesc* t = ts.type_of(object);
  if (t == nullptr || t->kind != Kind::kStruct) {
    return reflection_error("a " + std::string(t != nullptr ? t->name : "host object") +
                            " has no fields; only struct instances do");
  }
  const FieldDesc* f = t->field(name);
  if (f == nullptr) {
    return reflection_error(t->name + " has no field \"" + std::string(name) + "\"");
  }
  if ((f->flags & module::kFieldPrivate) != 0) {
    return reflection_error("field \"" + std::string(name) + "\" of " + t->name +
                            " is private to its module");
  }
  return f;
}

}  // namespace

Result<Value> get_field(const TypeSystem& ts, Value object, std::string_view name) {
  auto f = find_field(ts, object, name);
  if (!f) return f.error();
  return heap::as_object(object)->slots()[(*f)->slot];
}

Result<bool> set_field(const TypeSystem& ts, heap::Mutator& m, const heap::Handle& object,
                       std::string_view name, const heap::Handle& value) {
  auto f = find_field(ts, object.value(), name);
  if (!f) return f.error();
  const FieldDesc& field = **f;
  const TypeDesc* t = ts.type_of(object.value());
  if ((field.flags & module::kFieldReadonly) != 0) {
    return reflection_error("field \"" + field.name + "\" of " + t->name +
                            " is READONLY: only a constructor stores it");
  }
  if (!ts.instance_of(value.value(), field.type)) {
    const TypeDesc* v = ts.type_of(value.value());
    return reflection_error("field \"" + field.name + "\" of " + t->name + " holds " +
                            field.type->name + ", not " +
                            (v != nullptr ? v->name : std::string("a host object")));
  }
  heap::set_slot(m, object, field.slot, value.value());
  return true;
}

}  // namespace runa::types
