// The boxed numbers: the two layouts a types Context registers with its
// heap, and the allocation of a boxed Integer or Float
// (runatime/values.hpp). A boxed number is a plain object of 16 bytes, no
// reference slot, its int64_t or double bits in the raw word: the collector
// copies it and never looks inside. Boxes are immutable once returned, so a
// box is initialised with a plain store (heap.hpp, "Initialising stores").
#include <memory>

#include "runatime/heap.hpp"
#include "runatime/values.hpp"

namespace runa::types {

Result<std::unique_ptr<Context>> Context::create(heap::Heap& heap) {
  heap::Layout l;
  l.kind = heap::LayoutKind::kPlain;
  l.size = kBoxedBytes;
  l.refs = 0;
  l.name = "Integer (boxed)";
  auto integer = heap.register_layout(l);
  if (!integer.ok()) return integer.error();
  l.name = "Float (boxed)";
  auto real = heap.register_layout(l);
  if (!real.ok()) return real.error();
  return std::unique_ptr<Context>(new Context(heap, integer.value(), real.value()));
}

Value box(heap::Mutator& m, std::uint32_t type, std::uint64_t bits) {
  heap::Object* o = heap::allocate(m, type, kBoxedBytes);
  if (o == nullptr) return kNothing;
  o->slots()[0] = bits;
  return heap::ref_value(o);
}

}  // namespace runa::types
