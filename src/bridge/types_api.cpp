// The public Types (include/runatime/types.hpp): a runtime's types as its
// loaded modules see them. What a descriptor answers alone is in
// src/types/public_type.cpp; here is what needs the runtime — types by
// module, methods as the functions the bridge made for them, reflection
// raising Runa exceptions on the calling thread, calls by name.
#include <string>
#include <vector>

#include "bridge/modules.hpp"
#include "bridge/runtime_impl.hpp"
#include "runatime/types.hpp"
#include "types/reflection.hpp"

namespace runa::rt {

namespace {

namespace ty = runa::types;

const ty::TypeDesc* desc(Type t) {
  return static_cast<const ty::TypeDesc*>(t.descriptor());
}

ty::TypeSystem& types_of(Runtime& r) {
  return r.impl().types();
}

}  // namespace

std::uint32_t Types::count() const {
  return types_of(*r_).registry().count();
}

Type Types::at(std::uint32_t serial) const {
  if (serial == 0 || serial > count()) return {};
  return Type(types_of(*r_).registry().by_serial(serial));
}

Type Types::builtin(TypeKind k) const {
  if (k > TypeKind::kTuple) return {};
  return Type(types_of(*r_).registry().primitive(k));
}

Type Types::find(const ModuleInfo& m, std::string_view name) {
  const auto* record = static_cast<const ModuleRecord*>(m.internal);
  return Type(record->loaded->types->type(name));
}

const ModuleInfo* Types::module(Type t) const {
  return t ? r_->impl().module_info(desc(t)->module) : nullptr;
}

Type Types::list_of(Type element) {
  return Type(types_of(*r_).registry().list_of(desc(element)));
}
Type Types::map_of(Type key, Type value) {
  return Type(types_of(*r_).registry().map_of(desc(key), desc(value)));
}
Type Types::optional_of(Type base) {
  return Type(types_of(*r_).registry().optional_of(desc(base)));
}

Type Types::of(Value v) const {
  return Type(types_of(*r_).type_of(v));
}

bool Types::instance_of(Value v, Type t) const {
  return types_of(*r_).instance_of(v, desc(t));
}

bool Types::cast(Thread& t, Value* v, Type type, Value* out) {
  return ops::cast(t, v, type.descriptor(), out);
}

bool Types::make(Thread& t, Type type, Value* out) {
  const ty::TypeDesc* d = desc(type);
  if (d->kind != ty::Kind::kStruct) {
    return ops::raise(t, "TypeError", "reflection: " + d->name + " is not a struct type");
  }
  return ops::new_struct(t, ops::struct_shape(d), out);
}

bool Types::get_field(Thread& t, const Value* object, std::string_view name, Value* out) const {
  auto v = ty::get_field(types_of(*r_), *object, name);
  if (!v) return ops::raise(t, "TypeError", v.error().describe());
  *out = *v;
  return true;
}

bool Types::set_field(Thread& t, Value* object, std::string_view name, Value* value) const {
  auto done = ty::set_field(types_of(*r_), *t.m, heap::Handle(object), name, heap::Handle(value));
  return done ? true : ops::raise(t, "TypeError", done.error().describe());
}

std::uint32_t Types::method_count(Type t) {
  return t && desc(t)->kind == ty::Kind::kStruct
             ? static_cast<std::uint32_t>(desc(t)->vtable.size())
             : 0;
}

Method Types::method(Type t, std::uint32_t i) const {
  return i < method_count(t) ? method_of(desc(t)->vtable[i].method) : Method{};
}

Method Types::method_of(const void* method) const {
  const auto* md = static_cast<const ty::MethodDesc*>(method);
  Method out;
  out.name = md->name;
  out.selector = md->selector;
  out.owner = Type(md->owner);
  out.constructor = md->constructor;
  out.function = r_->impl().method_function(md);
  return out;
}

bool Types::invoke(Thread& t, const Value* receiver, std::string_view name, const Value* args,
                   std::uint32_t n, Value* out) const {
  const FunctionInfo* f = ops::method_by_name(t, *receiver, name, n, "invoke");
  if (f == nullptr) return false;
  // The receiver and the arguments as one contiguous root range, as a
  // callee's frame takes them.
  std::vector<Value> slots(n + 1);
  slots[0] = *receiver;
  for (std::uint32_t i = 0; i < n; ++i) slots[i + 1] = args[i];
  heap::Heap& h = r_->heap();
  const std::uint64_t roots = h.add_roots(slots.data(), slots.size());
  heap::HandleScope scope(*t.m);
  heap::Handle callee(*t.m, *f->object);
  const bool ok = r_->call(t, callee.slot(), slots.data(), n + 1, out);
  h.remove_roots(roots);
  return ok;
}

Selector Types::selector(std::string_view name) {
  return types_of(*r_).registry().symbols().intern(name);
}

std::optional<Method> Types::lookup(Type receiver, Selector s) const {
  if (!receiver || desc(receiver)->kind != ty::Kind::kStruct) return std::nullopt;
  const ty::MethodDesc* md = types_of(*r_).methods().lookup(desc(receiver), s);
  if (md == nullptr) return std::nullopt;
  return method_of(md);
}

std::uint32_t Types::slot(Type receiver, Selector s) {
  if (!receiver || desc(receiver)->kind != ty::Kind::kStruct) return kNoSlot;
  const auto& slots = desc(receiver)->slots_by_selector;
  auto it = slots.find(s);
  return it == slots.end() ? kNoSlot : it->second;
}

}  // namespace runa::rt
