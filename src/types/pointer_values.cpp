#include "types/pointer_values.hpp"

#include <bit>

namespace runa::types {

namespace {

constexpr std::uint32_t kBytes = 8 + 8;

}  // namespace

Result<std::unique_ptr<PointerValues>> PointerValues::create(heap::Heap& heap, const char* name) {
  heap::Layout l;
  l.kind = heap::LayoutKind::kPlain;
  l.size = kBytes;
  l.refs = 0;
  l.name = name;
  auto type = heap.register_layout(l);
  if (!type) return type.error();
  return std::unique_ptr<PointerValues>(new PointerValues(heap, *type));
}

Value PointerValues::get(heap::Mutator& m, const void* thing) {
  {
    std::lock_guard lock(mu_);
    if (auto it = made_.find(thing); it != made_.end()) return it->second.value();
  }
  heap::Object* o = heap::allocate(m, type_, kBytes);
  if (o == nullptr) return kNothing;
  o->slots()[0] = std::bit_cast<std::uint64_t>(thing);
  // Another thread may have made one meanwhile: its value wins, ours dies.
  std::lock_guard lock(mu_);
  return made_.try_emplace(thing, heap_, heap::ref_value(o)).first->second.value();
}

const void* PointerValues::pointer(Value v) {
  return std::bit_cast<const void*>(heap::as_object(v)->slots()[0]);
}

}  // namespace runa::types
