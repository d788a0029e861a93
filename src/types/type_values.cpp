#include "types/type_values.hpp"

#include <bit>

namespace runa::types {

namespace {

constexpr std::uint32_t kTypeValueBytes = 8 + 8;

}  // namespace

Result<std::unique_ptr<TypeValues>> TypeValues::create(heap::Heap& heap) {
  heap::Layout l;
  l.kind = heap::LayoutKind::kPlain;
  l.size = kTypeValueBytes;
  l.refs = 0;
  l.name = "Type";
  auto type = heap.register_layout(l);
  if (!type) return type.error();
  return std::unique_ptr<TypeValues>(new TypeValues(heap, *type));
}

Value TypeValues::get(heap::Mutator& m, const TypeDesc* t) {
  {
    std::lock_guard lock(mu_);
    if (auto it = made_.find(t); it != made_.end()) return it->second.value();
  }
  heap::Object* o = heap::allocate(m, type_, kTypeValueBytes);
  if (o == nullptr) return kNothing;
  o->slots()[0] = std::bit_cast<std::uint64_t>(t);
  std::lock_guard lock(mu_);
  // Another thread may have made one meanwhile: its value wins, ours dies.
  return made_.try_emplace(t, heap_, heap::ref_value(o)).first->second.value();
}

const TypeDesc* TypeValues::descriptor(Value type_value) {
  return std::bit_cast<const TypeDesc*>(heap::as_object(type_value)->slots()[0]);
}

}  // namespace runa::types
