#include "types/closures.hpp"

namespace runa::types {

namespace {

using heap::Object;

// A function's raw words.
constexpr std::size_t kCode = 0;
constexpr std::size_t kArity = 1;
constexpr std::size_t kUpvalues = 2;
constexpr std::uint32_t kFunctionBytes = 8 + 8 * 3;
constexpr std::uint64_t kVarargs = std::uint64_t{1} << 32;  // in the arity word

// A closure: header, tail length, the function, then the tail. A ref tail
// continues the reference fields (heap.hpp), so the function is field 0 and
// upvalue i is field 1 + i of tail_fields().
constexpr std::uint32_t kClosureFixed = 16 + 8;

constexpr std::uint32_t kCellBytes = 8 + 8;

}  // namespace

Result<Closures> Closures::create(heap::Heap& heap) {
  heap::Layout f;
  f.kind = heap::LayoutKind::kPlain;
  f.size = kFunctionBytes;
  f.refs = 0;
  f.name = "Function";
  auto function = heap.register_layout(f);
  if (!function) return function.error();
  heap::Layout c;
  c.kind = heap::LayoutKind::kRefTail;
  c.size = kClosureFixed;
  c.refs = 1;
  c.name = "Closure";
  auto closure = heap.register_layout(c);
  if (!closure) return closure.error();
  heap::Layout cell;
  cell.kind = heap::LayoutKind::kPlain;
  cell.size = kCellBytes;
  cell.refs = 1;
  cell.name = "Cell";
  auto cell_type = heap.register_layout(cell);
  if (!cell_type) return cell_type.error();
  return Closures(*function, *closure, *cell_type);
}

Value Closures::make_function(heap::Mutator& m, std::uint64_t code, std::uint32_t arity,
                              bool varargs, std::uint32_t upvalues) const {
  Object* o = heap::allocate(m, function_type_, kFunctionBytes);
  if (o == nullptr) return kNothing;
  o->slots()[kCode] = code;
  o->slots()[kArity] = arity | (varargs ? kVarargs : 0);
  o->slots()[kUpvalues] = upvalues;
  return heap::ref_value(o);
}

std::uint64_t Closures::code(Value function) {
  return heap::as_object(function)->slots()[kCode];
}
std::uint32_t Closures::arity(Value function) {
  return static_cast<std::uint32_t>(heap::as_object(function)->slots()[kArity]);
}
bool Closures::varargs(Value function) {
  return (heap::as_object(function)->slots()[kArity] & kVarargs) != 0;
}
std::uint32_t Closures::upvalue_count(Value function) {
  return static_cast<std::uint32_t>(heap::as_object(function)->slots()[kUpvalues]);
}

Value Closures::make_closure(heap::Mutator& m, const heap::Handle& function,
                             std::span<Value* const> captures) const {
  const std::size_t n = captures.size();
  Object* o = heap::allocate_array(m, closure_type_, heap::ref_tail_bytes(kClosureFixed, n), n);
  if (o == nullptr) return kNothing;
  // Initialising stores (heap.hpp): no barrier, even for a long tail
  // allocated old, which is born remembered.
  Value* slots = o->slots();
  slots[1] = function.value();
  for (std::size_t i = 0; i < n; ++i) slots[2 + i] = *captures[i];
  return heap::ref_value(o);
}

Value Closures::function_of(Value closure) {
  return heap::tail_fields(heap::as_object(closure))[0];
}

Value Closures::upvalue(Value closure, std::uint32_t i) {
  return heap::tail_fields(heap::as_object(closure))[1 + i];
}

void Closures::set_upvalue(heap::Mutator& m, Value closure, std::uint32_t i, Value v) {
  heap::set_slot(m, heap::as_object(closure), 2 + i, v);
}

Value Closures::make_cell(heap::Mutator& m, const heap::Handle& value) const {
  Object* o = heap::allocate(m, cell_type_, kCellBytes);
  if (o == nullptr) return kNothing;
  heap::set_slot(m, o, 0, value.value());
  return heap::ref_value(o);
}

Value Closures::cell_value(Value cell) {
  return heap::as_object(cell)->slots()[0];
}

void Closures::set_cell(heap::Mutator& m, Value cell, Value v) {
  heap::set_slot(m, heap::as_object(cell), 0, v);
}

}  // namespace runa::types
