#include "types/tuple.hpp"

namespace runa::types {

Result<Tuples> Tuples::create(heap::Heap& heap, KeyRules& rules) {
  heap::Layout l;
  l.kind = heap::LayoutKind::kRefArray;
  l.name = "Tuple";
  auto type = heap.register_layout(l);
  if (!type) return type.error();
  rules.tuple_type = *type;
  return Tuples(*type, rules.strings);
}

Value Tuples::make(heap::Mutator& m, std::span<Value* const> items) const {
  for (Value* slot : items) {
    if (strings_->is_string(*slot) && !strings_->is_flat(*slot)) {
      heap::HandleScope scope(m);
      heap::Handle s(m, *slot);
      const Value flat = strings_->flatten(m, s);
      if (flat == 0) return 0;
      *slot = flat;
    }
  }
  heap::Object* t =
      heap::allocate_array(m, type_, heap::ref_array_bytes(items.size()), items.size());
  if (t == nullptr) return 0;
  // Initialising stores: nothing has collected since the allocation.
  for (std::size_t i = 0; i < items.size(); ++i) heap::array_slots(t)[i] = *items[i];
  return heap::ref_value(t);
}

}  // namespace runa::types
