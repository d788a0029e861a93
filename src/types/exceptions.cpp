#include "types/exceptions.hpp"

namespace runa::types {

namespace {

// Exception's fields, which every exception type starts with (a subtype
// repeats its supertype's fields, docs/bytecode.md §2.6).
constexpr std::size_t kMessage = 0;
constexpr std::size_t kCause = 1;
constexpr std::size_t kTrace = 2;

}  // namespace

Exceptions::Exceptions(const ModuleTypes* runtime, heap::Heap& heap, const Strings& strings,
                       const Lists& lists, const Tuples& tuples)
    : types_(runtime),
      root_(runtime->type("Exception")),
      heap_(&heap),
      strings_(&strings),
      lists_(&lists),
      tuples_(&tuples) {}

const TypeDesc* Exceptions::type(std::string_view name) const {
  const TypeDesc* t = types_->type(name);
  return t != nullptr && is_struct_subtype(t, root_) ? t : nullptr;
}

bool Exceptions::is_exception(Value v) const {
  if (!heap::is_ref(v)) return false;
  const auto* t = static_cast<const TypeDesc*>(heap_->descriptor_of(heap::as_object(v)));
  return t != nullptr && t->kind == Kind::kStruct && is_struct_subtype(t, root_);
}

Value Exceptions::make(heap::Mutator& m, const TypeDesc* type, const heap::Handle& message,
                       const heap::Handle& cause) {
  const std::size_t bytes = sizeof(heap::Object) + sizeof(Value) * type->fields.size();
  heap::Object* o = heap::allocate(m, type->heap_layout, bytes);
  if (o == nullptr) return kNothing;
  // Initialising stores (heap.hpp): a struct this small is young.
  o->slots()[kMessage] = message.value();
  o->slots()[kCause] = cause.value();
  return heap::ref_value(o);
}

Value Exceptions::make(heap::Mutator& m, const TypeDesc* type, std::string_view message) const {
  heap::HandleScope scope(m);
  heap::Handle text(m, strings_->make(m, message));
  if (text.value() == kNothing) return kNothing;
  heap::Handle none(m, kNothing);
  return make(m, type, text, none);
}

Value Exceptions::message(Value e) {
  return heap::as_object(e)->slots()[kMessage];
}
Value Exceptions::cause(Value e) {
  return heap::as_object(e)->slots()[kCause];
}
Value Exceptions::trace(Value e) {
  return heap::as_object(e)->slots()[kTrace];
}
void Exceptions::set_trace(heap::Mutator& m, Value e, Value trace_list) {
  heap::set_slot(m, heap::as_object(e), kTrace, trace_list);
}

bool Exceptions::add_frame(heap::Mutator& m, const heap::Handle& trace, std::string_view function,
                           std::string_view file, std::int64_t line) const {
  heap::HandleScope scope(m);
  heap::Handle name(m, strings_->make(m, function));
  if (name.value() == kNothing) return false;
  heap::Handle where(m, strings_->make(m, file));
  if (where.value() == kNothing) return false;
  heap::Handle at(m, make_small_int(line));
  Value* items[] = {name.slot(), where.slot(), at.slot()};
  heap::Handle frame(m, tuples_->make(m, items));
  if (frame.value() == kNothing) return false;
  return lists_->append(m, trace, frame);
}

}  // namespace runa::types
